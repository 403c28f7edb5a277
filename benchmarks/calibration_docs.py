"""Put a finished calibration of the flagship into the documentation.

Usage::

    python benchmarks/calibration_docs.py results/calibrations/ai_talent_war_2024-<time>
    python benchmarks/calibration_docs.py --backtest results/calibrations/backtest_mid2024-<time>

Copies the calibration folder's results (``parameters.csv``, ``moments.csv``,
``jacobian.csv``, ``identification.json``, ``profiles.csv`` and the plots) into
``docs/calibration/flagship/`` and writes their Markdown
(:func:`sim.calibration.markdown.calibration_markdown`) into docs/calibration.md's
generated block ``flagship estimate``; with ``--backtest``, a backtest's
(``scenarios/calibration/backtest_mid2024.toml``) into ``docs/calibration/backtest/`` and the
block ``backtest``. ``tests/calibration/test_docs.py`` checks that the
block is what the kept folder renders, and that the flagship scenario holds the estimates.
Run ``benchmarks/validation_seeds.py --seeds 20 --write-docs`` after it (the flagship's
validation pass rates, docs/validation.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.calibration.markdown import calibration_markdown, splice  # noqa: E402

DOCS = ROOT / "docs" / "calibration.md"
KEPT = ROOT / "docs" / "calibration" / "flagship"
BACKTEST = ROOT / "docs" / "calibration" / "backtest"
FILES = ("parameters.csv", "moments.csv", "jacobian.csv", "identification.json",
         "objective.png", "moments_fit.png", "profiles.png", "profiles.csv")
"""What is kept: the tables and plots (not ``calibration.json`` and ``fitted.toml``, which
name the paths of the machine that ran the calibration)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a finished calibration folder")
    parser.add_argument("--backtest", action="store_true",
                        help="the folder is the flagship's backtest")
    args = parser.parse_args(argv)
    text = calibration_markdown(args.folder)  # refuses an unfinished folder
    kept, block = (BACKTEST, "backtest") if args.backtest else (KEPT, "flagship estimate")
    kept.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        if (args.folder / name).is_file():
            shutil.copyfile(args.folder / name, kept / name)
    DOCS.write_text(splice(DOCS.read_text(encoding="utf-8"), block, text), encoding="utf-8")
    print(text)
    print(f"kept the folder's results in {kept.relative_to(ROOT)}; wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
