"""Bad sweep files (the schema, and the checks of every design point and measure before any
run) are user errors that write nothing; the example sweep files are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import UserError
from sim.sweeps.run import plan_sweep, resume_sweep
from tests.sweeps.common import (
    GRID,
    ROOT,
    cli,
    write,
)


@pytest.mark.parametrize(("change", "expected"), [
    (("replicates = 2", "replicate = 2"),
     "replicate: unknown key (a typo?); did you mean 'replicates'?"),
    (('key = "compute.threshold"', 'key = "compute.treshold"'), "compute.treshold"),
    (('values = ["sharp", "smooth"]', 'values = ["sharp", "blunt"]'), "compute.response"),
    (('column = "top_hhi"', 'column = "top_hhhi"'), "measures[2].column"),
    (("window = [4, 8]", "window = [4, 80]"), "measures[2].window"),
    (("steps = 3", ""), "needs steps or values"),
    (("min = 1000", "min = -5"), "log"),
    (('seed = 42', 'seed = "x"'), "seed"),
    (('key = "compute.threshold"', 'key = "seed"'), "use replicates"),
    (("replicates = 2", 'replicates = 2\n[design]\nkind = "sobol"\nsamples = 8'),
     "sweep.toml: parameters[0].steps (compute.threshold): steps are only for grid "
     "designs (design is 'sobol'); remove it"),
])
def test_bad_sweep_files_are_user_errors_and_write_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in GRID
    path = write(tmp_path, GRID.replace(old, new, 1))
    with pytest.raises(UserError) as err:
        plan_sweep(path)
    assert str(path) in str(err.value) and expected in str(err.value)
    out = tmp_path / "out"
    assert cli(["sweep", str(path), "--out", str(out), "--quiet"], monkeypatch) == 2
    message = capsys.readouterr().err
    assert expected in message and "Traceback" not in message
    assert not out.exists()


def test_a_scenario_file_given_as_a_sweep_file_is_named_as_such(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    # a key of scenarios, not of sweep files: no suggestion drawn from the scenario's keys
    path = write(tmp_path, GRID.replace("replicates = 2", "replicates = 2\nchoice = 1", 1))
    with pytest.raises(UserError, match="choice: unknown key") as err:
        plan_sweep(path)
    assert "did you mean" not in str(err.value)
    scenario = ROOT / "scenarios" / "sweeps" / "small_market.toml"
    assert cli(["sweep", str(scenario), "--quiet"], monkeypatch) == 2
    message = capsys.readouterr().err
    assert "a scenario file (it has 'tiers'), not a sweep file" in message
    assert "base = " in message and "did you mean" not in message
    assert cli(["calibrate", str(ROOT / "scenarios" / "ai_talent_war_2024.toml")],
               monkeypatch) == 2
    assert "not a calibration file" in capsys.readouterr().err


def test_bad_sobol_samples_and_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, GRID.replace("replicates = 2",
                                        'replicates = 2\n[design]\nkind = "sobol"\nsamples = 10'))
    with pytest.raises(UserError, match=r"design.*power of 2"):
        plan_sweep(path)
    good = write(tmp_path, GRID, "good.toml")
    for workers in ("0", "two"):
        assert cli(["sweep", str(good), "--workers", workers, "--out", str(tmp_path / "o")],
                   monkeypatch) == 2
        assert "--workers" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    with pytest.raises(UserError, match="not a sweep folder"):
        resume_sweep(tmp_path)


@pytest.mark.parametrize(("name", "runs"), [("gpu_threshold", 9 * 20),
                                            ("sobol_preferences", 128 * 6 * 2)])
def test_example_sweeps_are_valid(name: str, runs: int) -> None:
    plan = plan_sweep(ROOT / "scenarios" / "sweeps" / f"{name}.toml")
    assert plan.total == runs
