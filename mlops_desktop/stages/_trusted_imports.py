"""Modules a trusted Python file imports from its folder run from the source that was hashed.

Trust hashes the folder's source files (see :func:`mlops_desktop.stages.custom.code_digest`),
but Python's import would run a module's cached bytecode from ``__pycache__`` whenever the
cache's recorded modification time and size match the source, whatever the cache holds; a
rewritten cache file would run unhashed code. Once a trusted file's folder is registered
here, every module found in it is compiled from its source file, and no cache is read or
written for it. Modules imported from the folder before are dropped from ``sys.modules``, so
a helper edited (and trusted again) runs as edited in a long-lived process such as the app.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from pathlib import Path
from types import CodeType, ModuleType


class _SourceOnlyLoader(SourceFileLoader):
    """Compiles the module from its source file each time; never reads or writes a cache."""

    def get_code(self, fullname: str) -> CodeType:
        source = self.get_data(self.path)
        return self.source_to_code(source, self.path)


class _TrustedFolders:
    """A meta path finder for the modules of registered folders: top-level modules found
    in a registered folder that is on ``sys.path`` (while a trusted file runs), and the
    submodules of packages loaded from one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.folders: tuple[str, ...] = ()

    def add(self, folder: str) -> None:
        with self._lock:
            if folder not in self.folders:
                self.folders = (*self.folders, folder)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        folders = self.folders
        if not folders:
            return None
        if path is None:  # a top-level module: only from a trusted folder on sys.path
            search = [p for p in sys.path if os.path.realpath(p or ".") in folders]
            if not search:
                return None
            spec = PathFinder.find_spec(fullname, search, target)
        elif _ours(sys.modules.get(fullname.partition(".")[0]), folders):
            spec = PathFinder.find_spec(fullname, path, target)
        else:
            return None
        if spec is None or not isinstance(spec.loader, SourceFileLoader) or not spec.origin:
            return None
        if not _inside(os.path.realpath(spec.origin), folders):
            return None
        spec.loader = _SourceOnlyLoader(fullname, spec.origin)
        spec.cached = None
        return spec

    def invalidate_caches(self) -> None:
        """Nothing cached here (the import system calls this on every finder)."""


_FINDER = _TrustedFolders()


def _inside(file: str, folders: tuple[str, ...]) -> bool:
    return any(file.startswith(folder + os.sep) for folder in folders)


def _ours(module: ModuleType | None, folders: tuple[str, ...]) -> bool:
    """Whether ``module`` was loaded from a trusted folder: by this finder, or a namespace
    package made of sub-folders of one."""
    if module is None:
        return False
    if isinstance(getattr(module, "__loader__", None), _SourceOnlyLoader):
        return True
    spec = getattr(module, "__spec__", None)
    locations = list(getattr(spec, "submodule_search_locations", None) or [])
    return (
        spec is not None
        and spec.origin is None  # a namespace package
        and bool(locations)
        and all(_inside(os.path.realpath(p), folders) for p in locations)
    )


def import_from_source(folder: Path) -> None:
    """From now on, modules found in ``folder`` (and below) load from their source files.
    Every module loaded from a trusted folder before is forgotten, to be loaded afresh: a
    ``helper`` imported by a file elsewhere must not stand in for this folder's, nor an
    edited helper's old code for the new."""
    _FINDER.add(os.path.realpath(folder))
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    folders = _FINDER.folders
    for name, module in list(sys.modules.items()):
        if _ours(module, folders):
            sys.modules.pop(name, None)
