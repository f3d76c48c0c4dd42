"""Values stored for params, payloads and results: the encoding, and errors naming the path."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from wf import serialization
from wf.serialization import NotSerializable


def test_plain_and_tagged_values_round_trip() -> None:
    value = {
        "n": 1,
        "f": 1.5,
        "s": "x",
        "list": [1, None, True, {"deep": [2]}],
        "tuple": (1, 2),
        3: "int key",
        "set": {7},
        "nan": math.nan,
        "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    text = serialization.dumps(value)
    back = serialization.loads(text)
    assert back["n"] == 1 and back["f"] == 1.5 and back["s"] == "x"
    assert back["list"] == [1, None, True, {"deep": [2]}]
    assert back["tuple"] == [1, 2]
    assert back["3"] == "int key"
    assert back["set"] == {7}
    assert math.isnan(back["nan"])
    assert back["when"] == datetime(2026, 1, 2, 3, 4, 5)  # naive UTC, as the SDK hands it


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": [1, object()]}, "params.a[1]: object"),
        ({"a": {"b": {(1, 2): 3}}}, "params.a.b: dict key (1, 2)"),
        ([{"ok": 1}, {"bad": b"bytes"}], "params[1].bad: bytes"),
    ],
)
def test_what_cannot_be_stored_is_named_by_its_path(value: object, where: str) -> None:
    with pytest.raises(NotSerializable) as caught:
        serialization.dumps(value, "params")
    assert str(caught.value).startswith(where)
