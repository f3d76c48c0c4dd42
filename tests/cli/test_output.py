"""The output helper and the labels, in process (no server)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wf.cli import labels
from wf.cli.output import Output


def test_json_mode_prints_only_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(as_json=True)
    out.line("for people")
    out.fields({"A": "b"})
    out.table([{"A": "b"}])
    out.result({"id": "x", "n": 1})
    assert json.loads(capsys.readouterr().out) == {"id": "x", "n": 1}


def test_people_mode_prints_lines_fields_and_tables(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output()
    out.result({"hidden": True})
    out.line("hello")
    out.fields({"Name": "onboarding", "Class Name": "Onboarding"})
    out.table([{"Instance ID": "[bold]x[/bold]", "Status": labels.status_label("waiting")}])
    text = capsys.readouterr().out
    assert "hidden" not in text
    assert "hello\nName:        onboarding\nClass Name:  Onboarding\n" in text
    assert "[bold]x[/bold]" in text  # user data is never read as rich markup
    assert "⏰ Waiting" in text


def test_labels_follow_wrangler() -> None:
    assert labels.status_label("complete") == "✅ Completed"
    assert labels.status_label("waitingForPause") == "⏱️ Waiting for Pause"
    assert labels.status_label("bogus") == "❓ Unknown"
    assert labels.step_type_label("sleep") == "💤 Sleeping"
    assert labels.trigger_label("binding") == "🔗 Binding"
    assert labels.truncate("abcdef", 3) == "abc[...output truncated]"
    assert labels.truncate("abc", 3) == "abc"
    assert labels.compact_json({"a": [1, "é"]}) == '{"a":[1,"é"]}'


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ("2026-01-01T00:00:00.250Z", "250 ms"),
        ("2026-01-01T00:00:01.000Z", "1 second"),
        ("2026-01-01T00:01:30.000Z", "2 minutes"),
        ("2026-01-08T00:00:00.000Z", "7 days"),
        ("2027-01-01T00:00:00.000Z", "1 year"),
    ],
)
def test_distance_is_one_rounded_unit(end: str, expected: str) -> None:
    assert labels.distance("2026-01-01T00:00:00.000Z", end) == expected


def test_when_is_utc() -> None:
    assert labels.when("2026-01-08T00:00:00.000Z") == "2026-01-08 00:00:00 UTC"
    assert labels.when(None) == ""


def test_client_commands_import_neither_rich_nor_aiohttp() -> None:
    # Client commands must start fast; rich and aiohttp are imported only when needed.
    code = (
        "import sys; from wf.cli.main import main; "
        "print(sorted(m for m in ('rich', 'aiohttp', 'urllib.request') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_clock_state_puts_iso_times_under_the_plain_names() -> None:
    from wf.cli.time import clock_state

    iso_server = {"now": "2026-01-01T00:00:00.000Z", "now_ms": 1_767_225_600_000, "mode": "auto"}
    assert clock_state(iso_server) == iso_server
    ms_server = {"now": 1_767_225_600_000, "next_timer": None, "mode": "manual", "scale": 1}
    assert clock_state(ms_server) == {
        "now": "2026-01-01T00:00:00.000Z",
        "now_ms": 1_767_225_600_000,
        "next_timer": None,
        "mode": "manual",
        "scale": 1,
    }
