"""What compared runs changed: the keys whose values differ between resolved scenarios.

A run's ``manifest.json`` holds its scenario as resolved (``extends`` followed, ``--set``
applied, defaults filled in), so two runs of a scenario and its variant differ exactly in
the keys the variant (or the command line) changed. Scenarios are flattened into dotted
key paths (``policy_override.counter_offer``, ``events[2].price``) and compared path by
path; the run's seed is compared as the key ``seed``. :func:`changes_html` shows them on a
report page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from sim.output.pagekit import Block, esc, fmt, heading, para, table

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
    for leaves in flat:
        for path in leaves:
            if path not in seen:
                seen.add(path)
                paths.append(path)
    missing = object()
    rows = []
    for path in paths:
        values = [leaves.get(path, missing) for leaves in flat]
        shown = [ABSENT if v is missing else show(v) for v in values]
        if len(set(shown)) > 1:
            rows.append((path, shown))
    return rows


def with_seed(manifest: Any) -> dict[str, Any]:
    """The resolved scenario of a run's manifest with the run's seed as its ``seed``."""
    scenario = dict(manifest.get("scenario") or {})
    if "seed" in manifest:
        scenario["seed"] = manifest["seed"]
    return scenario


def _breakable(path: str) -> Markup:
    """A key path, escaped, that may wrap after each dot (and nowhere else)."""
    return Markup(".<wbr>").join(esc(part) for part in path.split("."))


def changes_html(labels: Sequence[str], scenarios: Sequence[dict[str, Any]]) -> list[Block]:
    """What each run changed: the scenario keys whose values differ between the runs (one
    column per run), then each run's changes against the first as ``key: old → new``."""
    rows = scenario_differences(scenarios)
    if not rows:
        return [para("The runs' resolved scenarios and seeds are the same.")]
    lists = []
    for k, label in enumerate(labels[1:], start=1):
        items = Markup("").join(
            fmt("<li><code>{}</code>: {} → {}</li>", path, values[0], values[k])
            for path, values in rows if values[k] != values[0])
        lists.append(fmt("<li><b>{}</b>{}</li>", label, fmt("<ul>{}</ul>", items) if items
                         else ": the same as the reference"))
    return [
        para(fmt("{} key(s) of the resolved scenarios (as each run's manifest records them, "
                 "with the run's seed as <code>seed</code>) differ between the runs.",
                 len(rows))),
        table(["key", *labels], ([_breakable(path), *values] for path, values in rows),
              "changes", cell_classes=[["key"] + [""] * len(labels)] * len(rows)),
        heading(f"Changes against the reference ({labels[0]})"),
        fmt("<ul>{}</ul>", Markup("").join(lists)),
    ]
