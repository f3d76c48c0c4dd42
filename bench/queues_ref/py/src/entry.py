"""The Python port of bench/queues_ref/js: send-to-consume latency and messages/s."""

import time
from urllib.parse import parse_qs, urlsplit

from workers import Response, WorkerEntrypoint

STATE = {"latencies": [], "bulk": 0, "first": 0.0, "last": 0.0}


def now_ms():
    return time.perf_counter() * 1000  # one process: the fetch and queue events share it


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        op = query.get("op")
        if op == "latency":
            await self.env.LAT.send({"sent": now_ms()})
        elif op == "bulk":
            n = int(query.get("n", "1000"))
            STATE.update(bulk=0, first=now_ms(), last=0.0)
            for i in range(0, n, 100):
                size = min(100, n - i)
                await self.env.BULK.sendBatch([{"body": i + j} for j in range(size)])
        elif op == "reset":
            STATE.update(latencies=[], bulk=0, first=0.0, last=0.0)
        return Response.json(STATE)

    async def queue(self, batch):
        now = now_ms()
        if batch.queue == "bench-latency":
            for message in batch.messages:
                STATE["latencies"].append(now - message.body.to_py()["sent"])
        else:
            STATE["bulk"] += len(batch.messages)
            STATE["last"] = now
