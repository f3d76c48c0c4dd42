"""The public surface of wf.testing, and how pytest finds the plugin."""

from __future__ import annotations

import importlib.metadata

import wf.testing


def test_public_api_is_stated_in_all():
    assert wf.testing.__all__ == [
        "Emulator",
        "InstanceIntrospector",
        "Modifier",
        "ReplayDivergence",
        "StepFailed",
        "StepSelector",
        "TimeMode",
        "WaitTimeout",
        "WorkflowFailed",
        "WorkflowIntrospector",
        "WorkflowTestError",
    ]
    for name in wf.testing.__all__:
        assert hasattr(wf.testing, name)


def test_public_functions_have_docstrings():
    for name in wf.testing.__all__:
        value = getattr(wf.testing, name)
        for attr, member in vars(value).items() if isinstance(value, type) else []:
            if callable(member) and not attr.startswith("_"):
                assert member.__doc__, f"{name}.{attr} has no docstring"


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    points = importlib.metadata.entry_points(group="pytest11")
    assert any(p.name == "wf" and p.value == "wf.testing.plugin" for p in points)


def test_errors_form_one_family():
    from wf.testing import (
        ReplayDivergence,
        StepFailed,
        WaitTimeout,
        WorkflowFailed,
        WorkflowTestError,
    )

    for error in (ReplayDivergence, StepFailed, WaitTimeout, WorkflowFailed):
        assert issubclass(error, WorkflowTestError)
    assert issubclass(WaitTimeout, TimeoutError)
