"""Cloudflare's REST API of `wf dev` (/client/v4): what a script driving it pays per call.

Usage (from the repository root)::

    .venv/bin/python bench/cfapi_bench.py           # 5 runs of each figure
    .venv/bin/python bench/cfapi_bench.py --quick   # 1 run, small N

One `wf dev --time manual` over ``bench/ref`` (workflow ``wf-seq``, 3 steps). Figures, medians
(min-max) of the runs:

1. ``create, SDK``: N ``cloudflare.workflows.instances.create`` one after the other, as a
   script does (each answer waits for its commit).
2. ``create, HTTP x16``: N ``POST .../instances`` 16 at a time (aiohttp), and the same through
   the local explorer route, which does the same work without the SDK's shapes.
3. ``list, page 1`` and ``list, deep``: one ``GET .../instances?per_page=100`` with ~all the
   instances created so far, at page 1, and at the last page by ``page`` and by ``cursor``.

Only loopback is used; the server is stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from cloudflare import Cloudflare

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "bench" / "ref"
WORKFLOW = "wf-seq"
ACCOUNT = "bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(state: Path, port: int) -> subprocess.Popen[str]:
    wf = Path(sys.executable).with_name("wf")
    process = subprocess.Popen(
        [
            str(wf),
            "dev",
            str(PROJECT),
            "--port",
            str(port),
            "--time",
            "manual",
            "--persist-to",
            str(state),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "Ready on" in line:
            break
    else:
        raise SystemExit(f"wf dev did not start (exit {process.wait()})")
    # keep draining the log so the server never blocks on a full pipe
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):,.1f} ({min(values):,.1f}-{max(values):,.1f})"


def _timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


async def _concurrent(url: str, bodies: list[dict[str, object]]) -> float:
    limit = asyncio.Semaphore(16)
    async with aiohttp.ClientSession() as session:

        async def one(body: dict[str, object]) -> None:
            async with limit, session.post(url, json=body) as answer:
                assert answer.status == 200, await answer.text()

        began = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, n = (1, 50) if args.quick else (5, 200)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/client/v4/accounts/{ACCOUNT}/workflows/{WORKFLOW}/instances"
    explorer = f"{base}/cdn-cgi/explorer/api/workflows/{WORKFLOW}/instances"
    with tempfile.TemporaryDirectory() as state:
        server = _start(Path(state), port)
        try:
            sdk = Cloudflare(base_url=f"{base}/client/v4", api_token="x", max_retries=0)
            sdk_rates, api_rates, explorer_rates = [], [], []
            for run in range(runs):
                seconds = _timed(
                    lambda run=run: [
                        sdk.workflows.instances.create(
                            WORKFLOW,
                            account_id=ACCOUNT,
                            instance_id=f"s{run}-{i}",
                            params={"n": 3},  # type: ignore[arg-type]
                        )
                        for i in range(n)
                    ]
                )
                sdk_rates.append(n / seconds)
                bodies = [{"instance_id": f"a{run}-{i}", "params": {"n": 3}} for i in range(n)]
                api_rates.append(n / asyncio.run(_concurrent(api, bodies)))
                bodies = [{"id": f"e{run}-{i}", "params": {"n": 3}} for i in range(n)]
                explorer_rates.append(n / asyncio.run(_concurrent(explorer, bodies)))
            total = sdk.workflows.instances.with_raw_response.list(
                WORKFLOW, account_id=ACCOUNT, per_page=1
            ).http_response.json()["result_info"]["total_count"]
            last_page = -(-total // 100)
            first, deep, by_cursor = [], [], []
            cursor = None
            page = sdk.workflows.instances.with_raw_response.list
            for _ in range(max(runs, 3)):
                first.append(
                    1000 * _timed(lambda: page(WORKFLOW, account_id=ACCOUNT, per_page=100))
                )
                deep.append(
                    1000
                    * _timed(
                        lambda: page(WORKFLOW, account_id=ACCOUNT, per_page=100, page=last_page)
                    )
                )
                if cursor is None:
                    answer = page(WORKFLOW, account_id=ACCOUNT, per_page=100)
                    for _ in range(last_page - 2):
                        token = answer.http_response.json()["result_info"]["cursor"]
                        answer = page(WORKFLOW, account_id=ACCOUNT, per_page=100, cursor=token)
                    cursor = answer.http_response.json()["result_info"]["cursor"]
                by_cursor.append(
                    1000
                    * _timed(
                        lambda token=cursor: page(
                            WORKFLOW, account_id=ACCOUNT, per_page=100, cursor=token
                        )
                    )
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wf dev /client/v4, {runs} runs, N={n}, {total:,} instances at the end")
    print("| figure | median (min-max) |")
    print("|---|---|")
    print(f"| create, SDK, one after the other | {_median(sdk_rates)} instances/s |")
    print(f"| create, POST /client/v4 x16 | {_median(api_rates)} instances/s |")
    print(f"| create, POST /cdn-cgi/explorer x16 | {_median(explorer_rates)} instances/s |")
    print(f"| list 100, page 1 (SDK) | {_median(first)} ms |")
    print(f"| list 100, page {last_page} by page (SDK) | {_median(deep)} ms |")
    print(f"| list 100, the same page by cursor (SDK) | {_median(by_cursor)} ms |")


if __name__ == "__main__":
    main()
