"""The command line's papercuts: one ``--workers`` default, help that says what each command
does, sweep and calibration files named as such by ``run`` and ``validate``, a "next:" line
after a run, and replicate folders without engineer tables unless asked."""

from __future__ import annotations

import inspect

import pytest

import sim.calibration.run
import sim.sweeps.replicates
import sim.sweeps.run
from sim import cli
from sim.cli.words import WORKERS_HELP
from sim.files import default_workers
from sim.sweeps.replicates import run_replicates as REAL_RUN_REPLICATES
from tests.conftest import SCENARIOS, TINY_SWEEP, TWO_TIER_SCENARIO


def _capture(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> dict:
    """Replace ``module.name`` with a stand-in that records its keyword arguments and
    stops the command (a UserError: exit status 2, nothing run)."""
    seen: dict = {}

    def fake(*args, **kwargs):
        seen.update(kwargs)
        raise cli.UserError("stopped by the test")

    monkeypatch.setattr(module, name, fake)
    return seen


def test_every_command_that_runs_many_runs_has_one_workers_default(monkeypatch, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(TWO_TIER_SCENARIO)
    replicates = _capture(monkeypatch, sim.sweeps.replicates, "run_replicates")
    sweep = _capture(monkeypatch, sim.sweeps.run, "run_sweep")
    calibrate = _capture(monkeypatch, sim.calibration.run, "run_calibration")
    assert cli.main(["run", str(scenario), "--replicates", "2"]) == 2
    assert cli.main(["sweep", "x.toml"]) == 2
    assert cli.main(["calibrate", "x.toml"]) == 2
    assert replicates["workers"] == sweep["workers"] == calibrate["workers"]
    assert replicates["workers"] == default_workers() >= 1
    parser = cli.build_parser()
    helps = [a.help for command in ("run", "sweep", "calibrate")
             for a in parser._subparsers._group_actions[0].choices[command]._actions
             if "--workers" in a.option_strings]
    assert len(helps) == 3 and all(WORKERS_HELP in h for h in helps)


def test_default_workers_is_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert default_workers() == 3


def test_replicates_keep_no_engineer_table_unless_asked(monkeypatch, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(TWO_TIER_SCENARIO)
    seen = _capture(monkeypatch, sim.sweeps.replicates, "run_replicates")
    cli.main(["run", str(scenario), "--replicates", "2"])
    assert seen["engineers"] == "none"
    cli.main(["run", str(scenario), "--replicates", "2", "--engineers", "csv.gz"])
    assert seen["engineers"] == "csv.gz"
    assert inspect.signature(REAL_RUN_REPLICATES).parameters["engineers"].default == "none"


def test_replicate_folder_without_engineer_tables(tmp_results, capsys):
    scenario = tmp_results / "s.toml"
    scenario.write_text(TWO_TIER_SCENARIO)
    out = tmp_results / "reps"
    assert cli.main(["run", str(scenario), "--replicates", "2", "--workers", "1", "--quiet",
                     "--months", "2", "--no-plots", "--set", "market.engineers=600",
                     "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert f"next: talentwar report {out}" in captured.err
    assert (out / "rep-000" / "market.csv").is_file()
    assert not list(out.rglob("engineers.*"))


def test_run_prints_the_next_command(tmp_results, capsys):
    scenario = tmp_results / "s.toml"
    scenario.write_text(TWO_TIER_SCENARIO)
    out = tmp_results / "one"
    assert cli.main(["run", str(scenario), "--quiet", "--months", "2", "--no-plots",
                     "--set", "market.engineers=600", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)  # standard output: the folder alone
    assert captured.err.strip().splitlines()[-1] == f"next: talentwar report {out}"
    assert (out / "engineers.csv.gz").is_file()  # a single run keeps it by default


@pytest.mark.parametrize("command", ["run", "plot", "validate", "compare", "sweep"])
def test_every_command_has_a_description(command, capsys):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    text = capsys.readouterr().out
    _, _, rest = text.partition("\n\n")
    description = rest.split("\n\n")[0]
    assert not description.lstrip().startswith(("positional", "options")), text
    assert len(description.split()) >= 15
    assert "%%" not in text


def test_compare_help_mentions_replicate_folders_and_pairing(capsys):
    with pytest.raises(SystemExit):
        cli.main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "replicate folders" in text and "paired by seed" in text


@pytest.mark.parametrize(("path", "command"), [
    (SCENARIOS / "sweeps" / "antitrust.toml", "sweep"),
    (SCENARIOS / "calibration" / "ai_talent_war_2024.toml", "calibrate"),
])
@pytest.mark.parametrize("verb", ["run", "validate"])
def test_run_and_validate_name_a_sweep_or_calibration_file(path, command, verb, capsys):
    assert cli.main([verb, str(path)]) == 2
    err = capsys.readouterr().err
    assert f"run it with talentwar {command} {path}" in err
    assert "unknown key" not in err and "required key" not in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_sweep_passes_set_to_the_sweep(monkeypatch, capsys):
    seen = _capture(monkeypatch, sim.sweeps.run, "run_sweep")
    assert cli.main(["sweep", "x.toml", "--set", "market.engineers=300", "--set",
                     "months=4"]) == 2
    assert list(seen["overrides"]) == ["market.engineers=300", "months=4"]
    capsys.readouterr()
    # A bad --set and --set with --resume are refused before any sweep runs or resumes.
    seen.clear()
    assert cli.main(["sweep", "x.toml", "--set", "nonsense"]) == 2
    assert seen == {} and "--set" in capsys.readouterr().err
    resumed = _capture(monkeypatch, sim.sweeps.run, "resume_sweep")
    assert cli.main(["sweep", "--resume", "x", "--set", "months=4"]) == 2  # as recorded
    assert resumed == {} and "give no SWEEP_FILE, --out or --set" in capsys.readouterr().err



def test_runs_of_many_runs_print_their_folder_alone_with_their_plots_in_it(tmp_results,
                                                                            capsys):
    """``run --replicates`` and ``sweep`` draw their plots into their folder and print the
    folder alone on standard output, as a single run does (``DIR=$(talentwar sweep ...)``
    gets the folder), where they printed every plot's path before it."""
    from sim.output.replicates import REPLICATE_PLOTS

    scenario = tmp_results / "s.toml"
    scenario.write_text(TWO_TIER_SCENARIO)
    out = tmp_results / "reps"
    assert cli.main(["run", str(scenario), "--replicates", "2", "--workers", "1", "--quiet",
                     "--months", "2", "--set", "market.engineers=600",
                     "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [str(out)]
    assert all((out / f"{name}.png").is_file() for name in REPLICATE_PLOTS)
    sweep = tmp_results / "sweep.toml"
    sweep.write_text(TINY_SWEEP.format(base=SCENARIOS / "textbook_job_ladder.toml"))
    out = tmp_results / "sweep"
    assert cli.main(["sweep", str(sweep), "--workers", "1", "--quiet",
                     "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [str(out)]
    assert list(out.glob("*.png"))
