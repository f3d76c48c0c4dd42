"""What the data commands (`wf d1|kv|r2`) read of the project's engine state: its virtual now."""

from __future__ import annotations

import time
from pathlib import Path


def virtual_now(state: Path) -> float:
    """The project's virtual now in epoch ms, from the clock `wf dev` saved (else the wall)."""
    wall = time.time() * 1000.0
    if not state.exists():
        return wall
    from emulator.engine import saved_clock
    from emulator.store import Store

    store = Store(state)
    try:
        saved = saved_clock(store)
    finally:
        store.close()
    if not saved or "now" not in saved:
        return wall
    now = float(saved["now"])
    if saved.get("mode") == "manual":
        return now
    rate = float(saved.get("scale", 1.0)) if saved.get("mode") == "scale" else 1.0
    return max(now, now + (wall - float(saved.get("wall", now))) * rate)
