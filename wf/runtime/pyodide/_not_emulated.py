"""The error for a name wf does not provide: it says so, and what to use instead."""

from __future__ import annotations

import dis
import sys

_IMPORT_FROM = dis.opmap["IMPORT_FROM"]


def not_emulated(module: str, name: str, hint: str) -> AttributeError | ImportError:
    """The exception a module ``__getattr__`` raises for `name`.

    ``from js import X`` turns an AttributeError into a bare "cannot import name", which drops
    the hint, so an ImportError is made when the lookup comes from an import statement;
    ``js.X``, ``getattr`` and ``hasattr`` get an AttributeError, as from any module.
    """
    caller = sys._getframe(2)  # past the module __getattr__ that called us
    if caller.f_code.co_code[caller.f_lasti] == _IMPORT_FROM:
        return ImportError(
            f"cannot import name {name!r} from {module!r}: not emulated by wf; {hint}",
            name=module,
        )
    return AttributeError(
        f"module {module!r} has no attribute {name!r}: not emulated by wf; {hint}"
    )
