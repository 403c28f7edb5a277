"""Helpers for tests of damaged run folders: copy a run, damage it, look at what changed."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim import cli

Tree = dict[str, tuple[bool, int, int]]


def tree(root: Path) -> Tree:
    """Every file and folder under ``root``: (is a folder, size, modification time) of a
    file, (True, 0, 0) of a folder (whose time changes when a temporary file is removed)."""
    out: Tree = {}
    for path in sorted(Path(root).rglob("*")):
        info = path.lstat()
        out[str(path.relative_to(root))] = ((True, 0, 0) if path.is_dir() else
                                            (False, info.st_size, info.st_mtime_ns))
    return out


@dataclass
class Outcome:
    """What a command did: exit status, standard output and standard error."""

    status: int
    out: str
    err: str


def run_cli(argv: Sequence[str], cwd: Path) -> Outcome:
    """Run ``talentwar ARGV`` in-process in folder ``cwd``, capturing its output.

    An exception that escapes :func:`sim.cli.main` (a traceback for the user) propagates.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        status = cli.main([str(a) for a in argv])
    return Outcome(status, out.getvalue(), err.getvalue())


def copy_run(run: Path, dest: Path) -> Path:
    """A copy of a run folder."""
    shutil.copytree(run, dest)
    return dest


def edit_manifest(folder: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    """Apply ``change`` to the manifest's data (it may return a replacement) and save it."""
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    result = change(data)
    path.write_text(json.dumps(data if result is None else result))


def edit_table(folder: Path, name: str, change: Callable[[pd.DataFrame], Any]) -> None:
    """Apply ``change`` to a table (it may return a replacement) and save it as CSV."""
    path = folder / name
    table = pd.read_csv(path)
    result = change(table)
    (table if result is None else result).to_csv(path, index=False)


def add_deals(folder: Path) -> None:
    """Give a run two valid deals (one blocked) between its firms, as the model writes."""
    firms = sorted(pd.read_csv(folder / "firms.csv")["firm"].unique())
    market = pd.read_csv(folder / "market.csv")
    months = list(market["month"])[1:3]
    dates = list(market["date"])[1:3]
    pd.DataFrame({
        "month": months, "date": dates, "buyer": firms[:2], "target": firms[-2:],
        "form": ["acquisition", "license_and_hire"], "price": [1e9, 5e8],
        "licence_fee": [0.0, 4e8], "retention_packages": [1e8, 5e7], "engineers_moved": [40, 25],
        "left_after": [3, 1], "price_per_engineer": [2.5e7, 2e7], "premium": [1.2, 2.0],
        "valuation": [8e8, 3e8], "blocked": [False, True], "reason": ["", "antitrust: HHI"],
    }).to_csv(folder / "deals.csv", index=False, lineterminator="\n")


def make_directory(folder: Path, name: str) -> None:
    """Replace a file by a folder of the same name."""
    (folder / name).unlink()
    (folder / name).mkdir()
    (folder / name / "inside.txt").write_text("a folder where a file should be\n")


def assert_refused(outcome: Outcome, file: str) -> None:
    """Exit status 2 and one line on standard error naming ``file``; no traceback."""
    assert outcome.status == 2, (outcome.status, outcome.err)
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("talentwar: error: "), lines[0]
    assert file in lines[0], lines[0]
    assert "Traceback" not in outcome.err


def leftovers(root: Path) -> list[str]:
    """Hidden temporary files or folders anywhere under ``root``."""
    return [str(p) for p in Path(root).rglob(".*")
            if ".incomplete-" in p.name or ".tmp-" in p.name]

