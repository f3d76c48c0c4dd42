"""mypy over user code: the generated env and the `workers` stubs accept correct use and
reject misuse (unknown binding, wrong method, wrong argument types) with mypy's messages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.types.running import mypy, wf_types
from wf.typegen import STUBS_DIR


def expected_errors(source: Path) -> dict[int, str]:
    """Line number -> the text after ``# E:`` on that line of the fixture."""
    found = {}
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        if "# E: " in line:
            found[number] = line.split("# E: ", 1)[1]
    return found


def reported_errors(output: str, filename: str) -> dict[int, list[str]]:
    errors: dict[int, list[str]] = {}
    for match in re.finditer(rf"^{re.escape(filename)}:(\d+): error: (.*)$", output, re.MULTILINE):
        errors.setdefault(int(match[1]), []).append(match[2])
    return errors


def test_the_stubs_themselves_pass_strict_mypy(tmp_path: Path) -> None:
    result = mypy(tmp_path, str(STUBS_DIR / "workers"), str(STUBS_DIR / "js"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_correct_use_type_checks(project: Path) -> None:
    assert wf_types(project).exit_code == 0
    result = mypy(project, "src/entry.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def test_without_the_generated_env_the_import_is_named(project: Path) -> None:
    result = mypy(project, "src/entry.py")
    assert result.returncode == 1
    assert 'Cannot find implementation or library stub for module named "worker_env"' in (
        result.stdout
    )


def test_without_the_stubs_workers_is_unknown(project: Path) -> None:
    assert wf_types(project).exit_code == 0
    result = mypy(project, "src/entry.py", stubs=False)
    assert result.returncode == 1
    assert 'module named "workers"' in result.stdout


def test_misuse_fails_with_the_expected_messages(project: Path) -> None:
    shutil.copy(Path(__file__).parent / "fixtures" / "misuse.py", project / "src" / "misuse.py")
    assert wf_types(project).exit_code == 0
    result = mypy(project, "src/misuse.py")
    assert result.returncode == 1
    expected = expected_errors(project / "src" / "misuse.py")
    reported = reported_errors(result.stdout, "src/misuse.py")
    assert len(expected) >= 15
    for line, text in expected.items():
        assert any(text in message for message in reported.get(line, [])), (
            f"line {line}: expected {text!r}, mypy said {reported.get(line)}\n{result.stdout}"
        )
    unexpected = {line: msgs for line, msgs in reported.items() if line not in expected}
    assert not unexpected, result.stdout


def test_types_reach_user_code(project: Path) -> None:
    (project / "src" / "reveal.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from workers import WorkflowEntrypoint\n"
        "if TYPE_CHECKING:\n"
        "    from worker_env import Env, WorkflowEvent, WorkflowStep\n"
        "class W(WorkflowEntrypoint):\n"
        "    env: Env\n"
        "    async def run(self, event: WorkflowEvent, step: WorkflowStep) -> None:\n"
        "        reveal_type(self.env.DB)\n"
        "        reveal_type(await self.env.KV.get('k'))\n"
        "        reveal_type(await self.env.DB.prepare('SELECT 1').first())\n"
        "        @step.do()\n"
        "        async def count() -> int:\n"
        "            return 1\n"
        "        reveal_type(await count())\n"
        "        reveal_type(await step.wait_for_event('e', 'approved'))\n"
        "        reveal_type((await self.env.MY_WORKFLOW.get('a')).id)\n"
        "        reveal_type(self.env.ENVIRONMENT)\n"
    )
    assert wf_types(project).exit_code == 0
    result = mypy(project, "src/reveal.py")
    assert result.returncode == 0, result.stdout
    revealed = re.findall(r'Revealed type is "([^"]*)"', result.stdout)
    assert revealed == [
        "workers._bindings.D1Database",
        "str | None",
        "workers._bindings.JsDict | None",
        "int",
        "workers._bindings.ReceivedEvent",
        "str",
        "Literal['prod']",
    ]


def test_legacy_step_takes_depends(project: Path) -> None:
    config = project / "wrangler.jsonc"
    config.write_text(config.read_text().replace("2026-05-01", "2026-01-15"))
    (project / "src" / "legacy.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from workers import WorkflowEntrypoint\n"
        "if TYPE_CHECKING:\n"
        "    from worker_env import WorkflowEvent, WorkflowStep\n"
        "class W(WorkflowEntrypoint):\n"
        "    async def run(self, event: WorkflowEvent, step: WorkflowStep) -> int:\n"
        "        @step.do('one')\n"
        "        async def one() -> int:\n"
        "            return 1\n"
        "        @step.do('two', depends=[one], concurrent=True)\n"
        "        async def two(one: int) -> int:\n"
        "            return one + 1\n"
        "        return await two()\n"
    )
    assert wf_types(project).exit_code == 0
    result = mypy(project, "src/legacy.py")
    assert result.returncode == 0, result.stdout


def test_copied_stubs_work_with_a_relative_mypy_path(project: Path) -> None:
    assert wf_types(project, "--stubs", project / "typings").exit_code == 0
    (project / "mypy.ini").write_text("[mypy]\nmypy_path = typings\n")
    result = mypy(project, "src/entry.py", stubs=False)
    assert result.returncode == 0, result.stdout + result.stderr
