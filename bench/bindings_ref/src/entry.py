"""The binding-cost reference Worker, in Python: a port of the JS one bench/bindings_bench.py runs.

The JS original is the wrangler-ref project's ``bindings/`` folder (src/index.js). Workflow
``bindings`` takes ``{"op": "first"|"get"|"batch", "n": N}``: step ``setup`` creates and seeds
the tables (100 rows in ``items``, an empty ``rows``) and KV key ``key``; step ``calls`` does N
D1 ``first()`` calls, N KV ``get`` calls, or one D1 ``batch()`` of N inserts, and returns
``{op, n, elapsed_ms}``, so HTTP and engine overhead stay out of the figure.

- ``GET /ping`` -> ``{"ok": true}``
- ``POST /create?id=`` (body = params) -> ``{"id"}``
- ``GET /status?id=`` -> the instance's ``status()``
"""

import json
import time
from urllib.parse import parse_qs, urlsplit

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

ROWS = 100


class BindingsWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        op, n = event["payload"]["op"], event["payload"]["n"]
        db, kv = self.env.DB, self.env.KV

        @step.do()
        async def setup():
            await db.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, v TEXT)")
            await db.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, v TEXT)")
            count = await db.prepare("SELECT count(*) AS c FROM items").first("c")
            if count < ROWS:
                insert = db.prepare("INSERT OR REPLACE INTO items (id, v) VALUES (?, ?)")
                await db.batch([insert.bind(i + 1, f"value-{i + 1}") for i in range(ROWS)])
            await db.exec("DELETE FROM rows")
            await kv.put("key", "value")
            return True

        await setup()

        @step.do()
        async def calls():
            start = time.perf_counter()
            if op == "first":
                query = db.prepare("SELECT v FROM items WHERE id = ?")
                for i in range(n):
                    await query.bind(i % ROWS + 1).first()
            elif op == "get":
                for _ in range(n):
                    await kv.get("key")
            elif op == "batch":
                insert = db.prepare("INSERT INTO rows (id, v) VALUES (?, ?)")
                await db.batch([insert.bind(i + 1, f"row-{i + 1}") for i in range(n)])
            else:
                raise ValueError(f"unknown op {op}")
            return {"op": op, "n": n, "elapsed_ms": (time.perf_counter() - start) * 1000}

        return await calls()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlsplit(request.url)
        instance_id = {k: v[0] for k, v in parse_qs(url.query).items()}.get("id")
        try:
            if url.path == "/ping":
                return Response.json({"ok": True})
            if url.path == "/create":
                params = json.loads(await request.text())
                instance = await self.env.BINDINGS_WORKFLOW.create(id=instance_id, params=params)
                return Response.json({"id": instance.id})
            if url.path == "/status":
                instance = await self.env.BINDINGS_WORKFLOW.get(instance_id)
                return Response.json(await instance.status())
            return Response.json({"error": "not found"}, status=404)
        except Exception as exc:
            error = {"name": type(exc).__name__, "message": str(exc)}
            return Response.json({"error": error}, status=500)
