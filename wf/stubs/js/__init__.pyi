# `js`: the Worker's JavaScript global scope. Its names are JS objects, typed Any here;
# pywrangler's generated js stubs (or your own) can be more precise.
from typing import Any

def __getattr__(name: str) -> Any: ...
