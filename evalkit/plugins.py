"""The plugin manager: finds plugins, registers them with pluggy, calls hooks one plugin at a time.

Discovery order (as pytest's): built-ins → `-p MODULE` → entry points of group `evalkit` →
`*.py` files of `--plugins-dir`. `-p no:NAME` blocks a plugin by name. Loading a plugin is always
an explicit act (installing it, naming it, or putting it in the plugins folder);
EVALKIT_DISABLE_PLUGIN_AUTOLOAD=1 turns entry-point discovery off.

A plugin that fails to import, declares a misspelled hook or raises in a hook (anything: an
exception, `sys.exit`, a `KeyboardInterrupt` of its own) is recorded as a `PluginFailure` with its
name; the others go on. Only the user's Ctrl-C or SIGTERM stops the command (`signals.py`).

Hooks are called in pluggy's own call order: `tryfirst` implementations, then the others, then
`trylast` ones; among the first two groups the plugin registered last comes first (so, with no
option, the reverse of the discovery order), among the `trylast` ones the first registered. That
order is total and follows from the discovery order alone (entry points and `--plugins-dir` files
are sorted by name), so no sort by name is needed to break ties; what comes out of the hooks is
merged and sorted downstream (findings, scores, packs), so the order shows only in which plugin
an error names first. Each implementation is called on its own, so that one plugin's exception
costs only its own results: hook wrappers (`wrapper=True`, old-style `hookwrapper=True`), which
pluggy runs around the whole call, are refused when the plugin registers (PluginError).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pluggy

from . import __version__, hookspecs
from .errors import PluginError, visible
from .signals import by_user

#: evalkit's own rule plugins, imported by name so the core never imports them itself.
BUILTIN_PLUGINS = {
    "one_plus_four": "evalkit_plugins.one_plus_four",
    "service": "evalkit_plugins.service",
    "chain_council": "evalkit_plugins.chain_council",
    "coverage": "evalkit_plugins.coverage",
    "branch_life": "evalkit_plugins.branch_life",
}


@dataclass(frozen=True)
class PluginInfo:
    name: str
    source: str  # "builtin", "-p", "entry point (DIST)", or the file of a --plugins-dir module
    version: str


@dataclass(frozen=True)
class PluginFailure:
    plugin: str
    error: str
    subjects: tuple[str, ...] = ()  # only these subjects' results are missing; () means all
    traceback: str = field(default="", compare=False)  # of what it raised, if it raised: `evalkit -v` shows it


class Plugins:
    """The registered plugins, what they are, and the ones that failed (`autoload`: also those
    installed under evalkit's entry point; `Session` decides from EVALKIT_DISABLE_PLUGIN_AUTOLOAD)."""

    def __init__(
        self,
        modules: Iterable[str] = (),
        blocked: Iterable[str] = (),
        plugins_dir: str | Path | None = None,
        autoload: bool = False,
    ):
        self.manager = pluggy.PluginManager("evalkit")
        self.manager.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.failures: list[PluginFailure] = []
        for name in blocked:
            self.manager.set_blocked(name)
        for name, module in BUILTIN_PLUGINS.items():
            self._import(name, module, "builtin", __version__)
        for module in modules:
            self._import(module, module, "-p", "")
        if autoload:
            self._entry_points()
        if plugins_dir is not None:
            self._plugins_dir(Path(plugins_dir))
        self._check_pending()

    def _register(self, name: str, plugin: object, info: PluginInfo) -> None:
        if self.manager.is_blocked(name):
            return
        if self.manager.get_plugin(name) is not None:
            raise PluginError(f'two plugins are named "{name}": {self.infos[name].source} and {info.source}')
        self.manager.register(plugin, name=name)
        self._refuse_wrappers(name, plugin, info)
        self.infos[name] = info

    def _refuse_wrappers(self, name: str, plugin: object, info: PluginInfo) -> None:
        """A hook wrapper would run around every plugin's call at once: its exception would cost every
        plugin's results and what it changed could not be charged to anyone. evalkit takes none."""
        for caller in self.manager.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                    self.manager.unregister(plugin)
                    option = "wrapper=True" if impl.wrapper else "hookwrapper=True"
                    raise PluginError(
                        f'plugin "{name}" ({info.source}): hook {caller.name} is a hook wrapper ({option}); '
                        "evalkit calls each plugin's hook on its own and takes no wrappers: make it a plain "
                        f"@hookimpl, or block the plugin with -p no:{name}"
                    )

    def _import(self, name: str, module: str, source: str, version: str) -> None:
        if self.manager.is_blocked(name):
            return
        try:
            imported = importlib.import_module(module)
        except BaseException as error:
            _unless_by_user(error)
            self._fail(name, f'Error importing plugin "{name}": {type(error).__name__}: {error}', error)
            return
        self._register(name, imported, PluginInfo(name, source, version or _module_version(imported)))

    def _entry_points(self) -> None:
        for point in sorted(entry_points(group="evalkit"), key=lambda p: p.name):
            if self.manager.is_blocked(point.name):
                continue
            dist = point.dist
            source = f"entry point ({dist.name if dist else 'unknown distribution'})"
            try:
                plugin = point.load()
            except BaseException as error:
                _unless_by_user(error)
                self._fail(point.name, f'Error importing plugin "{point.name}": {type(error).__name__}: {error}', error)
                continue
            self._register(point.name, plugin, PluginInfo(point.name, source, dist.version if dist else ""))

    def _plugins_dir(self, folder: Path) -> None:
        if not folder.is_dir():
            raise PluginError(f"{folder}: not a folder of plugin modules")
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_") or self.manager.is_blocked(path.stem):
                continue
            module_name = f"evalkit_local_{path.stem}"
            try:
                module = _import_file(module_name, path)
            except BaseException as error:
                _unless_by_user(error)
                self._fail(
                    path.stem, f'Error importing plugin "{path.stem}" ({path}): {type(error).__name__}: {error}', error
                )
                continue
            self._register(path.stem, module, PluginInfo(path.stem, str(path), _module_version(module)))

    def _check_pending(self) -> None:
        """A hook name no spec knows (a typo) fails its plugin loudly instead of being ignored."""
        while True:
            try:
                self.manager.check_pending()
                return
            except pluggy.PluginValidationError as error:
                name = self.manager.get_name(error.plugin) or str(error.plugin)
                self.manager.unregister(error.plugin)
                self.infos.pop(name, None)
                self._fail(name, f'plugin "{name}": {error}')

    def _fail(self, name: str, error: str, raised: BaseException | None = None) -> None:
        told = "".join(traceback.format_exception(raised)) if raised is not None else ""
        self.failures.append(PluginFailure(name, error, traceback=told))

    def call(
        self, hook: str, expected: type | tuple[type, ...], only: set[str] | None = None, **kwargs
    ) -> list[tuple[str, list]]:
        """Call `hook` on each plugin (or each plugin named in `only`) separately, in pluggy's call order.

        Returns (plugin, results) per implementation, in that order. A plugin that raises or
        returns something other than a list of `expected` (a type, or a tuple of types) is recorded
        as a failure and left out; the others' results still come back.
        """
        results = []
        for impl in self.call_order(hook):
            if only is not None and impl.plugin_name not in only:
                continue
            printed = _Printed(impl.plugin_name)
            try:
                args, keywords = _arguments(impl, kwargs)
                with contextlib.redirect_stdout(printed):
                    returned = impl.function(*args, **keywords)
            except BaseException as error:
                _unless_by_user(error)
                self._fail(impl.plugin_name, f"{hook} raised {type(error).__name__}: {error}", error)
                continue
            finally:
                printed.flush()
            if returned is None:
                continue
            if not isinstance(returned, (list, tuple)) or not all(isinstance(item, expected) for item in returned):
                self._fail(
                    impl.plugin_name, f"{hook} must return a list of {_names(expected)}, got {_describe(returned)}"
                )
                continue
            results.append((impl.plugin_name, list(returned)))
        return results

    def call_order(self, hook: str) -> list[pluggy.HookImpl]:
        """The hook's implementations in the order pluggy's own call runs them.

        pluggy keeps them as [trylast (newest first), plain, tryfirst (oldest first)], wrappers after
        them (refused here), and calls that list from its end: tryfirst and plain ones the last
        registered first, then trylast ones the first registered first.
        """
        return list(reversed(getattr(self.manager.hook, hook).get_hookimpls()))


class _Printed(io.TextIOBase):
    """What a hook prints, sent to stderr a line at a time as `plugin NAME: ...`: stdout carries
    the report (`--format json` stays valid JSON whatever a plugin prints)."""

    def __init__(self, plugin: str):
        self.plugin, self.pending = plugin, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            print(f"plugin {self.plugin}: {visible(line)}", file=sys.stderr)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.write("\n")


def _unless_by_user(error: BaseException) -> None:
    """Re-raise the user's Ctrl-C or SIGTERM; anything else a plugin raises, `sys.exit` and a
    `KeyboardInterrupt` of its own included, is that plugin's failure (the caller records it)."""
    if by_user(error):
        raise error


def _arguments(impl: pluggy.HookImpl, kwargs: dict) -> tuple[list, dict]:
    """What pluggy passes an implementation: its parameters by position, and those of its parameters
    that have a default by keyword when the call has them."""
    return [kwargs[name] for name in impl.argnames], {name: kwargs[name] for name in impl.kwargnames if name in kwargs}


def _import_file(module_name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # process pools find the module by this name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _module_version(module: ModuleType) -> str:
    return str(getattr(module, "__version__", ""))


def _names(expected: type | tuple[type, ...]) -> str:
    """`Fact`, or `Fact or FactTable`: what a hook must return a list of."""
    return " or ".join(kind.__name__ for kind in (expected if isinstance(expected, tuple) else (expected,)))


def _describe(value: object) -> str:
    if isinstance(value, (list, tuple)):
        kinds = sorted({type(item).__name__ for item in value})
        return f"a list of {', '.join(kinds) or 'nothing'}"
    return type(value).__name__
