"""Benchmark: what each of a run's twelve plots costs to draw, step by step, in one process.

Usage::

    python benchmarks/bench_plots.py RUN_FOLDER              # a finished run folder
    python benchmarks/bench_plots.py RUN_FOLDER --repeat 3   # best of 3 for each step
    python benchmarks/bench_plots.py RUN_FOLDER --src /path/to/other/checkout

Reads and checks the run's tables once (as ``talentwar plot`` does before drawing), then
draws each plot of :data:`sim.output.plots.RUN_PLOTS` in this process and times, in CPU
seconds, its steps as :func:`sim.output.plotkit.save` takes them: **build** (the plot's
function: its data and artists), **layout** (the figure's layout engine applied once,
:func:`~sim.output.plotkit.lay_out`), **box** (the tight box of a figure with no layout
engine, :func:`~sim.output.plotkit.tight_box`), **draw** (``savefig`` into memory: the
drawing and the PNG's compression). Prints one line per plot and the totals. Nothing is
written. ``--src`` puts another checkout first on the import path, so old and new can be
timed in turn by the same script on the same folder. The process's C allocator is set as
the ``talentwar`` command's (:func:`sim.files.processes.keep_freed_memory`, where the
checkout has it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished run folder")
    parser.add_argument("--repeat", type=int, default=1, help="best of N for each step")
    parser.add_argument("--src", type=Path, help="checkout of talentwar to time")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat: expected a whole number of at least 1, not {args.repeat}")
    if args.src is not None:
        sys.path.insert(0, str(args.src.resolve()))

    import matplotlib.pyplot as plt

    from sim.files import processes  # the allocator as the command's processes have it

    getattr(processes, "keep_freed_memory", lambda: False)()
    from sim.output import plotkit
    from sim.output.plots import RUN_PLOTS, check_plottable
    from sim.output.rundir import RunFolder

    run = RunFolder.open(args.run)
    check_plottable(run)
    steps = ("build", "layout", "box", "draw")
    totals = dict.fromkeys(steps, 0.0)
    print(f"{'plot':20s}" + "".join(f"{s:>9s}" for s in steps) + "   (CPU seconds)")
    for name, draw in RUN_PLOTS.items():
        best = dict.fromkeys(steps, float("inf"))
        for _ in range(args.repeat):
            clock = time.process_time()
            fig = draw(run)
            took = {"build": time.process_time() - clock}
            # save()'s text settings (a checkout from before them: matplotlib's)
            settings = getattr(plotkit, "text_settings", contextlib.nullcontext)
            with plotkit.plain_text(fig), settings():
                engine = fig.get_layout_engine()
                clock = time.process_time()
                laid_out = plotkit.lay_out(fig)
                took["layout"] = time.process_time() - clock
                clock = time.process_time()
                box = None if laid_out or engine is not None else plotkit.tight_box(fig)
                took["box"] = time.process_time() - clock
                clock = time.process_time()
                if hasattr(plotkit, "PngCanvas"):  # PNGs written by png_bytes
                    plotkit.PngCanvas(fig)
                    fig.savefig(io.BytesIO(), format="png", dpi=plotkit.DPI, bbox_inches=box)
                else:  # a checkout from before it: through Pillow
                    fig.savefig(io.BytesIO(), format="png", dpi=plotkit.DPI, bbox_inches=box,
                                metadata={"Software": None},
                                pil_kwargs={"compress_level": plotkit.PNG_COMPRESSION})
                took["draw"] = time.process_time() - clock
            plt.close(fig)
            best = {s: min(best[s], took[s]) for s in steps}
        for step in steps:
            totals[step] += best[step]
        print(f"{name:20s}" + "".join(f"{best[s]:9.3f}" for s in steps))
    print(f"{'total':20s}" + "".join(f"{totals[s]:9.3f}" for s in steps)
          + f"   all steps {sum(totals.values()):.3f} s")


if __name__ == "__main__":
    main()
