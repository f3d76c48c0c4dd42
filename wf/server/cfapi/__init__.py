"""Cloudflare's v4 REST API for Workflows, served by ``wf dev`` under ``/client/v4``.

So scripts and back-ends that drive workflows through the official ``cloudflare`` SDK
(``Cloudflare(base_url="http://127.0.0.1:8787/client/v4", api_token="x")``) or Cloudflare's
``curl`` recipes run against wf unchanged. The rest of ``/client/v4/`` answers Cloudflare's
"no route" error rather than reaching the Worker.
"""

from __future__ import annotations

from aiohttp import web

from wf.server.cfapi import routes

__all__ = ["PREFIX", "add_routes"]

PREFIX = "/client/v4"


def add_routes(app: web.Application) -> None:
    """Register the routes (before the Worker's catch-all route)."""
    app[routes.SEEN_VERSIONS] = {}
    wf = PREFIX + "/accounts/{account_id}/workflows/{workflow_name}"
    one = wf + "/instances/{instance_id}"
    add = app.router.add_route
    add("GET", PREFIX + "/accounts/{account_id}/workflows", routes.list_workflows)
    add("GET", wf, routes.get_workflow)
    add("PUT", wf, routes.put_workflow)
    add("DELETE", wf, routes.delete_workflow)
    add("GET", wf + "/instances", routes.list_instances)
    add("POST", wf + "/instances", routes.create_instance)
    add("POST", wf + "/instances/batch", routes.create_batch)
    add("GET", one, routes.get_instance)
    add("GET", one + "/step", routes.get_step)
    add("PATCH", one + "/status", routes.change_status)
    add("POST", one + "/events/{event_type}", routes.send_event)
    add("GET", wf + "/versions", routes.list_versions)
    add("GET", wf + "/versions/{version_id}", routes.get_version)
    add("GET", wf + "/versions/{version_id}/graph", routes.get_version_graph)
    add("*", PREFIX + "/{tail:.*}", routes.no_route)
