"""The app's controls: scenario keys a user turns, typed and bounded by the scenario schema.

Each control is a dotted key of the scenario file (``compute.threshold``,
``firms.Meta.policy.counter_offer``). Its type, its bounds and its choices are read from
the schema's own field (:mod:`sim.scenario.schema`: ``Field(ge=..., le=...)``, ``Literal``),
so a slider never offers a value the schema refuses; a side the schema leaves open gets a
range around the scenario's value. Settings become a scenario the one way every scenario
does: ``--set`` overrides (:func:`sim.scenario.apply_overrides`) validated by the schema
(:func:`sim.scenario.validate`), whose error names the key and the value.
"""

from __future__ import annotations

import json
import math
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from sim.scenario import Scenario, apply_overrides, validate

Kind = Literal["float", "int", "choice", "bool"]
LIVE_ENGINEERS = 10_000
"""The app's default market size: at most this many engineers (a month takes ~20 ms)."""
SLIDER_STEPS = 100
"""Steps of a float slider over its range."""


@dataclass(frozen=True)
class Control:
    """One control of the app.

    Attributes
    ----------
    key : str
        The dotted scenario key it sets.
    label : str
        What the page calls it.
    kind : {"float", "int", "choice", "bool"}
        The type of its values.
    value : Any
        Its value in the scenario as loaded.
    low, high : float or None
        The range a slider offers (inside the schema's bounds).
    step : float or None
        A slider's step.
    choices : tuple of str
        The values of a choice.
    help : str
        The schema's description of the key.
    """

    key: str
    label: str
    kind: Kind
    value: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class SchemaField:
    """What the schema says of one key: its type, bounds, choices and description."""

    kind: Kind
    low: float | None
    low_open: bool
    high: float | None
    choices: tuple[str, ...]
    description: str


def _unwrap(annotation: Any, bounds: list[Any]) -> Any:
    """``annotation`` without ``Annotated`` (its metadata added to ``bounds``) and without
    ``None`` in a union (the table or value it makes optional)."""
    while True:
        if get_origin(annotation) is Annotated:
            base, *meta = get_args(annotation)
            for item in meta:
                bounds.extend(getattr(item, "metadata", [item]))
            annotation = base
        elif get_origin(annotation) in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models and len(options) > 1 else options[0]
        else:
            return annotation


def schema_field(key: str) -> SchemaField:
    """The schema's field of dotted scenario key ``key`` (a firm or tier name in the path
    walks into that table's entries).

    Raises
    ------
    KeyError
        If the schema has no such key, or it is not a number, a boolean or a choice.
    """
    node: Any = Scenario
    bounds: list[Any] = []
    parts = key.split(".")
    k = 0
    description = ""
    while k < len(parts):
        bounds = []
        if not (isinstance(node, type) and issubclass(node, BaseModel)):
            raise KeyError(key)
        info = node.model_fields.get(parts[k])
        if info is None:
            raise KeyError(key)
        description = info.description or ""
        bounds.extend(info.metadata)
        node = _unwrap(info.annotation, bounds)
        k += 1
        if get_origin(node) is dict:  # a table of named entries: the next part is a name
            node = _unwrap(get_args(node)[1], bounds)
            k += 1
    if get_origin(node) is Literal:
        return SchemaField("choice", None, False, None, tuple(map(str, get_args(node))),
                           description)
    kind: Kind
    if node is bool:
        kind = "bool"
    elif node is int:
        kind = "int"
    elif node is float:
        kind = "float"
    else:
        raise KeyError(key)
    low = high = None
    low_open = False
    for bound in bounds:
        if isinstance(bound, Ge):
            low = float(bound.ge)  # type: ignore[arg-type]
        elif isinstance(bound, Gt):
            low, low_open = float(bound.gt), True  # type: ignore[arg-type]
        elif isinstance(bound, Le):
            high = float(bound.le)  # type: ignore[arg-type]
        elif isinstance(bound, Lt):
            high = float(bound.lt)  # type: ignore[arg-type]
    return SchemaField(kind, low, low_open, high, (), description)


def value_at(data: Mapping[str, Any], key: str) -> Any:
    """The value of dotted key ``key`` in scenario data (None where it is absent)."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _nice(x: float) -> float:
    """``x`` rounded up to 1, 2 or 5 times a power of ten."""
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x)


def make_control(key: str, label: str, value: Any, *, low: float | None = None,
                 high: float | None = None) -> Control:
    """A control of ``key`` at ``value``: its type and choices from the schema; a slider's
    range is ``[low, high]`` clipped to the schema's bounds (a side the schema leaves open
    and the caller does not give: from 0 or a tenth of the value to four times it)."""
    field = schema_field(key)
    if field.kind in ("choice", "bool"):
        return Control(key, label, field.kind, value, choices=field.choices,
                       help=field.description)
    v = float(value)
    lo = low if low is not None else (field.low if field.low is not None else 0.0)
    if field.low is not None:
        lo = max(lo, field.low)
    if field.low_open and lo <= (field.low or 0.0):
        lo = _nice(v / 10) if v > 0 else 1.0
    hi = high if high is not None else _nice(max(4 * v, 1.0))
    if field.high is not None:
        hi = min(hi, field.high)
    if field.kind == "int":
        lo, hi = math.ceil(lo), math.floor(hi)
        step: float = 1 if hi - lo <= 10_000 else _nice((hi - lo) / SLIDER_STEPS)
    else:
        step = _nice((hi - lo) / SLIDER_STEPS) / 2 if hi > lo else 1.0
    # A slider snaps to low + k step: put the scenario's value on that grid.
    lo = v - math.floor((v - lo) / step) * step if lo <= v else lo
    if field.kind == "int":
        return Control(key, label, "int", int(value), int(lo), hi, int(step),
                       help=field.description)
    return Control(key, label, "float", v, lo, hi, step, help=field.description)


def scenario_controls(scenario: Scenario) -> list[Control]:
    """The app's controls of a scenario: the seed, the market size, the GPU threshold and
    the top tier's GPU weight, the funding climate (the chance a start-up short of runway
    closes a round), the antitrust rule and its threshold, and each named firm's
    counter-offer policy and outreach capacity."""
    data = scenario.to_dict()
    top = next(iter(scenario.tiers))
    controls = [
        make_control("seed", "seed", scenario.seed, low=0, high=max(9_999, 2 * scenario.seed)),
        make_control("market.engineers", "market size (engineers)",
                     scenario.market.engineers, low=1_000,
                     high=max(100_000, scenario.market.engineers)),
        make_control("compute.threshold", "GPU threshold (H100s)", scenario.compute.threshold,
                     low=1_000, high=max(100_000, scenario.compute.threshold)),
        make_control(f"tiers.{top}.weights.gpu", f"{top}: weight of GPU access",
                     scenario.tiers[top].weights.gpu),
        make_control("economy.funding_rate", "funding climate: monthly chance of a round",
                     scenario.economy.funding_rate),
        make_control("antitrust.enabled", "antitrust review", scenario.antitrust.enabled),
        make_control("antitrust.rule", "antitrust rule", scenario.antitrust.rule),
        make_control("antitrust.threshold", "antitrust threshold (top_share, hhi_delta)",
                     scenario.antitrust.threshold, low=0,
                     high=antitrust_range(scenario.antitrust.rule)),
        make_control("antitrust.us_hhi_level", "US 2023: HHI level (0-10,000)",
                     scenario.antitrust.us_hhi_level, low=0, high=10_000),
        make_control("antitrust.us_hhi_delta", "US 2023: HHI rise",
                     scenario.antitrust.us_hhi_delta, low=0, high=10_000),
        make_control("antitrust.us_share", "US 2023: share of the merged firm (%)",
                     scenario.antitrust.us_share, low=0, high=100),
        make_control("antitrust.eu_low_delta", "EU 2004: rise allowed up to the band level",
                     scenario.antitrust.eu_low_delta, low=0, high=10_000),
        make_control("antitrust.eu_high_delta", "EU 2004: rise allowed above the band level",
                     scenario.antitrust.eu_high_delta, low=0, high=10_000),
    ]
    defaults = scenario.firm_defaults
    # counts of people a month are stated at market.teams_at and scaled to the market
    stated_at = ("" if scenario.market.teams_at is None
                 else f" (at {scenario.market.teams_at:,} engineers)")
    for name, firm in scenario.firms.items():
        policy = value_at(data, f"firms.{name}.policy.counter_offer") or defaults.counter_offer
        controls.append(make_control(f"firms.{name}.policy.counter_offer",
                                     f"{name}: counter-offers", policy))
        controls.append(make_control(f"firms.{name}.outreach",
                                     f"{name}: outreach a month{stated_at}",
                                     firm.outreach, low=0, high=max(50, 2 * firm.outreach)))
    return controls


def antitrust_range(rule: str) -> float:
    """The upper end of the antitrust threshold's slider: 100 (a share in percent) for
    ``top_share``, 10,000 (HHI points) for the others (the threshold is read by
    ``top_share`` and ``hhi_delta`` only)."""
    return 100.0 if rule == "top_share" else 10_000.0


def live_settings(scenario: Scenario) -> dict[str, Any]:
    """The settings the app starts from: the scenario as loaded, at most
    :data:`LIVE_ENGINEERS` engineers."""
    if scenario.market.engineers > LIVE_ENGINEERS:
        return {"market.engineers": LIVE_ENGINEERS}
    return {}


def apply_settings(scenario: Scenario, settings: Mapping[str, Any]) -> Scenario:
    """``scenario`` with ``settings`` (dotted key -> value) applied, validated by the
    schema (a :class:`~sim.errors.UserError` naming the key and value if it refuses)."""
    if not settings:
        return scenario
    data = apply_overrides(scenario.to_dict(), dict(settings))
    shown = ", ".join(f"{key}={json.dumps(value)}" for key, value in settings.items())
    return validate(data, f"{scenario.name} (with {shown})")
