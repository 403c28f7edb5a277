"""The argument parser of every ``talentwar`` command (argparse only: building it imports
neither the model nor numpy, so ``talentwar --help`` is fast)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim import __version__
from sim.cli.batches import FLAGSHIP, cmd_calibrate, cmd_explore, cmd_sweep
from sim.cli.runs import cmd_compare, cmd_plot, cmd_report, cmd_run, cmd_schema, cmd_validate
from sim.cli.words import WORKERS_HELP, non_negative_int, port_number, positive_int


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
    run.add_argument("--seed", type=non_negative_int, help="seed (default: the scenario's)")
    run.add_argument("--months", type=positive_int, help="months to simulate")
    run.add_argument("--out", type=Path, help="run folder to create "
                     "(default: results/<scenario>/<run-id>)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value, e.g. market.engineers=20000 (repeatable)")
    run.add_argument("--engineers", choices=["csv.gz", "csv", "parquet", "none"],
                     help="format of the final engineer table: gzip-compressed CSV "
                     "(engineers.csv.gz, the default of a run), csv, parquet (needs "
                     "pyarrow) or none (the default of each replicate with --replicates)")
    run.add_argument("--no-plots", action="store_true", help="write tables only")
    run.add_argument("--replicates", type=positive_int, metavar="N",
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
    explore.add_argument("--port", type=port_number, default=8765,
                         help="port (default: 8765; 0: a free port)")
    explore.add_argument("--open", action="store_true",
                         help="open the app in the default browser")
    explore.add_argument("--save-dir", type=Path,
                         help="folder \"Save as scenario\" writes to (default: the current "
                         "folder)")
    explore.set_defaults(func=cmd_explore)
    return parser
