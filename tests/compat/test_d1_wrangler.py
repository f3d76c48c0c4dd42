"""The real `wrangler d1 ... --local` (4.86.0 and the current release) and wf share one D1 file.

Rows wrangler writes (after its own `migrations apply`) are read by a workflow under `wf dev`;
rows that workflow writes are read back by `wrangler d1 execute`; migrations applied by
`wf d1 migrations apply` are the ones wrangler sees as applied. wrangler is found as
tests/compat/conftest.py says, and each wrangler's tests are skipped, with the reason, without it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.compat.conftest import WranglerInstall
from tests.devserver import DevServer, run_wf, wait_for
from wf.platform.d1 import database_path

ROOT = Path(__file__).resolve().parents[2]
REMINDERS = ROOT / "fixtures" / "reminders"
DATABASE_ID = "00000000-0000-4000-8000-000000000001"


class WranglerD1:
    """`wrangler d1 ... --local` in a project folder, with its files kept out of $HOME."""

    def __init__(self, install: WranglerInstall, project: Path, home: Path) -> None:
        self.executable = install.executable
        self.project = project
        self.env = install.env(home)

    def ok(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.executable), "d1", *args, "--local"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=180,
        )
        assert result.returncode == 0, (
            f"wrangler d1 {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
        return result.stdout

    def rows(self, sql: str) -> list[dict[str, Any]]:
        out = json.loads(self.ok("execute", "DB", "--json", "--command", sql))
        return list(out[0]["results"])


def copy_project(tmp_path: Path, name: str) -> Path:
    project = tmp_path / name
    shutil.copytree(REMINDERS, project, ignore=shutil.ignore_patterns(".wrangler", ".wf", "tests"))
    return project


def wf_ok(*args: str, port: int | None = None) -> str:
    result = run_wf(*args, port=port)
    assert result.returncode == 0, f"wf {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_wrangler_rows_feed_a_wf_workflow_and_wrangler_reads_its_writes(
    wrangler_install: WranglerInstall,
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path, "reminders")
    wrangler = WranglerD1(wrangler_install, project, tmp_path / "home")
    wrangler.ok("migrations", "apply", "DB")
    wrangler.ok(
        "execute",
        "DB",
        "--command",
        "INSERT INTO users (id, name, email) VALUES (7, 'Ada', 'ada@example.com')",
    )
    # wrangler made the file where wf looks for it.
    assert database_path(project / ".wrangler" / "state", DATABASE_ID).exists()
    assert "No migrations to apply" in wf_ok(
        "d1", "migrations", "list", "DB", "--cwd", str(project)
    )

    with DevServer(project, "--time", "manual").wait_ready() as server:
        wf_ok("trigger", "reminders", '{"user_id": 7}', "--id", "ada", port=server.port)
        wf_ok("time", "advance", "7 days", port=server.port)

        def complete() -> dict[str, Any] | None:
            out = run_wf("instances", "describe", "reminders", "ada", "--json", port=server.port)
            described = json.loads(out.stdout) if out.returncode == 0 else {}
            return described if described.get("status") == "complete" else None

        described = wait_for(complete, timeout=30, what="the reminder to complete")
        assert "ada@example.com" in json.dumps(described)
        # wrangler reads what the workflow wrote, while wf dev still holds the database open.
        [reminder] = wrangler.rows("SELECT user_id, message, sent_at FROM reminders")
    assert reminder["user_id"] == 7 and reminder["message"].startswith("Hi Ada")
    assert reminder["sent_at"] is not None


def test_wf_migrations_are_applied_ones_for_wrangler(
    wrangler_install: WranglerInstall,
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path, "reminders")
    wf_ok("d1", "migrations", "apply", "DB", "--cwd", str(project))
    wf_ok(
        "d1",
        "execute",
        "DB",
        "--cwd",
        str(project),
        "--command",
        "INSERT INTO users (name, email) VALUES ('Grace', 'grace@example.com')",
    )
    wrangler = WranglerD1(wrangler_install, project, tmp_path / "home")
    assert "No migrations to apply" in wrangler.ok("migrations", "list", "DB")
    assert wrangler.rows("SELECT name FROM users") == [{"name": "Grace"}]
    # And the other way round: a migration wrangler applies is applied for wf.
    (project / "migrations" / "0003_add_phone.sql").write_text(
        "ALTER TABLE users ADD COLUMN phone TEXT;\n"
    )
    wrangler.ok("migrations", "apply", "DB")
    assert "No migrations to apply" in wf_ok(
        "d1", "migrations", "list", "DB", "--cwd", str(project)
    )
    out = json.loads(
        wf_ok(
            "d1",
            "execute",
            "DB",
            "--cwd",
            str(project),
            "--json",
            "--command",
            "SELECT name, phone FROM users",
        )
    )
    assert out[0]["results"] == [{"name": "Grace", "phone": None}]
