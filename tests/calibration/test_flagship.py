"""The flagship's calibration file: valid, and a tiny smoke calibration of it runs."""

import json
import tomllib

import pandas as pd
import tomli_w

from sim.calibration.run import run_calibration
from sim.cli import main
from tests.calibration.common import ROOT

FILE = ROOT / "scenarios" / "calibration" / "ai_talent_war_2024.toml"


def test_smoke_calibration_of_the_flagship_file(tmp_path, capsys):
    raw = tomllib.loads(FILE.read_text(encoding="utf-8"))
    raw["base"] = str(FILE.parent / raw["base"])
    raw["set"] = ["market.engineers=3000"]
    raw["estimator"].update(replicates=1, budget=3, profile_points=0)
    raw["estimator"]["search"].update(points=3, local="none")
    path = tmp_path / "smoke.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    summary = run_calibration(path, out=tmp_path / "out", progress=False, plots=True)
    assert summary.failed == 0
    moments = pd.read_csv(tmp_path / "out" / "moments.csv")
    assert len(moments) == 15 and (moments["role"] == "held out").sum() == 4
    assert moments.loc[moments["role"] == "fitted", "fitted_mean"].notna().all()
    # the file's bounds and its data-based SE reach moments.csv as such
    by_name = moments.set_index("moment")
    assert by_name.loc["researcher_p99_at_most_2024", "bound"] == "at_most"
    assert by_name.loc["job_to_job_rate_2024", "se_basis"] == "data"
    kept = by_name[(by_name["bound"] == "at_most")
                   & (by_name["fitted_mean"] <= by_name["target"])]
    assert (kept["t_ratio"] == 0).all()
    ident = json.loads((tmp_path / "out" / "identification.json").read_text())
    assert ident["objective_is"].startswith("distance, not a test")
    # the fitted scenario is loadable by talentwar validate / run
    assert main(["validate", str(tmp_path / "out" / "fitted.toml")]) == 0
    assert main(["report", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "report.html").is_file()
