"""``env.AI``: the Workers AI binding, answering from registered mocks.

Production hands Python the JS ``Ai`` object itself: workers-py's ``_EnvWrapper``
(``_workers.py``) wraps only Fetcher, DurableObjectNamespace, Workflow, KV, R2 and D1
bindings. So ``env.AI`` follows Pyodide's raw JsProxy rules on every compatibility date:
inputs must reach JS as a JS object (``to_js(inputs, dict_converter=Object.fromEntries)``,
or keyword arguments), and the result is a JsProxy (``result.response``, ``result.to_py()``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from wf.platform.ai._mocks import AICall, AIMock, AIMocks
from wf.runtime.js._streams import ReadableStream
from wf.runtime.pyodide._values import JsException

HOW_TO_MOCK = (
    "register a response: in a test, emu.mock_ai({model!r}, {{'response': '...'}}); with wf dev, "
    'wf ai mock {model} \'{{"response": "..."}}\' (or POST /cdn-cgi/wf/ai/mocks '
    '{{"model": ..., "response": ...}}); or add it to .wf/ai.json: '
    '{{"mocks": [{{"model": "{model}", "response": {{"response": "..."}}}}]}}'
)


class Ai:
    """The JS ``Ai`` binding: ``run(model, inputs, options)``."""

    def __init__(self, name: str, mocks: AIMocks, now: Callable[[], float]) -> None:
        self._name = name
        self._mocks = mocks
        self._now = now

    def __repr__(self) -> str:
        return f"<Ai {self._name}>"

    async def run(self, model: Any = None, inputs: Any = None, *rest: Any, **kwargs: Any) -> Any:
        """Answer with the mock registered for ``model`` (and these inputs)."""
        # Pyodide turns keyword arguments into one trailing JS object argument.
        args = [inputs, *rest, kwargs] if kwargs else [inputs, *rest]
        inputs, options = [*args, None, None][:2]
        if not isinstance(model, str):
            raise JsException("TypeError", f"{self._name}.run(): the model must be a string")
        inputs = {} if inputs is None else inputs
        options = {} if options is None else options
        call = AICall(model, _loggable(inputs), _loggable(options), self._now())
        self._mocks.calls.append(call)
        mock = self._mocks.find(model, inputs)
        if mock is None:
            call.error = f"no mock for {model}"
            raise JsException(
                "Error",
                f"{self._name}.run({model!r}): no model runs locally and no response is "
                f"registered for it (inputs: {json.dumps(call.inputs)[:200]}); "
                + HOW_TO_MOCK.format(model=model),
            )
        mock.used += 1
        call.mocked_by = mock.source
        if mock.error is not None:
            call.error = f"{mock.error['name']}: {mock.error['message']}"
            raise JsException(mock.error["name"], mock.error["message"])
        call.response = _loggable(mock.response)
        stream = isinstance(inputs, Mapping) and inputs.get("stream") is True
        raw = isinstance(options, Mapping) and options.get("returnRawResponse") is True
        return _answer(mock, stream, raw)


def _answer(mock: AIMock, stream: bool, raw: bool) -> Any:
    """The mock's response in the shape run() gives it: a JS object, a stream, a Response."""
    from wf.runtime.js import Response
    from wf.runtime.js._streams import Uint8Array

    response = mock.response
    if stream:
        body = _sse(response)
        if raw:
            return Response.new(Uint8Array(body), headers={"content-type": "text/event-stream"})
        return ReadableStream(body)
    if isinstance(response, bytes):  # an image or audio model: a stream of its bytes
        if raw:
            return Response.new(
                Uint8Array(response), headers={"content-type": "application/octet-stream"}
            )
        return ReadableStream(response)
    if raw:
        return Response.new(json.dumps(response), headers={"content-type": "application/json"})
    return response


def _sse(response: Any) -> bytes:
    """``stream: true``: server-sent events of ``{"response": piece}``, then ``[DONE]``.

    UNCONFIRMED: how production cuts the text into events varies by model; wf sends one
    event per word (a text-generation response's ``response`` field), then ``data: [DONE]``.
    """
    if isinstance(response, bytes):
        return response
    text = response.get("response") if isinstance(response, Mapping) else response
    if not isinstance(text, str):
        text = json.dumps(response)
    pieces = [p + " " for p in text.split(" ")]
    pieces[-1] = pieces[-1][:-1]
    events = [f"data: {json.dumps({'response': p})}\n\n" for p in pieces if p]
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()


def _loggable(value: Any) -> Any:
    """A value as the call log keeps it: JSON data (bytes by their size)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    try:
        return json.loads(json.dumps(value, default=repr))
    except (TypeError, ValueError):
        return repr(value)
