"""Importing the heavy modules of `wf dev` on threads, off the path to the first response.

aiohttp is the slowest import (about 230 ms of CPU, a quarter of it the TLS contexts it builds
at import): it loads on a thread while the config, the state and the engine load. rich (the
console) and watchfiles (hot reload) are only needed after "Ready on", so they load on a
thread shortly after. The project loader walks ``sys.modules``, so every load of user code waits for
these threads first (``join``).
"""

from __future__ import annotations

import contextlib
import importlib
import threading

SERVER_MODULES = ("aiohttp.web",)
LATER_MODULES = ("rich.console", "rich.text", "watchfiles")
LATER_DELAY_S = 0.2  # after "Ready on", leave the first requests the CPU (imports hold the GIL)

_threads: list[threading.Thread] = []


def preload(modules: tuple[str, ...]) -> None:
    """Start importing ``modules`` in the background."""

    def load() -> None:
        for name in modules:
            with contextlib.suppress(Exception):  # the main thread's import reports it properly
                importlib.import_module(name)

    thread = threading.Thread(target=load, name="wf-preload", daemon=True)
    _threads.append(thread)
    thread.start()


def start_preload() -> None:
    """What the CLI calls first thing: the server's own imports."""
    if not _threads:
        preload(SERVER_MODULES)


def join() -> None:
    """Wait until every background import is done."""
    for thread in list(_threads):
        thread.join()
