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

The model is a thin shell: the market's state is one typed object
(:class:`sim.market.state.MarketState`) and each phase of a month is one function of it, in
:mod:`sim.market`. One step is one month:

1. events: the timeline's policy changes, climates, shocks and turmoil
   (:func:`sim.market.events.apply_events`);
2. firms plan: posted pay and GPU orders (:func:`sim.market.planning.plan_firms`); GPUs
   arrive (:func:`sim.market.compute.deliver_gpus`); start-ups raise funds
   (:func:`sim.market.funding.raise_funding`); firms open vacancies
   (:func:`sim.market.planning.open_vacancies`);
3. the labour market: deal leavers and separations, search, offers and outreach,
   counter-offers and retention calls, choices
   (:func:`sim.market.matching.labour_market_month`);
4. deals: dated deals, then acquisitions and license-and-hire, reviewed by the antitrust
   authority (:mod:`sim.market.deals`);
5. layoffs under pressure or above target (:func:`sim.market.layoffs.layoffs`);
6. accounts: revenue in, payroll out, exits (:func:`sim.market.accounts.settle`);
7. the records: market-wide and per-firm measures, flows and deals
   (:mod:`sim.market.measures`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, Literal

import mesa
import numpy as np
import pandas as pd

from sim import columns as c
from sim.agents.engineers import Engineers, EngineerView
from sim.agents.firms import Firm, create_firms, firm_specs, per_year
from sim.market.accounts import settle
from sim.market.compute import deliver_gpus
from sim.market.deals import forced_deal, seek_deals
from sim.market.equity import build_tables
from sim.market.events import apply_events
from sim.market.funding import raise_funding
from sim.market.gpu_queue import GpuMarket
from sim.market.invariants import check_month
from sim.market.layoffs import layoffs
from sim.market.ledger import Ledger
from sim.market.matching import labour_market_month
from sim.market.measures import (
    MeasureMemory,
    PayIndex,
    flow_counts,
    month_measures,
    pay_columns,
    sections_for,
)
from sim.market.placement import place_initial_engineers
from sim.market.planning import firm_table, open_vacancies, plan_firms, refresh_table
from sim.market.production import price_talent
from sim.market.profile import NullClock, PhaseClock
from sim.market.state import MarketState, MonthLog, Tallies
from sim.market.tables import (
    collector,
    deal_frame,
    deal_team_frame,
    engineer_frame,
    firm_frame,
    flow_frame,
)
from sim.market.timeline import Timeline, calendar_month, model_month
from sim.scenario import Scenario, apply_overrides, load_scenario, validate
from sim.scenario.advice import scenario_warnings
from sim.scenario.resources import check_memory

EARLY_EXIT_MONTHS = 6
"""A firm that exits within this many months is reported (a market that makes no sense)."""
MOSTLY_UNEMPLOYED = 0.5
"""A tier with more than this share unemployed at the end is reported."""


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
    check : bool
        Check the market's invariants after every month
        (:mod:`sim.market.invariants`) and stop with :class:`InvariantError` naming the
        month and what broke.
    profile : bool
        Time each phase of every month into ``model.clock``
        (:class:`sim.market.profile.PhaseClock`; ``model.clock.report()`` is the table).
    records : {"all", "market"}
        What the run records: ``"all"`` (the market rows, firm records and flows) or
        ``"market"`` (the market rows only, as a sweep keeps: ``firm_records``, ``flows``,
        ``datacollector`` and, after a month, ``warnings()`` then raise
        :class:`RuntimeError`). The market itself and its rows are the same either way.
    keep : collection of str, optional
        With ``records="market"``: the market columns wanted. The rows hold the month, the
        date and the parts of the row that hold a wanted column
        (:func:`sim.market.measures.sections_for`, the pay statistics of
        :func:`sim.market.measures.pay_columns`); where none is about pay, the pay is not
        sorted. The columns held are the same as in a full run; None: all.
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
        check: bool = False,
        profile: bool = False,
        records: Literal["all", "market"] = "all",
        keep: Collection[str] | None = None,
        **overrides: Any,
    ) -> None:
        if records not in ("all", "market"):
            raise ValueError(f"records: expected 'all' or 'market', got {records!r}")
        if keep is not None and records != "market":
            raise ValueError("keep: only with records='market' (a full run keeps every "
                             "column)")
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        if overrides:
            changes = [f"{key.replace('__', '.')}={value!r}" for key, value in overrides.items()]
            data = apply_overrides(scenario.to_dict(), {key.replace("__", "."): value
                                                        for key, value in overrides.items()})
            scenario = validate(data, f"{scenario.name} (overrides {', '.join(changes)})")
        check_memory(scenario)
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
        self.check = check
        self.records = records
        self.clock: PhaseClock = PhaseClock() if profile else NullClock()

        engineers = Engineers(scenario, self.rng)
        self._pay_statistics = keep is None or bool(
            set(keep) & pay_columns(list(engineers.tier_names)))
        self._sections = None if keep is None else sections_for(keep, list(engineers.tier_names))
        n_tiers = len(scenario.tiers)
        specs = firm_specs(scenario, self.rng)
        ledger = Ledger(np.array([s.cash for s in specs]))
        firms = create_firms(self, scenario, specs, ledger, engineers.tier_ai)
        names = [f.name for f in firms]
        heads = np.zeros((len(firms), n_tiers))
        nobody = np.zeros((len(firms), n_tiers), dtype=np.int64)  # no month before this
        self.state = MarketState(
            spec=scenario,
            rng=self.rng,
            engineers=engineers,
            firms=firms,
            ledger=ledger,
            gpus=GpuMarket(len(firms)),
            timeline=Timeline(scenario, names),
            table=firm_table(firms, scenario, engineers.tier_ai, heads, 0,
                             np.full((len(firms), n_tiers), True)),
            log=MonthLog(Tallies.zeros(len(firms), n_tiers)),
            tier_output=np.array([scenario.tier_output(t) for t in scenario.tiers]),
            benefit=scenario.market.unemployment_benefit * per_year(scenario),
            firm_names=names,
            search_multiplier=np.ones(len(firms) + 1),
            heads=heads,
            last_hires=nobody,
            last_quits=nobody.copy(),
            last_offers=nobody.copy(),
            employed_at_start=0,  # nobody is placed yet
            values_amenities=bool(engineers.w_safety.any() or engineers.w_openness.any()),
            equity=build_tables(scenario, names, [f.kind for f in firms]),
        )
        team = np.array([s.team or (np.nan,) * n_tiers for s in specs]).reshape(-1, n_tiers)
        team = np.rint(team * scenario.team_scale)  # teams stated at another market size
        place_initial_engineers(self.state, team, scenario.market.initial_unemployment)
        state = self.state
        state.heads = state.headcount()
        for firm in firms:
            firm.initial_heads = state.heads[firm.index].astype(np.float64)
            if not math.isnan(firm.valuation):
                price_talent(state, firm)
        if any(not math.isnan(f.valuation) for f in firms):
            refresh_table(state, state.table.open)
        state.employed_at_start = int(np.count_nonzero(state.employed()))

        self.measures = MeasureMemory()
        """What the month's measures keep from month to month (the pay indexes' base, the
        sorted pay)."""
        self._firm_records: list[dict[str, np.ndarray]] = []
        self._flow_records: list[np.ndarray] = []
        self._market_rows: list[dict[str, Any]] = []
        self._collector: tuple[int, mesa.DataCollector] | None = None
        self.market_row: dict[str, Any] = {}
        self._record()

    # ------------------------------------------------------------------ the month

    def step(self) -> None:
        """One month, one named call per phase: events, firms plan, GPUs arrive, funding,
        vacancies, the labour market, deals, layoffs, accounts, records."""
        state, clock = self.state, self.clock
        clock.start()
        before = state.engineers.firm.copy() if self.check else None
        state.month = self.steps
        state.employed_at_start = int(np.count_nonzero(state.employed()))
        state.engineers.tenure += 1
        state.log = MonthLog(Tallies.zeros(state.n_firms, state.n_tiers))

        forced = apply_events(state)
        clock.lap("events")
        plan_firms(state)
        deliver_gpus(state)
        raise_funding(state)
        open_vacancies(state)
        clock.lap("planning")
        labour_market_month(state, clock)
        for event in forced:
            forced_deal(state, event)
        # Headcounts counted again only after a phase has recorded moves (every change of
        # place is recorded: sim/market/invariants.py checks it).
        heads, recorded = state.headcount(), len(state.log.moves)
        seek_deals(state, heads)
        clock.lap("deals")
        if len(state.log.moves) != recorded:
            heads, recorded = state.headcount(), len(state.log.moves)
        layoffs(state, heads)
        clock.lap("layoffs")
        settle(state)
        if len(state.log.moves) != recorded:
            heads = state.headcount()
        state.heads = heads  # the month's final headcounts, also for the records
        refresh_table(state, state.table.open)
        clock.lap("accounts")

        self._record()
        if before is not None:
            check_month(state, before)
        clock.lap("measures and records")
        clock.stop()
        if self.steps >= self.months:
            self.running = False

    def run(self, progress: Any = None) -> None:
        """Step until the horizon; ``progress`` (e.g. a tqdm bar) is updated each month."""
        while self.running:
            self.step()
            if progress is not None:
                progress.update(1)

    # ------------------------------------------------------------------ records

    def _record(self) -> None:
        """Measures of the month just ended: the market row, and with ``records="all"``
        the firm columns and flows."""
        state = self.state
        moves = state.log.all_moves()
        everything = self.records == "all"
        row, firm_month = month_measures(state, moves, self.measures,
                                         by_firm=everything,
                                         pay_statistics=self._pay_statistics,
                                         sections=self._sections)
        self.market_row = row
        self._market_rows.append(row)
        state.last_hires = firm_month.hires
        state.last_quits = firm_month.quits
        if everything:
            self._firm_records.append(firm_month.columns)
            flows = flow_counts(state, moves)
            if flows is not None:
                self._flow_records.append(flows)

    def _need_all_records(self, what: str) -> None:
        if self.records != "all":
            raise RuntimeError(f"{what}: this model records the market rows only "
                               "(records='market'); build it with records='all'")

    @property
    def pay_index(self) -> PayIndex:
        """The pay indexes' base, kept by the month's measures."""
        return self.measures.pay_index

    @property
    def market(self) -> pd.DataFrame:
        """Market-wide measures, a row per month (what ``market.csv`` holds)."""
        return self.market_columns(list(self._market_rows[0]))

    def market_columns(self, columns: list[str]) -> pd.DataFrame:
        """The columns ``columns`` of :attr:`market` (the same values and types, without
        building the others: a sweep keeps a few of a hundred)."""
        rows = self._market_rows
        return pd.DataFrame({key: [row[key] for row in rows] for key in columns})

    @property
    def datacollector(self) -> mesa.DataCollector:
        """A Mesa ``DataCollector`` holding the months so far, as ``mesa.batch_run`` reads
        it: model variables (the market rows) and, per firm agent and month, the
        :data:`sim.market.tables.FIRM_REPORTERS` (named by
        :func:`sim.market.tables.firm_key`). Built from the records when
        read (the run itself records into plain lists), and rebuilt only after a month."""
        self._need_all_records("datacollector")
        months = len(self._market_rows)
        if self._collector is None or self._collector[0] != months:
            self._collector = (months, collector(self._market_rows, self._firm_records,
                                                 self.agents))
        return self._collector[1]

    @property
    def firm_records(self) -> pd.DataFrame:
        """Per-firm measures, a row per firm per month (what ``firms.csv`` holds)."""
        self._need_all_records("firm_records")
        return firm_frame(self.state, self._firm_records)

    @property
    def flows(self) -> pd.DataFrame:
        """Moves between places per month, tier and kind of move, long format (what
        ``flows.csv`` holds).

        ``source`` and ``destination`` are firm names or ``unemployment``; ``kind`` is one
        of :data:`sim.columns.MOVE_KINDS`."""
        self._need_all_records("flows")
        return flow_frame(self.state, self._flow_records)

    @property
    def deals(self) -> pd.DataFrame:
        """Every deal, done or blocked (what ``deals.csv`` holds)."""
        return deal_frame(self.state)

    @property
    def deal_teams(self) -> pd.DataFrame:
        """Where the engineers of each deal attempt (the target's team when the deal was
        tried, done or blocked) work now, by tier and firm (what ``deal_teams.csv`` holds):
        one row per deal, tier and firm (or unemployment) with at least one of them."""
        return deal_team_frame(self.state)

    def engineer_table(self, start: int = 0, stop: int | None = None,
                       columns: Collection[str] | None = None) -> pd.DataFrame:
        """The final state of engineers ``start`` to ``stop`` (all by default): the rows
        of the run folder's ``engineers.csv.gz`` (only ``columns`` of them, if given)."""
        return engineer_frame(self.state, start, stop, columns)

    def engineer_tables(self, rows: int = 100_000) -> Iterator[pd.DataFrame]:
        """The final engineer table in consecutive blocks of ``rows`` engineers, so that a
        writer holds one block's text at a time, not the whole table's (at a million
        engineers the whole table as CSV text is about 200 MB)."""
        for start in range(0, max(self.state.engineers.n, 1), rows):
            yield self.engineer_table(start, start + rows)

    def warnings(self) -> list[str]:
        """What is odd about the market so far, one sentence each (empty if nothing):
        before it runs, :func:`sim.scenario.advice.scenario_warnings`; after, funding
        rounds, GPU stock events and forced deals that did nothing because a firm they name
        had left (:attr:`MarketState.unapplied`),
        firms gone bankrupt within the first six months, tiers left mostly unemployed, no
        revenue."""
        out = scenario_warnings(self.spec)
        state = self.state
        out.extend(state.unapplied)
        if len(self._market_rows) > 1:
            self._need_all_records("warnings")  # after a month, they read the firm records
        if len(self._firm_records) > 1:
            # Exits of firms that could not pay (an acquired firm also leaves, but is not
            # counted here: its exit is a deal).
            exits = np.array([rec[c.EXITS] for rec in self._firm_records])
            early = exits[: EARLY_EXIT_MONTHS + 1]
            for j in np.flatnonzero(early.sum(axis=0) > 0):
                month = int(np.argmax(early[:, j] > 0))
                out.append(f"firm {state.firm_names[j]} went bankrupt in month {month}: its "
                           "payroll outran its revenue and cash (check its cash, tfp and "
                           "the tiers' output)")
            for t, name in enumerate(state.engineers.tier_names):
                block = state.engineers.tier_slice(t)
                size = block.stop - block.start
                idle = size - int(state.heads[:, t].sum())
                if size and idle > MOSTLY_UNEMPLOYED * size:
                    out.append(f"tier {name}: {idle:,} of {size:,} engineers are unemployed "
                               f"in month {state.month} (firms stopped hiring or left)")
            revenue = sum(float(rec[c.REVENUE].sum()) for rec in self._firm_records)
            if revenue == 0:
                out.append("no firm earned any revenue: every tier's output is 0")
        return out

    # ------------------------------------------------------------------ looking

    @property
    def engineers(self) -> Engineers:
        """The engineer population (columns of numpy arrays)."""
        return self.state.engineers

    @property
    def firms(self) -> list[Firm]:
        """The Firm agents, in index order (active or not)."""
        return self.state.firms

    @property
    def firm_names(self) -> list[str]:
        """Names of the firms, in index order."""
        return self.state.firm_names

    @property
    def ledger(self) -> Ledger:
        """The books: every firm's cash and the outside accounts."""
        return self.state.ledger

    def engineer(self, i: int) -> EngineerView:
        """A snapshot of engineer ``i``: tier, firm, pay, tenure, weights..."""
        return self.state.engineers.view(i, self.state.firm_names)

    def firm(self, name: str) -> Firm:
        """The firm called ``name``."""
        return self.state.firms[self.state.firm_index(name)]

    def firm_index(self, name: str) -> int:
        """Index of the firm called ``name``."""
        return self.state.firm_index(name)

    def active_firms(self) -> list[Firm]:
        """Firms still in the market."""
        return self.state.active_firms()

    def members(self, j: int) -> np.ndarray:
        """Indices of firm j's engineers."""
        return self.state.members(j)

    def model_month(self, when: int | str) -> int:
        """A model month from an int month or a calendar month YYYY-MM."""
        return model_month(self.spec, when)

    def calendar_month(self, month: int) -> str:
        """The calendar month (YYYY-MM) of model month ``month``."""
        return calendar_month(self.spec.start, month)
