"""The command line's language (--lang en|zh, EVALKIT_LANG): the parser's help and usage errors in
Chinese, and the Chinese of the command's own fixed words.

The command's words are written in English where they are used; their Chinese is in the tables
below, keyed by the English: a translator finds every one here (the reports' words are in
report/words.yaml)."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import unicodedata
from collections.abc import Sequence

LANGS = ("en", "zh")

#: The parser's words (description, help texts, argparse's section titles) and the fixed words of
#: the command's messages, in Chinese. A help text ending "(default X)" is found without it.
_ZH = {
    # argparse's own words
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",  # argparse before 3.10
    "show this help message and exit": "显示帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    # the parser's
    "Assessment tables from party-building ledgers.": "根据党建台账生成考核表格。",
    "load one more plugin module; -p no:NAME blocks the plugin NAME": "再加载一个插件模块；-p no:NAME 禁用插件 NAME",
    "load every *.py file of DIR as a plugin": "把文件夹 DIR 中的每个 *.py 文件作为插件加载",
    "more rule packs, or replacements of shipped ones by name": "更多规则包，或按名称替换内置的规则包",
    "language of messages and reports (default: EVALKIT_LANG, else evalkit.toml's lang, else en)": (
        "消息和报告的语言（默认取环境变量 EVALKIT_LANG，其次取 evalkit.toml 中的 lang，都未设置时为 en）"
    ),
    "no progress line, warnings or notes: only errors": "不显示进度、警告和提示，只显示错误",
    "also each stage's time and, when a plugin failed (exit 3), its traceback": (
        "另外显示每个阶段的用时；插件出错时（退出码 3）显示其调用栈"
    ),
    "The options every command takes (-q, -v, --lang, -p, --plugins-dir, --rules-dir, --tz, the input limits) may "
    "also come before COMMAND; the one after it wins. evalkit COMMAND --help lists them.": (
        "每个命令都接受的选项（-q、-v、--lang、-p、--plugins-dir、--rules-dir、--tz 和输入限制）也可以写在 COMMAND "
        "之前；前后都写时以后面的为准。evalkit COMMAND --help 列出这些选项。"
    ),
    "each setting in force (lang, period, tz, rules_dir, plugins_dir) and its source": (
        "显示当前生效的每项设置（lang、period、tz、rules_dir、plugins_dir）及其来源"
    ),
    "a dataset folder, whose evalkit.toml counts too": "数据集文件夹（其中的 evalkit.toml 也计入）",
    "input limits (each refusal names its file and option)": "输入限制（每次拒绝都会指明文件和对应的选项）",
    "refuse cells longer than N characters": "拒绝超过 N 个字符的单元格",
    "refuse files and sheets of more than N rows": "拒绝超过 N 行的文件和工作表",
    "refuse rows of more than N cells": "拒绝超过 N 个单元格的行",
    "refuse workbooks of more than N MB uncompressed": "拒绝解压后超过 N MB 的工作簿",
    "refuse workbooks with a part over 1 MB that inflates more than N times": (
        "拒绝含有超过 1 MB 且解压后膨胀超过 N 倍的部件的工作簿"
    ),
    "list the first N problems of each file, then how many more": "每个文件列出前 N 个问题，再说明还有多少个",
    "{done}/{total} shards": "已读取 {done}/{total} 个分片",
    "the dataset folder, or a folder of shards: one dataset per sub-folder (docs/scale.md)": (
        "数据集文件夹，或分片文件夹：每个子文件夹一个数据集（见 docs/scale.md）"
    ),
    "text, markdown, html, csv, json or xlsx (default: the one --output's suffix names: .xlsx .html .md .json "
    ".txt, .zip for csv; else text); csv and xlsx need --output": (
        "输出格式：text、markdown、html、csv、json 或 xlsx（默认按 --output 的扩展名确定：.xlsx .html .md .json "
        ".txt，.zip 为 csv；否则为 text）；csv 和 xlsx 需要 --output"
    ),
    "write to FILE (atomically; - is stdout) instead of printing": (
        "写入文件 FILE（原子写入；- 表示标准输出），而不是打印到屏幕"
    ),
    "threads the dataset's queries may use (default: one per core)": "数据查询可使用的线程数（默认：每个核心一个）",
    "a folder of shards, each shard a task": "分片文件夹：每个分片作为一个任务",
    "run the shards as tasks in N local processes (1: this process)": (
        "在 N 个本机进程中以任务方式运行各分片（1：本进程）"
    ),
    "run the shards as tasks on this Dask scheduler's cluster": "在此 Dask 调度器的集群上以任务方式运行各分片",
    "the tasks write their tables under DIR, a folder every worker can read": (
        "各任务把结果表写入 DIR（每个工作节点都能读取的文件夹）"
    ),
    "keep the tables in --spill DIR after the run": "运行结束后保留 --spill DIR 中的结果表",
    "{done}/{total} shards done": "已完成 {done}/{total} 个分片",
    "note: the tasks' tables are kept in {folder}": "说明：各任务的结果表保留在 {folder}",
    "check files, types, references; list every problem": "检查文件、类型和引用；列出每个问题",
    "exit 2 when a warning says a file was not read": "有警告指出某个文件未被读取时，以退出码 2 结束",
    "compliance findings (1+4, councils, coverage)": "合规检查结果（1+4、议事会、覆盖率）",
    "a year (2024) or a quarter (2024Q2)": "年份（如 2024）或季度（如 2024Q2）",
    "only this subject, by id or name (a branch's self-check)": "只检查这个对象，给出编号或名称（支部自查）",
    "exit 0 even when findings failed": "即使有检查项未通过，也以退出码 0 结束",
    "annual assessment: departments, cadres, branches, chains": "年度考核：部门、干部、支部、产业链",
    "a year, such as 2024": "年份，如 2024",
    "how one subject's findings and score came about": "说明一个对象的检查结果和得分是怎样得出的",
    "a department, cadre, organisation or enterprise, by id or name": "部门、干部、党组织或企业的编号或名称",
    "every rule: id, pack, title, parameters, source": "列出每条规则：编号、规则包、标题、参数、来源",
    "show what --rules-dir changes from the shipped packs": "显示 --rules-dir 相对内置规则包作了哪些改动",
    "run rule test cases (a folder of YAML cases)": "运行规则测试用例（存放 YAML 用例的文件夹）",
    # evalkit serve
    "the self-check and the assessment as web pages (needs the serve extra)": (
        "以网页提供自查和年度考核（需要安装 serve 扩展）"
    ),
    "the address to listen on (default 127.0.0.1: this machine)": "监听的地址（默认 127.0.0.1：仅本机）",
    "the port to listen on (default 8000)": "监听的端口（默认 8000）",
    "the office's dataset, for the annual assessment page": "组织办公室的数据集，供年度考核页面使用",
    "the access token of the annual assessment pages (default: EVALKIT_TOKEN; none: pages off)": (
        "年度考核页面的访问令牌（默认取环境变量 EVALKIT_TOKEN；未设置时这些页面关闭）"
    ),
    "the largest request, in MB (default 50)": "单次请求的最大大小，单位 MB（默认 50）",
    "keep a copy of every upload in DIR (default: uploads are never kept)": (
        "把每次上传的副本保存在文件夹 DIR 中（默认：从不保存上传的文件）"
    ),
    "processes that run checks, one run each at a time (default 1)": "运行检查的进程数，每个进程一次运行一个（默认 1）",
    "the folder of cases (base.yaml and one file per case)": "用例文件夹（base.yaml，外加每个用例一个文件）",
    "loaded plugins, where each came from, version": "已加载的插件、各自的来源和版本",
    "the day next steps are written as of: days left, or a quarter already ended (default: today)": (
        "给出下一步建议时所依据的日期：据此计算剩余天数，或判断季度是否已结束（默认：今天）"
    ),
    "text tables at their full width, nothing cut or wrapped to fit 120 columns": (
        "文本表格按完整宽度输出，不为适应 120 列的显示宽度而截断或换行"
    ),
    "the time zone of the report's time (generated at), such as Asia/Shanghai "
    "(default: EVALKIT_TZ, else the system's)": (
        "报告生成时间所用的时区，如 Asia/Shanghai（默认取环境变量 EVALKIT_TZ，未设置时为系统时区）"
    ),
    "the report's time (generated at), ISO 8601 such as 2024-12-31T09:30:00+08:00, for a report that is the same "
    "when made again (default: SOURCE_DATE_EPOCH, else now)": (
        "报告的生成时间，ISO 8601 格式，如 2024-12-31T09:30:00+08:00，使再次生成的报告完全相同"
        "（默认取环境变量 SOURCE_DATE_EPOCH，未设置时为当前时间）"
    ),
    "the dataset is only --subject's own ledger: organisations, enterprises, departments and cadres it names but "
    "does not hold are listed, not checked": (
        "数据集只是 --subject 所指支部自己的台账：其中提到但未包含的党组织、企业、部门和干部只列出，不检查"
    ),
    "a blank XLSX workbook of ledgers to fill in: drop-downs, notes, examples": (
        "生成待填写的空白 XLSX 台账工作簿：含下拉选项、填写说明和示例"
    ),
    "the workbook to write (a new file)": "要写入的工作簿（须为新文件）",
    "only these ledgers, comma-separated English or Chinese names (default: every record type)": (
        "只包含这些台账，用逗号分隔的英文或中文名称（默认：所有记录类型）"
    ),
    # the command's messages: the start of a line on stderr
    "error: ": "错误：",
    "warning: ": "警告：",
    "{more} more unused waivers not shown (raise --max-problems)": (
        "另有 {more} 条未使用的豁免未列出（可用 --max-problems 调高）"
    ),
    "note: ": "提示：",
    # validate's line ("sample_data: valid (organizations 30, …; 3 blank row(s) skipped)") and --strict
    "{dataset}: valid ({counts}{skipped})": "{dataset}：校验通过（{counts}{skipped}）",
    "{type} {count}": "{type} {count} 条",
    ", ": "，",
    "; {blank} blank row(s) skipped": "；跳过空行 {blank} 行",
    "--strict: {count} warning(s) about files not read": "--strict：有 {count} 条关于文件未读取的警告",
    # check and assess: the audit view, and --strict on unused waivers
    "the audit view: results as if waivers.csv were empty (a waived finding counts as failed)": (
        "审计视图：按没有任何豁免计算结果（已豁免的结果计为不通过）"
    ),
    "exit 2, writing nothing, when a warning says a waiver waived nothing or a file was not read": (
        "有警告指出某条豁免未豁免任何结果、或某个文件未被读取时，以退出码 2 结束，不写出报告"
    ),
    "--strict: {count} warning(s) (unused waivers, files not read); nothing written": (
        "--strict：有 {count} 条警告（未使用的豁免、未读取的文件）；未写出报告"
    ),
    # check, assess and explain with no record in the period
    "no activity, meeting, request, visit, talent or incident record is dated in {period}; the results below "
    "measure nothing (is the period right?)": (
        "{period}没有任何活动、会议、诉求、走访、三培养或否决事项记录；以下结果没有衡量任何内容（期间是否正确？）"
    ),
    # rules --diff with nothing changed; verify's table and last line
    "the shipped rule packs are used as they are": "使用内置规则包，没有改动",
    "case": "用例",
    "rule": "规则",
    "result": "结果",
    "why": "原因",
    "pass": "通过",
    "FAIL": "未通过",
    "{passed} passed, {failed} failed": "通过 {passed} 个，未通过 {failed} 个",
    # a plugin failing (with -v, its traceback), the run stopped
    "plugin {plugin}: {error}": "插件 {plugin}：{error}",
    "traceback of plugin {plugin}:": "插件 {plugin} 的调用栈：",
    "interrupted: nothing was written": "已中断：没有写出任何结果",
    "terminated: nothing was written": "已终止：没有写出任何结果",
    # -v: a stage's time
    "{stage}: {seconds:.2f} s": "{stage}：{seconds:.2f} 秒",
    # --output's suffix and --format; --subject by name
    "--output {output}: a CSV report is several tables: name a .zip file, or a folder with --format csv": (
        "--output {output}：CSV 报告包含多张表：请指定 .zip 文件，或用 --format csv 指定一个文件夹"
    ),
    "--format {format} contradicts --output {output} (a {suffix} file is {implied}): drop one of them": (
        "--format {format} 与 --output {output} 矛盾（{suffix} 文件对应 {implied}）：请去掉其中之一"
    ),
    "--subject {subject}: {count} subjects have this name ({ids}); give the id of one": (
        "--subject {subject}：有 {count} 个对象叫这个名称（{ids}）；请给出其中一个的编号"
    ),
    # evalkit config; a setting's variable or file (evalkit/config.py) and what is wrong with its value
    "setting": "设置",
    "value": "值",
    "source": "来源",
    "(not set)": "（未设置）",
    "{variable} is {value}: ": "环境变量 {variable} 的值为 {value}：",
    "{file}: {key} = {value}: ": "{file}：{key} = {value}：",
    "set it to en or zh, or unset it (--lang en|zh overrides it)": "请设为 en 或 zh，或不设置（--lang en|zh 优先于它）",
    "not a period (a year such as 2024, a quarter such as 2024Q3 or 2024年第三季度)": (
        "不是有效的期间（应为年份如 2024，或季度如 2024Q3、2024年第三季度）"
    ),
    "not a time zone (expected a name such as Asia/Shanghai or UTC)": (
        "不是有效的时区（应为时区名称，如 Asia/Shanghai 或 UTC）"
    ),
    "{file}: cannot be read ({error})": "{file}：无法读取（{error}）",
    "{file}: not valid TOML ({error})": "{file}：不是有效的 TOML 文件（{error}）",
    "{file}: {key} is not a setting (settings: lang, period, tz, rules_dir, plugins_dir)": (
        "{file}：{key} 不是可用的设置（可用：lang、period、tz、rules_dir、plugins_dir）"
    ),
    " (did you mean {name}?)": "（是否应为 {name}？）",
    "{file}: {key}: an evalkit.toml in the dataset folder may set only lang, period and tz (a received ledger must "
    "never choose code to run); set {key} on the command line, in {variable} or in ./evalkit.toml": (
        "{file}：{key}：数据集文件夹中的 evalkit.toml 只能设置 lang、period 和 tz（收到的台账不能决定运行哪些代码）；"
        "请在命令行、环境变量 {variable} 或 ./evalkit.toml 中设置 {key}"
    ),
    '{file}: {key} must be text in quotes, such as {key} = "…"': '{file}：{key} 的值应为带引号的文本，如 {key} = "…"',
    "{file}: [tool.evalkit] must be a table of settings": "{file}：[tool.evalkit] 应为设置表",
    # run-to-run comparison (--compare, evalkit diff)
    "an earlier JSON output of this command (--format json): the report shows what changed since": (
        "本命令此前的 JSON 输出（--format json）：报告列出此后的变化"
    ),
    "compare with the earlier output N years later: with --shift 1y its 2024Q3 matches 2025Q3, 2024 matches 2025": (
        "与 N 年前的输出比较：--shift 1y 时其 2024Q3 对应 2025Q3，2024 对应 2025"
    ),
    "with new: exit 1 only for failures new or unwaived since the earlier output (not a new rule's)": (
        "取 new 时：仅当出现上次以来新增或豁免失效的未通过项时以退出码 1 结束（新规则的除外）"
    ),
    "exit 0 even when --exit-on new found new failures": "即使 --exit-on new 发现新增未通过项，也以退出码 0 结束",
    "what changed from one saved check or assess JSON output to another": (
        "比较两份已保存的 check 或 assess JSON 输出之间的变化"
    ),
    "the earlier output (--format json)": "较早的输出（--format json）",
    "the later output, of the same command and --subject": "较晚的输出，须为同一命令、同一 --subject",
    "{option} compares with an earlier run: add --compare OLD.json": (
        "{option} 用于与此前的结果比较：请加 --compare OLD.json"
    ),
}

#: Messages other code words in English: argparse's errors (the same in CPython 3.10–3.13; after
#: "argument NAME: " comes one of the later ones) and the lines of `rules --diff`.
_ZH_PATTERNS = [
    (r"the following arguments are required: (.+)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.+)", r"无法识别的参数：\1"),
    (r"ambiguous option: (.+) could match (.+)", r"选项 \1 有歧义，可能是 \2"),
    (r"one of the arguments (.+) is required", r"必须给出以下参数之一：\1"),
    (r"invalid choice: (.+) \(choose from (.+)\)", r"无效的选择 \1（可选：\2）"),
    (r"unknown parser (.+) \(choices: (.+)\)", r"未知的命令 \1（可选：\2）"),
    (r"invalid int value: (.+)", r"\1 不是整数"),
    (r"invalid (.+) value: (.+)", r"\2 不是有效的 \1 值"),
    (r"expected one argument", r"需要一个值"),
    (r"expected at most one argument", r"最多只能有一个值"),
    (r"expected at least one argument", r"至少需要一个值"),
    (r"expected (\d+) arguments?", r"需要 \1 个值"),
    (r"ignored explicit argument (.+)", r"这个选项不带值（多了 \1）"),
    (r"not allowed with argument (.+)", r"不能与参数 \1 同时使用"),
    (r"(.+) is not a whole number ≥ 1", r"\1 不是 ≥ 1 的整数"),
    (r"pack (\S+): added from (.+) \(version (.*)\)", r"规则包 \1：新增，来自 \2（版本 \3）"),
    (r"pack (\S+): replaced by (.+) \(version (.*) → (.*)\)", r"规则包 \1：被 \2 替换（版本 \3 → \4）"),
    (r"(  \S+: )\(none\)( → .*)", r"\1（无）\2"),
    (r"(  \S+: .* → )\(none\)", r"\1（无）"),
]


def say(text: str, lang: str, **values: object) -> str:
    """`text`, an English template of `_ZH`, in `lang` with its {names} filled in."""
    return (_ZH.get(text, text) if lang == "zh" else text).format(**values)


def _zh_help(text: str) -> str:
    """A help text or title in Chinese (the English where `_ZH` has none)."""
    if text in _ZH:
        return _ZH[text]
    words, default = re.fullmatch(r"(.*?)(?: \(default (.+)\))?", text, re.S).groups()
    return f"{_ZH[words]}（默认 {default}）" if default and words in _ZH else text


def zh_message(message: str) -> str:
    """A message of `_ZH_PATTERNS` in Chinese (as it is if none matches), with its hint (`_hint`)."""
    if match := re.fullmatch(r"(.+) \(did you mean (.+)\?\)", message, re.S):
        return f"{zh_message(match[1])}（是否应为 {match[2]}？）"
    if match := re.fullmatch(r"(.+) \(put (.+) after the command's name\)", message, re.S):
        return f"{zh_message(match[1])}（请把 {match[2]} 放在命令名之后）"
    if match := re.fullmatch(r"argument (.+?): (.+)", message, re.S):
        return f"参数 {match[1]}：{zh_message(match[2])}"
    for pattern, chinese in _ZH_PATTERNS:
        if match := re.fullmatch(pattern, message, re.S):
            return match.expand(chinese)
    return message


def _columns(text: str) -> int:
    """How many columns `text` takes on a terminal (a Chinese character two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, broken at spaces or beside a Chinese
    character, never inside a word or an option such as --max-rows, nor before a closing
    bracket or a comma, nor after an opening bracket."""
    pieces: list[str] = []  # what a line may not be broken inside of
    for char in " ".join(text.split()):
        last = pieces[-1][-1] if pieces else " "
        wide = unicodedata.east_asian_width(char) in "WF" or unicodedata.east_asian_width(last) in "WF"
        if last != " " and char != " " and (char in "）」》，。；：、！？" or last in "（「《" or not wide):
            pieces[-1] += char
        else:
            pieces.append(char)
    lines, line = [], ""
    for piece in pieces:
        if line and piece != " " and _columns(line + piece) > width:
            lines.append(line.rstrip())
            line = ""
        line += "" if piece == " " and not line else piece
    return [*lines, line.rstrip()] if line else lines


class _ChineseHelp(argparse.HelpFormatter):
    """argparse's help in Chinese: its titles and the help texts through `_ZH`, lines wrapped by
    the columns Chinese takes."""

    def _format_usage(self, usage, actions, groups, prefix):
        text = super()._format_usage(usage, actions, groups, prefix)
        if prefix is not None:
            return text
        first, *rest = text.split("\n")  # "usage: " takes 7 columns, 用法： 6: one space less below it
        return "\n".join(["用法：" + first.removeprefix("usage: "), *(line.removeprefix(" ") for line in rest)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._headings: list[str] = []

    def start_section(self, heading):
        heading = _zh_help(heading) if heading else heading
        self._headings.append(heading)
        super().start_section(heading)

    def format_help(self):  # argparse ends a section's title with ":", Chinese with "："
        text = super().format_help()
        for heading in self._headings:
            text = text.replace(f"\n{heading}:\n", f"\n{heading}：\n")
        return text

    def add_text(self, text):
        super().add_text(_zh_help(text) if text and text != argparse.SUPPRESS else text)

    def _get_help_string(self, action):
        return _zh_help(action.help) if action.help else action.help

    def _split_lines(self, text, width):
        return _wrap(text, width)

    def _fill_text(self, text, width, indent):
        return "\n".join(indent + line for line in _wrap(text, width - len(indent)))


def did_you_mean(given: str, known: Sequence[str]) -> str:
    """` (did you mean NAME?)` naming the one of `known` closest to a mistyped `given`; `` when
    none is close (zh_message puts it in Chinese)."""
    close = difflib.get_close_matches(given, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _choice_hint(message: str) -> str:
    """The hint after argparse's "invalid choice: 'chek' (choose from 'validate', 'check', …)":
    the closest choice (a subcommand, a --format). Choices are quoted up to Python 3.12, bare after."""
    match = re.search(r"invalid choice: (.+) \(choose from (.+)\)$", message, re.S)
    if not match:
        return ""
    return did_you_mean(match[1].strip("'\""), [choice.strip("'\"") for choice in match[2].split(", ")])


class Parser(argparse.ArgumentParser):
    """The command's parser in `lang` (its subcommands' parsers are of its class): in Chinese,
    its help and its usage errors too; a mistyped subcommand, option or choice gets the closest
    one suggested."""

    lang = "en"

    def __init__(self, *args, **kwargs):
        if self.lang == "zh":
            kwargs.setdefault("formatter_class", _ChineseHelp)
        super().__init__(*args, **kwargs)

    def command(self, name: str) -> argparse.ArgumentParser:
        """The parser of the subcommand `name`."""
        subcommands = next(a for a in self._actions if isinstance(a, argparse._SubParsersAction))
        return subcommands.choices[name]

    def parse_args(self, args=None, namespace=None):
        """argparse's, with each unrecognized option followed by the subcommand's option closest
        to it, or, for one of the subcommand's options given before its name, where it belongs.
        (argparse reports them at the top level, which does not know the subcommand's options.)"""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            known = [option for action in self.command(parsed.command)._actions for option in action.option_strings]
            hints = []
            for extra in extras:
                option = extra.partition("=")[0]
                if option in known:
                    hints.append(f" (put {option} after the command's name)")
                elif option.startswith("-"):
                    hints.append(did_you_mean(option, known))
            self.error("unrecognized arguments: " + " ".join(extras) + "".join(hints))
        return parsed

    def error(self, message):
        # an option with a short form is named by its long one, as the docs name it: not -f/--format
        message = re.sub(r"^argument -\w/(--[\w-]+):", r"argument \1:", message) + _choice_hint(message)
        if self.lang != "zh":
            super().error(message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误：{zh_message(message)}\n")


class ChineseParser(Parser):
    lang = "zh"


def lang_option(argv: Sequence[str]) -> str | None:
    """The language the command line asks for, known before parsing (the parser speaks it): the
    last `--lang en|zh` or `--lang=…` anywhere in `argv` (before the subcommand too); en for a
    --lang of another language (argparse refuses it, in English); None without --lang (the
    configuration decides: evalkit/config.py)."""
    lang, given = None, False
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        name, equals, value = arg.partition("=")
        if name in ("--la", "--lan", "--lang"):  # argparse takes a prefix of an option
            given = True
            value = value if equals else (argv[i + 1] if i + 1 < len(argv) else "")
            lang = value if value in LANGS else lang
    return lang or ("en" if given else None)
