"""A `wf dev` over the approvals project, driven by the official `cloudflare` SDK and plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudflare import Cloudflare

from tests.server.conftest import DevServer, approvals, dev_server  # noqa: F401 (fixtures)

ACCOUNT = "0123456789abcdef0123456789abcdef"  # any account id is accepted
API = f"/client/v4/accounts/{ACCOUNT}"


@pytest.fixture
def server(approvals: Path, dev_server) -> DevServer:  # noqa: F811
    """Manual time: tests move the clock themselves."""
    return dev_server(approvals, "--time", "manual")  # type: ignore[no-any-return]


@pytest.fixture
def client(server: DevServer) -> Iterator[Cloudflare]:
    """The SDK pointed at the server, as the README's recipe does (no retries: a failure shows)."""
    with Cloudflare(
        base_url=f"http://127.0.0.1:{server.port}/client/v4", api_token="x", max_retries=0
    ) as sdk:
        yield sdk
