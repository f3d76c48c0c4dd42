"""The benchmark's reference Worker, in Python (Cloudflare's Python Workers/Workflows API).

A port of the JS reference Worker (``../shared/reference/wrangler-ref``, src/index.js) that
bench/server_bench.py serves with `wf dev`, side by side with `wrangler dev` serving the JS one.
wrangler.jsonc here has the reference's workflow names, bindings and classes (and no comments,
like the reference's: its parse is part of the start-up being measured). The same three
workflows (the bench uses ``SeqWorkflow``) and the routes the bench calls, with
``&wf=main|fail|seq`` picking the binding as in the reference:

- ``GET /ping`` -> ``{"ok": true}``
- ``POST /create?wf=&id=`` (body = params) -> ``{"id"}``
- ``GET /status?wf=&id=`` -> the instance's ``status()``
- ``GET /statusMany?wf=&prefix=&n=&start=`` -> a histogram of the statuses of
  ``prefix+start .. prefix+start+n-1``
- ``POST /event?wf=&id=&type=`` (body = payload) -> ``{"sent": true}``

Binding errors come back as HTTP 500 ``{"error": {"name", "message"}}``.
"""

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint
from workers.workflows import NonRetryableError


class MyWorkflow(WorkflowEntrypoint):
    """The main scenario: do -> flaky do (fails twice) -> sleep -> wait for an event -> do."""

    async def run(self, event, step):
        payload = event["payload"]

        @step.do("first")
        async def first():
            return {"a": 1, "params": payload}

        first_out = await first()

        retry_3 = {"retries": {"limit": 3, "delay": "1 second", "backoff": "constant"}}

        @step.do("flaky", config=retry_3)
        async def flaky(ctx):
            attempt = ctx["attempt"]
            if attempt <= 2:
                raise Exception(f"flaky failure on attempt {attempt}")
            return {"succeededOnAttempt": attempt}

        flaky_out = await flaky()
        await step.sleep("nap", "2 seconds")
        ev = await step.wait_for_event("approval", "approve", timeout="1 hour")

        @step.do("final")
        async def final():
            return {"done": True}

        return {"first": first_out, "flaky": flaky_out, "ev": ev, "final": await final()}


class FailWorkflow(WorkflowEntrypoint):
    """mode = exhaust (default) | nonretryable | throw-in-run | wait-timeout | step-timeout."""

    async def run(self, event, step):
        mode = (event["payload"] or {}).get("mode", "exhaust")

        @step.do("ok")
        async def ok():
            return "fine"

        await ok()
        if mode == "throw-in-run":
            raise Exception("thrown directly in run()")
        if mode == "wait-timeout":
            return await step.wait_for_event("never", "never", timeout="1 second")
        if mode == "step-timeout":
            no_retry = {"retries": {"limit": 0, "delay": 0}, "timeout": "500 milliseconds"}

            @step.do("slow", config=no_retry)
            async def slow():
                await asyncio.sleep(2)
                return "late"

            return await slow()

        retry_2 = {"retries": {"limit": 2, "delay": "500 milliseconds", "backoff": "constant"}}

        @step.do("boom", config=retry_2)
        async def boom(ctx):
            if mode == "nonretryable":
                raise NonRetryableError("do not retry me")
            raise TypeError(f"boom on attempt {ctx['attempt']}")

        return await boom()


class SeqWorkflow(WorkflowEntrypoint):
    """The benchmark's workflow: ``n`` (default 3) trivial sequential steps."""

    async def run(self, event, step):
        payload = event["payload"] or {}
        n = payload.get("n", 3)
        delay_ms = payload.get("delayMs", 0)  # optional per-step busy time
        acc = 0
        for i in range(n):

            @step.do(f"s{i}")
            async def one():
                if delay_ms:
                    await asyncio.sleep(delay_ms / 1000)
                return acc + 1  # noqa: B023 (awaited at once, as in the reference)

            acc = await one()
        return {"acc": acc}


BINDINGS = {"main": "MY_WORKFLOW", "fail": "FAIL_WORKFLOW", "seq": "SEQ_WORKFLOW"}


def error_json(exc):
    message = str(exc)
    return Response.json({"error": {"name": type(exc).__name__, "message": message}}, status=500)


async def body_json(request, default):
    text = await request.text()
    return json.loads(text) if text else default


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlsplit(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        wf = getattr(self.env, BINDINGS.get(query.get("wf", "main"), "MY_WORKFLOW"))
        instance_id = query.get("id")
        path = url.path
        try:
            if path == "/ping":
                return Response.json({"ok": True})
            if path == "/create":
                params = await body_json(request, {}) if request.method == "POST" else {}
                options = {"params": params}
                if instance_id:
                    options["id"] = instance_id
                instance = await wf.create(**options)
                return Response.json({"id": instance.id})
            if path == "/status":
                instance = await wf.get(instance_id)
                return Response.json(await instance.status())
            if path == "/statusMany":
                n = int(query.get("n", 100))
                start = int(query.get("start", 0))
                prefix = query.get("prefix", "b")

                async def one(k):
                    try:
                        instance = await wf.get(f"{prefix}{start + k}")
                        return (await instance.status())["status"]
                    except Exception as exc:
                        return f"ERR:{exc}"

                counts = {}
                for status in await asyncio.gather(*(one(k) for k in range(n))):
                    counts[status] = counts.get(status, 0) + 1
                return Response.json(counts)
            if path == "/event":
                instance = await wf.get(instance_id)
                payload = {"ok": True}
                if request.method == "POST":
                    payload = await body_json(request, payload)
                await instance.send_event(type=query.get("type", "approve"), payload=payload)
                return Response.json({"sent": True})
            return Response.json({"error": "no route"}, status=404)
        except Exception as exc:
            return error_json(exc)
