"""Submodules imported when first used (sim/deferred.py): Mesa's unused subpackages are not
imported with it, and a deferred module works as an ordinary one once used."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.deferred import DeferredModule, defer_submodules
from tests.conftest import ROOT

PACKAGE = {
    "__init__.py": """
        import toy.heavy as heavy
        import toy.group as group
        import toy.broken as broken
        RAN.append("toy")
        """,
    "heavy.py": """
        from toy.log import RAN
        RAN.append("heavy")
        VALUE = 42
        def where():
            return __name__
        """,
    "log.py": "RAN = []\n",
    "group/__init__.py": """
        from toy.log import RAN
        RAN.append("group")
        """,
    "group/member.py": """
        from toy.log import RAN
        RAN.append("member")
        """,
    "broken.py": "raise ImportError('broken on purpose')\n",
}


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package ``toy`` whose ``__init__`` imports its submodules, each noting in
    ``toy.log.RAN`` that its code ran; removed from ``sys.modules`` afterwards."""
    for name, text in PACKAGE.items():
        path = tmp_path / "toy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(text)
        if name == "__init__.py":
            text = "from toy.log import RAN\n" + text
        path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m == "toy" or m.startswith("toy.")]:
        del sys.modules[name]


def test_a_deferred_submodule_runs_when_first_used_and_is_then_an_ordinary_module(toy):
    assert defer_submodules("toy", ["heavy", "group", "broken", "absent"]) == [
        "toy.heavy", "toy.group", "toy.broken"]
    import toy  # its __init__ imports the three: none of them runs

    log = sys.modules["toy.log"]
    assert log.RAN == ["toy"]
    assert type(toy.heavy) is DeferredModule
    inspect.stack()  # reads every module's __file__ (as Mesa's logger does): runs none
    assert log.RAN == ["toy"]

    assert toy.heavy.VALUE == 42  # the first attribute it lacks runs its code, once
    from toy.heavy import VALUE, where

    assert VALUE == 42 and where() == "toy.heavy"
    assert log.RAN == ["toy", "heavy"]
    assert type(toy.heavy) is type(sys) and sys.modules["toy.heavy"] is toy.heavy

    import toy.group.member  # a submodule of a deferred package: the package runs first

    assert log.RAN == ["toy", "heavy", "group", "member"]
    assert toy.group.member is sys.modules["toy.group.member"]


def test_a_deferred_module_that_fails_raises_its_error_when_used(toy):
    defer_submodules("toy", ["broken"])
    import toy

    with pytest.raises(ImportError, match="broken on purpose"):
        toy.broken.anything  # noqa: B018
    assert "toy.broken" not in sys.modules  # as a failed import leaves it
    with pytest.raises(ImportError, match="broken on purpose"):
        import toy.broken


def test_nothing_is_deferred_once_the_package_is_imported_or_where_there_is_none(toy):
    defer_submodules("toy", ["broken"])
    import toy  # noqa: F401

    assert sys.modules["toy.log"].RAN == ["heavy", "group", "toy"]
    assert defer_submodules("toy", ["heavy"]) == []
    assert type(sys.modules["toy.heavy"]) is type(sys)
    assert defer_submodules("not_a_package_here", ["x"]) == []


def test_the_model_imports_without_mesas_unused_subpackages():
    """In a fresh process, importing and running the model leaves ``mesa.space`` and
    ``mesa.discrete_space`` unrun and networkx unimported (Mesa 3.3 also
    ``mesa.experimental`` and scipy.spatial; Mesa 3.5's model imports that one itself), and
    each works when a program uses it."""
    code = """
import sys
import numpy as np
from sim.model import TalentMarket
from sim.scenario import load_scenario
import mesa
scenario = load_scenario("scenarios/sweeps/small_market.toml")
TalentMarket(scenario, seed=1, records="market").step()
left = sorted(n for n in sys.modules if type(sys.modules[n]).__name__ == "DeferredModule")
print(mesa.__version__, left, "networkx" in sys.modules, "scipy.spatial" in sys.modules)
from mesa.space import MultiGrid
import mesa.discrete_space.cell_agent
from mesa.experimental import devs
assert mesa.space.MultiGrid is MultiGrid and mesa.experimental.devs is devs
print("used")
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    version, *rest = done.stdout.split("\n")[0].split(" ", 1)
    left, networkx, spatial = rest[0].rsplit(" ", 2)
    assert "'mesa.space'" in left and "'mesa.discrete_space'" in left
    assert networkx == "False"
    if version.startswith("3.3."):
        assert "'mesa.experimental'" in left and spatial == "False"
    assert done.stdout.split("\n")[1] == "used"
