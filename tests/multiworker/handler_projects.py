"""Two Workers for the other-Worker handler tests: ``shop`` produces, ``jobs`` consumes.

``shop`` (the first, serving HTTP) sends to queue ``orders`` through ``env.ORDERS`` and reads
the KV namespace both bind (``shared``). ``jobs`` consumes ``orders`` (batches of 2, a
1-second timeout, one retry, then the dead-letter queue ``orders-dlq``), runs the cron
``*/5 * * * *``, and writes what each handler saw into KV, with the env it saw: its
``self.env``, and the ``env`` it imported at module level. Both print ``WHO`` of their
module-level env under ``/who`` (shop) and the RPC method ``who`` (jobs).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

SHOP = """
from workers import Response, WorkerEntrypoint, env as module_env


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3] if request.url.count("/") >= 3 else ""
        if path.startswith("send/"):
            await self.env.ORDERS.send({"item": path[5:]})
            return Response("queued " + path[5:])
        if path.startswith("kv/"):
            return Response(await self.env.KV.get(path[3:]) or "none")
        if path == "who":
            other = await self.env.JOBS.who()
            return Response.json({"shop": module_env.WHO, "jobs": other})
        return Response("shop " + self.env.WHO)
"""

JOBS = """
from workers import Response, WorkerEntrypoint, env as module_env


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("jobs")

    async def who(self):
        from workers import env as call_env  # read at call time: the scoped env

        return {"module": module_env.WHO, "call": call_env.WHO}

    async def queue(self, batch):
        for message in batch.messages:
            item = message.body.to_py()["item"]
            if item.startswith("bad"):
                message.retry()
                continue
            seen = f"{self.env.WHO}/{module_env.WHO} attempts={message.attempts}"
            await self.env.KV.put("order:" + item, seen)
            message.ack()
        await self.env.KV.put("batch:" + batch.queue, str(len(batch.messages)))

    async def scheduled(self, controller):
        count = int(await self.env.KV.get("cron-count") or "0") + 1
        await self.env.KV.put("cron-count", str(count))
        await self.env.KV.put("cron", f"{controller.cron} by {module_env.WHO}")
"""

DEAD = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def queue(self, batch):
        for message in batch.messages:
            await self.env.KV.put("dead:" + message.body.to_py()["item"], str(message.attempts))
"""


def _write(root: Path, source: str, config: dict[str, object]) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    path = root / "wrangler.jsonc"
    base = {
        "main": "src/entry.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        "kv_namespaces": [{"binding": "KV", "id": "shared"}],
    }
    path.write_text(json.dumps({**base, **config}, indent=2))
    return path


def write_shop(root: Path, *, consumes: bool = False) -> Path:
    queues: dict[str, object] = {"producers": [{"binding": "ORDERS", "queue": "orders"}]}
    if consumes:  # a second consumer of orders: the session must refuse it
        queues["consumers"] = [{"queue": "orders"}]
    return _write(
        root,
        SHOP,
        {
            "name": "shop",
            "vars": {"WHO": "shop"},
            "queues": queues,
            "services": [{"binding": "JOBS", "service": "jobs"}],
        },
    )


def write_jobs(root: Path) -> Path:
    return _write(
        root,
        JOBS,
        {
            "name": "jobs",
            "vars": {"WHO": "jobs"},
            "queues": {
                "consumers": [
                    {
                        "queue": "orders",
                        "max_batch_size": 2,
                        "max_batch_timeout": 1,
                        "max_retries": 1,
                        "retry_delay": 10,
                        "dead_letter_queue": "orders-dlq",
                    }
                ]
            },
            "triggers": {"crons": ["*/5 * * * *"]},
        },
    )


def write_dead(root: Path) -> Path:
    """A third Worker consuming the dead-letter queue."""
    return _write(
        root,
        DEAD,
        {
            "name": "dead",
            "queues": {"consumers": [{"queue": "orders-dlq", "max_batch_timeout": 1}]},
        },
    )
