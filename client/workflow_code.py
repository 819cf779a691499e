"""docorch's workflow code loaded into the workflow sandbox from memory instead of from files.

The sandbox imports our workflow modules (``workflows``) afresh for every workflow run: that is
what keeps each run's module state its own and lets the sandbox check every import and call the
code makes. The standard import machinery then also finds each module on ``sys.path``, reads its
bytecode file and unmarshals it, every run — about 1.2 ms of the 3.9 ms that importing
QueryWorkflow's 14 modules into a sandbox cost (``python -m bench --only sandbox``).

docorch's runner (``client.runner``) installs ``CompiledWorkflowCode``, a finder on
``sys.meta_path``: while a sandbox imports a module of ``workflows``, it serves the module's code
object, compiled once per process. Only the loading is shared. Each run still executes every
module body into a new module object inside the sandbox, with the sandbox's import hook and
restrictions applied exactly as before; nothing is passed through. Outside a sandbox the finder
does nothing. The code is the code the worker first loaded (as for every module it imported
outside the sandbox): an edited file takes a worker restart, or ``importlib.invalidate_caches()``.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Iterator, Sequence
from types import CodeType, ModuleType

from temporalio import workflow

WORKFLOW_PACKAGES = ("workflows",)
"""Packages whose modules the sandbox loads from memory: docorch's workflow code."""


class _CompiledLoader(importlib.abc.Loader):
    """Executes a module's code object kept in memory into the module the sandbox created."""

    def __init__(self, code: CodeType, source: importlib.abc.Loader | None) -> None:
        self.code = code
        self.source = source

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        """The default module object."""
        return None

    def exec_module(self, module: ModuleType) -> None:
        """Run the module body (in the sandbox: under its import hook and restrictions)."""
        exec(self.code, module.__dict__)

    def get_source(self, fullname: str) -> str | None:
        """The module's source, from the file loader (for tracebacks and ``inspect``)."""
        get_source = getattr(self.source, "get_source", None)
        return get_source(fullname) if get_source is not None else None


class _Compiled:
    """One module's code object and where it came from."""

    __slots__ = ("code", "spec")

    def __init__(self, spec: importlib.machinery.ModuleSpec, code: CodeType) -> None:
        self.spec = spec
        self.code = code

    def new_spec(self) -> importlib.machinery.ModuleSpec:
        """A fresh spec whose loader executes the kept code object."""
        found = self.spec
        spec = importlib.machinery.ModuleSpec(
            found.name,
            _CompiledLoader(self.code, found.loader),
            origin=found.origin,
            is_package=found.submodule_search_locations is not None,
        )
        if found.submodule_search_locations is not None:
            spec.submodule_search_locations = list(found.submodule_search_locations)
        spec.has_location = found.has_location
        spec.cached = found.cached
        return spec


class CompiledWorkflowCode(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder that serves the modules of ``packages`` from code objects
    compiled once, to imports made inside a workflow sandbox only."""

    def __init__(self, packages: Sequence[str] = WORKFLOW_PACKAGES) -> None:
        self.packages = tuple(packages)
        self._compiled: dict[str, _Compiled] = {}

    def covers(self, fullname: str) -> bool:
        """Whether ``fullname`` is one of the packages or a module in them."""
        return any(fullname == p or fullname.startswith(p + ".") for p in self.packages)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec executing the kept code of ``fullname`` when a sandbox imports one of our
        workflow modules while ``serving``; None (the standard finders decide) otherwise."""
        if not self.covers(fullname) or not _serving() or not workflow.unsafe.in_sandbox():
            return None
        compiled = self._compiled.get(fullname)
        if compiled is None:
            compiled = self._compile(fullname, path)
            if compiled is None:
                return None
        return compiled.new_spec()

    def _compile(self, fullname: str, path: Sequence[str] | None) -> _Compiled | None:
        """Find ``fullname`` as the standard path finder does and keep its code object."""
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        loader = spec.loader if spec is not None else None
        get_code = getattr(loader, "get_code", None)
        if spec is None or get_code is None:
            return None
        code = get_code(fullname)
        if not isinstance(code, CodeType):
            return None
        compiled = self._compiled[fullname] = _Compiled(spec, code)
        return compiled

    def invalidate_caches(self) -> None:
        """Forget the kept code (``importlib.invalidate_caches()``): the next sandbox import
        reads the files again."""
        self._compiled.clear()


_finder = CompiledWorkflowCode()
_install_lock = threading.Lock()
_local = threading.local()


def _serving() -> bool:
    return bool(getattr(_local, "serving", False))


@contextlib.contextmanager
def serving() -> Iterator[None]:
    """Serve our workflow modules from memory to the sandbox that imports them in this block,
    on this thread (docorch's runner, creating a workflow instance). Other runners' sandboxes
    in the same process import them as Temporal's runner does."""
    before = _serving()
    _local.serving = True
    try:
        yield
    finally:
        _local.serving = before


def install() -> CompiledWorkflowCode:
    """Put the finder first on ``sys.meta_path`` (once per process); return it."""
    with _install_lock:
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
    return _finder
