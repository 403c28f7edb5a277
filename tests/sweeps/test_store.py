"""The sweep folder: the tidy measures table, runs.csv columns and sweep.json."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd


def test_tidy_table_layout(serial_grid: Path) -> None:
    kept = pd.read_csv(serial_grid / "measures.csv")
    assert list(kept.columns) == ["run_id", "month", "top_share_above_threshold",
                                  "unemployment_rate", "top_hhi_mean"]
    assert len(kept) == 12 * 9  # series measure: months 0..8 for each run
    # final and window-mean measures sit in the last month's row only
    early = kept.loc[kept.month < 8, ["top_share_above_threshold", "top_hhi_mean"]]
    assert early.isna().all().all()
    assert kept.loc[kept.month == 8, "top_share_above_threshold"].notna().all()


def test_sweep_json_records_the_design(serial_grid: Path) -> None:

    manifest = json.loads((serial_grid / "sweep.json").read_text())
    assert manifest["design"]["runs"] == 12 and len(manifest["design"]["points"]) == 6
    assert manifest["sweep"]["seed"] == 42
    assert manifest["base_scenario"]["market"]["engineers"] == 400
    assert "numpy" in manifest["versions"]
    with (serial_grid / "runs.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header == ["run_id", "point", "replicate", "seed", "compute.threshold",
                      "compute.response", "status", "wall_time", "error"]
