"""Running a scenario and writing its results folder, atomically.

A run folder holds ``manifest.json``, ``market.csv``, ``firms.csv``, ``flows.csv``,
``engineers.csv`` (or ``.parquet``) and the plots. Everything is written into a hidden
temporary folder beside the destination, which is renamed into place only when complete:
an interrupted or failed run leaves nothing that looks like a finished run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import tqdm as tqdm_module
from tqdm import tqdm

from sim.errors import UserError
from sim.model import TalentMarket
from sim.scenario import Scenario

EngineerFormat = Literal["csv", "parquet", "none"]
# No tqdm monitor thread: plots are drawn in forked processes.
tqdm_module.tqdm.monitor_interval = 0


def versions() -> dict[str, str]:
    """Versions of the package, Python and the libraries that shape results."""
    out = {"python": platform.python_version()}
    for dist in ("talentwar", "mesa", "numpy", "pandas", "pydantic", "matplotlib", "SALib"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def git_commit() -> str | None:
    """The commit of the source tree the package runs from, if it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


@contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``final`` only if the block completes.

    The temporary folder sits beside ``final`` (same file system, so the rename is atomic)
    and is removed if the block raises or is interrupted.
    """
    tmp = final.parent / f".{final.name}.incomplete-{os.getpid()}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
    except OSError as err:
        raise UserError(f"{final}: cannot create the folder: {err.strerror}") from None
    try:
        yield tmp
        tmp.rename(final)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            raise UserError(f"{final}: cannot write the results: {err}") from None
        raise


def atomic_write_text(path: Path, text: str, what: str = "it") -> Path:
    """Write a text file (creating its folder) by writing a temporary file beside it and
    renaming it; a :class:`UserError` saying it cannot write ``what`` if that fails."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write {what}: {err.strerror or err}") from None
    return path


def new_run_dir(root: Path, stamp: str, seed: int) -> Path:
    """``root/<stamp>-seed<seed>``, with a numeric suffix if that folder exists already."""
    base = f"{stamp}-seed{seed}"
    candidate, k = root / base, 1
    while candidate.exists():
        k += 1
        candidate = root / f"{base}-{k}"
    return candidate


def write_tables(model: TalentMarket, folder: Path, engineers: EngineerFormat = "csv") -> None:
    """Write the model's result tables into ``folder``."""
    model.market.to_csv(folder / "market.csv", index=False, lineterminator="\n")
    model.firm_records.to_csv(folder / "firms.csv", index=False, lineterminator="\n")
    model.flows.to_csv(folder / "flows.csv", index=False, lineterminator="\n")
    model.deals.to_csv(folder / "deals.csv", index=False, lineterminator="\n")
    if engineers == "csv":
        model.engineer_table().to_csv(folder / "engineers.csv", index=False,
                                      lineterminator="\n")
    elif engineers == "parquet":
        model.engineer_table().to_parquet(folder / "engineers.parquet", index=False)


def run_scenario(
    scenario: Scenario,
    *,
    seed: int | None = None,
    out: Path | None = None,
    engineers: EngineerFormat = "csv",
    plots: bool = True,
    progress: bool = True,
    command: list[str] | None = None,
) -> Path:
    """Run ``scenario`` to its horizon and write a complete run folder; return its path.

    ``out`` is the run folder to create; by default ``results/<scenario>/<run-id>``.
    """
    seed = scenario.seed if seed is None else seed
    if engineers == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise UserError("--engineers parquet: writing Parquet needs pyarrow "
                        "(pip install 'talentwar[parquet]')")
    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    final = Path(out) if out is not None else new_run_dir(Path("results") / scenario.name,
                                                          stamp, seed)
    if final.exists():
        raise UserError(f"--out {final}: that folder exists already; choose a new one")
    blocking = next((p for p in final.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise UserError(f"--out {final}: {blocking} is a file, not a folder")
    if blocking is not None and not os.access(blocking, os.W_OK):
        raise UserError(f"--out {final}: cannot write in {blocking}")
    clock = time.perf_counter()
    model = TalentMarket(scenario, seed=seed)
    with tqdm(total=model.months, desc=scenario.name, unit="month", disable=not progress,
              leave=False) as bar:
        model.run(progress=bar)
    with atomic_directory(final) as folder:
        write_tables(model, folder, engineers)
        if plots:
            from sim.output.plots import plot_run

            plot_run(folder)
        finished = dt.datetime.now(dt.UTC)
        manifest: dict[str, Any] = {
            "scenario": scenario.to_dict(),
            "seed": seed,
            "months": model.months,
            "engineers": model.engineers.n,
            "firms": len(model.firms),
            "versions": versions(),
            "git_commit": git_commit(),
            "command": command if command is not None else sys.argv,
            "started": started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            "wall_time_seconds": round(time.perf_counter() - clock, 3),
            "files": sorted(p.name for p in folder.iterdir()),
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return final


def load_manifest(run_dir: Path) -> dict[str, Any]:
    """Read a run folder's manifest, with a clear error if it is not a run folder."""
    path = Path(run_dir) / "manifest.json"
    if not path.is_file():
        raise UserError(f"{run_dir}: not a run folder (no manifest.json)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON: {err}") from None
