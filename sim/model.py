"""The talent market: engineers choosing between firms, one month at a time.

An agent-based model of the labour market for AI talent. Engineers (a vectorised
population, :mod:`sim.agents.engineers`) choose between firms (Mesa agents,
:mod:`sim.agents.firms`) on
pay, GPU access, mission and personal outreach, by a multinomial logit (McFadden 1974);
offers reach them through on-the-job search (Burdett and Mortensen 1998), which the model
reproduces exactly in its textbook limit (:mod:`sim.market.jobladder`).

Firms fight back (Postel-Vinay and Robin's sequential auctions for counter-offers,
acqui-hires and license-and-hire deals under antitrust review, layoffs, GPU purchases in a
queue, a production function and funding rounds), each by rules a scenario sets per firm.

One step is one month:

1. events: the timeline's policy changes, climates, shocks and turmoil;
2. firms plan: targets, posted pay, GPU orders; GPUs arrive; start-ups raise funds;
3. the labour market: deal leavers and separations, search, offers and outreach,
   counter-offers and retention calls, choices (:func:`sim.market.matching.labour_market_month`);
4. deals: acquisitions and license-and-hire, reviewed by the antitrust authority;
5. layoffs under pressure or above target;
6. accounts: revenue in, payroll out, exits;
7. the records: market-wide and per-firm measures, flows and deals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.agents.engineers import UNEMPLOYED, Engineers, EngineerView
from sim.agents.firms import Firm
from sim.errors import UserError
from sim.market.accounts import Ledger, raise_funding, settle
from sim.market.compute import GpuMarket
from sim.market.counteroffers import COUNTER_CODES
from sim.market.deals import forced_deal, seek_deals
from sim.market.events import Timeline
from sim.market.layoffs import layoffs
from sim.market.matching import MonthReport, Moves, Offers, labour_market_month
from sim.market.measures import headcount, month_measures
from sim.market.production import compute_factor
from sim.market.utility import gpu_pull
from sim.scenario import Scenario, apply_overrides, load_scenario, validate
from sim.scenario.schema import GeneratedFirms, Policy, Spread

FIRM_FIELDS = ("gpus", "mission", "hiring_capacity", "outreach", "size", "tfp")
TALLIES = ("counter_offers", "counter_offers_accepted", "retention_calls", "retention_kept",
           "gpu_ordered", "gpu_arrived", "revenue", "funding", "pay_bill", "deals",
           "deals_blocked", "exits")


class TalentMarket(mesa.Model):
    """The market for AI talent.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A validated scenario, or the path of a scenario file.
    seed : int, optional
        Seed of ``model.rng`` (default: the scenario's ``seed``).
    rng : int or numpy Generator, optional
        Mesa's name for the same thing (``mesa.batch_run`` in Mesa 3.5 passes it).
    **overrides
        Scenario values to change, by dotted key path (``**{"market.engineers": 2000}``)
        or with ``__`` for dots (``market__engineers=2000``), as ``mesa.batch_run``
        passes its parameters. ``months=N`` sets the horizon.

    Examples
    --------
    >>> model = TalentMarket("scenarios/textbook_job_ladder.toml", seed=1,
    ...                      market__engineers=2000, months=12)
    >>> model.run()
    >>> model.market.unemployment_rate.iloc[-1]  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: Scenario | str | Path,
        *,
        seed: int | None = None,
        rng: int | np.random.Generator | None = None,
        **overrides: Any,
    ) -> None:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        if overrides:
            changes = [f"{key.replace('__', '.')}={value!r}" for key, value in overrides.items()]
            data = apply_overrides(scenario.to_dict(), _as_toml(overrides))
            scenario = validate(data, f"{scenario.name} (overrides {', '.join(changes)})")
        if rng is None:
            rng = scenario.seed if seed is None else seed
        elif seed is not None:
            raise ValueError("give seed or rng, not both")
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        super().__init__(rng=rng)
        # The validated scenario (not ``self.scenario``: Mesa 3.5 reserves that name).
        self.spec = scenario
        self.months = scenario.months
        self.benefit = scenario.market.unemployment_benefit * _per_year(scenario)

        self.engineers = Engineers(scenario, self.rng)
        self.tier_output = np.array([t.output for t in scenario.tiers.values()])
        self.firms: list[Firm] = _create_firms(self, scenario)
        self.firm_names = [f.name for f in self.firms]
        self.ledger = Ledger(np.array([f.initial_cash for f in self.firms]))
        self.gpu_market = GpuMarket(len(self.firms))
        self.search_multiplier = np.ones(len(self.firms) + 1)
        self.timeline = Timeline(self)
        self.deal_records: list = []
        self.departures: list = []
        self._new_tallies()
        self.heads = np.zeros((len(self.firms), len(scenario.tiers)))
        self.refresh_firm_table(np.full((len(self.firms), len(scenario.tiers)), True))
        self._place_initial_engineers()
        heads = self.heads = headcount(self)
        for firm in self.firms:
            firm.initial_heads = heads[firm.index].astype(np.float64)
        self.last_hires = np.zeros_like(heads)
        self.last_quits = np.zeros_like(heads)

        self.outreach_contacts = np.zeros(len(self.firms), dtype=np.int64)
        self.outreach_hires = np.zeros(len(self.firms), dtype=np.int64)
        self.employed_at_start = int(np.count_nonzero(self.engineers.firm != UNEMPLOYED))
        self._firm_records: list[dict[str, np.ndarray]] = []
        self._flow_records: list[np.ndarray] = []
        self.market_row: dict[str, Any] = {}
        self._record(MonthReport(Moves.empty(), _no_offers(), 0))
        self.datacollector = mesa.DataCollector(
            model_reporters={key: _reporter(key) for key in self.market_row}
        )
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ set-up

    def _place_initial_engineers(self) -> None:
        """Month 0: each engineer is employed with chance 1 - initial_unemployment, at a firm
        hiring its tier drawn in proportion to firm size, paid posted pay x productivity."""
        eng, rng, table = self.engineers, self.rng, self.firm_table
        employed = rng.random(eng.n) >= self.spec.market.initial_unemployment
        for t in range(len(eng.tier_names)):
            block = np.arange(*eng.tier_slice(t).indices(eng.n))
            block = block[employed[block]]
            weights = table["size"] * (table["pay"][:, t] > 0)
            if block.size == 0 or weights.sum() == 0:
                continue
            firm = rng.choice(len(self.firms), size=block.size, p=weights / weights.sum())
            eng.firm[block] = firm
            eng.pay[block] = table["pay"][firm, t] * eng.productivity[block]
        eng.tenure[:] = rng.integers(0, 48, eng.n)

    def refresh_firm_table(self, hiring: np.ndarray) -> None:
        """Gather the firms' state into arrays (``firm_table``) for the vectorised market;
        ``hiring`` (firms x tiers) says which tiers each firm hires this month."""
        firms = self.firms
        table = {key: np.array([getattr(f, key) for f in firms], dtype=float)
                 for key in FIRM_FIELDS}
        table["pay"] = np.array([f.pay for f in firms])
        table["cash"] = self.ledger.cash
        table["active"] = np.array([f.active for f in firms])
        table["open"] = hiring & table["active"][:, None]
        table["vacancies"] = np.where(
            table["open"],
            np.ceil(np.array([f.targets(self.steps) for f in firms]) - self.heads), 0)
        table["counter_offer"] = np.array([COUNTER_CODES[f.policy.counter_offer] for f in firms])
        for key in ("beat_margin", "retention_calls", "retention_call_cost"):
            table[key] = np.array([getattr(f.policy, key) for f in firms], dtype=float)
        table["gpu_pull"] = gpu_pull(table["gpus"], self.spec.compute)
        self.firm_table = table
        table["factor"] = compute_factor(self)

    def _new_tallies(self) -> None:
        n, n_tiers = len(self.firms), len(self.spec.tiers)
        self.tally = {key: np.zeros(n) for key in TALLIES}
        self.tally_tier = {"layoffs": np.zeros((n, n_tiers), dtype=np.int64)}
        self.extra_moves: list[Moves] = []

    # ------------------------------------------------------------------ the month

    def step(self) -> None:
        """One month, in order: events, firms plan, the labour market, deals, layoffs,
        accounts, records."""
        self.employed_at_start = int(np.count_nonzero(self.engineers.firm != UNEMPLOYED))
        self.engineers.tenure += 1
        self._new_tallies()
        forced = self.timeline.apply(self)

        heads = self.heads  # as last month ended: nobody has moved since
        value_cap = 12.0 * self.tier_output[None, :] * self.firm_table["factor"]
        for firm in self.active_firms():
            j = firm.index
            firm.plan(heads[j], self.last_hires[j], self.last_quits[j], value_cap[j])
        self.gpu_market.deliver(self)
        raise_funding(self)
        self.refresh_firm_table(np.array([f.hiring(heads[f.index]) for f in self.firms]))

        report = labour_market_month(self)
        for event in forced:
            forced_deal(self, event)
        heads = headcount(self)
        seek_deals(self, heads)
        layoffs(self, headcount(self))
        settle(self)
        self.heads = headcount(self)  # the month's final headcounts, also for the records
        self.refresh_firm_table(self.firm_table["open"])

        self._record(report)
        self.datacollector.collect(self)
        if self.steps >= self.months:
            self.running = False

    def run(self, progress: Any = None) -> None:
        """Step until the horizon; ``progress`` (e.g. a tqdm bar) is updated each month."""
        while self.running:
            self.step()
            if progress is not None:
                progress.update(1)

    # ------------------------------------------------------------------ records

    def _record(self, report: MonthReport) -> None:
        moves = Moves.concat([report.moves, *self.extra_moves])
        report = MonthReport(moves, report.offers, report.searchers)
        row, firm_cols = month_measures(self, report)
        self.market_row = row
        self._firm_records.append(firm_cols)
        self.last_hires = firm_cols["_hires_by_tier"]
        self.last_quits = firm_cols["_quits_by_tier"]
        if moves.engineer.size:
            n_tiers = len(self.engineers.tier_names)
            size = len(self.firms) + 1
            code = ((moves.source + 1).astype(np.int64) * size + moves.destination + 1)
            code = code * n_tiers + self.engineers.tier[moves.engineer]
            counts = np.bincount(code, minlength=size * size * n_tiers)
            nonzero = np.flatnonzero(counts)
            src, rest = np.divmod(nonzero, size * n_tiers)
            dst, tier = np.divmod(rest, n_tiers)
            self._flow_records.append(
                np.column_stack([np.full(nonzero.size, self.steps), src - 1, dst - 1, tier,
                                 counts[nonzero]])
            )

    @property
    def market(self) -> pd.DataFrame:
        """Market-wide measures, a row per month (what ``market.csv`` holds)."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    @property
    def firm_records(self) -> pd.DataFrame:
        """Per-firm measures, a row per firm per month (what ``firms.csv`` holds)."""
        n, months = len(self.firms), len(self._firm_records)
        columns = {
            "month": np.repeat(np.arange(months), n),
            "firm": np.tile(np.array(self.firm_names, dtype=object), months),
            "kind": np.tile(np.array([f.kind for f in self.firms], dtype=object), months),
        }
        for key in self._firm_records[0]:
            if not key.startswith("_"):
                columns[key] = np.concatenate([rec[key] for rec in self._firm_records])
        return pd.DataFrame(columns)

    @property
    def flows(self) -> pd.DataFrame:
        """Moves between places per month and tier, long format (what ``flows.csv`` holds).

        ``source`` and ``destination`` are firm names or ``unemployment``."""
        columns = ["month", "source", "destination", "tier", "engineers"]
        if not self._flow_records:
            return pd.DataFrame(columns=columns)
        data = np.concatenate(self._flow_records)
        places = np.array(["unemployment", *self.firm_names], dtype=object)
        tiers = np.array(self.engineers.tier_names, dtype=object)
        return pd.DataFrame({
            "month": data[:, 0],
            "source": places[data[:, 1] + 1],
            "destination": places[data[:, 2] + 1],
            "tier": tiers[data[:, 3]],
            "engineers": data[:, 4],
        }, columns=columns)

    @property
    def deals(self) -> pd.DataFrame:
        """Every deal, done or blocked (what ``deals.csv`` holds)."""
        from dataclasses import fields

        from sim.market.deals import DealRecord

        columns = [f.name for f in fields(DealRecord)]
        return pd.DataFrame([d.as_row() for d in self.deal_records], columns=columns)

    def engineer_table(self) -> pd.DataFrame:
        """The final state of every engineer (what ``engineers.csv`` holds)."""
        cols = self.engineers.columns()
        frame = pd.DataFrame(cols)
        frame["tier"] = np.array(self.engineers.tier_names, dtype=object)[cols["tier"]]
        names = np.array(["", *self.firm_names], dtype=object)
        frame["firm"] = names[cols["firm"] + 1]
        return frame

    # ------------------------------------------------------------------ looking

    def engineer(self, i: int) -> EngineerView:
        """A snapshot of engineer ``i``: tier, firm, pay, tenure, weights..."""
        return self.engineers.view(i, self.firm_names)

    def firm(self, name: str) -> Firm:
        """The firm called ``name``."""
        return self.firms[self.firm_index(name)]

    def firm_index(self, name: str) -> int:
        """Index of the firm called ``name``."""
        try:
            return self.firm_names.index(name)
        except ValueError:
            raise KeyError(f"no firm called {name!r}") from None

    def active_firms(self) -> list[Firm]:
        """Firms still in the market."""
        return [f for f in self.firms if f.active]

    def members(self, j: int) -> np.ndarray:
        """Indices of firm j's engineers."""
        return np.flatnonzero(self.engineers.firm == j)

    def model_month(self, when: int | str) -> int:
        """A model month from an int month or a calendar month YYYY-MM."""
        if isinstance(when, int):
            return when
        year, mon = map(int, when.split("-"))
        start_year, start_mon = map(int, self.spec.start.split("-"))
        month = (year - start_year) * 12 + mon - start_mon
        if month < 1:
            raise UserError(f"{self.spec.name}: event at {when} is not after the start "
                            f"({self.spec.start})")
        return month

    def funding_multiplier(self) -> float:
        """The funding climate this month (1 normally; > 1 a boom, < 1 a winter)."""
        return Timeline.multiplier(self.timeline.funding, self.steps)

    def gpu_supply_multiplier(self) -> float:
        """GPU supply this month relative to normal."""
        return Timeline.multiplier(self.timeline.supply, self.steps)

    def calendar_month(self, month: int) -> str:
        """The calendar month (YYYY-MM) of model month ``month``."""
        year, mon = map(int, self.spec.start.split("-"))
        total = year * 12 + mon - 1 + month
        return f"{total // 12:04d}-{total % 12 + 1:02d}"


# ---------------------------------------------------------------------- helpers


def _reporter(key: str):
    return lambda model: model.market_row[key]


def _no_offers() -> Offers:
    none = np.zeros(0, dtype=np.int64)
    return Offers(none, none, np.zeros(0), np.zeros(0, dtype=bool))


def _as_toml(overrides: dict[str, Any]) -> list[str]:
    """Keyword overrides as ``--set`` strings (values written as TOML)."""
    # JSON spells strings, numbers, booleans and lists as TOML does.
    return [f"{key.replace('__', '.')}={json.dumps(value)}" for key, value in overrides.items()]


def _per_year(scenario: Scenario) -> float:
    return 12.0 if scenario.market.pay_period == "month" else 1.0


def _spread(value: float | Spread, n: int, rng: np.random.Generator) -> np.ndarray:
    """Values of a generated field for n firms (see :class:`sim.scenario.Spread`)."""
    if not isinstance(value, Spread):
        return np.full(n, float(value))
    if value.spread == "even":
        return np.linspace(value.min, value.max, n) if n > 1 else np.array([value.min])
    if value.spread == "uniform":
        return rng.uniform(value.min, value.max, n)
    return np.exp(rng.uniform(np.log(value.min), np.log(value.max), n))


def _create_firms(model: TalentMarket, scenario: Scenario) -> list[Firm]:
    """Create the named firms, then the generated groups, in file order."""
    tiers = list(scenario.tiers)
    per_year = _per_year(scenario)
    rows: list[dict[str, Any]] = []
    for name, spec in scenario.firms.items():
        rows.append({
            "name": name, "kind": spec.kind, "gpus": spec.gpus, "mission": spec.mission,
            "pay": np.array([spec.pay.get(t, 0.0) for t in tiers]) * per_year,
            "hiring_capacity": np.inf if spec.hiring_capacity is None else spec.hiring_capacity,
            "cash": spec.cash, "outreach": spec.outreach, "size": spec.size, "tfp": spec.tfp,
            "policy": _policy(scenario, spec.policy),
        })
    for group in scenario.generated_firms:
        rows.extend(_generate(group, tiers, per_year, model.rng,
                              _policy(scenario, group.policy)))
    names = [r["name"] for r in rows]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise UserError(f"{scenario.name}: firm names must be unique; {clashes} appear twice "
                        "(a generated name clashes with another)")
    return [Firm(model, index, **row) for index, row in enumerate(rows)]


def _policy(scenario: Scenario, own: Any) -> Policy:
    """A firm's rules: the defaults, then what the firm sets itself, then the scenario's
    policy_override."""
    return scenario.firm_defaults.updated(own, scenario.policy_override)


def _generate(group: GeneratedFirms, tiers: list[str], per_year: float,
              rng: np.random.Generator, policy: Policy) -> list[dict[str, Any]]:
    n = group.count
    values = {key: _spread(getattr(group, key), n, rng) for key in ("gpus", "mission", "cash",
                                                                     "size", "tfp")}
    pay = np.column_stack([_spread(group.pay.get(t, 0.0), n, rng) for t in tiers]) * per_year
    width = len(str(n))
    return [{
        "name": f"{group.prefix}{k + 1:0{width}d}", "kind": group.kind,
        "gpus": values["gpus"][k], "mission": values["mission"][k], "pay": pay[k],
        "hiring_capacity": np.inf if group.hiring_capacity is None else group.hiring_capacity,
        "cash": values["cash"][k], "outreach": group.outreach, "size": values["size"][k],
        "tfp": values["tfp"][k], "policy": policy,
    } for k in range(n)]
