"""Mutation check: does a test of each economic rule fail when the rule is broken?

Usage::

    python benchmarks/mutations.py            # every mutation, its tests, a table
    python benchmarks/mutations.py --only beta_ignored --tests tests/market

Each mutation is a text patch of one source file (an exact string replaced by another).
The script copies ``sim/``, ``tests/``, ``scenarios/`` and ``pyproject.toml`` into a
temporary folder, applies the patch there (the working tree is never touched), and runs
the given tests against the copy (``PYTHONPATH`` puts the copy's ``sim`` first). It prints
one row per mutation: the tests that fail (catch it). A mutation no test catches is a gap.
The table is recorded in docs/validation.md, section "Mutations".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("sim", "tests", "scenarios", "pyproject.toml")
DEFAULT_TESTS = ("tests/market", "tests/agents", "tests/test_model.py")


@dataclass(frozen=True)
class Mutation:
    """One broken rule: in ``path``, ``old`` (which must occur exactly once) becomes ``new``."""

    name: str
    what: str
    path: str
    old: str
    new: str


MUTATIONS = (
    Mutation("incumbent_overbids", "an incumbent that bids above its own value and always wins",
             "sim/market/counteroffers.py",
             "    keeps = v_inc >= v_p\n",
             "    keeps = np.ones_like(v_inc, dtype=bool)\n    wage = high * 1.2\n"),
    Mutation("switching_cost_sign", "a flipped sign of the switching cost",
             "sim/market/matching.py",
             "current += state.spec.choice.switching_cost",
             "current -= state.spec.choice.switching_cost"),
    Mutation("layoffs_ai_first", "laying off AI staff before non-AI staff",
             "sim/market/layoffs.py",
             "(eng.tier_ai[eng.tier[who]].astype(np.int64) << 41)",
             "((1 - eng.tier_ai[eng.tier[who]].astype(np.int64)) << 41)"),
    Mutation("posted_pay_frozen", "frozen posted pay (adaptive pay never rises)",
             "sim/agents/firms.py",
             "self.pay = np.where(raise_, np.maximum(self.pay, capped), self.pay)",
             "self.pay = self.pay"),
    Mutation("gpu_term_removed", "the GPU term removed from utility",
             "sim/market/utility.py",
             "return w_gpu * pull + w_mission * mission_fit(preference, mission)",
             "return w_mission * mission_fit(preference, mission)"),
    Mutation("mission_sign_flipped", "the sign of mission fit flipped",
             "sim/market/utility.py",
             "return w_gpu * pull + w_mission * mission_fit(preference, mission)",
             "return w_gpu * pull - w_mission * mission_fit(preference, mission)"),
    Mutation("beta_ignored", "beta ignored (the worker gets the whole surplus)",
             "sim/market/counteroffers.py",
             "    wage = outside + beta * surplus\n",
             "    wage = outside + 1.0 * surplus\n"),
    Mutation("vesting_ignored", "vesting ignored (leaving forfeits nothing of the stock pay)",
             "sim/market/equity.py",
             "    return (tables.share[firm] * pay * tables.unvested[firm, col]\n",
             "    return (0.0 * tables.share[firm] * pay * tables.unvested[firm, col]\n"),
    Mutation("amenities_ignored", "amenities ignored (safety focus and openness valued at 0)",
             "sim/market/matching.py",
             "    if state.values_amenities:\n",
             "    if False:\n"),
    Mutation("scheduled_deal_pre_empted", "a scheduled deal pre-empted by the model's own",
             "sim/market/deals.py",
             "reserved = set() if state.spec.economy.rewrite_history else "
             "scheduled_targets(state)",
             "reserved: set[int] = set()"),
    Mutation("us_level_ignored", "the US 2023 screen's HHI level of 1,800 ignored",
             "sim/market/antitrust.py",
             "if delta > rules.us_hhi_delta and level > rules.us_hhi_level:",
             "if delta > rules.us_hhi_delta:"),
    Mutation("us_rise_ignored", "the US 2023 screen's rise of 100 ignored in a concentrated "
             "market", "sim/market/antitrust.py",
             "if delta > rules.us_hhi_delta and level > rules.us_hhi_level:",
             "if level > rules.us_hhi_level:"),
    Mutation("us_share_ignored", "the US 2023 screen's 30% share clause dropped",
             "sim/market/antitrust.py",
             "if delta > rules.us_hhi_delta and share > rules.us_share:",
             "if False:"),
    Mutation("eu_band_edge_moved", "the EU 2004 band edge moved from 2,000 to 2,050",
             "sim/market/antitrust.py",
             "if level <= rules.eu_band_level:",
             "if level <= rules.eu_band_level + 50:"),
    Mutation("eu_safe_level_ignored", "the EU 2004 safe level of 1,000 ignored",
             "sim/market/antitrust.py",
             "    if level < rules.eu_safe_level:\n",
             "    if False:\n"),
    Mutation("license_and_hire_never_reviewed", "license-and-hire never reviewed, whatever "
             "the scenario says", "sim/market/antitrust.py",
             'form == "license_and_hire" and not rules.review_license_and_hire',
             'form == "license_and_hire"'),
    Mutation("own_deals_unreviewed", "the model's own deals not screened",
             "sim/market/deals.py",
             "best[1], review_it=True,",
             "best[1], review_it=False,"),
    Mutation("reported_valuation_ignored", "targets priced at the model's valuation though "
             "the scenario reports one", "sim/market/deals.py",
             "return None if math.isnan(reported) else float(reported)",
             "return None"),
    Mutation("buyer_overpays", "a buyer pays more than the target is worth to it",
             "sim/market/deals.py",
             "if 0 < price <= min(budget, whole) and",
             "if 0 < price <= budget and"),
    Mutation("deal_teams_wrong_month", "deal_teams.csv counts the team where it worked in the "
             "deal's month, not at the end", "sim/model.py",
             "* places.size + eng.firm[team] + 1",
             "* places.size + state.firm_names.index(record.target) + 1"),
    Mutation("deal_teams_after_the_move", "a done deal's team recorded after it moved (the "
             "target's engineers left behind)", "sim/market/deals.py",
             "    state.deal_records.append(record)\n    state.deal_teams.append(members)\n"
             "    tallies.deals[buyer] += 1",
             "    state.deal_records.append(record)\n"
             "    state.deal_teams.append(state.members(target))\n"
             "    tallies.deals[buyer] += 1"),
)


def apply(mutation: Mutation, root: Path) -> None:
    """Patch the copy under ``root``; refuse a patch whose text is not there exactly once."""
    path = root / mutation.path
    text = path.read_text()
    count = text.count(mutation.old)
    if count != 1:
        raise SystemExit(f"{mutation.name}: the text to mutate occurs {count} times in "
                         f"{mutation.path} (the source changed: update benchmarks/mutations.py)")
    path.write_text(text.replace(mutation.old, mutation.new))


def failing_tests(mutation: Mutation | None, tests: list[str]) -> tuple[list[str], str]:
    """Run ``tests`` on a patched copy; return the failing test ids and pytest's last line."""
    with tempfile.TemporaryDirectory(prefix="talentwar-mutant-") as tmp:
        root = Path(tmp)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, root / name,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, root / name)
        if mutation is not None:
            apply(mutation, root)
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        check = subprocess.run([sys.executable, "-c", "import sim; print(sim.__file__)"],
                               cwd=root, env=env, capture_output=True, text=True, check=True)
        if not check.stdout.strip().startswith(str(root)):
            raise SystemExit(f"the copy's sim was not imported: {check.stdout}")
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
             "--no-header", *tests],
            cwd=root, env=env, capture_output=True, text=True)
    failed = sorted(set(re.findall(r"^FAILED (\S+)", result.stdout, flags=re.M)))
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return failed, lines[-1] if lines else result.stderr[-200:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the mutations to run")
    parser.add_argument("--tests", nargs="*", default=list(DEFAULT_TESTS),
                        help="tests to run against each mutant (default: %(default)s)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    baseline, summary = failing_tests(None, args.tests)
    if baseline:
        print(f"the unmutated code already fails: {baseline} ({summary})")
        return 1
    print("| mutation | tests that catch it |")
    print("|---|---|")
    missed = 0
    for mutation in chosen:
        failed, summary = failing_tests(mutation, args.tests)
        missed += not failed
        caught = "<br>".join(f"`{t}`" for t in failed) if failed else "**none**"
        print(f"| {mutation.what} (`{mutation.name}`) | {caught} |", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
