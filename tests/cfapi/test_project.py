"""What /client/v4 reads from the project: several workflows, cron schedules, code versions."""

from __future__ import annotations

import json
from pathlib import Path

import cloudflare
import pytest
from cloudflare import Cloudflare

from tests.cfapi.conftest import ACCOUNT
from tests.devserver import wait_for
from tests.server.conftest import DevServer

CODE = """
from workers import WorkflowEntrypoint


class Nightly(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def report():
            return "{label}"

        return await report()


class Other(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def fail():
            raise ValueError("no")

        return await fail()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "nightly"
    (root / "src").mkdir(parents=True)
    config = {
        "name": "nightly",
        "main": "src/entry.py",
        "compatibility_date": "2026-08-14",
        "compatibility_flags": ["python_workers"],
        "workflows": [
            {
                "name": "nightly",
                "binding": "NIGHTLY",
                "class_name": "Nightly",
                "schedules": ["0 3 * * *"],
            },
            {"name": "other", "binding": "OTHER", "class_name": "Other"},
            {"name": "third", "binding": "THIRD", "class_name": "Other"},
        ],
    }
    (root / "wrangler.jsonc").write_text(json.dumps(config))
    (root / "src" / "entry.py").write_text(CODE.replace("{label}", "one"))
    return root


@pytest.fixture
def sdk(project: Path, dev_server) -> tuple[DevServer, Cloudflare]:
    server = dev_server(project, "--time", "manual")
    client = Cloudflare(
        base_url=f"http://127.0.0.1:{server.port}/client/v4", api_token="x", max_retries=0
    )
    return server, client


def test_workflows_page_and_schedules(sdk: tuple[DevServer, Cloudflare]) -> None:
    server, client = sdk
    every = list(client.workflows.list(account_id=ACCOUNT, per_page=2))  # two pages
    assert [w.name for w in every] == ["nightly", "other", "third"]
    assert len({w.id for w in every}) == 3
    assert [w.name for w in client.workflows.list(account_id=ACCOUNT, search="THI").result] == [
        "third"
    ]

    nightly = client.workflows.get("nightly", account_id=ACCOUNT)
    assert nightly.schedules is not None and [s.cron for s in nightly.schedules] == ["0 3 * * *"]
    assert nightly.schedules[0].next_instance.endswith("T03:00:00.000Z")
    assert client.workflows.get("other", account_id=ACCOUNT).schedules is None

    server.advance("1 day")  # the cron fires once
    runs = wait_for(
        lambda: client.workflows.instances.list("nightly", account_id=ACCOUNT).result,
        what="the cron's instance",
    )
    assert [r.trigger_source for r in runs] == ["cron"]
    server.wait_status("nightly", runs[0].id, "complete")
    assert client.workflows.get("nightly", account_id=ACCOUNT).triggered_on == runs[0].created_on


def test_errored_instance_details(sdk: tuple[DevServer, Cloudflare]) -> None:
    server, client = sdk
    client.workflows.instances.create("other", account_id=ACCOUNT, instance_id="bad")
    server.wait_status("other", "bad", "waiting", "errored")
    for _ in range(6):  # the retries: 5 by default, with delays in virtual time
        if server.status("other", "bad") == "errored":
            break
        server.advance("1 hour")
    server.wait_status("other", "bad", "errored")
    details = client.workflows.instances.get("bad", account_id=ACCOUNT, workflow_name="other")
    assert details.status == "errored" and details.success is False
    assert details.error is not None and "no" in details.error.message
    step = client.workflows.instances.step(
        "bad", account_id=ACCOUNT, workflow_name="other", name="fail-1", type="step", attempt=1
    )
    assert step.status == "errored" and step.error is not None and step.output is None
    errored = client.workflows.instances.list("other", account_id=ACCOUNT, status="errored")
    assert [i.id for i in errored.result] == ["bad"]
    assert errored.result[0].ended_on is not None

    with pytest.raises(cloudflare.ConflictError) as finished:
        client.workflows.instances.status.edit(
            "bad", account_id=ACCOUNT, workflow_name="other", status="terminate"
        )
    assert "workflows.api.error.instance.cannot_terminate" in str(finished.value)


def test_a_reload_is_a_new_version(project: Path, sdk: tuple[DevServer, Cloudflare]) -> None:
    server, client = sdk
    before = client.workflows.instances.create("nightly", account_id=ACCOUNT, instance_id="v1")
    server.wait_status("nightly", "v1", "complete")
    generation = server.generation()
    (project / "src" / "entry.py").write_text(CODE.replace("{label}", "two"))
    wait_for(lambda: server.generation() > generation, timeout=30, what="the reload")

    after = client.workflows.instances.create("nightly", account_id=ACCOUNT, instance_id="v2")
    assert after.version_id != before.version_id
    server.wait_status("nightly", "v2", "complete")
    versions = client.workflows.versions.list("nightly", account_id=ACCOUNT).result
    assert [v.id for v in versions] == [after.version_id, before.version_id]  # newest first
    assert client.workflows.get("nightly", account_id=ACCOUNT).modified_on >= versions[1].created_on
    old = client.workflows.versions.get(
        before.version_id, account_id=ACCOUNT, workflow_name="nightly"
    )
    assert old.id == before.version_id
    outputs = {
        i: client.workflows.instances.get(i, account_id=ACCOUNT, workflow_name="nightly").output
        for i in ("v1", "v2")
    }
    assert outputs == {"v1": "one", "v2": "two"}
