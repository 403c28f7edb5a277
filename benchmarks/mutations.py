"""Mutation check: does a test of each economic rule fail when the rule is broken?

Usage::

    python benchmarks/mutations.py                  # every mutation, the full suite, a table
    python benchmarks/mutations.py -n 2             # the same with 2 pytest-xdist workers
    python benchmarks/mutations.py --only beta_ignored --tests tests/market

Each mutation is a text patch of one source file (an exact string replaced by another).
The script copies the project (``sim/``, ``tests/``, ``scenarios/``, ``docs/``,
``benchmarks/``, ``README.md``, ``pyproject.toml``) into a temporary folder, applies the
patch there (the working tree is never touched), and runs the given tests against the copy
(``PYTHONPATH`` puts the copy's ``sim`` first). Every failing test is listed (no ``-x``;
``--maxfail`` can bound a run). Tests that already fail on the unmutated copy are reported
once and not counted as catching a mutation. It prints one row per mutation: the tests that
fail (catch it) and the minutes the run took. A mutation no test catches is a gap. The
table is recorded in docs/validation.md, section "Mutations".
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("sim", "tests", "scenarios", "docs", "benchmarks", "README.md", "pyproject.toml")
DEFAULT_TESTS = ("tests",)


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
    Mutation("poacher_wins_ties", "a tie goes to the poacher (keeps = v_inc > v'_P)",
             "sim/market/counteroffers.py",
             "    keeps = v_inc >= v_p\n",
             "    keeps = v_inc > v_p\n"),
    Mutation("dollar_auction", "auctions in dollars, not utility (exchange rate forced to 1)",
             "sim/market/counteroffers.py",
             "    return np.where(w_pay > 0, rate, 1.0)",
             "    return np.ones_like(rate)"),
    Mutation("switching_cost_out_of_auction",
             "the switching cost left out of the auction (only the choice counts it)",
             "sim/market/counteroffers.py",
             "employed, incumbent, 0)) + state.spec.choice.switching_cost, 0.0)",
             "employed, incumbent, 0)), 0.0)"),
    Mutation("switching_cost_sign", "a flipped sign of the switching cost in the choice",
             "sim/market/matching.py",
             "current += state.spec.choice.switching_cost",
             "current -= state.spec.choice.switching_cost"),
    Mutation("beta_ignored", "beta ignored (the worker gets the whole surplus)",
             "sim/market/counteroffers.py",
             "    wage = outside + beta * surplus\n",
             "    wage = outside + 1.0 * surplus\n"),
    Mutation("amenities_ignored", "amenities ignored (safety focus and openness valued at 0)",
             "sim/market/counteroffers.py",
             "    if state.values_amenities:\n",
             "    if False:\n"),
    Mutation("vesting_ignored", "vesting ignored (leaving forfeits nothing of the stock pay)",
             "sim/market/equity.py",
             "    return (tables.share[firm] * pay * tables.unvested[firm, col]\n",
             "    return (0.0 * tables.share[firm] * pay * tables.unvested[firm, col]\n"),
    Mutation("gpu_term_removed", "the GPU term removed from utility",
             "sim/market/utility.py",
             "return w_gpu * pull + w_mission * mission_fit(preference, mission)",
             "return w_mission * mission_fit(preference, mission)"),
    Mutation("mission_sign_flipped", "the sign of mission fit flipped",
             "sim/market/utility.py",
             "return w_gpu * pull + w_mission * mission_fit(preference, mission)",
             "return w_gpu * pull - w_mission * mission_fit(preference, mission)"),
    Mutation("forward_value_off", "no forward value of talent (Gamma_j = 1 whatever the growth)",
             "sim/market/production.py",
             "    return np.where(growth == 0.0, 1.0, ratio)",
             "    return np.ones_like(growth)"),
    Mutation("valuation_ignored", "reported valuations ignored (nu_j unused: value from tfp)",
             "sim/market/planning.py",
             "    if priced.any():",
             "    if False:"),
    Mutation("round_valuation_ignored",
             "a funding round's valuation not re-pricing talent (nu_j kept from the start)",
             "sim/market/events.py",
             "            if not math.isnan(firm.valuation):\n                price_talent",
             "            if False:\n                price_talent"),
    Mutation("funding_round_unpaid", "a dated funding round recorded but its amount not paid",
             "sim/market/events.py",
             'state.ledger.from_outside("investors", firm.index, event.amount)',
             'state.ledger.from_outside("investors", firm.index, 0.0)'),
    Mutation("dated_rounds_and_the_rule",
             "a firm with dated rounds also raising by the funding rule",
             "sim/market/funding.py",
             "                firm.index in state.timeline.funded) or",
             "                False) or"),
    Mutation("gpu_stock_ignored", "a dated GPU stock ignored",
             "sim/market/events.py",
             "                firm.gpus = event.gpus",
             "                firm.gpus = firm.gpus"),
    Mutation("founding_ignored", "founding dates ignored (every firm exists from the start)",
             "sim/agents/firms.py",
             "founded=0 if spec.founded is None else scenario.month_of(spec.founded),",
             "founded=0,"),
    Mutation("team_ignored", "reported teams ignored (every tier placed by size)",
             "sim/model.py",
             "stated = np.isfinite(team[:, t])",
             "stated = np.zeros(team.shape[0], dtype=bool)"),
    Mutation("vacancies_as_size", "offers drawn by size where the scenario says by vacancies",
             "sim/market/matching.py",
             '    if mode == "vacancies":',
             "    if False:"),
    Mutation("raises_fixed_drift",
             "raises ignoring the share of offers declined (a fixed drift while short)",
             "sim/agents/firms.py",
             "raise_ = short & (self.pay > 0) & (declined > 0)\n"
             "                raised = self.pay * (1.0 + policy.raise_rate * declined)",
             "raise_ = short & (self.pay > 0)\n"
             "                raised = self.pay * (1.0 + policy.raise_rate)"),
    Mutation("posted_pay_frozen", "frozen posted pay (adaptive pay never rises)",
             "sim/agents/firms.py",
             "self.pay = np.where(raise_, np.maximum(self.pay, capped), self.pay)",
             "self.pay = self.pay"),
    Mutation("layoffs_ai_first", "laying off AI staff before non-AI staff",
             "sim/market/layoffs.py",
             "(eng.tier_ai[eng.tier[who]].astype(np.int64) << 41)",
             "((1 - eng.tier_ai[eng.tier[who]].astype(np.int64)) << 41)"),
    Mutation("layoff_order_reversed", "the layoff order reversed within the AI and non-AI "
             "groups (highest value per cost first)",
             "sim/market/layoffs.py",
             'return who[np.argsort(key | share, kind="stable")]',
             'return who[np.argsort(key | ((1 << 40) - 1 - share), kind="stable")]'),
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


@dataclass(frozen=True)
class Outcome:
    """What one run of the tests gave: failing (or erroring) test ids, pytest's last line,
    and the minutes it took."""

    failed: tuple[str, ...]
    summary: str
    minutes: float


def failing_tests(mutation: Mutation | None, tests: list[str], workers: int = 0,
                  maxfail: int = 0) -> Outcome:
    """Run ``tests`` on a (patched) copy of the project; every failing test is listed
    (``maxfail`` > 0 stops after that many; ``workers`` > 0 runs them with pytest-xdist)."""
    began = time.monotonic()
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
        options = ["-n", str(workers)] if workers else []
        options += [f"--maxfail={maxfail}"] if maxfail else []
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE",
             "--no-header", *options, *tests],
            cwd=root, env=env, capture_output=True, text=True)
    failed = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", result.stdout, flags=re.M)))
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines else result.stderr[-200:]
    if result.returncode not in (0, 1) and not failed:
        failed = [f"(pytest exit status {result.returncode}: {summary})"]
    return Outcome(tuple(failed), summary, (time.monotonic() - began) / 60.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the mutations to run, in order")
    parser.add_argument("--tests", nargs="*", default=list(DEFAULT_TESTS),
                        help="tests to run against each mutant (default: %(default)s)")
    parser.add_argument("-n", "--workers", type=int, default=0,
                        help="pytest-xdist workers per run (0: none; needs pytest-xdist)")
    parser.add_argument("--maxfail", type=int, default=0,
                        help="stop a run after this many failures (0: list every failure)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the run of the unmutated copy")
    args = parser.parse_args(argv)
    if args.workers and importlib.util.find_spec("xdist") is None:
        raise SystemExit("-n needs pytest-xdist (pip install pytest-xdist)")
    unknown = set(args.only or ()) - {m.name for m in MUTATIONS}
    if unknown:
        raise SystemExit(f"unknown mutations {sorted(unknown)}; known: "
                         f"{[m.name for m in MUTATIONS]}")
    by_name = {m.name: m for m in MUTATIONS}
    chosen = [by_name[name] for name in args.only] if args.only else list(MUTATIONS)
    print(f"tests: {' '.join(args.tests)}; workers: {args.workers or 'none'}", flush=True)
    known_failures: set[str] = set()
    if not args.no_baseline:
        baseline = failing_tests(None, args.tests, args.workers)
        known_failures = set(baseline.failed)
        print(f"unmutated: {baseline.summary} ({baseline.minutes:.1f} min)"
              + (f"; failing already, not counted: {sorted(known_failures)}"
                 if known_failures else ""), flush=True)
    print("| mutation | tests that catch it | minutes |")
    print("|---|---|---|")
    missed = 0
    for mutation in chosen:
        outcome = failing_tests(mutation, args.tests, args.workers, args.maxfail)
        caught_by = [t for t in outcome.failed if t not in known_failures]
        missed += not caught_by
        caught = "<br>".join(f"`{t}`" for t in caught_by) if caught_by else "**none**"
        print(f"| {mutation.what} (`{mutation.name}`) | {caught} | {outcome.minutes:.1f} |",
              flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
