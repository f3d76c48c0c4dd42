"""JsDict: the dict user code receives for JS objects (`event.payload` and `event["payload"]`)."""

from __future__ import annotations

from typing import Any


class JsDict(dict[str, Any]):
    """A dict that also allows attribute access; nested dicts become JsDicts on construction."""

    __slots__ = ()  # attributes are keys: no instance __dict__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, value in self.items():
            dict.__setitem__(self, key, to_js_dict(value))

    def __getattr__(self, name: str) -> Any:
        # Keys that clash with dict methods (items, keys...) stay reachable only by subscript,
        # as in workers-py.
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


def to_js_dict(value: Any) -> Any:
    """Convert dicts (also inside lists) to JsDict recursively; other values pass through."""
    if isinstance(value, dict):  # JsDicts too: values set after construction may be plain
        return JsDict(value)
    if isinstance(value, list):
        return [to_js_dict(item) for item in value]
    return value
