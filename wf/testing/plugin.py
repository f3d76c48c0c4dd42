"""pytest plugin for testing workflows with wf: the ``wf`` fixture, markers and options.

Registered through the ``pytest11`` entry point, so installing wf is enough.

- ``wf``: an ``Emulator`` for the project under test. The project is named by
  ``@pytest.mark.wf_project("path", **options)`` (relative to the rootdir), else by the
  ``wf_project`` ini option, else found by walking up from the test file's folder to the
  rootdir looking for ``wrangler.jsonc|json|toml``. Options are ``Emulator``'s keyword
  arguments (``time="auto"``, ``hibernate=True``...). In an ``async def`` test (pytest-asyncio)
  the emulator is started in the test's loop; in a plain test it is not started: use
  ``async with wf:`` inside the coroutine you give ``asyncio.run``.
- After each test that used an emulator, an instance that errored without the test reading
  the error fails the test with the instance, step and error
  (``@pytest.mark.wf_allow_errors`` turns that off), and in hibernation mode a replay
  divergence fails it too.
- ``--wf-hibernate`` runs every emulator in hibernation mode: each instance is evicted and
  replayed after every step, so state kept outside steps breaks tests as it would break
  production.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from wf.config import CONFIG_FILENAMES
from wf.testing._emulator import Emulator, track

try:  # the wf fixture starts the emulator in pytest-asyncio's loop when it is there
    import pytest_asyncio
except ImportError:  # pragma: no cover - pytest-asyncio is part of the test extra
    pytest_asyncio = None  # type: ignore[assignment]

_EMULATORS = pytest.StashKey[list[Emulator]]()
_STARTING = pytest.StashKey[Emulator]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wf", "wf: Cloudflare Workflows emulator")
    group.addoption(
        "--wf-hibernate",
        action="store_true",
        default=False,
        help="evict and replay every workflow instance after each step; fail tests whose "
        "replays diverge (state kept outside steps)",
    )
    parser.addini("wf_project", "the wf project (folder or wrangler config) the wf fixture loads")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "wf_project(path=None, **options): the project the wf fixture loads (relative to the "
        "rootdir) and Emulator options such as time='auto' or hibernate=True",
    )
    config.addinivalue_line(
        "markers", "wf_allow_errors: do not fail the test when a workflow instance errors"
    )


def find_project(start: Path, stop: Path) -> Path | None:
    """The nearest folder from ``start`` up to ``stop`` (inclusive) holding a wrangler config."""
    folder = start.resolve()
    stop = stop.resolve()
    while True:
        if any((folder / name).is_file() for name in CONFIG_FILENAMES):
            return folder
        if folder == stop or folder.parent == folder or not folder.is_relative_to(stop):
            return None
        folder = folder.parent


def _emulator_for(request: pytest.FixtureRequest) -> Emulator:
    config = request.config
    marker = request.node.get_closest_marker("wf_project")
    args: tuple[Any, ...] = marker.args if marker else ()
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    path_arg = args[0] if args else options.pop("path", None)
    if path_arg is not None:
        project = config.rootpath / path_arg
    elif config.getini("wf_project"):
        base = config.inipath.parent if config.inipath else config.rootpath
        project = base / str(config.getini("wf_project"))
    else:
        found = find_project(Path(request.path).parent, config.rootpath)
        if found is None:
            raise pytest.UsageError(
                f"wf fixture: no {' / '.join(CONFIG_FILENAMES)} found from "
                f"{Path(request.path).parent} up to the rootdir; name the project with "
                '@pytest.mark.wf_project("path/to/project") or the wf_project ini option'
            )
        project = found
    if config.getoption("wf_hibernate", False):
        options["hibernate"] = True
    return Emulator(project, **options)


def _is_async_test(request: pytest.FixtureRequest) -> bool:
    function = getattr(request, "function", None)
    return pytest_asyncio is not None and inspect.iscoroutinefunction(function)


@pytest.fixture
def wf(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """An Emulator for the project under test, on in-memory state and manual time.

    Started in the test's event loop for ``async def`` tests; for plain tests, enter it
    (``async with wf:``) inside ``asyncio.run``. Closed after the test either way.
    """
    emulator = _emulator_for(request)
    request.node.stash.setdefault(_EMULATORS, []).append(emulator)
    if _is_async_test(request):
        request.node.stash[_STARTING] = emulator
        request.getfixturevalue("_wf_started")
    try:
        yield emulator
    finally:
        emulator.close_outside_loop()


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def _wf_started(request: pytest.FixtureRequest) -> AsyncIterator[None]:
        """Starts (and then closes) the wf fixture's emulator in the test's loop."""
        emulator = request.node.stash[_STARTING]
        del request.node.stash[_STARTING]
        await emulator.start()
        yield
        await emulator.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True
    with track() as created:
        try:
            result = yield
        finally:
            # Items live until the session ends: do not keep their emulators alive with them.
            used = item.stash.get(_EMULATORS, [])
            item.stash[_EMULATORS] = []
    allow_errors = item.get_closest_marker("wf_allow_errors") is not None
    for emulator in dict.fromkeys([*used, *created]):
        emulator.check(allow_errors=allow_errors)
    return result


__all__ = ["find_project", "wf"]
