"""Deprecated: the package is ``wf`` now (``from wf.testing import Emulator``).

``import emulator.X`` still works for a while: it warns once and hands out ``wf.X`` itself,
the same module objects, so old imports and new ones share one state.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

_OLD, _NEW = "emulator", "wf"

warnings.warn(
    "the `emulator` package is now `wf`: import from `wf` (e.g. `from wf.testing import Emulator`)",
    DeprecationWarning,
    stacklevel=2,
)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is the new package's, already imported."""


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``emulator.X`` as ``wf.X``."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_OLD + "."):
            return None
        new = _NEW + fullname[len(_OLD) :]
        if importlib.util.find_spec(new) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new))


sys.meta_path.insert(0, _AliasFinder())
_package = importlib.import_module(_NEW)
__version__ = _package.__version__
