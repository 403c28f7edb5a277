"""Chart data: the tidy frame each chart of the live app shows, one function per chart.

A chart is data first: each function here builds the table a figure draws, from a run's
records (the model's in-memory tables, or a run folder's files, which hold the same
columns), and a renderer (the live app's plotly figures, a PNG, a notebook) only draws it.
Firms are grouped and coloured as every plot groups and colours them
(:class:`sim.output.plots.FirmLabels`): the scenario's named firms by name, each in its own
colour, the generated firms together.

The records (:class:`RunTables`) are ``market`` (one row per month), ``firms`` (one row per
firm per month), ``deals`` (one row per deal) and ``flows`` (moves), with the column names
of :mod:`sim.columns`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.output.palette import GENERATED, UNEMPLOYMENT_LABEL, firm_colours
from sim.output.plots import FirmLabels

if TYPE_CHECKING:
    from sim.model import TalentMarket

SHARE = "share"
LABEL = "label"
PAY = "pay"
STATISTIC = "statistic"
TOP_SHARE = "top_share"
STATUS = "status"


@dataclass(frozen=True)
class RunTables:
    """A run's records and what the charts need to read them.

    Attributes
    ----------
    market, firms, deals : DataFrame
        ``market.csv``, ``firms.csv`` and ``deals.csv`` as the model records them.
    tiers : tuple of str
        Tier names, best first (the first is the top tier).
    labels : FirmLabels
        Which firms are drawn by name, and their colours.
    threshold : float
        The scenario's GPU threshold (H100s).
    start : str
        Calendar month of month 0, ``YYYY-MM``.
    months : int
        The horizon (months the run lasts).
    """

    market: pd.DataFrame
    firms: pd.DataFrame
    deals: pd.DataFrame
    tiers: tuple[str, ...]
    labels: FirmLabels
    threshold: float
    start: str
    months: int

    @classmethod
    def from_model(cls, model: TalentMarket) -> RunTables:
        """The records of a model as it stands (month 0 to its last step)."""
        spec = model.spec
        named = list(spec.firms)
        return cls(model.market, model.firm_records, model.deals, tuple(spec.tiers),
                   FirmLabels(tuple(named), GENERATED, firm_colours(named)),
                   float(spec.compute.threshold), spec.start, spec.months)

    @property
    def month(self) -> int:
        """The last month recorded."""
        return int(self.market[col.MONTH].iloc[-1])

    def date(self, month: int) -> str:
        """Calendar month ``YYYY-MM`` of model month ``month``."""
        return (pd.Period(self.start, freq="M") + month).strftime("%Y-%m")


def _by_label(tables: RunTables, column: str) -> pd.DataFrame:
    """``column`` of the firm table summed over each label's firms: a row per month, a
    column per label drawn."""
    firms = tables.firms
    label = tables.labels.labels(firms[col.FIRM]).rename(LABEL)
    values = pd.to_numeric(firms[column], errors="coerce")
    table = values.groupby([firms[col.MONTH], label]).sum(min_count=1).unstack()
    return table.reindex(columns=tables.labels.order(firms[col.FIRM].astype(str))).astype(float)


def tier_shares(tables: RunTables) -> pd.DataFrame:
    """Each label's share (%) of every tier, by month: ``month, tier, label, share``.

    share_{l,t,m} = 100 * heads_{l,t,m} / N_{t,m}, with N_{t,m} all engineers of tier t in
    month m, employed or not; unemployment is a label of its own, so the shares of a tier
    and month add up to 100 (as the top-tier share plot measures it).
    """
    market = tables.market.set_index(col.MONTH)
    parts = []
    for tier in tables.tiers:
        heads = _by_label(tables, per_tier(col.HEADCOUNT, tier)).reindex(market.index)
        heads = heads.fillna(0.0)
        heads[UNEMPLOYMENT_LABEL] = pd.to_numeric(
            market[per_tier(col.UNEMPLOYED, tier)], errors="coerce").fillna(0.0)
        total = heads.sum(axis=1)
        share = 100 * heads.div(total.where(total > 0), axis=0)
        long = share.rename_axis(index=col.MONTH, columns=None).reset_index().melt(
            id_vars=col.MONTH, var_name=LABEL, value_name=SHARE)
        long.insert(1, col.FLOW_TIER, tier)
        parts.append(long)
    return pd.concat(parts, ignore_index=True)


def pay_by_firm(tables: RunTables) -> pd.DataFrame:
    """Pay of each tier by label and month: ``month, tier, label, statistic, pay``.

    A named firm's median pay of the tier's employed engineers (its mean where the firm
    table records no median); for the generated firms, the mean of their values weighted
    by their headcount of the tier: sum_j h_j p_j / sum_j h_j.
    """
    firms = tables.firms
    label = tables.labels.labels(firms[col.FIRM]).rename(LABEL)
    order = tables.labels.order(firms[col.FIRM].astype(str))
    parts = []
    for tier in tables.tiers:
        statistic = "median" if pay_column("median", tier) in firms.columns else "mean"
        column = pay_column(statistic, tier)
        if column not in firms.columns:
            continue
        value = pd.to_numeric(firms[column], errors="coerce")
        heads = pd.to_numeric(firms[per_tier(col.HEADCOUNT, tier)], errors="coerce")
        heads = heads.where(value.notna(), 0.0).fillna(0.0).clip(lower=0.0)
        keys = [firms[col.MONTH], label]
        total = (value.fillna(0.0) * heads).groupby(keys).sum().unstack()
        weight = heads.groupby(keys).sum().unstack()
        table = (total / weight.where(weight > 0)).reindex(columns=order)
        long = table.rename_axis(index=col.MONTH, columns=None).reset_index().melt(
            id_vars=col.MONTH, var_name=LABEL, value_name=PAY).dropna(subset=[PAY])
        long.insert(1, col.FLOW_TIER, tier)
        long.insert(3, STATISTIC, statistic)
        parts.append(long)
    if not parts:
        return pd.DataFrame(columns=[col.MONTH, col.FLOW_TIER, LABEL, STATISTIC, PAY])
    return pd.concat(parts, ignore_index=True)


def gpu_and_top_share(tables: RunTables) -> pd.DataFrame:
    """Each firm's GPU stock and share (%) of the employed top tier, in the last month
    recorded: ``firm, label, kind, gpus, top_share`` (the threshold is
    ``tables.threshold``).

    top_share_j = 100 * h_{j,top} / sum_k h_{k,top}, over the firms' employed top-tier
    engineers.
    """
    firms = tables.firms
    last = firms[firms[col.MONTH] == firms[col.MONTH].max()]
    heads = pd.to_numeric(last[per_tier(col.HEADCOUNT, tables.tiers[0])], errors="coerce")
    total = float(heads.sum())
    share = 100 * heads / total if total > 0 else heads * 0.0
    return pd.DataFrame({
        col.FIRM: last[col.FIRM].astype(str).to_numpy(),
        LABEL: tables.labels.labels(last[col.FIRM]).to_numpy(),
        col.KIND: last[col.KIND].astype(str).to_numpy(),
        col.GPUS: pd.to_numeric(last[col.GPUS], errors="coerce").to_numpy(),
        TOP_SHARE: share.to_numpy(),
    })


def deal_timeline(tables: RunTables) -> pd.DataFrame:
    """Every deal so far, by month: ``month, date, buyer, target, form, price,
    engineers_moved, status`` (status ``done`` or ``blocked``)."""
    keep = [col.MONTH, col.DATE, col.DEAL_BUYER, col.DEAL_TARGET, col.DEAL_FORM,
            col.DEAL_PRICE, col.DEAL_ENGINEERS_MOVED]
    deals = tables.deals
    if deals.empty:
        return pd.DataFrame(columns=[*keep, STATUS])
    frame = deals[keep].copy()
    frame[STATUS] = deals[col.DEAL_BLOCKED].map({True: "blocked", False: "done"})
    return frame.reset_index(drop=True)


COUNTER_OFFER_COLUMNS = (col.COUNTER_OFFERS, col.COUNTER_OFFERS_ACCEPTED, col.RETENTION_CALLS,
                         col.RETENTION_KEPT, col.HIRES, col.QUITS)
"""The counts :func:`counter_offers_and_moves` adds up over the months."""


def counter_offers_and_moves(tables: RunTables) -> pd.DataFrame:
    """One row per label, month 1 to now: its counter-offer policy in the last month,
    counter-offers made and accepted, retention calls and engineers kept by them, hires and
    quits (sums over the months), and its headcount in the last month. Indexed by label;
    the generated firms' policy is ``mixed`` if they differ."""
    firms = tables.firms
    label = tables.labels.labels(firms[col.FIRM]).rename(LABEL)
    stepped = firms[col.MONTH] >= 1
    counts = firms.loc[stepped, list(COUNTER_OFFER_COLUMNS)].apply(pd.to_numeric,
                                                                  errors="coerce")
    sums = counts.groupby(label[stepped]).sum()
    last = firms[col.MONTH] == firms[col.MONTH].max()
    heads = pd.to_numeric(firms.loc[last, col.HEADCOUNT], errors="coerce").groupby(
        label[last]).sum()
    policies = firms.loc[last, col.COUNTER_OFFER_POLICY].astype(str).groupby(label[last]).agg(
        lambda p: p.iloc[0] if p.nunique() == 1 else "mixed")
    order = tables.labels.order(firms[col.FIRM].astype(str))
    table = pd.DataFrame({col.COUNTER_OFFER_POLICY: policies}).join(sums).join(
        heads.rename(col.HEADCOUNT)).reindex(order)
    table[list(COUNTER_OFFER_COLUMNS)] = table[list(COUNTER_OFFER_COLUMNS)].fillna(0.0)
    table.index.name = LABEL
    return table
