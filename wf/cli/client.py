"""HTTP client for a running `wf dev`: the explorer API and the emulator's control API.

Only the standard library is used, so a client command costs little more than Python startup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import quote as _quote
from urllib.parse import urlencode

from wf.cli.errors import CliError

EXPLORER = "/cdn-cgi/explorer/api"
CONTROL = "/cdn-cgi/wf"
TIMEOUT_S = 60.0  # time advances answer only once the engine settled: give them room


class Client:
    """Talks JSON to one `wf dev` server and unwraps Cloudflare's envelope."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8787) -> None:
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def explorer(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call the explorer REST API (the one `wrangler workflows --local` uses)."""
        return self.request(method, EXPLORER + path, body, query)

    def explorer_page(
        self, path: str, query: Mapping[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """GET one page of a list: its ``result`` and the envelope's ``result_info``."""
        info: dict[str, Any] = {}
        result = self.request("GET", EXPLORER + path, None, query, info=info)
        return result, info

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call the emulator-only control API under /cdn-cgi/wf."""
        return self.request(method, CONTROL + path, body)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        info: dict[str, Any] | None = None,
    ) -> Any:
        """Send one request; return the envelope's ``result`` or raise CliError.

        ``info``, if given, receives the envelope's ``result_info``."""
        import urllib.error
        import urllib.request

        url = self.base_url + path
        if query:
            pairs = {k: str(v) for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urlencode(pairs)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _opener().open(request, timeout=TIMEOUT_S) as response:
                return _result(response.status, response.read(), info)
        except urllib.error.HTTPError as exc:
            return _result(exc.code, exc.read(), info)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise CliError(
                    f"wf dev at {self.base_url} did not answer within {TIMEOUT_S:g} s"
                ) from None
            raise CliError(
                f"Could not connect to wf dev at {self.base_url} ({reason}). "
                "Is `wf dev` running? Pick the server with --port/--host or WF_PORT."
            ) from None


def quote(segment: str) -> str:
    """One path segment, escaped as wrangler does with encodeURIComponent."""
    return _quote(segment, safe="")


@cache
def _opener() -> Any:
    # Imported on first use: `wf dev` and `--help` never pay for urllib.request.
    import urllib.request

    # Proxies from the environment must not see loopback calls to the dev server.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _result(status: int, raw: bytes, info: dict[str, Any] | None = None) -> Any:
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or "success" not in payload:
        snippet = raw[:200].decode(errors="replace").strip().replace("\n", " ")
        raise CliError(f"Unexpected answer from wf dev (HTTP {status}): {snippet or 'empty body'}")
    if status >= 400 or not payload.get("success"):
        errors = payload.get("errors") or []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        code = first.get("code")
        raise CliError(
            str(first.get("message") or f"HTTP {status}"),
            status=status,
            code=code if isinstance(code, int) else None,
        )
    if info is not None and isinstance(payload.get("result_info"), dict):
        info.update(payload["result_info"])
    return payload.get("result")
