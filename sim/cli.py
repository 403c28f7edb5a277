"""The ``talentwar`` command line.

Every command turns bad input (scenario files, command-line values, damaged result
folders) into one clear message on standard error and exit status 2, never a traceback.
Ctrl-C is one line and exit status 130; SIGTERM is handled like Ctrl-C by every command
(the same clean-up, one line, exit status 143).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim import __version__
from sim.errors import InvariantError, Resume, Terminated, UserError, forget_interrupt, log

SIGTERM_AS_INTERRUPT = frozenset({"run", "plot", "compare", "report", "validate", "schema",
                                  "sweep", "calibrate", "explore"})
"""Commands for which SIGTERM is handled like Ctrl-C: clean up, one line, exit 143."""


def flag(option: str) -> str:
    """The command-line option of a library argument: ``out`` -> ``--out``,
    ``save_dir`` -> ``--save-dir``."""
    return "--" + option.replace("_", "-")


def resume_command(resume: Resume) -> str:
    """The command that continues a folder: ``talentwar sweep --resume FOLDER``."""
    return f"talentwar {resume.command} --resume {resume.folder}"


def say(err: UserError) -> str:
    """The message of ``err`` in the words of the command line: its option as ``--out``,
    and the command that continues its folder."""
    return err.phrase(flag, resume_command)


class _Stderr(logging.Handler):
    """Prints the library's log (:data:`sim.errors.log`) on standard error:
    ``talentwar: removed ...``, ``talentwar: warning: ...``."""

    def emit(self, record: logging.LogRecord) -> None:
        warning = "warning: " if record.levelno >= logging.WARNING else ""
        print(f"talentwar: {warning}{record.getMessage()}", file=sys.stderr)


@contextmanager
def _library_log() -> Iterator[None]:
    """Print the library's log messages (INFO and above) on standard error in the block."""
    handler = _Stderr(logging.INFO)
    level, propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


FILE_KINDS = (("calibrate", "a calibration file", ("moments", "estimator")),
              ("sweep", "a sweep file", ("measures", "design", "parameters", "replicates")))
"""Keys that only a calibration or a sweep file has (never a scenario), and the command
that takes such a file."""


def _load_scenario(path: Path, overrides: Mapping[str, Any] | None = None) -> Any:
    """The scenario of ``path`` (with ``overrides``, from ``--set``); a calibration or sweep
    file given in its place is named as such, with the command that takes it."""
    from sim.scenario import OverrideError, load_scenario, parse_toml_file

    try:
        return load_scenario(path, overrides or {})
    except OverrideError as err:
        raise UserError(f"--set {err.key}: {err.reason}") from None
    except UserError:
        try:
            data = parse_toml_file(Path(path), "scenario")
        except UserError:
            data = {}
        for command, what, keys in FILE_KINDS:
            found = [k for k in keys if k in data]
            if found:
                raise UserError(f"{path}: {what} (it has {found[0]!r}), not a scenario; run "
                                f"it with talentwar {command} {path}") from None
        raise


def cmd_run(args: argparse.Namespace) -> int:
    """``talentwar run``: run a scenario into a run folder and print its path."""
    from sim.output.run import run_scenario
    from sim.scenario import parse_overrides

    try:
        overrides = parse_overrides(args.set)
    except UserError as err:
        raise UserError(f"--set {say(err)}") from None
    if args.months is not None:
        overrides.pop("months", None)
        overrides["months"] = args.months
    scenario = _load_scenario(args.scenario, overrides)
    if args.profile:
        if args.replicates is not None or args.out is not None:
            raise UserError("--profile runs the market alone, without --replicates or --out")
        from sim.model import TalentMarket

        model = TalentMarket(scenario, seed=args.seed, check=args.check, profile=True)
        model.run()
        print(model.clock.report())
        return 0
    if args.replicates is not None:
        from sim.sweeps.replicates import run_replicates

        folder = run_replicates(
            scenario, args.replicates, seed=args.seed, out=args.out,
            workers=_workers(args.workers), dask=args.dask,
            engineers=args.engineers or "none", plots=args.plots_each,
            progress=not args.quiet, command=["talentwar", *sys.argv[1:]],
        )
        if not args.no_plots:
            from sim.output.replicates import plot_replicates

            try:
                for path in plot_replicates(folder):
                    print(path)
            except UserError as err:  # the folder is complete: say so, and why no plots
                print(f"talentwar: warning: plots not drawn: {say(err)} (the replicates are "
                      f"complete; try talentwar plot {folder})", file=sys.stderr)
        print(folder)
        print(next_line(folder), file=sys.stderr)
        return 0
    if args.workers is not None or args.dask is not None or args.plots_each:
        raise UserError("--workers, --dask and --plots-each go with --replicates N")
    folder = run_scenario(
        scenario, seed=args.seed, out=args.out, engineers=args.engineers or "csv.gz",
        plots=not args.no_plots, progress=not args.quiet, check=args.check,
        command=["talentwar", *sys.argv[1:]],
    )
    from sim.output.rundir import load_manifest

    for warning in load_manifest(folder).get("warnings", []):
        print(f"talentwar: warning: {warning}", file=sys.stderr)
    print(folder)
    print(next_line(folder), file=sys.stderr)
    return 0


def next_line(folder: Path) -> str:
    """What to do with a new run or replicate folder: the command that puts it on one page
    (on standard error, so that standard output stays the folder's path alone)."""
    return f"next: talentwar report {folder}"


def cmd_validate(args: argparse.Namespace) -> int:
    """``talentwar validate``: check scenario files without running them."""
    from sim.model import check_memory
    from sim.scenario.advice import scenario_warnings

    failed = 0
    for path in args.files:
        try:
            scenario = _load_scenario(path)
            memory = check_memory(scenario, str(path))
        except UserError as err:
            print(say(err), file=sys.stderr)
            failed += 1
        else:
            for warning in scenario_warnings(scenario):
                print(f"{path}: warning: {warning}", file=sys.stderr)
            print(f"{path}: ok ({scenario.name}: {scenario.market.engineers:,} engineers, "
                  f"{len(scenario.firm_names()):,} firms, {scenario.months} months; a run "
                  f"needs about {memory / 1e6:,.0f} MB)")
    return 2 if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    """``talentwar schema``: the JSON Schema, or the Markdown reference, of scenario files."""
    if args.kind == "calibration":
        if args.markdown:
            from sim.calibration.spec import markdown_reference

            text = markdown_reference()
        else:
            from sim.calibration.spec import calibration_json_schema

            text = calibration_json_schema() + "\n"
    elif args.kind == "sweep":
        if args.markdown:
            raise UserError("schema --markdown: the Markdown reference is of scenario files; "
                            "sweep files are described in docs/sweeps.md")
        from sim.sweeps.spec import sweep_json_schema

        text = sweep_json_schema() + "\n"
    else:
        from sim.scenario import json_schema
        from sim.scenario.reference import markdown_reference

        text = markdown_reference() if args.markdown else json_schema() + "\n"
    if args.out:
        from sim.files import write_text

        write_text(Path(args.out), text)
    else:
        sys.stdout.write(text)
    return 0


def _warn_if_leftover(folder: Path) -> None:
    """Warn that ``folder`` is the hidden folder an interrupted command was writing (its
    contents may be incomplete), naming the folder it was to become."""
    from sim.files import LEFTOVER, writer_alive

    found = LEFTOVER.match(folder.name)
    if found is None:
        return
    try:
        written = folder.stat().st_mtime
    except OSError:
        return
    pid = int(found["pid"])
    state = ("is still writing it" if writer_alive(pid, written)
             else "was interrupted before it finished")
    print(f"talentwar: warning: {folder} is the hidden folder in which process {pid} was "
          f"writing {found['name']}; that process {state}, so what it holds may be "
          "incomplete", file=sys.stderr)


def cmd_plot(args: argparse.Namespace) -> int:
    """``talentwar plot``: redraw the plots of a run, replicate or sweep folder."""
    from sim.output.replicates import is_replicate_folder, plot_replicates

    folder = Path(args.run_dir)
    _warn_if_leftover(folder)
    if (folder / "sweep.json").is_file():
        from sim.sweeps.plots import plot_sweep
        from sim.sweeps.report import partial_warning

        warning = partial_warning(folder)
        if warning:
            print(f"talentwar: warning: {warning}", file=sys.stderr)
        paths = plot_sweep(folder)
    elif is_replicate_folder(folder):
        paths = plot_replicates(folder)
    else:
        from sim.output.plots import plot_run

        paths = plot_run(folder)
    for path in paths:
        print(path)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``talentwar compare``: print the difference table and write the plots."""
    from sim.output.compare import compare_runs, default_compare_dir, format_table
    from sim.output.replicates import (
        compare_replicate_folders,
        comparison_text,
        is_replicate_folder,
    )

    out = args.out if args.out is not None else default_compare_dir()
    replicated = [is_replicate_folder(d) for d in args.run_dirs]
    if any(replicated):
        if not all(replicated):
            raise UserError("compare: give only replicate folders (talentwar run --replicates "
                            "N) or only run folders, not both")
        print(comparison_text(compare_replicate_folders(args.run_dirs, out), args.run_dirs[0],
                              out))
        return 0
    table, pngs = compare_runs(args.run_dirs, out)
    print(f"Key measures at the end of the horizon (Δ = run minus {table.columns[0]}):")
    print(format_table(table))
    print()
    for path in pngs:
        print(path)
    print(Path(out) / "differences.csv")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``talentwar report``: write the HTML report and print its path."""
    from sim.calibration.report import is_calibration, write_calibration_report
    from sim.output.report import write_report
    from sim.sweeps.report import is_sweep, write_sweep_report

    if args.compare and len(args.paths) < 2:
        raise UserError(f"--compare needs at least 2 run folders, got {len(args.paths)}")
    if not args.compare and len(args.paths) > 1:
        raise UserError("several folders given: add --compare to compare runs in one report")
    folders = [Path(p) for p in args.paths]
    for folder in folders:
        _warn_if_leftover(folder)
    if len(folders) == 1 and is_calibration(folders[0]):
        print(write_calibration_report(folders[0], args.out))
        return 0
    if len(folders) == 1 and is_sweep(folders[0]):
        from sim.sweeps.report import partial_warning

        warning = partial_warning(folders[0])
        if warning:
            print(f"talentwar: warning: {warning}", file=sys.stderr)
        print(write_sweep_report(folders[0], args.out))
        return 0
    sweeps = [str(f) for f in folders if is_sweep(f)]
    # A missing folder is reported first, by write_report.
    if sweeps and all(f.is_dir() for f in folders):
        raise UserError(f"{', '.join(sweeps)}: a sweep folder cannot be compared with runs; "
                        "report on it alone")
    print(write_report(folders, args.out))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """``talentwar sweep``: run a sweep file, or resume a sweep folder.

    Exit status 0 (every run done), 1 (finished with failed runs), 2 (bad input, nothing
    written), 130 (interrupted) or 143 (SIGTERM): says how many runs are recorded and how to
    resume.
    """
    from sim.sweeps.run import SweepInterrupted, resume_sweep, run_sweep

    workers = _workers(args.workers)
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
            if args.set:
                from sim.scenario import parse_overrides

                try:
                    parse_overrides(args.set)
                except UserError as err:
                    raise UserError(f"--set {say(err)}") from None
            summary = run_sweep(args.sweep_file, out=args.out, workers=workers, dask=args.dask,
                                progress=not args.quiet, overrides=args.set)
    except SweepInterrupted as stop:
        what = "terminated (SIGTERM)" if stop.terminated else "interrupted"
        print(f"\ntalentwar sweep: {what}; {stop.recorded:,} of {stop.total:,} runs "
              f"recorded; resume with {resume_command(Resume('sweep', stop.folder))}",
              file=sys.stderr)
        return 128 + (signal.SIGTERM if stop.terminated else signal.SIGINT)
    print(f"{summary.folder}: {summary.done} done, {summary.failed} failed of "
          f"{summary.total} runs ({summary.ran} run now); complete", file=sys.stderr)
    from sim.sweeps.report import noise_warning

    warning = noise_warning(summary.folder)
    if warning:
        print(f"talentwar: warning: {warning}", file=sys.stderr)
    if not args.no_plots and summary.done:
        from sim.sweeps.plots import plot_sweep

        try:
            for path in plot_sweep(summary.folder):
                print(path)
        except UserError as err:  # the runs are recorded: say so, and why no plots
            print(f"talentwar: warning: plots not drawn: {say(err)} (the sweep is recorded; "
                  f"try talentwar plot {summary.folder})", file=sys.stderr)
    print(summary.folder)
    print(next_line(summary.folder), file=sys.stderr)
    return 0 if summary.failed == 0 else 1


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``talentwar calibrate``: estimate a scenario's parameters, or resume a calibration."""
    from sim.calibration.run import CalibrationInterrupted, resume_calibration, run_calibration

    workers = _workers(args.workers)
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
        print(f"\ntalentwar calibrate: interrupted; {stop.recorded} runs recorded; continue "
              f"with: {resume_command(Resume('calibrate', stop.folder))}", file=sys.stderr)
        raise (Terminated() if stop.terminated else KeyboardInterrupt()) from None
    for warning in summary.warnings:
        print(f"talentwar calibrate: warning: {warning}", file=sys.stderr)
    print(f"{summary.folder}: J = {summary.objective:.4g} (a distance, not a test) at "
          + ", ".join(f"{k} = {v:.4g}" for k, v in summary.estimate.items())
          + f" ({summary.ran} runs now, {summary.failed} failed)", file=sys.stderr)
    print(summary.folder)
    return 0 if summary.failed == 0 else 1


WORKERS_HELP = ("local worker processes (default: the number of CPUs this process may "
                "use, as for run --replicates, sweep and calibrate; never more than the "
                "runs to do); with --dask local, the number of Dask workers")
"""The help of ``--workers``, one default for every command that has it."""

FLAGSHIP = Path("scenarios") / "ai_talent_war_2024.toml"
"""The scenario ``talentwar explore`` opens when given none."""


def cmd_explore(args: argparse.Namespace) -> int:
    """``talentwar explore``: serve the live app on a scenario until Ctrl-C or SIGTERM."""
    from sim.explore.server import missing_extra  # needs none of the app's packages

    missing = missing_extra()
    if missing is not None:
        raise UserError(missing)
    from sim.explore.server import serve

    scenario = args.scenario if args.scenario is not None else FLAGSHIP
    if not scenario.is_file():
        raise UserError(f"{scenario}: no such scenario file"
                        + (" (the flagship: run from the project folder, or give a "
                           "scenario file)" if args.scenario is None else ""))
    serve(scenario, host=args.host, port=args.port, open_browser=args.open,
          save_dir=args.save_dir)
    return 0


def _workers(text: str | None) -> int:
    """``--workers`` of ``run --replicates``, ``sweep`` and ``calibrate``: a whole number
    >= 1; by default :func:`sim.files.default_workers` (the CPUs this process may use). The
    command checks the upper limit and uses no more workers than it has runs to do."""
    if text is None:
        from sim.files import default_workers

        return default_workers()
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"--workers: expected a whole number >= 1, got {text[:40]!r}") from None
    if value < 1:
        raise UserError(f"--workers: expected a whole number >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``talentwar`` command."""
    parser = argparse.ArgumentParser(
        prog="talentwar",
        description="An agent-based simulator of the labour market for AI talent.",
    )
    parser.add_argument("--version", action="version", version=f"talentwar {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run a scenario and write its results and plots",
        description="Run a scenario file into a run folder (manifest.json, market.csv, "
        "firms.csv, flows.csv, deals.csv, the engineer table and the plots; see "
        "docs/outputs.md) and print its path. With --replicates N, run N replicates "
        "(seeds from one root seed) into a replicate folder with summary.csv (means and "
        "95% intervals), which talentwar compare pairs by seed with another's.")
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run.add_argument("--seed", type=_non_negative_int, help="seed (default: the scenario's)")
    run.add_argument("--months", type=_positive_int, help="months to simulate")
    run.add_argument("--out", type=Path, help="run folder to create "
                     "(default: results/<scenario>/<run-id>)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value, e.g. market.engineers=20000 (repeatable)")
    run.add_argument("--engineers", choices=["csv.gz", "csv", "parquet", "none"],
                     help="format of the final engineer table: gzip-compressed CSV "
                     "(engineers.csv.gz, the default of a run), csv, parquet (needs "
                     "pyarrow) or none (the default of each replicate with --replicates)")
    run.add_argument("--no-plots", action="store_true", help="write tables only")
    run.add_argument("--replicates", type=_positive_int, metavar="N",
                     help="run N replicates (seeds from one SeedSequence of --seed) into a "
                     "replicate folder with summary.csv (means and 95%% intervals)")
    run.add_argument("--workers", metavar="N",
                     help=f"with --replicates: {WORKERS_HELP}")
    run.add_argument("--dask", metavar="ADDRESS",
                     help="with --replicates: run on a Dask cluster: tcp://host:8786, or "
                     "'local' to start one (workers must share the file system)")
    run.add_argument("--plots-each", action="store_true",
                     help="with --replicates: draw each replicate's plots (slower)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--profile", action="store_true",
                     help="time each phase of the month and print where the time goes "
                     "(runs the market only: no run folder is written)")
    run.add_argument("--check", action="store_true",
                     help="check the market's invariants every month (everyone in one place, "
                     "no negative cash, money conserved, finite pay); stop at the first broken")
    run.set_defaults(func=cmd_run)

    validate = commands.add_parser(
        "validate", help="check scenario files without running",
        description="Check scenario files without running them: every key, type and value "
        "against the schema (docs/scenarios.md), after extends. Prints each file's size, "
        "horizon and the memory a run needs, and warnings (a tier nobody pays, events after "
        "the horizon...). A sweep or calibration file is named as such, with the command "
        "that takes it. Exit status 2 if any file is invalid.")
    validate.add_argument("files", nargs="+", type=Path, metavar="SCENARIO",
                          help="scenario files (TOML)")
    validate.set_defaults(func=cmd_validate)

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of scenario (or sweep) files")
    schema.add_argument("--out", type=Path, help="write it to this file instead")
    schema.add_argument("--kind", choices=["scenario", "sweep", "calibration"], default="scenario",
                        help="which files the schema is of (default: scenario)")
    schema.add_argument("--markdown", action="store_true",
                        help="the reference of every key as Markdown (docs/scenarios.md)")
    schema.set_defaults(func=cmd_schema)

    plot = commands.add_parser(
        "plot", help="(re)draw the plots of a run, replicate or sweep folder",
        description="Draw the PNG plots of a folder again from its tables, into the folder, "
        "and print their paths: a run folder's plots of headcount, pay, moves and deals; a "
        "replicate folder's means with 95% bands; a sweep folder's measures against its "
        "parameters (docs/outputs.md, docs/sweeps.md).")
    plot.add_argument("run_dir", type=Path, metavar="RUN_REPLICATE_OR_SWEEP_DIR",
                      help="a run, replicate or sweep folder")
    plot.set_defaults(func=cmd_plot)

    compare = commands.add_parser(
        "compare", help="draw several runs on shared axes and tabulate their differences",
        description="Compare several runs, or several replicate folders, with the first. "
        "Replicate folders (talentwar run --replicates N, with the same --seed) are paired "
        "by seed: replicate i of each uses the same seed, and each key measure's "
        "difference is its mean over the pairs with a 95% paired t interval. Run folders "
        "are drawn on shared axes with the differences of one draw each. Prints the table "
        "and writes differences.csv and the plots.",
    )
    compare.add_argument("run_dirs", nargs="+", type=Path, metavar="DIR",
                         help="run folders, or replicate folders paired by seed (at least "
                         "two, all of one kind; the first is the reference)")
    compare.add_argument("--out", type=Path, help="folder for the plots and differences.csv "
                         "(default: results/compare/<timestamp>)")
    compare.set_defaults(func=cmd_compare)

    report = commands.add_parser(
        "report", help="write a self-contained HTML report of a run, a sweep or several runs",
        description="Write one HTML file (no server, no internet: plotly.js and the plots "
        "are inside it) with what the run is, its warnings, the key figures, interactive "
        "charts, the static plots, the scenario and the manifest. A replicate folder gets "
        "means with 95% intervals; compared runs get what each changed.",
    )
    report.add_argument("paths", nargs="+", type=Path, metavar="DIR",
                        help="a run, replicate, sweep or calibration folder; with --compare, "
                        "2+ run folders or 2+ replicate folders")
    report.add_argument("--compare", action="store_true",
                        help="compare several runs or replicate folders (the first is the "
                        "reference; replicates are paired by seed)")
    report.add_argument("--out", type=Path, help="HTML file to write (default: report.html "
                        "in the folder; with --compare, results/compare/<timestamp>/"
                        "report.html)")
    report.set_defaults(func=cmd_report)

    sweep = commands.add_parser(
        "sweep", help="run a parameter sweep (or --resume one) into a sweep folder",
        description="Run every run of a sweep file into a sweep folder (see docs/sweeps.md), "
        "then draw its plots (unless --no-plots) and print the folder's path; talentwar "
        "report DIR puts its response table and plots on one page.",
    )
    sweep.add_argument("sweep_file", type=Path, nargs="?", help="sweep file (TOML)")
    sweep.add_argument("--workers", metavar="N", help=WORKERS_HELP)
    sweep.add_argument("--out", type=Path, help="sweep folder to create "
                       "(default: results/sweeps/<name>-<time>)")
    sweep.add_argument("--resume", type=Path, metavar="DIR",
                       help="continue an interrupted sweep folder: run only missing runs")
    sweep.add_argument("--retry-failed", action="store_true",
                       help="with --resume: also rerun runs recorded as failed")
    sweep.add_argument("--dask", metavar="ADDRESS",
                       help="run on a Dask cluster: tcp://host:8786, or 'local' to start one")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a value of the base scenario in every run, after the "
                       "sweep file's set (repeatable; recorded in sweep.json)")
    sweep.add_argument("--no-plots", action="store_true",
                       help="record the runs only; draw no plots (talentwar plot DIR draws "
                       "them later)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(func=cmd_sweep)

    calibrate = commands.add_parser(
        "calibrate", help="estimate a scenario's parameters from target moments (SMM)",
        description="Estimate the parameters of a calibration file by the simulated method "
        "of moments into a calibration folder (see docs/calibrate.md).",
    )
    calibrate.add_argument("calibration_file", type=Path, nargs="?",
                           help="calibration file (TOML)")
    calibrate.add_argument("--workers", metavar="N", help=WORKERS_HELP)
    calibrate.add_argument("--out", type=Path, help="calibration folder to create "
                           "(default: results/calibrations/<name>-<time>)")
    calibrate.add_argument("--resume", type=Path, metavar="DIR",
                           help="continue an interrupted calibration folder")
    calibrate.add_argument("--dask", metavar="ADDRESS",
                           help="run on a Dask cluster: tcp://host:8786, or 'local'")
    calibrate.add_argument("--quiet", action="store_true", help="no progress bar")
    calibrate.set_defaults(func=cmd_calibrate)

    explore = commands.add_parser(
        "explore", help="explore a scenario live in the browser: turn its knobs, step, play",
        description="Serve a live app (Mesa's SolaraViz) on a scenario: controls for the "
        "what-if questions, charts that follow the model month by month, save the settings "
        "as a scenario, compare them with the start. Runs offline; stop it with Ctrl-C. "
        "Needs the explore extra: pip install 'talentwar[explore]'.")
    explore.add_argument("scenario", type=Path, nargs="?",
                         help=f"scenario file (default: the flagship, {FLAGSHIP})")
    explore.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default: 127.0.0.1, this machine only)")
    explore.add_argument("--port", type=_port, default=8765,
                         help="port (default: 8765; 0: a free port)")
    explore.add_argument("--open", action="store_true",
                         help="open the app in the default browser")
    explore.add_argument("--save-dir", type=Path,
                         help="folder \"Save as scenario\" writes to (default: the current "
                         "folder)")
    explore.set_defaults(func=cmd_explore)
    return parser


def _sigterm_as_interrupt() -> Any:
    """Make SIGTERM raise :class:`Terminated` in this process (not in processes it forks,
    which keep the default: end); return the handler it replaces (None if it cannot)."""
    main_pid = os.getpid()

    def on_sigterm(signum: int, frame: object) -> None:
        if os.getpid() != main_pid:  # a forked process: end, as by default
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, on_sigterm)
    except (ValueError, OSError):  # not the main thread
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Bad input is one line and status 2; a broken invariant status 3; Ctrl-C one line and
    status 130, and SIGTERM (for the commands of :data:`SIGTERM_AS_INTERRUPT`) one line and
    status 143, after the command has removed what it had not finished.
    """
    previous: Any = None
    try:
        args = build_parser().parse_args(argv)
        if args.command in SIGTERM_AS_INTERRUPT:
            previous = _sigterm_as_interrupt()
        with _library_log():
            return int(args.func(args))
    except UserError as err:
        print(f"talentwar: error: {say(err)}", file=sys.stderr)
        return UserError.exit_status
    except InvariantError as err:
        print(f"talentwar: invariant broken in {err} (a bug in the model: please report it "
              "with the scenario and seed); nothing was written", file=sys.stderr)
        return InvariantError.exit_status
    except KeyboardInterrupt as err:
        forget_interrupt()
        with _quiet_interrupts():
            terminated = isinstance(err, Terminated)
            what = "terminated (SIGTERM)" if terminated else "interrupted"
            print(f"talentwar: {what}; nothing incomplete was left behind", file=sys.stderr)
        return 128 + (signal.SIGTERM if terminated else signal.SIGINT)
    finally:
        if previous is not None:
            with _quiet_interrupts():
                signal.signal(signal.SIGTERM, previous)


@contextmanager
def _quiet_interrupts() -> Iterator[None]:
    """Ignore a further Ctrl-C while the block (a one-line message) runs."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
