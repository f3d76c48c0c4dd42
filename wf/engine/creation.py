"""What ``create`` and ``createBatch`` accept: options, ids, params, retention, batches."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wf import serialization
from wf.engine.limits import MAX_BATCH, validate_instance_id
from wf.errors import (
    WorkflowError,
)
from wf.retention import Retention, RetentionError, parse_retention

if TYPE_CHECKING:
    pass


def prepare(options: Mapping[str, Any] | None) -> tuple[str, str]:
    """The id (given, or a new UUID) and the encoded params of one create's options."""
    options = dict(options or {})
    instance_id = options.get("id", options.get("instance_id"))
    if instance_id is None:
        instance_id = str(uuid.uuid4())
    validate_instance_id(instance_id)
    params = options.get("params")
    try:
        text = serialization.dumps({} if params is None else params, "params")
    except serialization.NotSerializable as exc:
        raise WorkflowError(f"params: {exc}") from None
    if serialization.size_of(text) > serialization.MAX_BYTES:
        raise WorkflowError("params: the payload is larger than 1 MiB", "too_large")
    return instance_id, text


# The regions `create(locationHint=...)` takes (workers-types WorkflowInstanceCreateOptions).
LOCATION_HINTS = frozenset({"wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"})


def creation_retention(options: Mapping[str, Any] | None) -> Retention | None:
    """The ``retention`` of create options; also checks ``locationHint``, which wf ignores."""
    options = options or {}
    hint = options.get("locationHint")
    if hint is not None and hint not in LOCATION_HINTS:
        raise WorkflowError(
            f"locationHint: must be one of {', '.join(sorted(LOCATION_HINTS))} (got {hint!r})"
        )
    if options.get("retention") is None:
        return None
    try:
        return parse_retention(options["retention"], config=False)
    except RetentionError as exc:
        raise WorkflowError(f"retention: {exc}") from None


def batch_entries(options: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The create options of each instance of ``createBatch``'s object form."""
    has_count, has_list = "count" in options, "instances" in options
    if has_count == has_list:
        raise WorkflowError("createBatch() takes an object with either 'count' or 'instances'")
    if has_list:
        entries = options["instances"]
        extra = sorted(set(options) - {"instances"})
        if extra:
            raise WorkflowError(f"createBatch(instances=...): unexpected field {extra[0]!r}")
        if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
            raise WorkflowError("createBatch(): 'instances' must be a list of create options")
    else:
        count = options["count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise WorkflowError(f"createBatch(): 'count' must be an integer >= 1 (got {count!r})")
        if "id" in options:
            raise WorkflowError("createBatch(count=...): each instance gets a generated id")
        shared = {k: v for k, v in options.items() if k != "count"}
        entries = [dict(shared) for _ in range(min(count, MAX_BATCH + 1))]
    if not entries:
        raise WorkflowError("batchCreate should have at least 1 instance")
    if len(entries) > MAX_BATCH:
        raise WorkflowError(f"batchCreate takes at most {MAX_BATCH} instances")
    return list(entries)
