"""R2 binding: put/get/head/delete/list, ranges, conditionals, multipart, limits and errors."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.devserver import run_wf
from wf.platform.r2 import JsException, R2Object, R2ObjectBody
from wf.runtime.workers import Headers, JsDict
from wf.testing import Emulator

START = "2026-01-01T00:00:00Z"
MIB = 1024 * 1024


def write_project(root: Path) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(
        textwrap.dedent(
            """
            from workers import Response, WorkerEntrypoint

            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    key = request.url.split("/")[-1]
                    if request.method == "PUT":
                        await self.env.BUCKET.put(key, await request.text())
                        return Response("stored")
                    obj = await self.env.BUCKET.get(key)
                    return Response(await obj.text() if obj else "missing")
            """
        )
    )
    (root / "wrangler.jsonc").write_text(
        json.dumps(
            {
                "name": "r2-test",
                "main": "src/entry.py",
                "compatibility_date": "2026-08-14",
                "compatibility_flags": ["python_workers"],
                "r2_buckets": [{"binding": "BUCKET", "bucket_name": "assets"}],
            }
        )
    )
    return root


@pytest.fixture
async def emu(tmp_path: Path) -> AsyncIterator[Emulator]:
    async with Emulator(write_project(tmp_path / "project"), now=START) as emulator:
        yield emulator


@pytest.fixture
def bucket(emu: Emulator) -> Any:
    return emu.env.BUCKET


async def raises(awaitable: Any) -> JsException:
    with pytest.raises(JsException) as info:
        await awaitable
    return info.value


# -- put / get / head


async def test_put_then_get_text_json_bytes(bucket: Any, emu: Emulator) -> None:
    put = await bucket.put("a.txt", "héllo")
    assert isinstance(put, R2Object)
    assert put.key == "a.txt" and put.size == len("héllo".encode())
    assert put.etag == hashlib.md5("héllo".encode()).hexdigest()
    assert put.httpEtag == f'"{put.etag}"'
    assert put.uploaded == datetime.datetime(2026, 1, 1)  # naive UTC, on the virtual clock
    assert put.uploaded.tzinfo is None
    assert bytes(put.checksums.md5) == hashlib.md5("héllo".encode()).digest()
    assert put.checksums.sha256 is None
    assert put.httpMetadata == {} and put.customMetadata == {}
    assert put.storageClass == "Standard" and len(put.version) == 32

    got = await bucket.get("a.txt")
    assert isinstance(got, R2ObjectBody)
    assert await got.text() == "héllo"
    assert got.bodyUsed
    await bucket.put("j", json.dumps({"a": {"b": [1, 2]}}))
    value = await (await bucket.get("j")).json()
    assert isinstance(value, JsDict) and value.a.b == [1, 2]
    await bucket.put("bin", b"\x00\x01\x02")
    buffer = await (await bucket.get("bin")).arrayBuffer()
    assert isinstance(buffer, memoryview) and bytes(buffer) == b"\x00\x01\x02"
    assert emu.r2("BUCKET").get("bin") == b"\x00\x01\x02"


async def test_body_reads_once(bucket: Any) -> None:
    await bucket.put("k", "v")
    got = await bucket.get("k")
    await got.text()
    err = await raises(got.text())
    assert err.name == "TypeError" and "Body has already been used" in err.message


async def test_missing_objects_are_none(bucket: Any) -> None:
    assert await bucket.get("nope") is None
    assert await bucket.head("nope") is None
    await bucket.delete("nope")  # deleting an absent key is fine


async def test_values_production_refuses(bucket: Any) -> None:
    with pytest.raises(TypeError, match="bytearray"):
        await bucket.put("k", bytearray(b"x"))
    err = await raises(bucket.put("k", {"not": "json"}))
    assert err.name == "TypeError"
    assert "parameter 2 is not of type 'ReadableStream or ArrayBuffer" in err.message
    assert (await bucket.put("empty", None)).size == 0
    assert (await bucket.put("view", memoryview(b"abc"))).size == 3


async def test_body_stream_can_be_put_elsewhere(bucket: Any) -> None:
    await bucket.put("src", "streamed")
    source = await bucket.get("src")
    copy = await bucket.put("dst", source.body)
    assert copy.size == 8 and await (await bucket.get("dst")).text() == "streamed"
    assert source.bodyUsed


async def test_metadata_and_head(bucket: Any, emu: Emulator) -> None:
    expiry = datetime.datetime(2026, 2, 1, 12, 0, 0)
    await bucket.put(
        "page.html",
        "<p>",
        httpMetadata={"contentType": "text/html", "cacheExpiry": expiry},
        customMetadata={"owner": "ada", "n": 5},
    )
    head = await bucket.head("page.html")
    assert head.httpMetadata == {"contentType": "text/html", "cacheExpiry": expiry}
    assert head.httpMetadata.contentType == "text/html"
    with pytest.raises(AttributeError):
        _ = head.httpMetadata.cacheControl  # unset fields are absent, as in production
    assert head.customMetadata == {"owner": "ada", "n": "5"}
    assert head.range == {"offset": 0, "length": 3}
    headers = Headers()
    head.writeHttpMetadata(headers)
    assert headers["content-type"] == "text/html"
    assert headers["expires"] == "Sun, 01 Feb 2026 12:00:00 GMT"
    await bucket.put("h", "x", httpMetadata=Headers({"content-type": "text/plain"}))
    assert (await bucket.head("h")).httpMetadata == {"contentType": "text/plain"}
    # options as one positional dict work like keyword arguments
    await bucket.put("p", "x", {"customMetadata": {"a": "b"}})
    assert emu.r2("BUCKET").head("p")["custom_metadata"] == {"a": "b"}


async def test_uploaded_follows_the_virtual_clock(bucket: Any, emu: Emulator) -> None:
    await emu.clock.advance("7 days")
    put = await bucket.put("later", "x")
    assert put.uploaded == datetime.datetime(2026, 1, 8)


# -- checksums


async def test_checksums(bucket: Any) -> None:
    data = b"payload"
    put = await bucket.put("k", data, sha256=hashlib.sha256(data).hexdigest())
    assert bytes(put.checksums.sha256) == hashlib.sha256(data).digest()
    assert put.checksums.toJSON() == {
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert (await bucket.put("m", data, md5=hashlib.md5(data).digest())).size == 7
    err = await raises(bucket.put("k", data, sha1="00" * 20))
    assert err.message == (
        "put: The SHA-1 checksum you specified did not match what we received.\n"
        "You provided a SHA-1 checksum with value: " + "00" * 20 + "\n"
        f"Actual SHA-1 was: {hashlib.sha1(data).hexdigest()} (10037)"
    )
    err = await raises(bucket.put("k", data, md5="abc"))
    assert (err.name, err.message) == ("TypeError", "MD5 is 32 hex characters, not 3")
    err = await raises(bucket.put("k", data, md5=b"x"))
    assert err.message == "MD5 is 16 bytes, not 1"
    err = await raises(bucket.put("k", data, md5="zz" * 16))
    assert err.message == "Provided MD5 wasn't a valid hex string"
    err = await raises(bucket.put("k", data, md5="00" * 16, sha1="00" * 20))
    assert err.message == "You cannot specify multiple hashing algorithms."


async def test_a_failed_put_writes_nothing(bucket: Any, emu: Emulator) -> None:
    await bucket.put("k", "old")
    await raises(bucket.put("k", "new", sha1="00" * 20))
    assert emu.r2("BUCKET").text("k") == "old"


# -- ranges


async def test_ranges(bucket: Any) -> None:
    await bucket.put("r", "0123456789")

    async def read(range_: Any) -> tuple[str, Any]:
        got = await bucket.get("r", range=range_)
        return await got.text(), got.range

    assert await read({"offset": 2, "length": 3}) == ("234", {"offset": 2, "length": 3})
    assert await read({"offset": 7}) == ("789", {"offset": 7, "length": 3})
    assert await read({"length": 2}) == ("01", {"offset": 0, "length": 2})
    assert await read({"suffix": 4}) == ("6789", {"offset": 6, "length": 4})
    assert await read({"suffix": 40}) == ("0123456789", {"offset": 0, "length": 10})
    assert await read({"offset": 8, "length": 100}) == ("89", {"offset": 8, "length": 2})
    assert await read(Headers({"range": "bytes=1-3"})) == ("123", {"offset": 1, "length": 3})
    assert await read(Headers({"range": "bytes=-2"})) == ("89", {"offset": 8, "length": 2})
    assert (await read(Headers({"range": "bytes=0-1,4-5"})))[0] == "0123456789"


async def test_bad_ranges(bucket: Any) -> None:
    await bucket.put("r", "0123456789")
    cases = {
        "Invalid range. Starting offset (-1) must be greater than or equal to 0.": {"offset": -1},
        "Invalid range. Length (1.5) must be an integer, not floating point.": {"length": 1.5},
        "Suffix is incompatible with offset.": {"offset": 1, "suffix": 2},
        "Suffix is incompatible with length.": {"length": 1, "suffix": 2},
    }
    for message, range_ in cases.items():
        err = await raises(bucket.get("r", range=range_))
        assert err.message == message
    for range_ in ({"offset": 11}, {"offset": 10}, {"suffix": 0}, {"length": 0}):
        err = await raises(bucket.get("r", range=range_))
        assert err.message == "get: The requested range is not satisfiable (10039)"


# -- conditionals


async def test_get_only_if(bucket: Any, emu: Emulator) -> None:
    put = await bucket.put("c", "body")
    passed = await bucket.get("c", onlyIf={"etagMatches": put.etag})
    assert isinstance(passed, R2ObjectBody)
    failed = await bucket.get("c", onlyIf={"etagDoesNotMatch": put.etag})
    assert type(failed) is R2Object and not hasattr(failed, "body")  # metadata, no body
    assert failed.etag == put.etag
    assert isinstance(await bucket.get("c", onlyIf={"etagMatches": "*"}), R2ObjectBody)
    before = datetime.datetime(2025, 12, 31)
    assert type(await bucket.get("c", onlyIf={"uploadedBefore": before})) is R2Object
    assert isinstance(await bucket.get("c", onlyIf={"uploadedAfter": before}), R2ObjectBody)
    err = await raises(bucket.get("c", onlyIf={"etagMatches": f'"{put.etag}"'}))
    assert err.message == f'Conditional ETag should not be wrapped in quotes ("{put.etag}").'


async def test_only_if_headers(bucket: Any) -> None:
    put = await bucket.put("c", "body")
    ok = await bucket.get("c", onlyIf=Headers({"if-match": f'"x", {put.httpEtag}'}))
    assert isinstance(ok, R2ObjectBody)
    weak = await bucket.get("c", onlyIf=Headers({"if-none-match": f"W/{put.httpEtag}"}))
    assert type(weak) is R2Object  # If-None-Match compares weakly
    since = Headers({"if-modified-since": "Thu, 01 Jan 2026 00:00:00 GMT"})
    assert type(await bucket.get("c", onlyIf=since)) is R2Object  # whole seconds
    err = await raises(bucket.get("c", onlyIf=Headers({"if-match": '"a" "b"'})))
    assert err.message.startswith("Comma was expected to separate etags.")
    err = await raises(bucket.get("c", onlyIf=Headers({"if-match": '"a'})))
    assert err.message == "Unclosed double quote for Etag"


async def test_put_only_if(bucket: Any, emu: Emulator) -> None:
    # etagDoesNotMatch "*": create only if absent
    assert await bucket.put("once", "1", onlyIf={"etagDoesNotMatch": "*"}) is not None
    assert await bucket.put("once", "2", onlyIf={"etagDoesNotMatch": "*"}) is None
    assert emu.r2("BUCKET").text("once") == "1"
    current = await bucket.head("once")
    assert await bucket.put("once", "3", onlyIf={"etagMatches": current.etag}) is not None
    assert await bucket.put("absent", "x", onlyIf={"etagMatches": "abc"}) is None
    assert emu.r2("BUCKET").keys() == ["once"]


# -- delete / list


async def test_delete_one_or_many(bucket: Any, emu: Emulator) -> None:
    for key in ("a", "b", "c"):
        await bucket.put(key, key)
    await bucket.delete("a")
    await bucket.delete(["b", "c", "missing"])
    assert emu.r2("BUCKET").keys() == []


async def test_list_prefix_limit_cursor(bucket: Any, emu: Emulator) -> None:
    for i in range(5):
        emu.r2("BUCKET").put(f"logs/{i}", "x")
    emu.r2("BUCKET").put("other", "x")
    first = await bucket.list(prefix="logs/", limit=2)
    assert [o.key for o in first.objects] == ["logs/0", "logs/1"]
    assert first.truncated is True and first.delimitedPrefixes == []
    second = await bucket.list(prefix="logs/", limit=2, cursor=first.cursor)
    assert [o.key for o in second.objects] == ["logs/2", "logs/3"]
    last = await bucket.list(prefix="logs/", cursor=second.cursor)
    assert [o.key for o in last.objects] == ["logs/4"]
    assert last.truncated is False and "cursor" not in last
    after = await bucket.list(startAfter="logs/3")
    assert [o.key for o in after.objects] == ["logs/4", "other"]


async def test_list_delimiter(bucket: Any, emu: Emulator) -> None:
    for key in ("a/1", "a/2", "b/1", "c", "d/x/y"):
        emu.r2("BUCKET").put(key, "x")
    listed = await bucket.list(delimiter="/")
    assert [o.key for o in listed.objects] == ["c"]
    assert listed.delimitedPrefixes == ["a/", "b/", "d/"]
    paged = await bucket.list(delimiter="/", limit=2)
    assert paged.delimitedPrefixes == ["a/", "b/"] and paged.truncated
    rest = await bucket.list(delimiter="/", cursor=paged.cursor)
    assert [o.key for o in rest.objects] == ["c"] and rest.delimitedPrefixes == ["d/"]
    nested = await bucket.list(prefix="d/", delimiter="/")
    assert nested.delimitedPrefixes == ["d/x/"]


async def test_listed_objects_are_raw_js_objects(bucket: Any) -> None:
    await bucket.put(
        "k", "v", httpMetadata={"contentType": "text/plain"}, customMetadata={"a": "b"}
    )
    plain = (await bucket.list()).objects[0]
    assert plain.httpMetadata is None and plain.customMetadata is None  # not included
    with pytest.raises(JsException, match="Did you forget to add 'httpMetadata'"):
        plain.writeHttpMetadata(Headers())
    item = (await bucket.list(include=["httpMetadata", "customMetadata"])).objects[0]
    assert item.httpMetadata.contentType == "text/plain"
    assert item.customMetadata.to_py() == {"a": "b"}
    with pytest.raises(TypeError):
        _ = item.customMetadata["a"]  # a JsProxy is not subscriptable
    # uploaded is a JS Date here, not a datetime (the SDK does not convert list items)
    assert item.uploaded.toISOString() == "2026-01-01T00:00:00.000Z"
    assert not hasattr(item.uploaded, "isoformat")
    assert item.checksums.md5.to_bytes() == hashlib.md5(b"v").digest()


async def test_list_errors(bucket: Any) -> None:
    for limit in (0, 1001):
        err = await raises(bucket.list(limit=limit))
        assert err.message == "list: MaxKeys params must be positive integer <= 1000. (10022)"
    err = await raises(bucket.list(include=["everything"]))
    assert (err.name, err.message) == ("RangeError", "Unsupported include value everything")


async def test_list_with_metadata_returns_at_most_100(bucket: Any, emu: Emulator) -> None:
    for i in range(120):
        emu.r2("BUCKET").put(f"k{i:03}", "x")
    assert len((await bucket.list()).objects) == 120
    page = await bucket.list(include=["customMetadata"])
    assert len(page.objects) == 100 and page.truncated


# -- limits


async def test_key_and_metadata_limits(bucket: Any) -> None:
    assert (await bucket.put("k" * 1024, "x")).size == 1
    err = await raises(bucket.put("k" * 1025, "x"))
    assert err.message == "put: The specified object name is not valid. (10020)"
    err = await raises(bucket.get("é" * 513))  # 1026 bytes in UTF-8
    assert err.message == "get: The specified object name is not valid. (10020)"
    assert await bucket.put("m", "x", customMetadata={"k": "v" * 2047}) is not None
    err = await raises(bucket.put("m", "x", customMetadata={"k": "v" * 2048}))
    assert err.message == (
        "put: Your metadata headers exceed the maximum allowed metadata size. (10012)"
    )


# -- multipart


async def test_multipart_upload(bucket: Any, emu: Emulator) -> None:
    upload = await bucket.createMultipartUpload(
        "big", httpMetadata={"contentType": "application/zip"}
    )
    assert upload.key == "big" and upload.uploadId
    one = await upload.uploadPart(1, b"a" * (5 * MIB))
    assert one.partNumber == 1 and one.etag
    resumed = bucket.resumeMultipartUpload("big", upload.uploadId)
    two = await resumed.uploadPart(2, b"b" * 10)
    done = await resumed.complete([one, {"partNumber": 2, "etag": two.etag}])
    assert done.size == 5 * MIB + 10
    md5s = hashlib.md5(b"a" * (5 * MIB)).digest() + hashlib.md5(b"b" * 10).digest()
    assert done.etag == hashlib.md5(md5s).hexdigest() + "-2"
    assert done.httpMetadata == {"contentType": "application/zip"}
    tail = await bucket.get("big", range={"suffix": 12})
    assert await tail.text() == "aabbbbbbbbbb"
    assert emu.r2("BUCKET").get("big") == b"a" * (5 * MIB) + b"b" * 10
    err = await raises(resumed.complete([one]))
    assert err.message == (
        "completeMultipartUpload: The specified multipart upload does not exist. (10024)"
    )
    await upload.abort()  # aborting a completed upload does nothing
    assert (await bucket.head("big")).size == 5 * MIB + 10


async def test_multipart_errors(bucket: Any) -> None:
    upload = await bucket.createMultipartUpload("m")
    small = await upload.uploadPart(1, b"small")
    last = await upload.uploadPart(2, b"last")
    err = await raises(upload.complete([small, last]))
    assert err.message == (
        "completeMultipartUpload: Your proposed upload is smaller than the minimum allowed "
        "object size. (10011)"
    )
    err = await raises(upload.complete([{"partNumber": 1, "etag": "wrong"}]))
    assert err.message == (
        "completeMultipartUpload: One or more of the specified parts could not be found. (10025)"
    )
    for number in (0, 10001):
        err = await raises(upload.uploadPart(number, b"x"))
        assert err.message == (
            f"Part number must be between 1 and 10000 (inclusive). Actual value was: {number}"
        )
    await upload.abort()
    err = await raises(upload.uploadPart(3, b"x"))
    assert err.message == "uploadPart: The specified multipart upload does not exist. (10024)"
    ghost = bucket.resumeMultipartUpload("m", "no-such-upload")
    err = await raises(ghost.abort())
    assert err.message == (
        "abortMultipartUpload: We encountered an internal error. Please try again. (10001)"
    )
    assert await bucket.head("m") is None


# -- Worker code, persistence, isolation


async def test_worker_code_uses_the_binding(emu: Emulator) -> None:
    response = await emu.fetch("/notes", method="PUT", body="remember")
    assert response.status == 200
    assert emu.r2("BUCKET").text("notes") == "remember"
    assert await (await emu.fetch("/notes")).text() == "remember"


async def test_each_emulator_starts_empty(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    async with Emulator(project) as first:
        first.r2("BUCKET").put("k", "v")
    async with Emulator(project) as second:
        assert second.r2("BUCKET").keys() == []


async def test_persisted_objects_survive_a_restart(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    async with Emulator(project, persist_to=tmp_path / "state") as first:
        await first.env.BUCKET.put("k", b"kept", customMetadata={"a": "b"})
    assert list((tmp_path / "state" / "v3" / "r2" / "wf-assets" / "blobs").iterdir())
    async with Emulator(project, persist_to=tmp_path / "state") as second:
        got = await second.env.BUCKET.get("k")
        assert await got.text() == "kept" and got.customMetadata == {"a": "b"}
        await second.env.BUCKET.delete("k")
        assert not list((tmp_path / "state" / "v3" / "r2" / "wf-assets" / "blobs").iterdir())


def test_an_acknowledged_put_survives_kill_9(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal, sys
        from wf.testing import Emulator

        async def main():
            emu = Emulator({str(project)!r}, persist_to={str(tmp_path / "state")!r})
            await emu.start()
            await emu.env.BUCKET.put("acked", b"x" * 100_000)
            print("acked", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ},
    )
    assert "acked" in result.stdout and result.returncode == -9

    async def check() -> bytes | None:
        async with Emulator(project, persist_to=tmp_path / "state") as emu:
            got = emu.r2("BUCKET").get("acked")
            return got

    import asyncio

    assert asyncio.run(check()) == b"x" * 100_000


# -- the admin handle and the CLI


async def test_admin_seeding(emu: Emulator) -> None:
    admin = emu.r2("BUCKET")
    meta = admin.put("seed.json", '{"x": 1}', content_type="application/json")
    assert meta["size"] == 8
    got = await emu.env.BUCKET.get("seed.json")
    assert got.httpMetadata == {"contentType": "application/json"}
    assert await got.json() == {"x": 1}
    with pytest.raises(KeyError, match="no R2 binding 'NOPE'"):
        emu.r2("NOPE")


def test_cli_object_put_get_list_delete(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    source = tmp_path / "in.txt"
    source.write_bytes(b"from a file")
    where = ["--cwd", str(project)]
    put = run_wf(
        "r2",
        "object",
        "put",
        "assets/docs/a.txt",
        "--file",
        str(source),
        "--content-type",
        "text/plain",
        *where,
    )
    assert put.returncode == 0, put.stderr
    piped = run_wf(
        "r2", "object", "get", "BUCKET/docs/a.txt", "--pipe", *where
    )  # binding works too
    assert piped.returncode == 0 and piped.stdout == "from a file"
    out = tmp_path / "out.txt"
    assert (
        run_wf("r2", "object", "get", "assets/docs/a.txt", "--file", str(out), *where).returncode
        == 0
    )
    assert out.read_bytes() == b"from a file"
    listed = run_wf("r2", "object", "list", "assets", "--prefix", "docs/", "--json", *where)
    assert [o["key"] for o in json.loads(listed.stdout)] == ["docs/a.txt"]
    assert run_wf("r2", "object", "delete", "assets/docs/a.txt", *where).returncode == 0
    missing = run_wf("r2", "object", "get", "assets/docs/a.txt", "--pipe", *where)
    assert missing.returncode != 0 and "not found" in missing.stderr
    unknown = run_wf("r2", "object", "get", "nobucket/x", "--pipe", *where)
    assert unknown.returncode != 0 and "nobucket" in unknown.stderr
    # the data is where `wf dev` keeps it
    assert (project / ".wrangler" / "state" / "v3" / "r2" / "wf-assets" / "index.sqlite3").exists()
