"""The ``talentwar`` command line.

Every command turns bad input (scenario files, command-line values) into one clear message
on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.errors import UserError


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from sim.output.run import run_scenario
    from sim.scenario import load_scenario

    overrides = list(args.set)
    if args.months is not None:
        overrides.append(f"months={args.months}")
    scenario = load_scenario(args.scenario, overrides)
    folder = run_scenario(
        scenario, seed=args.seed, out=args.out, engineers=args.engineers,
        plots=not args.no_plots, progress=not args.quiet,
        command=["talentwar", *sys.argv[1:]],
    )
    print(folder)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario

    failed = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except UserError as err:
            print(err, file=sys.stderr)
            failed += 1
        else:
            print(f"{path}: ok ({scenario.name}: {scenario.market.engineers:,} engineers, "
                  f"{len(scenario.firms)} named firms, {scenario.months} months)")
    return 2 if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.scenario import json_schema
    from sim.scenario.reference import markdown_reference

    text = markdown_reference() if args.markdown else json_schema() + "\n"
    if args.out:
        from sim.output.run import atomic_write_text

        atomic_write_text(Path(args.out), text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    folder = Path(args.run_dir)
    if (folder / "sweep.json").is_file():
        from sim.sweeps.plots import plot_sweep

        paths = plot_sweep(folder)
    else:
        from sim.output.plots import plot_run

        paths = plot_run(folder)
    for path in paths:
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``talentwar`` command."""
    parser = argparse.ArgumentParser(
        prog="talentwar",
        description="An agent-based simulator of the labour market for AI talent.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a scenario and write its results and plots")
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run.add_argument("--seed", type=_non_negative_int, help="seed (default: the scenario's)")
    run.add_argument("--months", type=_positive_int, help="months to simulate")
    run.add_argument("--out", type=Path, help="run folder to create "
                     "(default: results/<scenario>/<run-id>)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value, e.g. market.engineers=20000 (repeatable)")
    run.add_argument("--engineers", choices=["csv", "parquet", "none"], default="csv",
                     help="format of the final engineer table (default: csv)")
    run.add_argument("--no-plots", action="store_true", help="write tables only")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)

    validate = commands.add_parser("validate", help="check scenario files without running")
    validate.add_argument("files", nargs="+", type=Path)
    validate.set_defaults(func=cmd_validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.add_argument("--out", type=Path, help="write it to this file instead")
    schema.add_argument("--markdown", action="store_true",
                        help="the reference of every key as Markdown (docs/scenarios.md)")
    schema.set_defaults(func=cmd_schema)

    plot = commands.add_parser("plot", help="(re)draw the plots of a run or sweep folder")
    plot.add_argument("run_dir", type=Path, metavar="RUN_OR_SWEEP_DIR")
    plot.set_defaults(func=cmd_plot)

    from sim.output import compare, report
    from sim.sweeps import engine as sweep

    compare.register(commands)
    report.register(commands)
    sweep.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as err:
        print(f"talentwar: error: {err}", file=sys.stderr)
        return UserError.exit_status
    except KeyboardInterrupt:
        print("talentwar: interrupted; nothing incomplete was left behind", file=sys.stderr)
        return 130
