"""What compared runs changed: the keys whose values differ between resolved scenarios.

A run's ``manifest.json`` holds its scenario as resolved (``extends`` followed, ``--set``
applied, defaults filled in), so two runs of a scenario and its variant differ exactly in
the keys the variant (or the command line) changed. Scenarios are flattened into dotted
key paths (``policy_override.counter_offer``, ``events[2].price``) and compared path by
path; the run's seed is compared as the key ``seed``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

ABSENT = "(absent)"
"""How a key that one run's scenario does not have is shown."""


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of nested tables and arrays, by dotted path (arrays by ``[index]``).

    An empty table or array is a leaf of its own.
    """
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for k, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{k}]"))
        return out
    return {prefix: value}


def show(value: Any) -> str:
    """A scenario value as a scenario file would write it: strings unquoted, whole
    numbers without a decimal point, ``unset`` for a key left to its default."""
    if isinstance(value, str):
        return value
    if value is None:
        return "unset"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # 10000.0 as the file wrote it: 10000
    return json.dumps(value, ensure_ascii=False)


def scenario_differences(scenarios: Sequence[Mapping[str, Any]]
                         ) -> list[tuple[str, list[str]]]:
    """The key paths whose values are not the same in all ``scenarios``, in the order
    they first appear, each with every scenario's value as text (:data:`ABSENT` where a
    scenario lacks the key).

    ``scenarios`` are resolved scenarios as run manifests record them; put the run's
    ``seed`` in as a top-level key to compare it too.
    """
    flat = [flatten(s) for s in scenarios]
    paths: list[str] = []
    seen: set[str] = set()
    for table in flat:
        for path in table:
            if path not in seen:
                seen.add(path)
                paths.append(path)
    missing = object()
    rows = []
    for path in paths:
        values = [table.get(path, missing) for table in flat]
        shown = [ABSENT if v is missing else show(v) for v in values]
        if len(set(shown)) > 1:
            rows.append((path, shown))
    return rows
