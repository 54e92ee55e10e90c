"""evalkit: assessment tables from party-building and enterprise-service records.

The public API a plugin may use: the hook markers, the dataset and fact types, and the
functions behind each step of the data flow (load → facts → rules → scores → report).
"""

import pluggy

#: The version pyproject.toml gives the distribution (it reads it from here): a source tree never
#: installed has it too, and no run reads the installed packages' metadata to know it.
__version__ = "0.1.0"

hookspec = pluggy.HookspecMarker("evalkit")
hookimpl = pluggy.HookimplMarker("evalkit")

from .errors import DatasetError, EvalkitError, PluginError, Problem, RulePackError, UsageError  # noqa: E402
from .periods import Period, quarter_of  # noqa: E402
from .schema import Column, RecordType, Ref  # noqa: E402

#: What `import evalkit` does not load until it is asked for: the loader brings DuckDB and Arrow.
_LAZY = {"Dataset": "load", "Table": "load", "load_dataset": "load"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


__all__ = [
    "Column",
    "Dataset",
    "DatasetError",
    "EvalkitError",
    "Period",
    "PluginError",
    "Problem",
    "RecordType",
    "Ref",
    "RulePackError",
    "Table",
    "UsageError",
    "__version__",
    "hookimpl",
    "hookspec",
    "load_dataset",
    "quarter_of",
]
