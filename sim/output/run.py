"""Running a scenario and writing its run folder, atomically.

The folder's format (file names, manifest, atomic writes) is owned by
:mod:`sim.output.rundir`. Everything is written into a hidden temporary folder beside the
destination, which is renamed into place only when complete: an interrupted or failed run
leaves nothing that looks like a finished run. A process killed outright (SIGKILL, a power
cut) cannot clean up: the hidden folders it left (``.<name>.incomplete-<pid>``) are removed
by the next run into the same parent folder, once that process no longer runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import importlib.util
import sys
import time
from pathlib import Path
from typing import Literal

from sim.errors import UserError, log, stop_if_interrupted
from sim.files import atomic_directory, check_new_folder, git_commit, reserved, versions
from sim.files.progress import tqdm
from sim.files.provenance import now, stamp
from sim.model import TalentMarket
from sim.output.drawing import PAY_PLOT_COLUMNS, drawing_process, plots_drawn
from sim.output.formats import DEAL_TEAMS, DEALS, ENGINEER_FILES, FIRMS, FLOWS, MARKET
from sim.output.manifest import MANIFEST, Manifest, write_manifest
from sim.output.rundir import remove_leftovers, write_csv, write_csv_gz
from sim.scenario import Scenario

EngineerFormat = Literal["csv.gz", "csv", "parquet", "none"]
"""How the final engineer table is written (:data:`ENGINEER_FILES`), or ``none``."""


def write_tables(model: TalentMarket, folder: Path,
                 engineers: EngineerFormat = "csv.gz") -> None:
    """Write the model's result tables into ``folder``; the engineer table in the format
    ``engineers`` (gzip-compressed CSV by default, see :data:`ENGINEER_FILES`)."""
    write_small_tables(model, folder)
    write_engineer_table(model, folder, engineers)


def write_small_tables(model: TalentMarket, folder: Path) -> None:
    """Write the model's result tables but the engineer table into ``folder``: the month
    by month tables of the market, firms, flows, deals and deal teams."""
    for name, table in ((MARKET, model.market), (FIRMS, model.firm_records),
                        (FLOWS, model.flows), (DEALS, model.deals),
                        (DEAL_TEAMS, model.deal_teams)):
        with open(folder / name, "wb") as out:
            write_csv(table, out.write)


def write_engineer_table(model: TalentMarket, folder: Path,
                         engineers: EngineerFormat = "csv.gz") -> None:
    """Write the model's final engineer table into ``folder`` in the format ``engineers``
    (:data:`ENGINEER_FILES`; nothing if ``"none"``)."""
    if engineers == "none":
        return
    path = folder / ENGINEER_FILES[engineers]
    if engineers == "csv.gz":
        write_csv_gz(model.engineer_tables(), path)
    elif engineers == "csv":
        with open(path, "wb") as out:
            write_csv(model.engineer_tables(), out.write)
    else:
        model.engineer_table().to_parquet(path, index=False)


def run_scenario(
    scenario: Scenario,
    *,
    seed: int | None = None,
    out: Path | None = None,
    engineers: EngineerFormat = "csv.gz",
    plots: bool = True,
    progress: bool = True,
    check: bool = False,
    command: list[str] | None = None,
) -> Path:
    """Run ``scenario`` to its horizon and write a complete run folder; return its path.

    ``out`` is the run folder to create; by default ``results/<scenario>/<run-id>``.
    Hidden folders that killed runs left in its parent folder are removed first (each
    named on standard error).
    """
    seed = scenario.seed if seed is None else seed
    if engineers == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise UserError("writing Parquet needs pyarrow (pip install 'talentwar[parquet]')",
                        option="engineers", value="parquet")
    started = now()
    if out is None:  # a default folder takes a free name: -2, -3... if it is taken
        final = Path("results") / scenario.name / f"{stamp(started)}-seed{seed}"
    else:
        final = Path(out)
        check_new_folder(final, "run folder", empty_ok=False)
    for path in remove_leftovers(final.parent):
        log.info("removed %s, left by an interrupted run", path)
    with reserved(final, unique=out is None) as final:
        _run_into(scenario, final, seed, started, engineers, plots, progress, check,
                  command)
    return final


def _run_into(scenario: Scenario, final: Path, seed: int, started: dt.datetime,
              engineers: EngineerFormat, plots: bool, progress: bool, check: bool,
              command: list[str] | None) -> None:
    """Run the model and write its folder ``final`` (whose name is reserved).

    With ``plots``, the process that draws them is forked first, while this process is
    small; it loads the plotting modules while the model runs, and draws the plots while
    the engineer table is written (:mod:`sim.output.drawing`).
    """
    clock = time.perf_counter()
    drawer = drawing_process() if plots else None
    with drawer if drawer is not None else contextlib.nullcontext():
        model = TalentMarket(scenario, seed=seed, check=check)
        with tqdm(total=model.months, desc=scenario.name, unit="month",
                  disable=not progress, leave=False) as bar:
            model.run(progress=bar)
        with atomic_directory(final) as folder:
            write_small_tables(model, folder)
            # A Ctrl-C whose KeyboardInterrupt library code swallowed (while pandas wrote,
            # say) stops the run here, before its plots, or at the end, before its folder
            # appears.
            stop_if_interrupted()
            manifest: Manifest = {
                "scenario": scenario.to_dict(),
                "seed": seed,
                "months": model.months,
                "engineers": model.engineers.n,
                "firms": len(model.firms),
                "versions": versions(),
                "git_commit": git_commit(),
                "command": command if command is not None else sys.argv,
                "started": started.isoformat(timespec="seconds"),
                "warnings": model.warnings(),
            }
            if plots:
                # The plots read the scenario (the GPU threshold) from the manifest: a
                # first one is written before them, the whole one after.
                write_manifest(folder, manifest)
            if drawer is not None:
                pay = (None if engineers == "none"
                       else model.engineer_table(columns=PAY_PLOT_COLUMNS))
                with plots_drawn(drawer, folder, pay):
                    del pay  # sent to the drawing process
                    write_engineer_table(model, folder, engineers)
                    del model
            else:
                write_engineer_table(model, folder, engineers)
                del model
                if plots:
                    _plot_here(folder)
            finished = now()
            manifest["finished"] = finished.isoformat(timespec="seconds")
            manifest["wall_time_seconds"] = round(time.perf_counter() - clock, 3)
            manifest["files"] = sorted({p.name for p in folder.iterdir()} | {MANIFEST})
            write_manifest(folder, manifest)
            stop_if_interrupted()


def _plot_here(folder: Path) -> None:
    """Draw the plots of the run folder ``folder`` from this process (on a system that
    cannot fork, so has no drawing process), the model's memory (no longer referenced)
    given back first."""
    gc.collect()
    # Imported here for start-up speed: plotting loads matplotlib.
    from sim.output.plots import plot_run

    stop_if_interrupted()
    plot_run(folder)
