"""`workers.workflows`: names user Workflow code imports (`NonRetryableError`)."""

from __future__ import annotations

__all__ = ["NonRetryableError"]


class NonRetryableError(Exception):
    """Raised from a step to fail it at once, without using the remaining retries."""
