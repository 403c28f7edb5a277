"""Every error class of the package survives pickling with its fields (an error raised in a
worker process reaches the parent whole)."""

from __future__ import annotations

import ast
import builtins
import pickle
from pathlib import Path

import pytest

from sim.errors import InvariantError, Resume, Terminated, UserError
from sim.files.atomic import WriteError
from sim.files.folders import FolderError
from sim.files.table import TableDamage
from sim.scenario.loading import OverrideError
from sim.sweeps.store import SweepState
from tests.conftest import ROOT

STATE = SweepState(total=8, recorded=3, done=2, failed=1, complete=False)
FOLDER = Path("results/sweep")


def _examples() -> dict[str, BaseException]:
    """One instance of each error class, each field set (not to a default)."""
    from sim.calibration.estimate import _Budget
    from sim.calibration.run import CalibrationInterrupted
    from sim.output.pool import ProcessLost
    from sim.sweeps.run import SweepInterrupted, SweepWriteFailed

    return {
        "UserError": UserError("bad value", option="workers", value=0,
                               resume=Resume("sweep", FOLDER)),
        "InvariantError": InvariantError(7, "headcounts do not add up"),
        "Terminated": Terminated("SIGTERM"),
        "OverrideError": OverrideError("market.engineers", "expected a whole number"),
        "FolderError": FolderError("out", FOLDER, "exists already", Resume("sweep", FOLDER)),
        "WriteError": WriteError(FOLDER / "runs.csv", "No space left on device", "the table"),
        "TableDamage": TableDamage(FOLDER / "runs.csv", 12, "3 cells, expected 5"),
        "_Budget": _Budget(),
        "CalibrationInterrupted": CalibrationInterrupted(FOLDER, 5, Terminated()),
        "SweepInterrupted": SweepInterrupted(FOLDER, STATE, Terminated()),
        "SweepWriteFailed": SweepWriteFailed(FOLDER, STATE, OSError(28, "No space left")),
        "ProcessLost": ProcessLost(-9),
    }


def _error_classes() -> set[str]:
    """The names of the exception classes defined in the package's source (read, not
    imported: a class whose bases include a built-in exception or one of these)."""
    classes: dict[str, set[str]] = {}
    for path in (ROOT / "sim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
    errors = {name for name, value in vars(builtins).items()
              if isinstance(value, type) and issubclass(value, BaseException)}
    builtin = set(errors)
    while True:
        more = {name for name, bases in classes.items() if bases & errors} - errors
        if not more:
            return errors - builtin
        errors |= more


def test_every_error_class_of_the_package_has_an_example():
    assert _error_classes() == set(_examples())


@pytest.mark.parametrize("name", sorted(_examples()))
def test_an_error_survives_pickling_with_its_fields(name):
    err = _examples()[name]
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert copy.args == err.args
    assert vars(copy) == vars(err)
    assert str(copy) == str(err)
