"""Two Workers on disk for the multi-Worker tests: ``front`` serves HTTP, ``auth`` is bound.

``front`` binds ``AUTH`` (the default entrypoint of ``auth``), ``ADMIN`` (its named entrypoint
``Admin``), ``NOPE`` (a named entrypoint auth does not define), ``GHOST`` (a Worker never
loaded) and ``SIGNUP`` (a workflow whose class lives in ``auth``: ``script_name``); both bind
the KV namespace ``shared-kv``. ``auth`` also defines
``nap`` (a step, a one-hour sleep, a step), which ``front`` does not bind.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

FRONT = """
from workers import Response, WorkerEntrypoint

hits = []  # in-memory state of this Worker: kept while another Worker reloads


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3] if request.url.count("/") >= 3 else ""
        hits.append(path)
        if path == "hits":
            return Response.json({"hits": len(hits)})
        if path == "check":
            answer = await self.env.AUTH.fetch(
                "https://auth/check?user=ann", headers={"x-token": "t1"}
            )
            return Response(await answer.text(), status=answer.status)
        if path == "rpc":
            user = await self.env.AUTH.lookup("ann", {"deep": [1, 2]})
            total = await self.env.AUTH.add(2, 3)
            return Response.json({"user": user, "total": total, "type": type(user).__name__})
        if path == "admin":
            return Response.json({"role": await self.env.ADMIN.role()})
        if path == "admin-fetch":
            answer = await self.env.ADMIN.fetch("https://auth/x")
            return Response(await answer.text())
        if path == "ghost":
            answer = await self.env.GHOST.fetch("https://ghost/")
            return Response(await answer.text(), status=answer.status)
        if path == "ghost-rpc":
            try:
                await self.env.GHOST.anything()
            except Exception as exc:
                return Response(str(exc), status=502)
        if path == "missing":
            try:
                await self.env.AUTH.nope()
            except Exception as exc:
                return Response(str(exc), status=502)
        if path == "boom":
            try:
                await self.env.AUTH.boom()
            except Exception as exc:
                return Response(str(exc), status=502)
        if path == "no-entrypoint":
            try:
                await self.env.NOPE.role()
            except Exception as exc:
                return Response(str(exc), status=502)
        if path == "signup":
            instance = await self.env.SIGNUP.create(id="s1", params={"user": "ann"})
            return Response.json({"id": instance.id})
        if path == "kv":
            return Response(await self.env.KV.get("from-auth") or "none")
        if path == "version":
            return Response(await self.env.AUTH.version())
        return Response("front " + self.env.WHO)
"""

AUTH = """
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

VERSION = "v1"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        token = request.headers.get("x-token")
        await self.env.KV.put("from-auth", "written by " + self.env.WHO)
        return Response(f"auth {self.env.WHO} saw {request.url} token={token}", status=201)

    async def lookup(self, name, extra):
        return {"name": name, "deep": extra.deep if hasattr(extra, "deep") else extra["deep"]}

    async def add(self, a, b):
        return a + b

    async def boom(self):
        raise ValueError("auth exploded")

    async def version(self):
        return VERSION


class Admin(WorkerEntrypoint):
    async def role(self):
        return "admin of " + self.env.WHO

    async def fetch(self, request):
        return Response("admin fetch")


class Nap(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("before")
        async def before():
            return self.env.WHO

        who = await before()
        await step.sleep("rest", "1 hour")

        @step.do("after")
        async def after():
            return f"{who} rested"

        return await after()


class Signup(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("greet")
        async def greet():
            return f"hello {event.payload['user']} from {self.env.WHO}"

        return await greet()
"""


def _config(root: Path, config: dict[str, object]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "wrangler.jsonc"
    path.write_text(json.dumps(config, indent=2))
    return path


def write_front(root: Path, source: str = FRONT) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    return _config(
        root,
        {
            "name": "front",
            "main": "src/entry.py",
            "compatibility_date": "2026-08-14",
            "compatibility_flags": ["python_workers"],
            "vars": {"WHO": "front"},
            "services": [
                {"binding": "AUTH", "service": "auth"},
                {"binding": "ADMIN", "service": "auth", "entrypoint": "Admin"},
                {"binding": "GHOST", "service": "ghost"},
                {"binding": "NOPE", "service": "auth", "entrypoint": "Missing"},
            ],
            "workflows": [
                {
                    "binding": "SIGNUP",
                    "name": "signup",
                    "class_name": "Signup",
                    "script_name": "auth",
                }
            ],
            "kv_namespaces": [{"binding": "KV", "id": "shared-kv"}],
        },
    )


def write_auth(root: Path, source: str = AUTH) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(source))
    return _config(
        root,
        {
            "name": "auth",
            "main": "src/entry.py",
            "compatibility_date": "2026-08-14",
            "compatibility_flags": ["python_workers"],
            "vars": {"WHO": "auth"},
            "workflows": [
                {"binding": "SIGNUP", "name": "signup", "class_name": "Signup"},
                {"binding": "NAP", "name": "nap", "class_name": "Nap"},
            ],
            "kv_namespaces": [{"binding": "KV", "id": "shared-kv"}],
        },
    )
