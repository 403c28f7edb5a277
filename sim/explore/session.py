"""What the app does, without the page: the settings a user has turned, the model they give,
saving them as a scenario file, and comparing them with the start over paired replicates.

Nothing here needs the ``explore`` extra: the page (:mod:`sim.explore.app`) only draws it.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError
from sim.explore.controls import (
    Control,
    apply_settings,
    live_settings,
    scenario_controls,
    value_at,
)
from sim.files import write_text
from sim.model import TalentMarket
from sim.output.charts import RunTables
from sim.output.replicates import ReplicateFolder, paired_differences
from sim.scenario import Scenario, load_scenario
from sim.sweeps.replicates import run_replicates

COMPARE_PAIRS = 4
"""Replicates of each side of "Compare with the start" (paired by seed)."""
COMPARE_WORKERS = 2
"""Local worker processes of a comparison."""


@dataclass
class Explorer:
    """A scenario as loaded, the settings the app starts from, and the settings now.

    Parameters
    ----------
    base : Scenario
        The scenario as loaded.
    source : str
        Where it was loaded from (for the saved file's header).
    """

    base: Scenario
    source: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start = apply_settings(self.base, live_settings(self.base))
        self.controls: list[Control] = scenario_controls(self.start)
        self.current = apply_settings(self.start, self.settings)

    @classmethod
    def load(cls, path: str | Path) -> Explorer:
        """The explorer of a scenario file (a :class:`UserError` if it is not valid)."""
        return cls(load_scenario(path), str(path))

    def change(self, key: str, value: Any) -> Scenario:
        """Set ``key`` to ``value``: the scenario with every setting so far, validated by
        the schema. A refused value raises :class:`UserError` and changes nothing."""
        settings = {**self.settings, key: value}
        scenario = apply_settings(self.start, settings)
        self.settings, self.current = settings, scenario
        return scenario

    def reset(self) -> None:
        """Back to the start."""
        self.settings, self.current = {}, self.start

    def value(self, control: Control) -> Any:
        """The value of ``control`` now."""
        return self.settings.get(control.key, control.value)

    def current_value(self, key: str) -> Any:
        """The value of scenario key ``key`` now."""
        return value_at(self.current.to_dict(), key)

    def describe(self) -> str:
        """The settings changed from the start, one ``key = value`` each (or "none")."""
        return ", ".join(f"{k} = {v!r}" for k, v in self.settings.items()) or "none"


class ExploreModel(TalentMarket):
    """The model of the app: the explorer's current scenario.

    Its one parameter is the explorer, so that SolaraViz's reset (which builds the model
    class again from its parameters, in Mesa 3.3 as in 3.5) builds the settings of now.
    """

    def __init__(self, explorer: Explorer) -> None:
        super().__init__(explorer.current)
        self.explorer = explorer
        self.lock = threading.Lock()

    def step(self) -> None:
        """One month, while no view reads the records (SolaraViz plays in a thread of its
        own, and the page may be drawn from another)."""
        with self.lock:
            super().step()

    def tables(self) -> RunTables:
        """The records as they stand, read between months."""
        with self.lock:
            return RunTables.from_model(self)


def _plain(value: Any) -> Any:
    """Scenario data without the keys left unset (``None``), which TOML cannot spell."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def scenario_toml(scenario: Scenario, note: str = "") -> str:
    """The scenario as a complete TOML file (every key resolved, no ``extends``), with
    ``note`` as its header comment."""
    import tomli_w

    header = "".join(f"# {line}\n" for line in note.splitlines())
    return header + tomli_w.dumps(_plain(scenario.to_dict()))


def save_scenario(explorer: Explorer, path: str | Path) -> Path:
    """Write the explorer's current scenario to ``path`` as a TOML file that ``talentwar
    run`` takes (written beside it, then renamed). An existing file is not overwritten."""
    path = Path(path)
    if path.suffix != ".toml":
        raise UserError(f"{path}: a scenario file ends in .toml")
    if path.exists():
        raise UserError(f"{path}: the file exists already; choose another name")
    note = (f"Saved by talentwar explore from {explorer.source or explorer.base.name}.\n"
            f"Settings changed from the start: {explorer.describe()}")
    write_text(path, scenario_toml(explorer.current, note), "the scenario")
    return path


def compare_with_start(explorer: Explorer, pairs: int = COMPARE_PAIRS,
                       workers: int = COMPARE_WORKERS) -> pd.DataFrame:
    """Paired differences of the key measures, current settings minus the start, over
    ``pairs`` replicates of each run with the same seeds (the seed of now as root), as
    ``talentwar compare`` shows them for two replicate folders
    (:func:`sim.output.replicates.paired_differences`); the replicate folders are
    temporary."""
    current, start = explorer.current, explorer.start
    with tempfile.TemporaryDirectory(prefix="talentwar-explore-") as tmp:
        folders = []
        for name, scenario in (("start", start), ("now", current)):
            folders.append(run_replicates(
                scenario, pairs, seed=current.seed, out=Path(tmp) / name, workers=workers,
                engineers="none", plots=False, progress=False,
                command=["talentwar", "explore", "compare", name]))
        reference, other = (ReplicateFolder.open(f) for f in folders)
        return paired_differences(reference, other)
