"""The sweep file: its schema (:class:`SweepSpec` and its parts) and reading it.

A *sweep file* (TOML) names a base scenario, the parameters to vary (scenario key paths, as
for ``--set``), a design (full grid, random, Latin hypercube, Sobol or Morris), replicates
per design point, and the ``market.csv`` measures to keep. See docs/sweeps.md for the
reference of every key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

from pydantic import Field, ValidationError, ValidationInfo, model_validator

from sim.errors import UserError
from sim.scenario import (
    SCENARIO_KEYS,
    format_validation_error,
    load_scenario,
    parse_overrides,
    parse_toml_file,
)
from sim.scenario.schema import NAME_PATTERN, Strict

Scalar = bool | int | float | str
Window = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]


class Parameter(Strict):
    """One varied scenario value: a list of values, or a numeric range ``min``..``max``."""

    key: str = Field(description="Scenario key path, as for --set (e.g. compute.threshold).")
    values: Annotated[list[Scalar], Field(min_length=1)] | None = Field(
        default=None,
        description="Values to use (numbers, strings or booleans; categorical allowed).",
    )
    min: float | None = Field(default=None, description="Lower end of a numeric range.")
    max: float | None = Field(default=None, description="Upper end of a numeric range.")
    steps: Annotated[int, Field(ge=2, le=100_000)] | None = Field(
        default=None, description="Grid points from min to max inclusive (grid designs)."
    )
    scale: Literal["linear", "log"] = Field(
        default="linear", description="Spacing/sampling of a range: linear, or even in log10."
    )
    integer: bool = Field(default=False, description="Round range values to whole numbers.")
    label: str | None = Field(default=None, description="Axis label with units, for plots.")

    @model_validator(mode="after")
    def _one_form(self, info: ValidationInfo) -> Parameter:
        has_range = self.min is not None or self.max is not None
        if self.values is not None and (has_range or self.steps is not None):
            raise ValueError("give either values or min/max (and steps), not both")
        if self.values is None:
            if self.min is None or self.max is None:
                raise ValueError("give values = [...] or both min and max")
            if not (math.isfinite(self.min) and math.isfinite(self.max)):
                raise ValueError("min and max must be finite numbers")
            if not self.min < self.max:
                raise ValueError("min must be below max")
            if not math.isfinite(self.max - self.min):
                raise ValueError("max - min must be a finite number (the range is too wide)")
            if self.scale == "log" and self.min <= 0:
                raise ValueError("scale = 'log' needs min > 0")
        elif len({json.dumps(v) for v in self.values}) != len(self.values):
            raise ValueError("values must not repeat")
        elif not _saved(info):
            unused = sorted({"scale", "integer"} & self.model_fields_set)
            if unused:
                raise ValueError(f"{' and '.join(unused)} "
                                 + ("are" if len(unused) > 1 else "is")
                                 + " for a range (min and max); a list of values is used as "
                                 "written: remove " + ("them" if len(unused) > 1 else "it"))
        if self.key.startswith(".") or self.key.endswith(".") or ".." in self.key:
            raise ValueError("key must be a dotted key path like compute.threshold")
        return self

    @property
    def categorical(self) -> bool:
        """Whether the parameter is a list of values (rather than a range)."""
        return self.values is not None

    @property
    def choices(self) -> list[Scalar]:
        """The values of a categorical parameter (a range parameter has none)."""
        if self.values is None:
            raise TypeError(f"parameter {self.key!r} is a range, not a list of values")
        return self.values

    @property
    def bounds(self) -> tuple[float, float]:
        """``(min, max)`` of a range parameter (a categorical parameter has none)."""
        if self.min is None or self.max is None:
            raise TypeError(f"parameter {self.key!r} is a list of values, not a range")
        return self.min, self.max


class Measure(Strict):
    """A ``market.csv`` column to keep: its final value, a window mean, or the whole series."""

    column: str = Field(description="A market.csv column, e.g. top_share_above_threshold.")
    keep: Literal["final", "mean", "series"] = Field(
        default="final",
        description="final: value at the last month; mean: mean over `window`; series: all.",
    )
    window: Window | None = Field(
        default=None, description="[first, last] month (inclusive) of the mean (keep = 'mean')."
    )
    name: str | None = Field(
        default=None, description="Column name in measures.csv (default: column, or column_mean)."
    )
    label: str | None = Field(default=None, description="Axis label with units, for plots.")

    @model_validator(mode="after")
    def _window(self) -> Measure:
        if self.keep == "mean":
            if self.window is None:
                raise ValueError("keep = 'mean' needs window = [first_month, last_month]")
            if self.window[0] > self.window[1]:
                raise ValueError("window must be [first, last] with first <= last")
        elif self.window is not None:
            raise ValueError("window is only for keep = 'mean'")
        return self

    @property
    def out(self) -> str:
        """Name of the measure's column in ``measures.csv``."""
        if self.name:
            return self.name
        return f"{self.column}_mean" if self.keep == "mean" else self.column

    @property
    def span(self) -> tuple[int, int]:
        """``(first, last)`` month of the window of a ``keep = 'mean'`` measure."""
        if self.window is None:
            raise TypeError(f"measure {self.out!r} keeps {self.keep!r}, it has no window")
        return self.window[0], self.window[1]

    @property
    def display(self) -> str:
        """Label for plots."""
        if self.label:
            return self.label
        if self.keep == "mean":
            first, last = self.span
            return f"{self.column} (mean of months {first}-{last})"
        return self.column


class Design(Strict):
    """How design points are chosen from the parameters."""

    kind: Literal["grid", "random", "latin", "sobol", "morris"] = Field(
        default="grid",
        description=(
            "grid: every combination; random: independent uniform draws; latin: Latin "
            "hypercube; sobol: Saltelli/Sobol sample for Sobol indices; morris: Morris "
            "trajectories for elementary effects."
        ),
    )
    samples: Annotated[int, Field(ge=1, le=10_000_000)] | None = Field(
        default=None,
        description=(
            "random/latin: design points; sobol: base sample N (a power of 2; points = "
            "N(k+2), or N(2k+2) with second_order); morris: trajectories (points = N(k+1))."
        ),
    )
    second_order: bool = Field(default=False, description="Sobol: also second-order indices.")
    levels: Annotated[int, Field(ge=2, le=1000)] = Field(
        default=4, description="Morris: grid levels per parameter (even numbers recommended)."
    )
    resamples: Annotated[int, Field(ge=10, le=100_000)] = Field(
        default=1000, description="Sobol/Morris: bootstrap resamples for the confidence intervals."
    )
    conf_level: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        default=0.95, description="Confidence level of the intervals (Sobol/Morris and plot bands)."
    )

    @property
    def size(self) -> int:
        """``samples`` of a sampled (non-grid) design."""
        if self.samples is None:
            raise TypeError(f"a {self.kind} design has no samples")
        return self.samples

    @model_validator(mode="after")
    def _samples(self, info: ValidationInfo) -> Design:
        if self.kind == "grid":
            if self.samples is not None:
                raise ValueError("samples is not used by a grid (use steps or values)")
        elif self.samples is None:
            raise ValueError(f"design kind {self.kind!r} needs samples = N")
        if self.kind == "sobol" and self.samples and self.samples & (self.samples - 1):
            raise ValueError(f"sobol needs samples a power of 2 (e.g. 64), got {self.samples}")
        for key, kinds in (("second_order", ("sobol",)), ("levels", ("morris",)),
                           ("resamples", ("sobol", "morris"))):
            if key in self.model_fields_set and self.kind not in kinds and not _saved(info):
                raise ValueError(f"{key} is only for {' and '.join(kinds)} designs (design "
                                 f"is {self.kind!r}); remove it")
        return self


class SweepSpec(Strict):
    """A whole sweep file."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] = Field(
        default="sweep",
        description="Short name; the sweep folder is named after it: 1 to 64 letters, "
        "digits, '_', '.' or '-', starting with a letter or digit (as scenario names).",
    )
    description: str = Field(default="", description="What the sweep asks.")
    base: str = Field(description="Base scenario file, relative to the sweep file.")
    seed: Annotated[int, Field(ge=0)] = Field(default=0, description="Root seed of the sweep.")
    replicates: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=1, description="Runs per design point, each with its own seed."
    )
    months: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None, description="Months of every run (default: the base scenario's)."
    )
    overrides: list[str] = Field(
        default_factory=list,
        alias="set",
        description='Fixed overrides of every run, as for --set: ["market.engineers=10000"].',
    )
    parameters: Annotated[list[Parameter], Field(min_length=1)]
    design: Design = Field(default_factory=Design)
    measures: Annotated[list[Measure], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> SweepSpec:
        keys = [p.key for p in self.parameters]
        if len(set(keys)) != len(keys):
            raise ValueError(f"a parameter key appears twice: {keys}")
        fixed = [o.partition("=")[0].strip() for o in self.overrides]
        if "seed" in keys or "seed" in fixed:
            raise ValueError("seed cannot be a parameter or a fixed override: each run's seed "
                             "comes from the sweep's root seed; use replicates for more runs")
        names = [m.out for m in self.measures]
        if len(set(names)) != len(names):
            raise ValueError(f"measures need distinct names (set name = ...): {names}")
        if {"run_id", "month"} & set(names):
            raise ValueError("run_id and month are reserved measure names")
        if self.design.kind == "grid":
            for p in self.parameters:
                if not p.categorical and p.steps is None:
                    raise ValueError(f"grid design: parameter {p.key!r} needs steps or values")
        else:
            for k, p in enumerate(self.parameters):
                if p.steps is not None:
                    raise ValueError(f"parameters[{k}].steps ({p.key}): steps are only for "
                                     f"grid designs (design is {self.design.kind!r}); remove "
                                     "it")
        levels = self.design.levels
        for k, p in enumerate(self.parameters):
            # Morris moves a parameter on `levels` evenly spaced points of [0, n] (a list
            # of n values), level i at u = i n / (levels - 1) meaning value floor(u): each
            # value is as many levels only if levels is a multiple of n (3 values on 4
            # levels give p, q, r, r; 5 values on 4 levels never give the third). SALib's
            # trajectories stay on that grid only for an even number of levels (on 3
            # levels they jump from 0 to 3/4 of the range: the middle of 3 values never
            # comes).
            n = len(p.values) if p.values is not None else 0
            if (self.design.kind == "morris" and n and levels % math.lcm(2, n)
                    and not _saved(info)):
                step = math.lcm(2, n)
                raise ValueError(
                    f"parameters[{k}].values ({p.key}): a morris design moves each "
                    f"parameter on design.levels = {levels} levels, which do not give its "
                    f"{n} values equally (each must be as many levels, and levels even); "
                    f"set design.levels to a multiple of {step} ({step}, {2 * step}...), "
                    "or give a range")
        return self


def display_value(value: object) -> str:
    """A parameter value as a person writes it, in plots and reports: ``17,783``,
    ``0.05``, ``1e-06``, ``true``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)) or hasattr(value, "__float__"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        if not math.isfinite(number):
            return str(number)
        if 1_000 <= abs(number) < 1e15:
            return f"{number:,.0f}"
        if number == 0 or 1e-3 <= abs(number) < 1_000:
            return f"{number:.4g}"
        return f"{number:.3g}"
    return str(value)


def read_sweep_file(path: str | Path) -> tuple[SweepSpec, dict[str, Any]]:
    """Read and validate a sweep file; return the spec and the raw TOML data.

    Raises :class:`UserError` naming the file, the key path and what was expected.
    """
    path = Path(path)
    data = parse_toml_file(path, "sweep")
    return parse_sweep(data, str(path)), data


def _saved(info: ValidationInfo) -> bool:
    """Whether the data validated is a sweep folder's recorded file (``sweep.json``), which
    the rules added since it was written do not refuse: such a folder stays readable and
    resumable (the rules refuse new sweep files)."""
    return bool(info.context and info.context.get("saved"))


def parse_sweep(data: dict[str, Any], source: str, *, saved: bool = False) -> SweepSpec:
    """Validate sweep data (a parsed TOML table), naming ``source`` in errors; ``saved``:
    the data a sweep folder recorded (:func:`_saved`)."""
    scenario = [key for key in SCENARIO_KEYS if key in data]
    if scenario and "base" not in data:
        raise UserError(f"{source}: a scenario file (it has {scenario[0]!r}), not a sweep "
                        "file; a sweep file names its scenario as base = \"FILE\" "
                        "(docs/sweeps.md)")
    try:
        return SweepSpec.model_validate(data, context={"saved": saved})
    except ValidationError as err:
        raise UserError(format_validation_error(source, err, SweepSpec)) from None


def sweep_json_schema() -> str:
    """The JSON Schema (2020-12) of sweep files, for editors (``talentwar schema --kind
    sweep``)."""
    schema = SweepSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "talentwar sweep"
    return json.dumps(schema, indent=2)


def load_base(path: Path, base: str, overrides: Sequence[str], months: int | None,
              what: str) -> dict[str, Any]:
    """The base scenario a sweep (or calibration: ``what``) file ``path`` names, relative
    to the file, with the file's fixed overrides and horizon, as plain data; a
    :class:`UserError` naming the file if the base is missing or invalid."""
    base_path = path.parent / base
    try:
        found = base_path.is_file()
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: base: cannot use {base[:80]!r} as a file name: "
                        f"{err}") from None
    if not found:
        raise UserError(f"{path}: base: no such scenario file {base} (looked at "
                        f"{base_path})")
    try:
        fixed = parse_overrides(overrides)
        if months:
            fixed.pop("months", None)
            fixed["months"] = months
        return load_scenario(base_path, fixed).to_dict()
    except UserError as err:
        raise UserError(f"{path}: base/set: the base scenario with the {what}'s fixed "
                        f"overrides is invalid:\n{err}") from None


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


class _WithParameters(Protocol):
    @property
    def parameters(self) -> Sequence[_Keyed]: ...


SpecT = TypeVar("SpecT", bound=_WithParameters)


@dataclass
class SpecPlan(Generic[SpecT]):
    """What a validated sweep or calibration file gives to run: the parts both share.

    Attributes
    ----------
    spec : SweepSpec or CalibrationSpec
        The file, validated.
    raw : dict
        The file's table as read (recorded in the run's manifest).
    source : str
        The file's path.
    base_path : str
        The base scenario's file (:func:`load_base`).
    base : dict
        The base scenario with the file's fixed overrides and horizon, as plain data.
    """

    spec: SpecT
    raw: dict[str, Any]
    source: str
    base_path: str
    base: dict[str, Any]

    @property
    def keys(self) -> list[str]:
        """Parameter keys, in file order."""
        return [p.key for p in self.spec.parameters]
