"""The preload of `wf dev`: aiohttp's TLS contexts get their CA certificates after all."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# A fresh interpreter: this one imported aiohttp long ago, with its contexts loaded.
PROLOGUE = """
import socket
import ssl
from wf.server import preload

preload.import_server()
import aiohttp.connector as connector

contexts = (connector._SSL_CONTEXT_VERIFIED, connector._SSL_CONTEXT_UNVERIFIED)
expected = ssl.create_default_context().cert_store_stats()["x509_ca"]
assert expected > 0, "this system has no CA certificates to load"
assert [c.cert_store_stats()["x509_ca"] for c in contexts] == [0, 0], "not deferred"
"""


def run(script: str) -> None:
    code = textwrap.dedent(PROLOGUE) + textwrap.dedent(script)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "load",
    [
        "preload.load_ca_certs()",
        # A context used before the load reads the certificates first, whichever it is.
        "contexts[1].wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname='localhost')",
        "preload.start_ca_loading(); contexts[0].wrap_socket(socket.socket(), server_hostname='x')",
    ],
)
def test_aiohttp_contexts_get_the_ca_certs(load: str) -> None:
    run(
        f"""
        {load}
        assert [c.cert_store_stats()["x509_ca"] for c in contexts] == [expected, expected]
        assert not any("wrap_bio" in vars(c) or "wrap_socket" in vars(c) for c in contexts)
        assert "set_default_verify_paths" not in vars(ssl.SSLContext)
        assert ssl.create_default_context().cert_store_stats()["x509_ca"] == expected
        """
    )
