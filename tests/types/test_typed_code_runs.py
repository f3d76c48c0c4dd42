"""Code annotated with the generated env runs unchanged: the stub is imported for type
checkers only, so wf (and production) never import it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.types.running import mypy, wf_types
from wf.testing import Emulator

CONFIG = {
    "name": "typed-run",
    "main": "src/entry.py",
    "compatibility_date": "2026-05-01",
    "compatibility_flags": ["python_workers"],
    "vars": {"GREETING": "hello", "SETTINGS": {"repeat": 2}},
    "workflows": [{"name": "greeter", "binding": "GREETER", "class_name": "Greeter"}],
    "kv_namespaces": [{"binding": "KV", "id": "kv"}],
}

# Without `from __future__ import annotations`: the class-level annotation is a string, so
# nothing evaluates `Env` at run time.
ENTRY = """
from typing import TYPE_CHECKING, Any

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

if TYPE_CHECKING:
    from worker_env import Env, WorkflowEvent, WorkflowStep


class Greeter(WorkflowEntrypoint):
    env: "Env"

    async def run(self, event: "WorkflowEvent", step: "WorkflowStep") -> dict[str, Any]:
        @step.do()
        async def greet() -> str:
            text = " ".join([self.env.GREETING] * self.env.SETTINGS.repeat)
            await self.env.KV.put("last", text, expirationTtl=7200)
            return text

        text = await greet()
        await step.sleep("pause", "1 hour")
        stored = await self.env.KV.get("last")
        return {"text": text, "stored": stored, "name": event.payload["name"]}


class Default(WorkerEntrypoint):
    env: "Env"

    async def fetch(self, request: Any) -> Response:
        instance = await self.env.GREETER.create(params={"name": "Ada"})
        return Response(instance.id)
"""


async def test_annotated_code_type_checks_and_runs(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "src").mkdir(parents=True)
    (root / "wrangler.jsonc").write_text(json.dumps(CONFIG))
    (root / "src" / "entry.py").write_text(ENTRY)
    assert wf_types(root).exit_code == 0
    checked = mypy(root, "src/entry.py")
    assert checked.returncode == 0, checked.stdout

    async with Emulator(root) as emu:
        response = await emu.fetch("/")
        assert response.status == 200
        instance_id = await response.text()
        instance = emu.introspect_instance("GREETER", instance_id)
        await instance.wait_for_status("waiting")
        await emu.clock.advance("1 hour")
        await instance.wait_for_status("complete")
        assert await instance.get_output() == {
            "text": "hello hello",
            "stored": "hello hello",
            "name": "Ada",
        }
