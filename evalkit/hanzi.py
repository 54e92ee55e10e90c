"""Traditional → Simplified folding for the Chinese labels of the dataset format.

Ledgers typed in Traditional Chinese must load as they are (docs/data-format.md). The labels use a small,
fixed set of characters, so a table of exactly those is enough: no conversion library needed.
A test checks that every character of every label is covered.
"""

from __future__ import annotations

import unicodedata

_PAIRS = (
    "專专 業业 產产 會会 傳传 員员 啟启 啓启 復复 複复 頭头 審审 對对 導导 屬属 崗岗 幹干 開开 強强 態态 願愿 動动 "
    "區区 協协 單单 參参 發发 號号 務务 養养 決决 則则 別别 辦办 稱称 類类 級级 組组 織织 結结 絡络 綜综 編编 "
    "職职 聯联 節节 規规 議议 訪访 證证 訴诉 負负 責责 進进 鏈链 鋒锋 門门 間间 陣阵 項项 題题 滿满 點点 牽牵 "
    "狀状 環环 時时 數数 黨党 億亿 個个 體体 內内 從从 歸归 擔担 據据 實实 長长 為为 報报 條条 態态 "
    "臺台 賬账 帳账 冊册 說说 寫写 曆历 歷历 調调"
    " 試试 處处 記记 過过 風风 設设 維维 穩稳 "
    "課课 評评 應应 權权"
)
TRADITIONAL_TO_SIMPLIFIED = {pair[0]: pair[1] for pair in _PAIRS.split()}
_TABLE = str.maketrans(TRADITIONAL_TO_SIMPLIFIED)


def fold(text: str) -> str:
    """Return `text` with the label characters in Simplified form, lower-cased and trimmed."""
    return text.strip().translate(_TABLE).lower()


def fold_nfkc(text: str) -> str:
    """`fold` of `text` in NFKC (full-width letters and digits made ASCII): how names, headers
    and choices a person typed are compared."""
    return fold(unicodedata.normalize("NFKC", text))
