"""Chart data: the tidy frame each chart draws, one function per chart.

A chart is data first: each function here builds the table a figure draws, from a run's
records (the model's in-memory tables, or a run folder's files, which hold the same
columns), and a renderer (the run's PNG plots, the live app's figures, a notebook) only
draws it. Firms are grouped and coloured as every plot groups and colours them
(:class:`sim.output.palette.FirmLabels`, chosen by :func:`firm_labels`): the scenario's
named firms by name, each in its own colour, the generated firms together.

The records (:class:`RunTables`) are ``market`` (one row per month), ``firms`` (one row per
firm per month) and ``deals`` (one row per deal), with the column names of
:mod:`sim.columns`; the moves chart also reads ``flows.csv`` (:func:`move_matrices`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from sim import columns as col
from sim.columns import pay_column, per_tier
from sim.output.palette import (
    GENERATED,
    OTHER_FIRMS,
    UNEMPLOYMENT_LABEL,
    FirmLabels,
    firm_colours,
    named_firms,
)
from sim.output.rundir import MANIFEST, RunFolder

if TYPE_CHECKING:
    from sim.model import TalentMarket

SHARE = "share"
LABEL = "label"
PAY = "pay"
STATISTIC = "statistic"
TOP_SHARE = "top_share"
TOP_SHARE_NOTE = "share of all engineers of the tier, employed or not"
"""What :func:`top_shares` divides by, for the charts' axis titles."""
STATUS = "status"
HEADCOUNT = "headcount"
ALL_ENGINEERS = "all engineers"
"""The ``tier`` of :func:`headcount_by_firm`'s rows that count every tier."""
SOURCE = "source"
DESTINATION = "destination"
MAX_FIRMS_SHOWN = 12
"""Without a manifest (so without the scenario's named firms), a run's firms are all shown
by name if there are at most this many, else the largest this many (by peak headcount)."""
DEAL_KINDS = ("deal_transfer",)
"""Kinds of move (``flows.csv``) that a deal made: outlined in the moves matrix."""


def has_manifest(run: RunFolder) -> bool:
    """Whether the run folder has a manifest (so its scenario's named firms are known)."""
    return (run.dir / MANIFEST).exists()


def firm_labels(run: RunFolder, colour_order: Sequence[str] | None = None) -> FirmLabels:
    """The firms a run's plots name: the scenario's named firms (from the manifest).

    Without a manifest every firm of ``firms.csv`` is named if there are at most
    :data:`MAX_FIRMS_SHOWN`, else the largest by peak headcount; the others are
    ``"other firms"``. ``colour_order`` gives the named firms whose order fixes the colours
    (in a comparison: the union of the runs' named firms, first run first).
    """
    if has_manifest(run):
        named = named_firms(run.manifest["scenario"])
        rest = GENERATED
    else:
        firms = run.firms
        names = [str(f) for f in pd.unique(firms[col.FIRM].astype(str))]
        if len(names) <= MAX_FIRMS_SHOWN:
            named = names
        else:
            peak = firms.groupby(firms[col.FIRM].astype(str))[col.HEADCOUNT].max()
            peak = peak.reindex(names)
            largest = set(peak.sort_values(ascending=False, kind="stable")
                          .index[:MAX_FIRMS_SHOWN])
            named = [n for n in names if n in largest]
        rest = OTHER_FIRMS
    return FirmLabels(tuple(named), rest, firm_colours(colour_order or named))


def month_dates(run: RunFolder) -> dict[int, pd.Timestamp]:
    """The calendar date of each model month of the run."""
    return dict(zip(run.market[col.MONTH].astype(int), run.dates(), strict=True))


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

    @classmethod
    def from_run(cls, run: RunFolder, labels: FirmLabels | None = None) -> RunTables:
        """The records of a run folder, its firms labelled by ``labels`` (default:
        :func:`firm_labels`); without a manifest the GPU threshold is 0 (none drawn)."""
        market = run.market
        return cls(market, run.firms, run.deals, tuple(run.tiers),
                   labels if labels is not None else firm_labels(run),
                   run.gpu_threshold or 0.0, str(market[col.DATE].iloc[0]),
                   int(market[col.MONTH].iloc[-1]))

    @property
    def month(self) -> int:
        """The last month recorded."""
        return int(self.market[col.MONTH].iloc[-1])

    def date(self, month: int) -> str:
        """Calendar month ``YYYY-MM`` of model month ``month``."""
        return (pd.Period(self.start, freq="M") + month).strftime("%Y-%m")


def wide(frame: pd.DataFrame, value: str, labels: Sequence[str],
         months: pd.Index | None = None) -> pd.DataFrame:
    """A tidy frame's ``value`` as a table: a row per month (``months``, default those in
    ``frame``), a column per label of ``labels`` in that order (missing cells NaN)."""
    table = frame.pivot(index=col.MONTH, columns=LABEL, values=value)
    table = table.reindex(columns=list(labels)) if months is None else table.reindex(
        index=months, columns=list(labels))
    table.columns.name = None
    return table.astype(float)


def _long(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """A table with a row per month and a column per label, as ``month, label, value``."""
    return table.rename_axis(index=col.MONTH, columns=None).reset_index().melt(
        id_vars=col.MONTH, var_name=LABEL, value_name=value)


def by_label(tables: RunTables, column: str) -> pd.DataFrame:
    """``column`` of the firm table summed over each label's firms: a row per month, a
    column per label drawn (a named firm missing from the table is all NaN).

    x_{l,m} = sum_{j in l} x_{j,m}, over the firms with a value (NaN if none has one).
    """
    firms = tables.firms
    label = tables.labels.labels(firms[col.FIRM]).rename(LABEL)
    values = pd.to_numeric(firms[column], errors="coerce")
    table = values.groupby([firms[col.MONTH], label]).sum(min_count=1).unstack()
    return table.reindex(columns=tables.labels.order(firms[col.FIRM].astype(str))).astype(float)


def weighted_by_label(tables: RunTables, column: str, weight: str) -> pd.DataFrame:
    """``column`` of the firm table by label and month: a named firm's own value; for the
    group, the mean of its firms' values weighted by ``weight``:
    sum_j w_j x_j / sum_j w_j over the firms with a value and w_j > 0 (NaN if none)."""
    firms = tables.firms
    label = tables.labels.labels(firms[col.FIRM]).rename(LABEL)
    value = pd.to_numeric(firms[column], errors="coerce")
    heads = pd.to_numeric(firms[weight], errors="coerce").where(value.notna(), 0.0).fillna(0.0)
    heads = heads.clip(lower=0.0)
    keys = [firms[col.MONTH], label]
    total = (value.fillna(0.0) * heads).groupby(keys).sum().unstack()
    weights = heads.groupby(keys).sum().unstack()
    table = total / weights.where(weights > 0)
    return table.reindex(columns=tables.labels.order(firms[col.FIRM].astype(str))).astype(float)


def headcount_by_firm(tables: RunTables) -> pd.DataFrame:
    """Each label's headcount by month, of every tier and of all engineers:
    ``month, tier, label, headcount`` (tier :data:`ALL_ENGINEERS` for all), the sum over
    the label's firms (:func:`by_label`; NaN where no firm of the label has a value)."""
    parts = []
    for tier, column in ((ALL_ENGINEERS, col.HEADCOUNT),
                         *((t, per_tier(col.HEADCOUNT, t)) for t in tables.tiers)):
        long = _long(by_label(tables, column), HEADCOUNT)
        long.insert(1, col.FLOW_TIER, tier)
        parts.append(long)
    return pd.concat(parts, ignore_index=True)


def tier_shares(tables: RunTables, tiers: Sequence[str] | None = None) -> pd.DataFrame:
    """Each label's share (%) of every tier (or of ``tiers``), by month:
    ``month, tier, label, share``.

    share_{l,t,m} = 100 * heads_{l,t,m} / N_{t,m}, with N_{t,m} all engineers of tier t in
    month m, employed or not; unemployment is a label of its own (where ``market.csv``
    records the tier's unemployed), so the shares of a tier and month add up to 100.
    """
    market = tables.market.set_index(col.MONTH)
    parts = []
    for tier in tables.tiers if tiers is None else tiers:
        heads = by_label(tables, per_tier(col.HEADCOUNT, tier)).reindex(market.index)
        heads = heads.fillna(0.0)
        unemployed = per_tier(col.UNEMPLOYED, tier)
        if unemployed in market.columns:
            heads[UNEMPLOYMENT_LABEL] = pd.to_numeric(market[unemployed],
                                                      errors="coerce").fillna(0.0)
        total = heads.sum(axis=1)
        share = 100 * heads.div(total.where(total > 0), axis=0)
        long = _long(share, SHARE)
        long.insert(1, col.FLOW_TIER, tier)
        parts.append(long)
    return pd.concat(parts, ignore_index=True)


def has_top_tier(tables: RunTables) -> bool:
    """Whether the firm table records each firm's headcount of the top tier (the first
    tier), which the charts of the top tier's shares need."""
    return bool(tables.tiers) and per_tier(col.HEADCOUNT, tables.tiers[0]) in tables.firms.columns


def top_shares(tables: RunTables) -> pd.DataFrame:
    """:func:`tier_shares` of the top tier as a table: a row per month, a column per label
    (named firms, the group, unemployment); the shares of a month add up to 100."""
    top = tables.tiers[0]
    frame = tier_shares(tables, [top])
    return wide(frame, SHARE, list(dict.fromkeys(frame[LABEL])))


def top_shares_at_end(runs: Mapping[str, RunTables]) -> pd.DataFrame:
    """Each label's share (%) of the top tier in the last month of each run
    (:func:`top_shares`' last row): a row per label, a column per run (the keys of
    ``runs``, in order); a label a run lacks has 0.

    Rows: the runs' named firms (first run first), their groups, then unemployment.
    """
    columns = {name: top_shares(tables).iloc[-1] for name, tables in runs.items()}
    table = pd.DataFrame(columns).fillna(0.0)
    order = union([list(t.labels.named) for t in runs.values()])
    order += [g for g in (GENERATED, OTHER_FIRMS, UNEMPLOYMENT_LABEL) if g not in order]
    table = table.reindex([g for g in order if g in table.index])
    table.index.name = LABEL
    return table.astype(float)


def union(lists: Iterable[Sequence[str]]) -> list[str]:
    """The names of ``lists`` in order of first appearance, each once."""
    out: list[str] = []
    for items in lists:
        out.extend(i for i in items if i not in out)
    return out


def named_in_runs(runs: Sequence[RunFolder]) -> list[str]:
    """Every firm the runs draw by name (:func:`firm_labels`), first run first: the order
    that fixes the firms' colours on a page of several runs."""
    return union([list(firm_labels(r).named) for r in runs])


def pay_by_firm(tables: RunTables) -> pd.DataFrame:
    """Pay of each tier by label and month: ``month, tier, label, statistic, pay``.

    A named firm's median pay of the tier's employed engineers (its mean where the firm
    table records no median); for the generated firms, the mean of their values weighted
    by their headcount of the tier: sum_j h_j p_j / sum_j h_j.
    """
    firms = tables.firms
    parts = []
    for tier in tables.tiers:
        statistic = "median" if pay_column("median", tier) in firms.columns else "mean"
        column = pay_column(statistic, tier)
        if column not in firms.columns:
            continue
        table = weighted_by_label(tables, column, per_tier(col.HEADCOUNT, tier))
        long = _long(table, PAY).dropna(subset=[PAY])
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


UNKNOWN_ORIGIN = "unknown"
"""The origin of a deal in a deal table written before deals recorded it."""


def blocked_deals(deals: pd.DataFrame) -> pd.Series:
    """Whether each deal of a deal table was blocked (False where the table has no
    ``blocked`` column); the column's text ``True``/``1`` counts as blocked."""
    if col.DEAL_BLOCKED not in deals.columns:
        return pd.Series(False, index=deals.index)
    return deals[col.DEAL_BLOCKED].astype(str).str.lower().isin(["true", "1", "1.0"])


def deal_origins(deals: pd.DataFrame) -> pd.Series:
    """Each deal's origin, ``scheduled`` or ``model`` (:data:`UNKNOWN_ORIGIN` for a deal
    table written before deals recorded it)."""
    if col.DEAL_ORIGIN not in deals.columns:
        return pd.Series(UNKNOWN_ORIGIN, index=deals.index)
    return deals[col.DEAL_ORIGIN].astype(str)


def deal_timeline(tables: RunTables) -> pd.DataFrame:
    """Every deal so far, by month: ``month, date, buyer, target, form, price,
    engineers_moved, price_per_engineer, origin, status`` (origin ``scheduled`` or
    ``model``, :func:`deal_origins`; status ``done`` or ``blocked``,
    :func:`blocked_deals`)."""
    keep = [col.MONTH, col.DATE, col.DEAL_BUYER, col.DEAL_TARGET, col.DEAL_FORM,
            col.DEAL_PRICE, col.DEAL_ENGINEERS_MOVED, col.DEAL_PRICE_PER_ENGINEER]
    deals = tables.deals
    if deals.empty:
        return pd.DataFrame(columns=[*keep, col.DEAL_ORIGIN, STATUS])
    frame = deals[keep].copy()
    frame[col.DEAL_ORIGIN] = deal_origins(deals)
    frame[STATUS] = blocked_deals(deals).map({True: "blocked", False: "done"})
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


POLICY_ORDER = ("never", "match", "beat")
"""Counter-offer policies in the order :func:`counter_offers_by_policy` lists them."""
POLICY_COUNTS = (col.COUNTER_OFFERS, col.COUNTER_OFFERS_ACCEPTED, col.QUITS,
                 col.RETENTION_CALLS, col.RETENTION_KEPT)
"""The counts :func:`counter_offers_by_policy` adds up."""
FIRM_MONTHS = "firm_months"


def counter_offers_by_policy(tables: RunTables) -> pd.DataFrame:
    """Counter-offers made and accepted, quits, retention calls and engineers kept by them,
    summed over every firm-month of the run by the employer's counter-offer policy that
    month, with the number of such firm-months (``firm_months``). Indexed by policy
    (never, match, beat; those present)."""
    firms = tables.firms
    policy = firms[col.COUNTER_OFFER_POLICY]
    grouped = firms.groupby(col.COUNTER_OFFER_POLICY)[list(POLICY_COUNTS)].sum()
    grouped = grouped.reindex([p for p in POLICY_ORDER if p in grouped.index])
    grouped[FIRM_MONTHS] = [int((policy == p).sum()) for p in grouped.index]
    return grouped


def move_places(tables: RunTables, flows: pd.DataFrame) -> list[str]:
    """The firm labels of the moves chart: named firms, then the group if the run has other
    firms (in the firm table or ``flows``)."""
    names = set(tables.firms[col.FIRM].astype(str))
    if not flows.empty:  # each place once, before the text of each (many rows hold one)
        names |= set(flows[col.FLOW_SOURCE].drop_duplicates().astype(str))
        names |= set(flows[col.FLOW_DESTINATION].drop_duplicates().astype(str))
    return tables.labels.order(names)


def move_matrices(tables: RunTables, flows: pd.DataFrame
                  ) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """For each tier (best first): the moves of ``flows`` (``flows.csv``) between the
    places drawn (named firms, the group of the others, unemployment), as
    ``(all moves, of which by deals)``: rows source, columns destination,
    M_{s,d} = sum of the engineers moved from a place labelled s to one labelled d. Every
    kind of move is counted; the deal moves are those of :data:`DEAL_KINDS`."""
    places = [*move_places(tables, flows), UNEMPLOYMENT_LABEL]
    out: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for tier in tables.tiers:
        if flows.empty:
            part = pd.DataFrame(columns=list(col.FLOW_COLUMNS))
        else:
            part = flows[flows[col.FLOW_TIER].astype(str) == tier]
        source = tables.labels.labels(part[col.FLOW_SOURCE]).rename(SOURCE)
        destination = tables.labels.labels(part[col.FLOW_DESTINATION]).rename(DESTINATION)
        counts = pd.to_numeric(part[col.FLOW_ENGINEERS], errors="coerce").fillna(0)
        kinds = (part[col.FLOW_KIND].astype(str) if col.FLOW_KIND in part.columns
                 else pd.Series("", index=part.index))
        matrices = []
        for mask in (pd.Series(True, index=part.index), kinds.isin(DEAL_KINDS)):
            table = counts[mask].groupby([source[mask], destination[mask]]).sum()
            matrices.append(table.unstack(fill_value=0).reindex(
                index=places, columns=places, fill_value=0).astype(float))
        out[tier] = (matrices[0], matrices[1])
    return out
