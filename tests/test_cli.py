"""The command line itself: version, start-up without heavy imports."""

import signal
import subprocess
import sys
import time
import tomllib
from importlib import metadata

import pytest

from sim import __version__
from sim.cli import main
from tests.conftest import ROOT


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.strip() == f"talentwar {__version__}"


def test_the_version_is_kept_in_one_place():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert metadata.version("talentwar") == __version__


def test_the_command_line_starts_without_loading_the_model():
    # `talentwar --help` stays fast because parsing imports neither Mesa, numpy nor pandas.
    code = ("import sys, sim.cli; sim.cli.build_parser(); "
            "print(sorted(m for m in ('mesa', 'numpy', 'pandas', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "[]"


def test_the_command_leaves_its_objects_out_of_the_collections_of_its_exit():
    # Python's shutdown runs full collections over every loaded object (about 0.1 s after
    # each command): the talentwar command (python -m sim, the console script) freezes
    # them once its command is done, and exits with its status.
    code = ("import gc, sys, sim.cli\n"
            "sim.cli.main = lambda: 3\n"
            "status = sim.cli.console()\n"
            "print(status, gc.get_freeze_count() > 1000)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.split() == ["3", "True"], done.stderr
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["talentwar"] == "sim.cli:console"
    assert "raise SystemExit(console())" in (ROOT / "sim" / "__main__.py").read_text()


@pytest.mark.parametrize(("status", "ignored"), [(130, True), (143, True), (0, False),
                                                (2, False)])
def test_an_interrupted_command_ignores_further_signals_as_it_exits(status, ignored):
    # Ctrl-C twice: the second one, in the interpreter's shutdown after the message, would
    # kill the process by SIGINT (status -2 to a caller) instead of its 130. In a child:
    # the command ends, then a SIGINT and a SIGTERM arrive during an exit hook.
    code = ("import atexit, signal, sys, time, sim.cli\n"
            f"sim.cli.main = lambda: {status}\n"
            "atexit.register(time.sleep, 0.3)\n"
            "status = sim.cli.console()\n"
            "print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN, flush=True)\n"
            "sys.exit(status)\n")
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None
    assert child.stdout.readline() == f"{ignored}\n"
    if ignored:
        child.send_signal(signal.SIGINT)
        time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == status
    child.stdout.close()


def test_run_forks_its_drawing_process_once_the_scenario_is_read(tmp_path, monkeypatch):
    # The drawing process loads the plotting modules while the command loads the model's:
    # it is forked once the scenario is read and handed to run_scenario, alive; a bad
    # scenario file forks none, nor does a run without plots.
    import multiprocessing

    import sim.output.drawing
    import sim.output.run

    forked, given = [], []
    fork = sim.output.drawing.drawing_process
    monkeypatch.setattr(sim.output.drawing, "drawing_process",
                        lambda: forked.append(1) or fork())

    def run_scenario(scenario, **options):
        drawer = options["drawer"]
        given.append((drawer is not None, len(multiprocessing.active_children())))
        return real(scenario, **options)

    real = sim.output.run.run_scenario
    monkeypatch.setattr(sim.output.run, "run_scenario", run_scenario)
    scenario = ROOT / "scenarios" / "textbook_job_ladder.toml"
    small = ["--set", "market.engineers=300", "--months", "2", "--quiet"]
    assert main(["run", str(scenario), *small, "--out", str(tmp_path / "a")]) == 0
    assert main(["run", str(scenario), *small, "--no-plots", "--out", str(tmp_path / "b")]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nmonths = "a"\n')
    assert main(["run", str(bad), "--out", str(tmp_path / "c")]) == 2
    assert forked == [1] and given == [(True, 1), (False, 0)]
    assert multiprocessing.active_children() == []
