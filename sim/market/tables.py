"""The run's records as tables: what ``firms.csv``, ``flows.csv``, ``deals.csv``,
``deal_teams.csv`` and ``engineers.csv.gz`` hold, and Mesa's ``DataCollector`` view of them.

The month records plain arrays (:mod:`sim.market.measures`); these functions turn them into
data frames when they are read, so a run that never reads a table never builds it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import columns as c
from sim.agents.firms import Firm
from sim.market.state import DealRecord, MarketState

FIRM_REPORTERS = ("firm", c.KIND, c.HEADCOUNT, c.HIRES, c.QUITS, c.LAYOFFS, c.CASH, c.GPUS,
                  c.REVENUE, c.COUNTER_OFFERS, c.DEALS, c.ACTIVE)
"""Columns of ``firms.csv`` that the DataCollector also reports per firm agent, so
``mesa.batch_run`` returns firm rows (``AgentID``, then these, named by :func:`firm_key`)."""


def firm_frame(state: MarketState, records: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """Per-firm measures, a row per firm per month (``firms.csv``), from the months' firm
    columns ``records`` (one dict of arrays, indexed by firm, per month)."""
    firms = state.firms
    n, months = len(firms), len(records)
    columns = {
        c.MONTH: np.repeat(np.arange(months), n),
        c.FIRM: np.tile(np.array(state.firm_names, dtype=object), months),
        c.KIND: np.tile(np.array([f.kind for f in firms], dtype=object), months),
    }
    for key in records[0]:
        columns[key] = np.concatenate([rec[key] for rec in records])
    return pd.DataFrame(columns)


def flow_frame(state: MarketState, records: list[np.ndarray]) -> pd.DataFrame:
    """Moves between places per month, tier and kind of move, long format (``flows.csv``),
    from the months' counts ``records`` (:func:`sim.market.measures.flow_counts`).

    ``source`` and ``destination`` are firm names or ``unemployment``; ``kind`` is one of
    :data:`sim.columns.MOVE_KINDS`."""
    columns = list(c.FLOW_COLUMNS)
    if not records:
        return pd.DataFrame(columns=columns)
    data = np.concatenate(records)
    places = np.array([c.UNEMPLOYMENT_PLACE, *state.firm_names], dtype=object)
    tiers = np.array(state.engineers.tier_names, dtype=object)
    return pd.DataFrame({
        c.MONTH: data[:, 0],
        c.FLOW_SOURCE: places[data[:, 1] + 1],
        c.FLOW_DESTINATION: places[data[:, 2] + 1],
        c.FLOW_TIER: tiers[data[:, 3]],
        c.FLOW_KIND: np.array(c.MOVE_KINDS, dtype=object)[data[:, 4]],
        c.FLOW_ENGINEERS: data[:, 5],
    }, columns=columns)


def deal_frame(state: MarketState) -> pd.DataFrame:
    """Every deal, done or blocked (``deals.csv``)."""
    columns = [f.name for f in fields(DealRecord)]
    return pd.DataFrame([d.as_row() for d in state.deal_records], columns=columns)


def deal_team_frame(state: MarketState) -> pd.DataFrame:
    """Where the engineers of each deal attempt (the target's team when the deal was tried,
    done or blocked) work now, by tier and firm (``deal_teams.csv``): one row per deal, tier
    and firm (or unemployment) with at least one of them."""
    eng = state.engineers
    places = np.array([c.UNEMPLOYMENT_PLACE, *state.firm_names], dtype=object)
    tiers = np.array(eng.tier_names, dtype=object)
    rows = []
    for k, (record, team) in enumerate(zip(state.deal_records, state.deal_teams,
                                           strict=True)):
        # (tier, place) codes of the team's engineers today; place 0 is unemployment
        codes = eng.tier[team].astype(np.int64) * places.size + eng.firm[team] + 1
        found, counts = np.unique(codes, return_counts=True)
        for code, count in zip(found, counts, strict=True):
            rows.append((k, record.date, record.buyer, record.target, record.form,
                         record.blocked, tiers[code // places.size],
                         places[code % places.size], int(count)))
    return pd.DataFrame(rows, columns=list(c.DEAL_TEAM_COLUMNS))


def engineer_frame(state: MarketState, start: int = 0, stop: int | None = None,
                   columns: Collection[str] | None = None) -> pd.DataFrame:
    """The state of engineers ``start`` to ``stop`` (all by default): the rows of
    ``engineers.csv.gz``, with the tier and firm by name (no firm: an empty name); only
    ``columns`` of it, if given (in the table's order)."""
    eng = state.engineers
    rows = slice(start, stop)
    cols = {name: values[rows] for name, values in eng.columns().items()
            if columns is None or name in columns}
    frame = pd.DataFrame(cols)
    if "tier" in cols:
        frame["tier"] = np.array(eng.tier_names, dtype=object)[cols["tier"]]
    if "firm" in cols:
        names = np.array(["", *state.firm_names], dtype=object)
        frame["firm"] = names[cols["firm"] + 1]
    return frame


# ---------------------------------------------------------------------- Mesa's view


def collector(market_rows: list[dict[str, Any]], firm_records: list[dict[str, np.ndarray]],
              firms: Any) -> mesa.DataCollector:
    """A Mesa ``DataCollector`` holding the months recorded, as ``mesa.batch_run`` reads it:
    model variables (the market rows ``market_rows``) and, per firm agent ``firms`` and
    month, the :data:`FIRM_REPORTERS` (named by :func:`firm_key`) of ``firm_records``."""
    months = len(market_rows)
    made = mesa.DataCollector(
        model_reporters={key: _reporter(key) for key in market_rows[0]},
        agent_reporters={firm_key(key): _firm_reporter(key) for key in FIRM_REPORTERS},
    )
    made.model_vars = {key: [row[key] for row in market_rows] for key in market_rows[0]}
    made._agent_records = {
        step: [(step, firm.unique_id, *(_firm_value(firm, key, record)
                                        for key in FIRM_REPORTERS))
               for firm in firms]
        for step, record in enumerate(firm_records)}
    if hasattr(made, "_collection_steps"):  # Mesa >= 3.5: the months collected
        made._collection_steps = list(range(months))
    return made


def firm_key(column: str) -> str:
    """The name of a firm reporter in ``mesa.batch_run`` rows: ``firm`` (the firm's name),
    else ``firm_<column>`` (``firm_hires``), so that no firm measure overwrites the market
    measure of the same name (``hires``) in the same row."""
    return column if column == "firm" else f"firm_{column}"


def _reporter(key: str) -> Any:
    """A DataCollector model reporter reading ``key`` of the month's market row."""
    return lambda model: model.market_row[key]


def _firm_reporter(key: str) -> Any:
    """A DataCollector agent reporter: firm ``key`` of the month's firm columns."""
    return lambda firm: _firm_value(firm, key, firm.model._firm_records[-1])


def _firm_value(firm: Firm, key: str, record: dict[str, np.ndarray]) -> Any:
    """Firm reporter ``key`` of ``firm`` in a month's firm columns ``record``: its name,
    its kind, or its entry of the column as a Python number."""
    if key == "firm":
        return firm.name
    if key == c.KIND:
        return firm.kind
    return record[key][firm.index].item()
