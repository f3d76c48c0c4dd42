"""`wf dev` start to first response: spawn the `wf` script of this venv on the quickstart with a
fresh state folder, poll /cdn-cgi/wf/time until it answers; 7 runs, median.

    .venv/bin/python bench/start_probe.py
"""

import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


times: list[float] = []
for _ in range(7):
    d = tempfile.mkdtemp()
    port = free()
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("wf")),
            "dev",
            str(ROOT / "fixtures" / "quickstart"),
            "--port",
            str(port),
            "--persist-to",
            d,
            "--no-reload",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/cdn-cgi/wf/time", timeout=1).read()
            break
        except Exception:
            time.sleep(0.005)
    times.append(time.perf_counter() - t0)
    p.terminate()
    p.wait()
    shutil.rmtree(d)
median, low, high = statistics.median(times), min(times), max(times)
print(f"start to first response: median {median:.3f} s (min {low:.3f}, max {high:.3f}) of 7")
