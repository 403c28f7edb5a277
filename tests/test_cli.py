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
