"""The scenario reference (``docs/scenarios.md``), written from the schema itself.

Every key, its type, its allowed values, its default and its meaning come from the classes
of :mod:`sim.scenario`, so the reference cannot drift from what the loader accepts
(``tests/test_scenario_docs.py`` checks the committed file is current).
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, MaxLen, MinLen
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sim.scenario import schema

INTRO = """# Scenario files

A scenario is a TOML file. This reference is generated from the schema
(`talentwar schema --markdown`); `talentwar schema` prints the same as JSON Schema for
editors. Loading is strict: an unknown key, a wrong type or an impossible value stops with
an error naming the file and the key.

- `extends = "base.toml"` (path relative to the file): the file is merged over its base.
  Tables merge key by key, `[[events]]` are appended to the base's timeline, any other value
  (lists included) replaces the base's.
- `talentwar run FILE --set KEY=VALUE` changes one value for a run, by dotted path
  (`market.engineers=20000`, `firms.Meta.policy.counter_offer="match"`,
  `generated_firms.0.outreach=5`); the value is read as TOML.
- Pay figures are in `market.pay_period` units (dollars a year by default); outputs are
  always in dollars a year.

Shipped examples: `scenarios/ai_talent_war_2024.toml` (the flagship, every number
sourced), `scenarios/textbook_job_ladder.toml` (the textbook limit), and the
counterfactuals in `scenarios/counterfactuals/`.
"""

SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("Top level", schema.Scenario, ""),
    ("[market]", schema.Market, "market"),
    ("[tiers.NAME]", schema.Tier, "tiers.NAME"),
    ("[tiers.NAME.productivity]", schema.Productivity, "tiers.NAME.productivity"),
    ("[tiers.NAME.weights]", schema.Weights, "tiers.NAME.weights"),
    ("[choice]", schema.Choice, "choice"),
    ("[compute]", schema.Compute, "compute"),
    ("[economy]", schema.Economy, "economy"),
    ("[antitrust]", schema.Antitrust, "antitrust"),
    ("[equity.KIND_OR_FIRM]", schema.Vesting, "equity.KIND_OR_FIRM"),
    ("[firms.NAME]", schema.Firm, "firms.NAME"),
    ("[firms.NAME.amenities]", schema.Amenities,
     "firms.NAME.amenities, generated_firms[k].amenities"),
    ("[[generated_firms]]", schema.GeneratedFirms, "generated_firms[k]"),
    ("Spread (a value spread over generated firms)", schema.Spread, "{min, max, spread}"),
    ("[firm_defaults], [firms.NAME.policy], [policy_override]", schema.Policy, "policy"),
    *((f'[[events]] type = "{typing.get_args(event.model_fields["type"].annotation)[0]}"',
       event, "events[k]") for event in typing.get_args(typing.get_args(schema.AnyEvent)[0])),
    ("The amenities of an `amenity_change` event", schema.PartialAmenities,
     "events[k].amenities"),
]
"""The reference's sections: (title, table class, key path). Every table of the schema
and every event type has one (``tests/scenario/test_reference.py`` walks the schema)."""


def type_name(annotation: Any) -> str:
    """A short, readable name of a field's type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return " \\| ".join(f'"{a}"' for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(names))
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return f"table of {type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        name = annotation.__name__
        return "table" if not name.endswith("Override") else "table (policy keys)"
    return getattr(annotation, "__name__", str(annotation))


def bounds(metadata: list[Any]) -> str:
    """Allowed range from a field's constraints, e.g. '>= 0, <= 1'."""
    parts = []
    for item in metadata:
        for cls, symbol, attr in ((Ge, ">=", "ge"), (Gt, ">", "gt"), (Le, "<=", "le"),
                                  (MinLen, "length >=", "min_length"),
                                  (MaxLen, "length <=", "max_length")):
            if isinstance(item, cls):
                parts.append(f"{symbol} {getattr(item, attr):g}")
    return ", ".join(parts)


def default_text(info: Any) -> str:
    """The default of a field as it would be written in TOML (or 'required')."""
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()
        if isinstance(value, BaseModel):
            return "(table defaults)"
    else:
        value = info.default
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value >= 1e5:
        return f"{value:,.0f}".replace(",", "_")
    return repr(value)


def table(model: type[BaseModel]) -> list[str]:
    """Markdown rows, one per key of ``model``."""
    rows = ["| key | type | allowed | default | meaning |", "|---|---|---|---|---|"]
    for name, info in model.model_fields.items():
        if name == "type":
            rows.append(f"| `type` | {type_name(info.annotation)} | | required | "
                        "Which kind of event. |")
            continue
        meaning = (info.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{name}` | {type_name(info.annotation)} | {bounds(info.metadata)} | "
                    f"{default_text(info)} | {meaning} |")
    return rows


def markdown_reference() -> str:
    """The whole scenario reference as Markdown."""
    lines = [INTRO]
    for title, model, path in SECTIONS:
        lines.append(f"## {title}")
        lines.append("")
        doc = (model.__doc__ or "").strip()
        if doc:
            lines.append(" ".join(doc.split()))
            lines.append("")
        if path:
            lines.append(f"Key path: `{path}`.")
            lines.append("")
        lines.extend(table(model))
        lines.append("")
    return "\n".join(lines)
