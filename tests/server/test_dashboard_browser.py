"""The dashboard clicked through end to end in real headless Chromium (Playwright for Python
driving Debian's chromium: no browser download).

Every action is done on the page as a user does it, then checked twice: on the page, and
through the explorer / control API. Screenshots of the main views are written to
``$WF_ARTIFACTS`` (or a folder under pytest's tmp dir) as artefacts of the run.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.devserver import wait_for
from tests.server.conftest import DevServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # the test extras are not installed
    sync_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.skipif(
        sync_playwright is None,
        reason="playwright is not installed (pip install -e '.[test]' brings it)",
    ),
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install chromium)"
    ),
]

ENTRY = '''
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


class Orders(WorkflowEntrypoint):
    """Validates, charges (the first attempt fails), waits for approval, cools off, ships."""

    async def run(self, event, step):
        @step.do()
        async def validate():
            return {"item": event["payload"].get("item", "book")}

        @step.do(config={"retries": {"limit": 2, "delay": "5 seconds", "backoff": "constant"}})
        async def charge(ctx):
            if ctx["attempt"] == 1:
                raise ConnectionError("card network down")
            return {"charged": True}

        order = await validate()
        await charge()
        approval = await step.wait_for_event("approval", "approval", timeout="1 day")
        await step.sleep("cool off", "1 hour")

        @step.do()
        async def ship():
            return {"shipped": order["item"], "approved": approval["payload"]}

        return await ship()


class Reports(WorkflowEntrypoint):
    """Fails for good: its error shows in every listing."""

    async def run(self, event, step):
        @step.do(config={"retries": {"limit": 0, "delay": "1 second"}})
        async def build():
            raise ValueError("report failed")

        return await build()


class Many(WorkflowEntrypoint):
    """Seventy quick steps: the waterfall draws them compact."""

    async def run(self, event, step):
        for n in range(70):
            @step.do(f"part {n:02d}")
            async def part():
                return n

            await part()
        return "done"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("browser test project")
'''

CONFIG = """{
  "name": "shop",
  "main": "src/entry.py",
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers"],
  "workflows": [
    { "name": "orders", "binding": "ORDERS", "class_name": "Orders" },
    { "name": "reports", "binding": "REPORTS", "class_name": "Reports" },
    { "name": "many", "binding": "MANY", "class_name": "Many" }
  ]
}
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    project = tmp_path / "shop"
    (project / "src").mkdir(parents=True)
    (project / "src" / "entry.py").write_text(textwrap.dedent(ENTRY).lstrip())
    (project / "wrangler.jsonc").write_text(CONFIG)
    return project


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("WF_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("dashboard-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None and CHROMIUM is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-proxy-server", "--disable-quic"],
        )
        try:
            yield launched
        finally:
            launched.close()


def _row(page: Page, text: str) -> Any:
    return page.locator("tbody tr", has_text=text)


def _flash(page: Page, pattern: str) -> None:
    expect(page.locator("#flash")).to_contain_text(re.compile(pattern), timeout=10_000)


def _instance(server: DevServer, workflow: str, instance: str) -> dict[str, Any]:
    return server.describe(workflow, instance)


def _step(details: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in details["steps"] if s.get("name") == name)


def test_dashboard_clicked_end_to_end(
    shop: Path, dev_server: Any, browser: Browser, artifacts: Path
) -> None:
    server: DevServer = dev_server(shop, "--time", "manual", "--no-reload")
    base = f"http://127.0.0.1:{server.port}/cdn-cgi/wf/"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())  # confirm() of terminate and reset
    page.goto(base + "#/workflows/orders")
    expect(page.locator("#live-status")).to_have_text("● live")

    # Create, from the form.
    page.fill("#create-id", "order-1")
    page.fill("#create-params", '{"item": "lamp"}')
    page.click("text=Create instance")
    _flash(page, "Created instance order-1")
    server.wait_status("orders", "order-1", "waiting")  # charge-1 failed once: a retry delay
    expect(_row(page, "order-1")).to_contain_text("Waiting")

    # Live: an instance created elsewhere shows up at once, pushed (the safety poll is 15 s).
    server.explorer("POST", "/workflows/orders/instances", {"id": "order-2"})
    expect(_row(page, "order-2")).to_be_visible(timeout=3_000)

    # The instance: the waterfall shows charge's failed attempt and its pending retry delay.
    page.click("a:has-text('order-1')")
    expect(page.locator("#view h2")).to_contain_text("Instance order-1")
    charge = page.locator(".wf-row[data-step='charge-1']")
    expect(charge.locator(".bar-error")).to_have_count(1)
    expect(charge.locator(".bar-delay")).to_have_count(1)
    # The page down to the waterfall (the steps below it hold tracebacks with local paths).
    box = page.locator(".waterfall-wrap").bounding_box()
    assert box is not None
    clip = {"x": 0, "y": 0, "width": 1280, "height": box["y"] + box["height"] + 16}
    page.screenshot(path=str(artifacts / "instance-retrying.png"), clip=clip)

    # Advance time past the retry delay: the page says what fired.
    server.wait_status("orders", "order-2", "waiting")
    page.fill("#advance-by", "10 seconds")
    page.click("#advance-form button[type=submit]")
    _flash(page, r"fired retry delay of orders/order-1")
    expect(charge.locator(".bar-ok")).to_have_count(1)
    assert [
        a["success"] for a in _step(_instance(server, "orders", "order-1"), "charge-1")["attempts"]
    ] == [False, True]

    # Send the event it waits for.
    page.fill("#event-type", "approval")
    page.fill("#event-payload", '{"by": "ada"}')
    page.click("text=Send event")
    _flash(page, 'Sent a "approval" event to order-1')
    wait = lambda: _step(_instance(server, "orders", "order-1"), "approval-1")  # noqa: E731
    _wait_for(lambda: wait()["finished"])
    assert wait()["output"] == {"by": "ada"} or wait()["output"]["payload"] == {"by": "ada"}
    expect(page.locator(".wf-row[data-step='cool off-1'] .bar-sleep")).to_have_count(1)

    # The pending timers, fired one by one: order-1's sleep.
    page.click("#timers-nav")
    sleep_row = page.locator("tr[data-timer]", has_text="orders/order-1")
    expect(sleep_row).to_contain_text("sleep")
    page.screenshot(path=str(artifacts / "timers.png"), full_page=True)
    sleep_row.locator("button", has_text="Fire now").click()
    _flash(page, "Fired: sleep of orders/order-1")
    server.wait_status("orders", "order-1", "complete")
    order_1 = page.locator("tr[data-timer]", has_text="orders/order-1")
    expect(order_1.filter(has_text="sleep")).to_have_count(0)
    # Finished, it is next due for removal by retention: a pending timer and a removal row.
    expect(order_1.filter(has_text="retention")).to_have_count(1)
    expect(page.locator("tr:not([data-timer])", has_text="orders/order-1")).to_have_count(1)

    # Skip to the next timer: order-2's retry delay was left when time advanced? No: the
    # advance fired it too. So order-2 now waits for its event with a 1-day timeout.
    assert server.status("orders", "order-2") == "waiting"
    page.click("#skip-button")
    _flash(page, r"Skipped to .*fired event timeout of orders/order-2")
    details = server.wait_status("orders", "order-2", "errored")
    assert _step(details, "approval-1")["error"] is not None

    # Restart, pause, resume, terminate: on order-2's page.
    page.goto(base + "#/workflows/orders/instances/order-2")
    page.click("[data-focus='action:restart']")
    _flash(page, "Restarted order-2")
    server.wait_status("orders", "order-2", "waiting")
    page.click("[data-focus='action:pause']")
    _flash(page, "Paused order-2")
    assert server.status("orders", "order-2") in ("paused", "waitingForPause")
    expect(page.locator(".facts .badge").first).to_contain_text(re.compile("Paused|Pause"))
    page.click("[data-focus='action:resume']")
    _flash(page, "Resumed order-2")
    _wait_for(lambda: server.status("orders", "order-2") not in ("paused", "waitingForPause"))
    page.click("[data-focus='action:terminate']")
    _flash(page, "Terminated order-2")
    assert server.status("orders", "order-2") == "terminated"
    expect(page.locator(".facts .badge").first).to_contain_text("Terminated")

    # Restart from a step: order-1 (complete) replays from its wait; earlier steps are kept.
    page.goto(base + "#/workflows/orders/instances/order-1")
    validate_before = _step(_instance(server, "orders", "order-1"), "validate-1")
    page.click("[aria-label='Restart from here: approval-1']")
    _flash(page, "Restarted order-1 from approval-1")
    after = server.wait_status("orders", "order-1", "waiting")
    assert _step(after, "validate-1")["start"] == validate_before["start"]
    assert not _step(after, "approval-1")["finished"]
    page.screenshot(path=str(artifacts / "instance-waterfall.png"), full_page=True)

    # An errored instance, and enough to page through.
    server.explorer("POST", "/workflows/reports/instances", {"id": "report-broken"})
    server.wait_status("reports", "report-broken", "errored")
    batch = [{"id": f"bulk-{n:02d}"} for n in range(30)]
    server.explorer("POST", "/workflows/orders/instances/batch", batch)

    # Search by part of an id, across workflows.
    page.fill("#find-id", "der-2")
    page.click("#find-form button")
    expect(page.locator("#view h2")).to_have_text("All instances")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(_row(page, "order-2")).to_contain_text("orders")
    api = server.get("/cdn-cgi/wf/instances?q=der-2").result
    assert [(i["workflow"], i["id"]) for i in api] == [("orders", "order-2")]

    # Filter by status: the errored row shows its error.
    page.fill("#search-q", "")
    page.select_option("select[name=status]", "errored")
    page.click("[data-focus='search:submit']")
    # A Python error's message is its traceback: the row shows its last line.
    row_error = _row(page, "report-broken").locator(".row-error")
    expect(row_error).to_contain_text("ValueError: report failed")
    expect(row_error).not_to_contain_text("Traceback")
    assert "Traceback (most recent call last)" in (row_error.get_attribute("title") or "")
    assert "status=errored" in page.url
    page.screenshot(path=str(artifacts / "search-errored.png"), full_page=True)

    # Filter by time: nothing was created after the year 3000.
    page.select_option("select[name=status]", "")
    page.fill("#search-since", "3000-01-01T00:00:00")
    page.click("[data-focus='search:submit']")
    expect(page.locator("tbody")).to_contain_text("No instances match the filter.")
    api = server.get("/cdn-cgi/wf/instances?since=3000-01-01T00:00:00Z").result
    assert api == []

    # A pager that jumps: 30 bulk instances, 25 a page, straight to page 2.
    page.goto(base + "#/instances?q=bulk")
    expect(page.locator("main")).to_contain_text("30 instances matching the filter")
    page.fill("[data-focus='pager:page']", "2")
    page.click(".pager button")
    expect(page.locator(".pager .current")).to_have_text("Page 2")
    expect(page.locator("tbody tr")).to_have_count(5)

    # Seventy steps draw a compact waterfall.
    server.explorer("POST", "/workflows/many/instances", {"id": "many-1"})
    server.wait_status("many", "many-1", "complete")
    page.goto(base + "#/workflows/many/instances/many-1")
    expect(page.locator(".waterfall.compact .wf-row")).to_have_count(70)
    page.locator(".wf-label", has_text="part 42").click()
    expect(page.locator("#step-42")).to_have_class(re.compile("selected"))
    page.locator(".waterfall-wrap").screenshot(path=str(artifacts / "waterfall-compact.png"))

    # The workflow's list, filtered by part of an id (the bulk ones are newer).
    page.goto(base + "#/workflows/orders")
    page.fill("#search-q", "order-")
    page.click("[data-focus='search:submit']")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(_row(page, "order-2")).to_contain_text("Terminated")
    page.screenshot(path=str(artifacts / "workflow.png"), full_page=True)
    for name in ("instance-waterfall", "timers", "search-errored", "workflow"):
        assert (artifacts / f"{name}.png").stat().st_size > 1000, name


def test_page_polls_when_the_live_stream_is_down(
    shop: Path, dev_server: Any, browser: Browser
) -> None:
    """With the stream refused (``?poll`` stands in for a proxy that drops it), changes
    still arrive, by polling every second."""
    server: DevServer = dev_server(shop, "--time", "manual", "--no-reload")
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{server.port}/cdn-cgi/wf/?poll#/workflows/orders")
    expect(page.locator("#live-status")).to_have_text("○ polling every second")
    server.explorer("POST", "/workflows/orders/instances", {"id": "polled"})
    expect(page.locator("tbody tr", has_text="polled")).to_be_visible(timeout=5_000)


def _wait_for(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


DESK = '''
import asyncio
from js import Object
from pyodide.ffi import to_js
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint


def parse(order):
    return order["sku"]


class Orders(WorkflowEntrypoint):
    """Prints in run() and in a step whose only attempt fails through a helper."""

    async def run(self, event, step):
        print("order received")

        @step.do(config={"retries": {"limit": 0, "delay": "1 second"}})
        async def price():
            print("pricing the order")
            return parse({})

        return await price()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        inputs = to_js({"prompt": "hello"}, dict_converter=Object.fromEntries)
        answer = await self.env.AI.run("@cf/meta/llama-3.1-8b-instruct", inputs)
        return Response(str(answer))

    async def queue(self, batch):
        if batch.queue == "slow":
            await asyncio.sleep(3600)  # stays in flight until time moves an hour
        for message in batch.messages:
            message.retry()  # jobs: never acknowledged, so dead-lettered
'''

DESK_CONFIG = """{
  "name": "desk",
  "main": "src/entry.py",
  "compatibility_date": "2026-08-14",
  "compatibility_flags": ["python_workers"],
  "workflows": [{ "name": "orders", "binding": "ORDERS", "class_name": "Orders" }],
  "ai": { "binding": "AI" },
  "queues": {
    "producers": [
      { "binding": "JOBS", "queue": "jobs" },
      { "binding": "SLOW", "queue": "slow" },
      { "binding": "LATER", "queue": "later" }
    ],
    "consumers": [
      { "queue": "jobs", "max_batch_timeout": 0, "max_retries": 0, "dead_letter_queue": "jobs-dlq" },
      { "queue": "slow", "max_batch_timeout": 0 }
    ]
  }
}
"""


def test_logs_tracebacks_queues_and_ai_views(
    tmp_path: Path, dev_server: Any, browser: Browser, artifacts: Path
) -> None:
    project = tmp_path / "desk"
    (project / "src").mkdir(parents=True)
    (project / "src" / "entry.py").write_text(textwrap.dedent(DESK).lstrip())
    (project / "wrangler.jsonc").write_text(DESK_CONFIG)
    server: DevServer = dev_server(project, "--time", "manual", "--no-reload")
    base = f"http://127.0.0.1:{server.port}/cdn-cgi/wf/"
    server.explorer("POST", "/workflows/orders/instances", {"id": "o-1"})
    server.wait_status("orders", "o-1", "errored")
    for queue, body in (("jobs", {"job": "doomed"}), ("slow", "takes an hour"), ("later", [1, 2])):
        assert server.post(f"/cdn-cgi/wf/queues/{queue}/messages", {"body": body}).result["id"]
    assert (
        server.post(
            "/cdn-cgi/wf/ai/mocks",
            {"model": "@cf/meta/llama-3.1-8b-instruct", "response": {"response": "hi there"}},
        ).result[0]["used"]
        == 0
    )
    assert server.get("/").status == 200  # the Worker's one AI call
    wait_for(
        lambda: server.get("/cdn-cgi/wf/queues").result["queues"][0]["counts"]["dead_lettered"],
        what="the jobs message dead-lettered",
    )

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(10_000)

    # The instance: run()'s traceback, the step's traceback and logs, the whole log.
    page.goto(base + "?poll#/workflows/orders/instances/o-1")
    expect(page.locator("#logs-title")).to_have_text("Logs (2)")
    expect(page.locator(".instance-logs")).to_contain_text("run() log order received")
    expect(page.locator(".instance-logs")).to_contain_text("price-1 #1 log pricing the order")
    step = page.locator(".step", has_text="price-1")
    expect(step.locator("pre.traceback")).to_contain_text('File "src/entry.py", line 20, in price')
    expect(step.locator("pre.traceback")).to_contain_text("KeyError: 'sku'")
    step.locator("summary", has_text="Logs (1)").click()
    expect(step.locator("pre.logs")).to_contain_text("#1 log pricing the order")
    expect(page.locator("summary", has_text="Traceback of run()")).to_be_visible()
    page.screenshot(path=str(artifacts / "instance-logs-traceback.png"), full_page=True)

    # Queues: from the sidebar; each state with its messages' bodies.
    page.click("#queues-nav")
    expect(page.locator("#view h2")).to_have_text("Queues")
    jobs = page.locator("section.queue[data-queue='jobs']")
    expect(jobs.locator(".queue-counts")).to_have_text(
        "0 pending, 0 delayed, 0 in flight, 1 dead-lettered"
    )
    expect(jobs.locator("tbody[data-state='dead_lettered']")).to_contain_text('{"job":"doomed"}')
    slow = page.locator("section.queue[data-queue='slow']")
    expect(slow.locator("tbody[data-state='in_flight']")).to_contain_text('"takes an hour"')
    later = page.locator("section.queue[data-queue='later']")
    expect(later.locator("tbody[data-state='pending']")).to_contain_text("[1,2]")
    dlq = page.locator("section.queue[data-queue='jobs-dlq']")
    expect(dlq.locator("tbody[data-state='pending']")).to_contain_text('{"job":"doomed"}')
    page.screenshot(path=str(artifacts / "queues.png"), full_page=True)
    listed = server.get("/cdn-cgi/wf/queues/jobs/messages?state=dead_lettered").result
    assert [m["body"] for m in listed["messages"]] == [{"job": "doomed"}]

    # An hour on, the slow consumer finishes: the message leaves in-flight (retried).
    server.advance("1 hour")
    expect(slow.locator("tbody[data-state='in_flight']")).to_contain_text("None.")

    # Workers AI: the registered response and the call it answered.
    page.click("#ai-nav")
    expect(page.locator("#view h2")).to_have_text("Workers AI")
    mocks = page.locator("table", has=page.locator("caption", has_text="Registered responses"))
    expect(mocks.locator("tbody tr")).to_have_count(1)
    expect(mocks).to_contain_text("@cf/meta/llama-3.1-8b-instruct")
    expect(mocks).to_contain_text('{"response":"hi there"}')
    calls = page.locator("table", has=page.locator("caption", has_text="Calls"))
    expect(calls.locator("tbody tr")).to_have_count(1)
    expect(calls).to_contain_text('{"prompt":"hello"}')
    expect(calls).to_contain_text("http")  # answered by the mock registered over HTTP
    page.screenshot(path=str(artifacts / "workers-ai.png"), full_page=True)
    assert len(server.get("/cdn-cgi/wf/ai/calls").result) == 1
