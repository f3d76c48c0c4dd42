# `workers.workflows`, as the runtime SDK ships it.
__all__ = ["NonRetryableError"]

class NonRetryableError(Exception):
    """Raise it from a step to fail the step at once, without the remaining retries."""
