"""The scenario format: its schema (:mod:`sim.scenario.schema`), loading with ``extends``
and ``--set`` (:mod:`sim.scenario.loading`) and the generated reference
(:mod:`sim.scenario.reference`)."""

from sim.scenario.loading import (
    SCENARIO_KEYS,
    OverrideError,
    Overrides,
    apply_overrides,
    deep_merge,
    format_validation_error,
    json_schema,
    load_scenario,
    parse_override,
    parse_overrides,
    parse_toml_file,
    read_toml,
    validate,
)
from sim.scenario.schema import Scenario

__all__ = [
    "SCENARIO_KEYS",
    "OverrideError",
    "Overrides",
    "Scenario",
    "apply_overrides",
    "deep_merge",
    "format_validation_error",
    "json_schema",
    "load_scenario",
    "parse_override",
    "parse_overrides",
    "parse_toml_file",
    "read_toml",
    "validate",
]
