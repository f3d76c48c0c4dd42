"""The Python port of bench/do_ref/js: N Durable Object RPC calls from the Worker."""

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

from workers import DurableObject, Response, WorkerEntrypoint


class Counter(DurableObject):
    async def ping(self):
        return 1

    async def increment(self):
        value = (await self.ctx.storage.get("n") or 0) + 1
        await self.ctx.storage.put("n", value)
        return value


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        n = int(query.get("n", "100"))
        op = query.get("op", "ping")
        stub = self.env.COUNTER.getByName(query.get("name", "bench"))
        start = time.perf_counter()
        if query.get("concurrent") == "1":
            await asyncio.gather(*(getattr(stub, op)() for _ in range(n)))
        else:
            for _ in range(n):
                await getattr(stub, op)()
        return Response.json({"elapsed_ms": (time.perf_counter() - start) * 1000})
