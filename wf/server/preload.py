"""Keeping slow work off the path to the first response of `wf dev`.

aiohttp is the slowest import of the start. It runs on the main thread (``import_server``):
imports hold the GIL, and running it on a thread beside the config, state and engine loading
cost 10-40 ms more than running it alone. watchfiles (hot reload) is only needed after
"Ready on", so it loads on a thread shortly after (``preload``). The project loader walks
``sys.modules``, so every load of user code waits for that thread first (``join``).

The CA certificates. aiohttp builds two TLS client contexts at import, and each reads the
system's CA bundle: about 50 ms each with OpenSSL 3, a third of aiohttp's import, for nothing
`wf dev` needs before it answers. While ``import_server`` runs, the contexts its thread creates
record themselves instead of reading the bundle; ``load_ca_certs`` reads it into them later
(`wf dev` starts it on a thread after "Ready on": OpenSSL releases the GIL meanwhile). A
recorded context that is used first (``wrap_socket``/``wrap_bio``, where every TLS connection
starts) loads the certificates before it goes on, so a connection is always verified against
them.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

SERVER_MODULES = ("aiohttp.web",)
LATER_MODULES = ("watchfiles",)
LATER_DELAY_S = 0.2  # after "Ready on", leave the first requests the CPU (imports hold the GIL)

_threads: list[threading.Thread] = []

_LOAD = "set_default_verify_paths"  # what ssl.create_default_context() reads the bundle with
_USES = ("wrap_socket", "wrap_bio")  # every TLS connection starts with one of these
_ca_lock = threading.Lock()
_deferred: list[tuple[ssl.SSLContext, Callable[[ssl.SSLContext], None]]] = []


def import_server() -> None:
    """Import the server's modules on this thread, their CA certificates deferred."""
    with _ca_certs_deferred():
        for name in SERVER_MODULES:
            importlib.import_module(name)


def preload(modules: tuple[str, ...]) -> None:
    """Start importing ``modules`` in the background."""

    def load() -> None:
        for name in modules:
            with contextlib.suppress(Exception):  # the main thread's import reports it
                importlib.import_module(name)

    thread = threading.Thread(target=load, name="wf-preload", daemon=True)
    _threads.append(thread)
    thread.start()


def join() -> None:
    """Wait until every background import is done."""
    for thread in list(_threads):
        thread.join()


def load_ca_certs() -> None:
    """Read the CA certificates into every context that deferred them (once; thread-safe)."""
    with _ca_lock:
        while _deferred:
            context, load = _deferred.pop()
            load(context)
            for name in _USES:  # only now: a use meanwhile waits for the lock above
                context.__dict__.pop(name, None)


def start_ca_loading() -> None:
    """``load_ca_certs`` on a thread, if any context deferred them."""
    if _deferred:
        threading.Thread(target=load_ca_certs, name="wf-ca-certs", daemon=True).start()


@contextlib.contextmanager
def _ca_certs_deferred() -> Iterator[None]:
    """Contexts this thread creates meanwhile record themselves instead of reading the CAs."""
    import ssl

    loader = threading.current_thread()
    load_now: Callable[[ssl.SSLContext], None] = getattr(ssl.SSLContext, _LOAD)
    patched = ssl.SSLContext.__dict__.get(_LOAD)  # None unless someone patched it already

    def defer(context: ssl.SSLContext) -> None:
        if threading.current_thread() is not loader:
            load_now(context)
            return
        for name in _USES:
            setattr(context, name, functools.partial(_loaded_first, getattr(context, name)))
        with _ca_lock:
            _deferred.append((context, load_now))

    setattr(ssl.SSLContext, _LOAD, defer)
    try:
        yield
    finally:
        if patched is None:
            delattr(ssl.SSLContext, _LOAD)
        else:
            setattr(ssl.SSLContext, _LOAD, patched)


def _loaded_first(use: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    load_ca_certs()
    return use(*args, **kwargs)
