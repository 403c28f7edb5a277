"""Bad sweep files (the schema, and the checks of every design point and measure before any
run) are user errors that write nothing; the example sweep files are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import UserError
from sim.sweeps.run import plan_sweep, resume_sweep, run_sweep
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
    # keys that would be ignored are refused
    (('values = ["sharp", "smooth"]', 'values = ["sharp", "smooth"]\nscale = "log"'),
     "parameters[1]: scale is for a range (min and max); a list of values is used as "
     "written: remove it"),
    (('values = ["sharp", "smooth"]', 'values = ["sharp", "smooth"]\ninteger = false\n'
      'scale = "linear"'), "integer and scale are for a range"),
    (("replicates = 2", "replicates = 2\n[design]\nsecond_order = true"),
     "design: second_order is only for sobol designs (design is 'grid'); remove it"),
    (("replicates = 2", 'replicates = 2\n[design]\nkind = "latin"\nsamples = 8\nlevels = 4'),
     "design: levels is only for morris designs (design is 'latin'); remove it"),
    (("replicates = 2", "replicates = 2\n[design]\nresamples = 500"),
     "resamples is only for sobol and morris designs"),
    # whole numbers that repeat, as a list of values may not
    (('min = 1000\nmax = 100000\nsteps = 3\nscale = "log"',
      'min = 1\nmax = 3\nsteps = 5\nscale = "log"\ninteger = true'),
     "sweep.toml: parameters[0].steps (compute.threshold): 5 steps from 1 to 3 rounded to "
     "whole numbers repeat values (1, 1, 2, 2, 3); use fewer steps"),
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


def test_retry_failed_without_resume_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, GRID)
    out = tmp_path / "o"
    assert cli(["sweep", str(path), "--out", str(out), "--retry-failed", "--quiet"],
               monkeypatch) == 2
    err = capsys.readouterr().err
    assert "--retry-failed reruns the failed runs of a sweep folder: give it with --resume" \
        in err and "Traceback" not in err
    assert not out.exists()


def test_folders_written_before_a_rule_stay_readable_and_resumable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    # A folder whose sweep.json holds what a later rule refuses (resamples on a grid; a
    # morris design with 3 values on 4 levels) was written when it was accepted: it is
    # still reported, plotted and resumed; a new sweep file with it is refused.
    import sim.sweeps.spec as spec_module

    texts = {
        "grid": GRID.replace("replicates = 2", "replicates = 2\n[design]\nresamples = 500"),
        "morris": GRID.replace("replicates = 2", 'replicates = 1\n[design]\nkind = "morris"\n'
                               "samples = 2\nlevels = 4").replace(
            'min = 1000\nmax = 100000\nsteps = 3\nscale = "log"',
            'min = 1000\nmax = 100000\nscale = "log"').replace(
            'key = "compute.response"\nvalues = ["sharp", "smooth"]',
            'key = "compute.width"\nvalues = [0.1, 0.3, 1.0]'),
    }
    for name, text in texts.items():
        path = write(tmp_path, text, f"{name}.toml")
        with pytest.raises(UserError, match=r"remove it|levels"):
            plan_sweep(path)
        out = tmp_path / name
        with monkeypatch.context() as old_rules:  # as the code before the rule wrote it
            old_rules.setattr(spec_module, "_saved", lambda info: True)
            run_sweep(path, out=out, workers=1, progress=False)
        (out / "status.json").unlink()  # as if interrupted: resume must read sweep.json
        assert cli(["sweep", "--resume", str(out), "--quiet", "--no-plots"],
                   monkeypatch) == 0, capsys.readouterr().err
        assert cli(["plot", str(out)], monkeypatch) == 0
        assert cli(["report", str(out)], monkeypatch) == 0


@pytest.mark.parametrize(("levels", "refused"), [(4, True), (2, False), (6, True)])
def test_morris_levels_of_an_integer_range_must_not_repeat_a_whole_number(
        tmp_path: Path, levels: int, refused: bool) -> None:
    text = GRID.replace("replicates = 2", f'replicates = 1\n[design]\nkind = "morris"\n'
                        f"samples = 2\nlevels = {levels}").replace(
        'key = "compute.threshold"\nmin = 1000\nmax = 100000\nsteps = 3\nscale = "log"',
        'key = "firms.megacorp.outreach"\nmin = 1\nmax = 3\ninteger = true')
    path = write(tmp_path, text)
    if refused:  # 1 to 3 on 4 levels: 1, 1.67, 2.33, 3 -> 1, 2, 2, 3
        with pytest.raises(UserError, match=r"parameters\[0\] \(firms.megacorp.outreach\): "
                           rf"design.levels = {levels} levels from 1 to 3 rounded to whole "
                           r"numbers repeat values \(1, "):
            plan_sweep(path)
    else:
        assert {p["firms.megacorp.outreach"] for p in plan_sweep(path).points} == {1, 3}
