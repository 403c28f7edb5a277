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
import hashlib
import importlib.util
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from sim.agents.engineers import Engineers
from sim.errors import UserError, log, stop_if_interrupted
from sim.files import atomic_directory, check_new_folder, git_commit, reserved, versions
from sim.files.processes import give_back_freed_memory
from sim.files.progress import tqdm
from sim.files.provenance import now, stamp
from sim.model import TalentMarket
from sim.output.drawing import PAY_PLOT_COLUMNS, drawing_process, plots_drawn
from sim.output.formats import DEAL_TEAMS, DEALS, ENGINEER_FILES, FIRMS, FLOWS, MARKET
from sim.output.manifest import MANIFEST, Manifest, write_manifest
from sim.output.pool import EarlyProcess, ProcessLost, may_fork
from sim.output.rundir import (
    HeldText,
    csv_writer,
    hold_text,
    remove_leftovers,
    write_csv,
    write_held_csv,
    written_here,
)
from sim.scenario import Scenario
from sim.scenario.resources import HOLD_ENGINEERS, HOLD_FROM

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
    if engineers == "parquet":
        model.engineer_table().to_parquet(path, index=False)
        return
    with csv_writer(path, compressed=engineers == "csv.gz") as write:
        write_csv(model.engineer_tables(), write)


_held: HeldText | None = None
"""In an engineer table's writing process (:class:`EngineerWriter`): the text of the
table's fixed columns, made while the model ran."""


_forking: tuple[TalentMarket, list[str], list[str]] | None = None
"""While an :class:`EngineerWriter` forks its process: the model, the engineer table's
columns and its fixed ones, which the process inherits (:func:`_hold_fixed_text`); None
otherwise, so that nothing else holds the model."""


def _hold_fixed_text() -> None:
    """In the process of an :class:`EngineerWriter`: make the text of the fixed columns of
    the engineer table of the model as built (:data:`_forking`; :func:`hold_text`) and keep
    it (:data:`_held`)."""
    global _held
    if _forking is None:
        raise RuntimeError("no model to make the engineer table's text of")
    model, columns, fixed = _forking
    _held = hold_text(model.engineer_table(columns=fixed), columns)
    if _held is None:
        raise RuntimeError("the engineer table's fixed columns cannot be written ahead")


def _write_held(path: str, engineers: EngineerFormat, rest: pd.DataFrame) -> None:
    """Write the engineer table to ``path`` (``engineers``: csv.gz or csv) from the text
    of its fixed columns made ahead (:data:`_held`) and its other columns ``rest``."""
    if _held is None:
        raise RuntimeError("no text of the engineer table's fixed columns was made")
    with csv_writer(Path(path), compressed=engineers == "csv.gz") as write:
        if not write_held_csv(_held, rest, write):
            raise RuntimeError(f"the engineer table's columns {list(rest.columns)} "
                               "cannot be written with the text made ahead")


class EngineerWriter:
    """A process that writes a run's final engineer table (CSV, compressed or not), forked
    once the model is built (:func:`engineer_writer`): while the model runs, it makes the
    text of the table's fixed columns (:attr:`Engineers.FIXED_COLUMNS`: 13 of its 16,
    their floats' ``repr`` most of the time of writing the table); at the end it is sent
    the other columns (employer, pay, tenure) and writes the table, the same bytes as
    :func:`write_engineer_table` writes in one process. The text made ahead is held in
    memory, and a process is not worth it for a small table: only populations of
    :data:`HOLD_FROM` to :data:`HOLD_ENGINEERS` engineers get one.

    Use it as a context manager (:class:`EarlyProcess`'s: the process is forked as the
    block begins and ended when it ends).
    """

    def __init__(self, model: TalentMarket, engineers: EngineerFormat) -> None:
        self.engineers = engineers
        self.columns = list(model.engineers.columns())
        self.fixed = [name for name in self.columns if name in Engineers.FIXED_COLUMNS]
        self.rest = [name for name in self.columns if name not in Engineers.FIXED_COLUMNS]
        self._digest = self.fixed_digest(model)
        self._model: TalentMarket | None = model  # until the process is forked
        self._process = EarlyProcess(prepare=_hold_fixed_text,
                                     what="the engineer table's writer", work="wrote")

    def fixed_digest(self, model: TalentMarket) -> bytes:
        """A digest (BLAKE2b) of the values of the fixed columns of ``model``'s engineers."""
        digest = hashlib.blake2b()
        values = model.engineers.columns()
        for name in self.fixed:
            digest.update(np.ascontiguousarray(values[name]).data)
        return digest.digest()

    def start(self, model: TalentMarket, folder: Path) -> bool:
        """Have the process write ``model``'s engineer table into ``folder`` (its file of
        :data:`ENGINEER_FILES`), sending it the columns not made ahead; :meth:`wait` waits
        until it has. False, with the process ended and nothing written, if a fixed column
        has changed since the model was built, or if the process has ended (killed while it
        made its text, by the system short of memory perhaps): the caller then writes the
        table."""
        if self.fixed_digest(model) != self._digest:
            log.info("an engineer column written ahead changed while the model ran; the "
                     "engineer table is written afresh")
            self.stop()
            return False
        try:
            self._process.start(f"{__name__}:_write_held",
                                str(folder / ENGINEER_FILES[self.engineers]), self.engineers,
                                model.engineer_table(columns=self.rest))
        except ProcessLost as err:
            log.info("the engineer table's writer ended before it was started (%s); "
                     "writing it here", err)
            self.stop()
            return False
        return True

    def wait(self) -> None:
        """Wait until the table is written (:meth:`start`); raise the process's failure."""
        self._process.wait()

    def stop(self) -> None:
        """End the process at once, whatever it is writing, and wait for it."""
        self._process.stop()

    def __enter__(self) -> EngineerWriter:
        global _forking
        if self._model is None:
            raise RuntimeError("an EngineerWriter's process is forked once")
        _forking = (self._model, self.columns, self.fixed)
        try:
            self._process.__enter__()
        finally:
            _forking = None
            self._model = None
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.__exit__(*exc)


def engineer_writer(model: TalentMarket, engineers: EngineerFormat) -> EngineerWriter | None:
    """An :class:`EngineerWriter` for ``model``'s engineer table written as ``engineers``,
    or None where one does not serve: Parquet or no table, fewer than :data:`HOLD_FROM`
    or more than :data:`HOLD_ENGINEERS` engineers, a process that may not fork
    (:func:`sim.output.pool.may_fork`), or columns of types pandas writes (text columns
    under pandas 2: :func:`sim.output.rundir.written_here`)."""
    if (engineers not in ("csv", "csv.gz") or not HOLD_FROM <= model.engineers.n <= HOLD_ENGINEERS
            or not may_fork() or not written_here(model.engineer_table(0, 2))):
        return None
    return EngineerWriter(model, engineers)


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
    drawer: EarlyProcess | None = None,
) -> Path:
    """Run ``scenario`` to its horizon and write a complete run folder; return its path.

    ``out`` is the run folder to create; by default ``results/<scenario>/<run-id>``.
    Hidden folders that killed runs left in its parent folder are removed first (each
    named on standard error). ``drawer``: the process that draws the plots (of
    :func:`sim.output.drawing.drawing_process`), already forked by the caller (its
    ``with`` block entered); by default, with ``plots``, one is forked here.
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
                  command, drawer)
    return final


def _run_into(scenario: Scenario, final: Path, seed: int, started: dt.datetime,
              engineers: EngineerFormat, plots: bool, progress: bool, check: bool,
              command: list[str] | None, drawer: EarlyProcess | None = None) -> None:
    """Run the model and write its folder ``final`` (whose name is reserved).

    With ``plots``, the process that draws them (``drawer``, or one forked here first,
    while this process is small) loads the plotting modules while the model runs, and
    draws the plots while the engineer table is written (:mod:`sim.output.drawing`). The
    engineer table is written by an :class:`EngineerWriter` where one serves
    (:func:`engineer_writer`), forked once the model is built.
    """
    clock = time.perf_counter()
    if not plots:
        drawer = None  # a drawer given is the caller's to end
    with contextlib.ExitStack() as processes:
        if drawer is None and plots:
            drawer = drawing_process()
            if drawer is not None:
                processes.enter_context(drawer)
        model = TalentMarket(scenario, seed=seed, check=check)
        writer = engineer_writer(model, engineers)
        if writer is not None:
            processes.enter_context(writer)
        with tqdm(total=model.months, desc=scenario.name, unit="month",
                  disable=not progress, leave=False) as bar:
            model.run(progress=bar)
        # The month's temporary arrays are done with: their memory, kept for reuse while
        # the model ran, is given back before the tables and plots are made.
        give_back_freed_memory()
        with atomic_directory(final) as folder, _started(writer, model, folder) as written_by:
            # The engineer table's writer (if any) writes it while the tables below are.
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
                    _engineer_table_written(model, folder, engineers, written_by)
                    del model
            else:
                _engineer_table_written(model, folder, engineers, written_by)
                del model
                if plots:
                    _plot_here(folder)
            finished = now()
            manifest["finished"] = finished.isoformat(timespec="seconds")
            manifest["wall_time_seconds"] = round(time.perf_counter() - clock, 3)
            manifest["files"] = sorted({p.name for p in folder.iterdir()} | {MANIFEST})
            write_manifest(folder, manifest)
            stop_if_interrupted()


@contextlib.contextmanager
def _started(writer: EngineerWriter | None, model: TalentMarket,
             folder: Path) -> Iterator[EngineerWriter | None]:
    """``writer`` started on ``model``'s engineer table into ``folder``
    (:meth:`EngineerWriter.start`), or None if there is no writer or it declined (the
    table is then written in this process). If the block fails or is interrupted, the
    writer is ended first, so that it does not write into the folder as it is removed."""
    try:
        yield writer if writer is not None and writer.start(model, folder) else None
    except BaseException:
        if writer is not None:
            writer.stop()
        raise


def _engineer_table_written(model: TalentMarket, folder: Path, engineers: EngineerFormat,
                            writer: EngineerWriter | None) -> None:
    """Wait until ``writer`` (started) has written the engineer table into ``folder``, or
    write it here (:func:`write_engineer_table`) if there is none, or if it failed other
    than for want of disk (a process killed, short of memory perhaps, or text it could
    not make): the run's table is written either way."""
    if writer is not None:
        try:
            writer.wait()
            return
        except (ProcessLost, RuntimeError, MemoryError) as err:
            log.info("the engineer table's writer failed (%s); writing it here", err)
            writer.stop()
    write_engineer_table(model, folder, engineers)


def _plot_here(folder: Path) -> None:
    """Draw the plots of the run folder ``folder`` from this process (on a system that
    cannot fork, so has no drawing process), the model's memory (no longer referenced)
    given back first."""
    gc.collect()
    # Imported here for start-up speed: plotting loads matplotlib.
    from sim.output.plots import plot_run

    stop_if_interrupted()
    plot_run(folder)
