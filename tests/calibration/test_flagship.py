"""The flagship's calibration file: valid, and a tiny smoke calibration of it runs."""

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
    assert len(moments) == 14 and (moments["role"] == "held out").sum() == 3
    assert moments.loc[moments["role"] == "fitted", "fitted_mean"].notna().all()
    # the fitted scenario is loadable by talentwar validate / run
    assert main(["validate", str(tmp_path / "out" / "fitted.toml")]) == 0
    assert main(["report", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "report.html").is_file()
