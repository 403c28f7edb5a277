"""The command line itself: version, start-up without heavy imports."""

import subprocess
import sys
import tomllib
from importlib import metadata

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
