"""The settings a user would otherwise type on every run (lang, period, tz, rules_dir, plugins_dir),
and where each came from (`evalkit config` shows both).

Highest first: the command line; the environment (EVALKIT_LANG, EVALKIT_TZ, EVALKIT_RULES_DIR,
EVALKIT_PLUGINS_DIR); `evalkit.toml` in the dataset folder; `evalkit.toml` in the current folder;
`[tool.evalkit]` of ./pyproject.toml; the defaults. A variable set to nothing is not set.

A dataset folder's evalkit.toml may set only lang, period and tz: a ledger received from a branch
must never choose code to run, so rules_dir or plugins_dir there is refused rather than ignored
(the sender would believe it applied). A file's unknown key is refused too: a typo would
otherwise be a setting silently not in force. A value is checked when it is the one in force,
naming where it came from; a command-line value is checked by the option that takes it.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cli_language import LANGS, say
from .errors import UsageError, visible
from .periods import Period

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, before it joined the standard library
    import tomli as tomllib

SETTINGS = ("lang", "period", "tz", "rules_dir", "plugins_dir")
#: What an evalkit.toml beside the ledgers may set: how the report reads, never what code runs.
DATASET_SETTINGS = ("lang", "period", "tz")
VARIABLES = {
    "lang": "EVALKIT_LANG",
    "tz": "EVALKIT_TZ",
    "rules_dir": "EVALKIT_RULES_DIR",
    "plugins_dir": "EVALKIT_PLUGINS_DIR",
}
DEFAULTS: dict[str, str | None] = {"lang": "en", "period": None, "tz": None, "rules_dir": None, "plugins_dir": None}
FILE_NAME = "evalkit.toml"


@dataclass(frozen=True)
class Source:
    """Where a setting came from, as `evalkit config` and error messages name it."""

    en: str
    zh: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


COMMAND_LINE = Source("command line", "命令行")
DEFAULT = Source("default", "默认值")


@dataclass(frozen=True)
class Setting:
    value: str | None
    source: Source


@dataclass(frozen=True)
class _Layer:
    """One place settings come from, with the values it sets (`variables`: the environment's,
    by variable name, which its messages name)."""

    source: Source
    values: Mapping[str, object]
    variables: bool = False


class Configuration:
    """The settings in force for one run: `command_line` (setting → the value typed, None when
    not), over the environment, the files of `dataset` and the current folder (`folder`), and the
    defaults. Files are read here, so a broken one is refused before any work."""

    def __init__(
        self,
        command_line: Mapping[str, object],
        dataset: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        folder: str | Path = ".",
    ):
        environ = os.environ if environ is None else environ
        folder = Path(folder)
        self._layers = [
            _Layer(COMMAND_LINE, {key: value for key, value in command_line.items() if value is not None}),
            _environment(environ),
            *(_dataset_file(Path(dataset)) if dataset is not None else []),
            *_file(folder / FILE_NAME, f"./{FILE_NAME}"),
            *_pyproject(folder / "pyproject.toml"),
        ]

    def setting(self, key: str) -> Setting:
        """The value of `key` in force and its source, checked unless typed."""
        for layer in self._layers:
            if key in layer.values:
                value = layer.values[key]
                if layer.source is COMMAND_LINE:
                    return Setting(value, COMMAND_LINE)
                source = layer.source
                if layer.variables:  # "environment EVALKIT_LANG"
                    source = Source(f"{source.en} {VARIABLES[key]}", f"{source.zh} {VARIABLES[key]}")
                return Setting(_checked(key, value, layer), source)
        return Setting(DEFAULTS[key], DEFAULT)

    def settings(self) -> dict[str, Setting]:
        return {key: self.setting(key) for key in SETTINGS}


def _refusal(template: str, **values: object) -> UsageError:
    """A usage error of `template` (an English text of cli_language's table) in both languages."""
    return UsageError(*(say(template, lang, **values) for lang in LANGS))


def _environment(environ: Mapping[str, str]) -> _Layer:
    values = {key: environ[name].strip() for key, name in VARIABLES.items() if environ.get(name, "").strip()}
    return _Layer(Source("environment", "环境变量"), values, variables=True)


def _read(path: Path, shown: str) -> dict | None:
    """The TOML file at `path` (`shown` as messages name it), or None when there is none."""
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise _refusal("{file}: cannot be read ({error})", file=shown, error=error.strerror) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise _refusal("{file}: not valid TOML ({error})", file=shown, error=visible(str(error))) from None


def _settings(table: Mapping[str, object], shown: str, allowed: tuple[str, ...] = SETTINGS) -> dict[str, object]:
    """The settings of a file's table, refusing a key that is none (a typo) or is not `allowed`
    there, and a value that is not text (a period may be a bare year: period = 2024)."""
    for key, value in table.items():
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, SETTINGS, n=1)
            raise UsageError(
                *(
                    say(
                        "{file}: {key} is not a setting (settings: lang, period, tz, rules_dir, plugins_dir)",
                        lang,
                        file=shown,
                        key=key,
                    )
                    + (say(" (did you mean {name}?)", lang, name=close[0]) if close else "")
                    for lang in LANGS
                )
            )
        if key not in allowed:
            raise _refusal(
                "{file}: {key}: an evalkit.toml in the dataset folder may set only lang, period and tz (a received "
                "ledger must never choose code to run); set {key} on the command line, in {variable} or in "
                "./evalkit.toml",
                file=shown,
                key=key,
                variable=VARIABLES[key],
            )
        if not isinstance(value, str) and not (key == "period" and type(value) is int):
            raise _refusal('{file}: {key} must be text in quotes, such as {key} = "…"', file=shown, key=key)
    return {key: str(value) for key, value in table.items()}


def _dataset_file(dataset: Path) -> list[_Layer]:
    shown = str(dataset / FILE_NAME)
    table = _read(dataset / FILE_NAME, shown)
    return [] if table is None else [_Layer(Source(shown, shown), _settings(table, shown, DATASET_SETTINGS))]


def _file(path: Path, shown: str) -> list[_Layer]:
    table = _read(path, shown)
    return [] if table is None else [_Layer(Source(shown, shown), _settings(table, shown))]


def _pyproject(path: Path) -> list[_Layer]:
    """[tool.evalkit] of ./pyproject.toml, when it has one (a project's other tables are not ours)."""
    shown = "./pyproject.toml [tool.evalkit]"
    document = _read(path, "./pyproject.toml")
    tool = document.get("tool", {}) if document is not None else {}
    table = tool.get("evalkit") if isinstance(tool, dict) else None
    if table is None:
        return []
    if not isinstance(table, dict):
        raise _refusal("{file}: [tool.evalkit] must be a table of settings", file="./pyproject.toml")
    return [_Layer(Source(shown, shown), _settings(table, shown))]


#: Why a value in force cannot be used, by setting.
_EXPECTED = {
    "lang": "set it to en or zh, or unset it (--lang en|zh overrides it)",
    "period": "not a period (a year such as 2024, a quarter such as 2024Q3 or 2024年第三季度)",
    "tz": "not a time zone (expected a name such as Asia/Shanghai or UTC)",
}


def _checked(key: str, value: object, layer: _Layer) -> str:
    """`value` of `key` from `layer`, refused (naming the variable or the file) when it cannot be
    used: a language other than en or zh, a period that is none, an unknown time zone."""
    text = str(value).strip()
    if key == "lang" and text.lower() in LANGS:
        return text.lower()
    if key not in _EXPECTED or _usable(key, text):
        return text
    shown = visible(repr(text))
    if layer.variables:
        where = [say("{variable} is {value}: ", lang, variable=VARIABLES[key], value=shown) for lang in LANGS]
    else:
        where = [say("{file}: {key} = {value}: ", lang, file=layer.source.en, key=key, value=shown) for lang in LANGS]
    raise UsageError(*(said + say(_EXPECTED[key], lang) for said, lang in zip(where, LANGS, strict=True)))


def _usable(key: str, text: str) -> bool:
    try:
        Period.parse(text) if key == "period" else ZoneInfo(text)
    except (ValueError, ZoneInfoNotFoundError, OSError):
        return False
    return True
