"""The commands of one run and its folder: ``run``, ``validate``, ``schema``, ``plot``,
``compare`` and ``report``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from sim.cli.words import (
    interrupted,
    next_line,
    read_scenario,
    say,
    warn_if_leftover,
    workers_of,
)
from sim.errors import Terminated, UserError


def cmd_run(args: argparse.Namespace) -> int:
    """``talentwar run``: run a scenario into a run folder and print its path.

    A run with plots forks the process that will draw them once the scenario is read,
    before the model's modules load (:func:`sim.output.drawing.drawing_process`): it loads
    the plotting modules meanwhile, on another core, and is done soon after the model
    starts, leaving that core to the process that makes the engineer table's text
    (:class:`sim.output.run.EngineerWriter`)."""
    from sim.scenario import parse_overrides

    try:
        overrides = parse_overrides(args.set)
    except UserError as err:
        raise UserError(f"--set {say(err)}") from None
    if args.months is not None:
        overrides.pop("months", None)
        overrides["months"] = args.months
    scenario = read_scenario(args.scenario, overrides)
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
            workers=workers_of(args.workers), dask=args.dask,
            engineers=args.engineers or "none", plots=args.plots_each,
            progress=not args.quiet, command=["talentwar", *sys.argv[1:]],
        )
        if not args.no_plots:
            from sim.output.replicates import plot_replicates

            try:  # in the folder; standard output gets the folder alone, as for one run
                plot_replicates(folder)
            except UserError as err:  # the folder is complete: say so, and why no plots
                print(f"talentwar: warning: plots not drawn: {say(err)} (the replicates are "
                      f"complete; try talentwar plot {folder})", file=sys.stderr)
            except KeyboardInterrupt as err:  # the folder is complete, its plots not drawn
                return interrupted(isinstance(err, Terminated), "talentwar: ",
                                   f" as the plots were drawn: the replicates are complete "
                                   f"in {folder}, without plots; draw them with talentwar "
                                   f"plot {folder}")
        print(folder)
        print(next_line(folder), file=sys.stderr)
        return 0
    if args.workers is not None or args.dask is not None or args.plots_each:
        raise UserError("--workers, --dask and --plots-each go with --replicates N")
    drawer = None
    if not args.no_plots:
        from sim.output.drawing import drawing_process

        drawer = drawing_process()
    with drawer if drawer is not None else contextlib.nullcontext():
        from sim.output.run import run_scenario  # the model's modules (Mesa's load slowly)

        folder = run_scenario(
            scenario, seed=args.seed, out=args.out, engineers=args.engineers or "csv.gz",
            plots=not args.no_plots, progress=not args.quiet, check=args.check,
            command=["talentwar", *sys.argv[1:]], drawer=drawer,
        )
    from sim.output.manifest import load_manifest

    for warning in load_manifest(folder).get("warnings", []):
        print(f"talentwar: warning: {warning}", file=sys.stderr)
    print(folder)
    print(next_line(folder), file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``talentwar validate``: check scenario files without running them."""
    from sim.scenario.advice import scenario_warnings
    from sim.scenario.resources import check_memory

    failed = 0
    for path in args.files:
        try:
            scenario = read_scenario(path)
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


def cmd_plot(args: argparse.Namespace) -> int:
    """``talentwar plot``: redraw the plots of a run, replicate or sweep folder."""
    from sim.output.replicates import is_replicate_folder, plot_replicates

    folder = Path(args.run_dir)
    warn_if_leftover(folder)
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
        warn_if_leftover(folder)
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
