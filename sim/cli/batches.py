"""The commands of many runs and the live app: ``sweep``, ``calibrate`` and ``explore``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.words import (
    interrupted,
    next_line,
    read_scenario,
    resume_command,
    say,
    workers_of,
)
from sim.errors import Resume, UserError


def cmd_sweep(args: argparse.Namespace) -> int:
    """``talentwar sweep``: run a sweep file, or resume a sweep folder.

    Exit status 0 (every run done), 1 (finished with failed runs), 2 (bad input, nothing
    written), 130 (interrupted) or 143 (SIGTERM): says how many runs are recorded and how to
    resume.
    """
    from sim.sweeps.run import SweepInterrupted, resume_sweep, run_sweep

    workers = workers_of(args.workers)
    try:
        if args.resume is not None:
            if args.sweep_file is not None or args.out is not None or args.set:
                raise UserError("--resume DIR continues a sweep folder as sweep.json records "
                                "it; give no SWEEP_FILE, --out or --set")
            summary = resume_sweep(args.resume, workers=workers, dask=args.dask,
                                   progress=not args.quiet, retry_failed=args.retry_failed)
        else:
            if args.sweep_file is None:
                raise UserError("give a SWEEP_FILE, or --resume DIR")
            if args.retry_failed:
                raise UserError("--retry-failed reruns the failed runs of a sweep folder: "
                                "give it with --resume DIR (a new sweep has none)")
            if args.set:
                from sim.scenario import parse_overrides

                try:
                    parse_overrides(args.set)
                except UserError as err:
                    raise UserError(f"--set {say(err)}") from None
            summary = run_sweep(args.sweep_file, out=args.out, workers=workers, dask=args.dask,
                                progress=not args.quiet, overrides=args.set)
    except SweepInterrupted as stop:
        return interrupted(stop.terminated, "\ntalentwar sweep: ",
                           f"; {stop.recorded:,} of {stop.total:,} runs recorded; resume "
                           f"with {resume_command(Resume('sweep', stop.folder))}")
    print(f"{summary.folder}: {summary.done} done, {summary.failed} failed of "
          f"{summary.total} runs ({summary.ran} run now); complete", file=sys.stderr)
    from sim.sweeps.report import noise_warning

    warning = noise_warning(summary.folder)
    if warning:
        print(f"talentwar: warning: {warning}", file=sys.stderr)
    if not args.no_plots and summary.done:
        from sim.sweeps.plots import plot_sweep

        try:  # in the folder; standard output gets the folder alone, as for a run
            plot_sweep(summary.folder)
        except UserError as err:  # the runs are recorded: say so, and why no plots
            print(f"talentwar: warning: plots not drawn: {say(err)} (the sweep is recorded; "
                  f"try talentwar plot {summary.folder})", file=sys.stderr)
    print(summary.folder)
    print(next_line(summary.folder), file=sys.stderr)
    return 0 if summary.failed == 0 else 1


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``talentwar calibrate``: estimate a scenario's parameters, or resume a calibration."""
    from sim.calibration.run import CalibrationInterrupted, resume_calibration, run_calibration

    workers = workers_of(args.workers)
    try:
        if args.resume is not None:
            if args.calibration_file is not None or args.out is not None:
                raise UserError("--resume DIR continues a calibration folder; give no "
                                "CALIBRATION_FILE or --out")
            summary = resume_calibration(args.resume, workers=workers, dask=args.dask,
                                         progress=not args.quiet)
        else:
            if args.calibration_file is None:
                raise UserError("give a CALIBRATION_FILE, or --resume DIR")
            summary = run_calibration(args.calibration_file, out=args.out, workers=workers,
                                      dask=args.dask, progress=not args.quiet)
    except CalibrationInterrupted as stop:
        return interrupted(stop.terminated, "\ntalentwar calibrate: ",
                           f"; {stop.recorded} runs recorded; continue with: "
                           f"{resume_command(Resume('calibrate', stop.folder))}")
    for warning in summary.warnings:
        print(f"talentwar calibrate: warning: {warning}", file=sys.stderr)
    print(f"{summary.folder}: J = {summary.objective:.4g} (a distance, not a test) at "
          + ", ".join(f"{k} = {v:.4g}" for k, v in summary.estimate.items())
          + f" ({summary.ran} runs now, {summary.failed} failed)", file=sys.stderr)
    print(summary.folder)
    return 0 if summary.failed == 0 else 1


FLAGSHIP = Path("scenarios") / "ai_talent_war_2024.toml"
"""The scenario ``talentwar explore`` opens when given none."""


def cmd_explore(args: argparse.Namespace) -> int:
    """``talentwar explore``: serve the live app on a scenario until Ctrl-C or SIGTERM."""
    from sim.explore.server import missing_extra  # needs none of the app's packages

    scenario = args.scenario if args.scenario is not None else FLAGSHIP
    if not scenario.is_file():
        raise UserError(f"{scenario}: no such scenario file"
                        + (" (the flagship: run from the project folder, or give a "
                           "scenario file)" if args.scenario is None else ""))
    read_scenario(scenario)  # a sweep or calibration file is named as such, before any import
    missing = missing_extra()
    if missing is not None:
        raise UserError(missing)
    from sim.explore.server import serve

    serve(scenario, host=args.host, port=args.port, open_browser=args.open,
          save_dir=args.save_dir)
    return 0
