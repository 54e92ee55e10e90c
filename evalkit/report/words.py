"""Every word evalkit shows a person, in English and Chinese (`--lang en|zh`), kept in words.yaml
beside this module, where a translator finds them all (rule titles, finding messages and grade
labels come from the rule packs)."""

from __future__ import annotations

from pathlib import Path

import yaml

WORDS: dict[str, dict] = yaml.load(
    (Path(__file__).parent / "words.yaml").read_text(encoding="utf-8"),
    Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
)
STATUS_LABELS = {lang: words["statuses"] for lang, words in WORDS.items()}
KIND_LABELS = {lang: words["kinds"] for lang, words in WORDS.items()}
