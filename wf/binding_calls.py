"""How a Python call reaches a Workflow binding's JS method in production.

workers-py (``_workers.py``: ``_WorkflowBindingWrapper``, ``_WorkflowInstanceWrapper``,
``_BindingWrapper._convert_args``) converts each argument with ``python_to_rpc`` and calls the
JS method with ``*args, **kwargs``; Pyodide passes positional arguments through and gathers
keyword arguments into one trailing JS object. The JS methods (workerd
``src/cloudflare/internal/workflows-api.ts``) read only the arguments they declare: ``create``,
``restart``, ``terminate`` and ``sendEvent`` one options object, ``status``, ``pause``,
``resume`` and ``delete`` none. What they leave unread is silently ignored there, so wf ignores
it too and warns once, naming what production does with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from wf.errors import StepError, WorkflowError

__all__ = ["as_js_error", "js_arguments", "no_arguments", "options_argument", "warn_once"]

_WARNED: set[str] = set()


def warn_once(message: str) -> None:
    """A RuntimeWarning at the user's call, once per message in this process."""
    if message not in _WARNED:
        _WARNED.add(message)
        # helper -> binding method -> the user's `await env.X.method(...)`
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def js_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Any]:
    """The JS call's arguments: positional ones as they are, keywords as one trailing object."""
    return [*args, dict(kwargs)] if kwargs else list(args)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def options_argument(
    method: str,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    *,
    reads: tuple[str, ...],
) -> dict[str, Any]:
    """The one options object a JS method reads, with what production ignores left out.

    `reads` lists the keys the method reads; other keys, and every argument after the first,
    are dropped with a warning that says so.
    """
    if not args and all(map(reads.__contains__, kwargs)):
        return dict(kwargs)  # the common call: keywords the method reads, nothing to warn of
    given = js_arguments(args, kwargs)
    if len(given) > 1:
        dropped = ", ".join(_show(value) for value in given[1:])
        how = (
            "a dict and keyword arguments reach it as two objects"
            if kwargs and args
            else "it takes one options object"
        )
        warn_once(
            f"{method}(): {how}, and Cloudflare reads only the first, so {dropped} is ignored "
            "(as wf ignores it): put every option in one dict or pass them all as keywords"
        )
    first = given[0] if given else None
    if first is None:
        return {}
    if not isinstance(first, Mapping):
        # A JS method destructuring a string or number finds none of its keys.
        warn_once(
            f"{method}(): Cloudflare reads options from an object, so {_show(first)} gives it "
            f"none ({', '.join(reads)} are all unset, as in wf)"
        )
        return {}
    options = dict(first)
    for key in [k for k in options if k not in reads]:
        hint = ' (a Python keyword cannot be "from": pass {"from": {...}} in a dict)'
        warn_once(
            f"{method}(): Cloudflare does not read the option {key!r} (it reads "
            f"{', '.join(reads)}), so wf ignores it too" + (hint if key == "from_" else "")
        )
        del options[key]
    return options


def no_arguments(method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """A JS method that declares no parameter: anything passed is ignored, with a warning."""
    given = js_arguments(args, kwargs)
    if given:
        dropped = ", ".join(_show(value) for value in given)
        warn_once(f"{method}() takes no arguments: Cloudflare ignores {dropped}, and so does wf")


def as_js_error(exc: WorkflowError) -> StepError:
    """A Workflows API error as user code catches it: the engine's ``WorkflowError``
    (workflows-shared ``createWorkflowError``) crosses RPC as a plain ``Error`` with its
    name folded into the message, which Pyodide raises as ``pyodide.ffi.JsException``."""
    return StepError("WorkflowError", exc.message)
