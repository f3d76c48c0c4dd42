"""The body types ``workers.Response`` and ``js.Response`` take, and what they make of them.

workers-py ``packages/runtime-sdk/src/workers/_workers.py``, ``Response.__init__``: a value
with a ``constructor`` passes when ``constructor.name`` is in ``RESPONSE_ACCEPTED_TYPES``
(BufferSource types, FormData, ReadableStream, URLSearchParams, Response), else
``TypeError("Unsupported type in Response: <constructor name>")``; any other value must be
``str``, ``FormData``, ``bytes`` or None, else ``TypeError("Unsupported type in Response:
<type name>")``. So ``bytearray`` and ``memoryview`` are refused. ``Response(js_response)``
wraps it and takes no options. ``FetchResponse.body`` is the JS stream (None for a null body).
``js.Response.new`` is JS's constructor: a Python object other than str/numbers reaches it as
a PyProxy, which is no BodyInit, so JS makes text of it (Fetch spec; Pyodide's conversions).
"""

from __future__ import annotations

from typing import Any

import pytest

from wf.runtime import js
from wf.runtime.js._streams import DISTURBED, LOCKED, ReadableStream
from wf.runtime.pyodide.ffi import JsException, to_js
from wf.runtime.workers import JsDict, Request, Response


@pytest.mark.parametrize(
    ("body", "data", "content_type"),
    [
        ("héllo", "héllo".encode(), "text/plain;charset=UTF-8"),
        (b"\x00\x01", b"\x00\x01", None),
        (None, b"", None),
        (ReadableStream(b"streamed"), b"streamed", None),
        (to_js(b"typed"), b"typed", None),  # a Uint8Array
        (
            js.URLSearchParams.new("a=1&b=2"),
            b"a=1&b=2",
            "application/x-www-form-urlencoded;charset=UTF-8",
        ),
    ],
    ids=["str", "bytes", "None", "ReadableStream", "Uint8Array", "URLSearchParams"],
)
async def test_accepted_body_types(body: Any, data: bytes, content_type: str | None) -> None:
    response = Response(body)
    assert response.headers.get("content-type") == content_type
    assert await response.bytes() == data


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (bytearray(b"x"), "bytearray"),
        (memoryview(b"x"), "memoryview"),
        ({"a": 1}, "dict"),
        ([1, 2], "list"),
        ((1, 2), "tuple"),
        (42, "int"),
        (1.5, "float"),
        (True, "bool"),
        (JsDict(a=1), "JsDict"),
        (Response("inner"), "Response"),  # a Python Response has no JS constructor
        (js.Object.fromEntries([["a", 1]]), "Object"),  # a JS object: its constructor's name
        (js.JSON.parse("[1]"), "Array"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_refused_body_types_as_workers_py_words_them(body: Any, name: str) -> None:
    with pytest.raises(TypeError) as info:
        Response(body)
    assert str(info.value) == f"Unsupported type in Response: {name}"


async def test_a_js_response_is_wrapped_and_takes_no_options() -> None:
    inner = js.Response.new("from js", status=201)
    wrapped = Response(inner)
    assert wrapped.status == 201 and await wrapped.text() == "from js"
    with pytest.raises(ValueError, match="Expected no options when constructing Response"):
        Response(js.Response.new("x"), status=200)


async def test_a_stream_body_must_be_unread_and_unlocked() -> None:
    locked = ReadableStream(b"abc")
    await locked.getReader().read()
    with pytest.raises(JsException) as in_use:
        Response(locked)
    assert (in_use.value.name, in_use.value.message) == ("TypeError", LOCKED)
    read2 = ReadableStream(b"abc")
    reader = read2.getReader()
    await reader.read()
    reader.releaseLock()
    with pytest.raises(JsException) as used:
        Response(read2)
    assert used.value.message == DISTURBED


async def test_response_body_is_a_stream_that_uses_the_body_up() -> None:
    response = Response("abc")
    assert response.body.constructor.name == "ReadableStream"
    assert response.body is response.body and not response.body_used
    chunks = [chunk.to_bytes() async for chunk in response.body]
    assert chunks == [b"abc"] and response.body_used
    with pytest.raises(OSError, match="Body already used"):
        await response.text()
    assert Response().body is None and Response(None, status=204).body is None


async def test_a_response_body_can_make_another_response() -> None:
    first = Response("passed on")
    second = Response(first.body)
    assert first.body_used and await second.text() == "passed on"


async def test_js_response_new_takes_js_bodies_and_stringifies_python_objects() -> None:
    assert await js.Response.new(to_js(b"\x00\x01")).bytes() == b"\x00\x01"
    assert await js.Response.new(ReadableStream(b"s")).text() == "s"
    assert await js.Response.new(42).text() == "42"
    with pytest.warns(RuntimeWarning, match="reaches JavaScript as a Python proxy"):
        response = js.Response.new(b"raw")
    assert await response.text() == "b'raw'"  # String(pyproxy) is Python's str()
    with pytest.warns(RuntimeWarning, match="bytearray"):
        assert await js.Response.new(bytearray(b"x")).text() == "bytearray(b'x')"


async def test_request_takes_a_stream_body_and_gives_its_body_as_a_stream() -> None:
    request = Request("https://example.com/", method="POST", body=ReadableStream(b"up"))
    assert request.headers.get("content-type") is None  # a stream sets no content-type
    assert request.body.constructor.name == "ReadableStream" and not request.body_used
    assert await request.text() == "up" and request.body_used
    assert Request("https://example.com/").body is None  # a GET has a null body
