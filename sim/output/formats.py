"""The run folder's files: their names and the format of each table, checked.

A run folder holds ``manifest.json`` (its format: :mod:`sim.output.manifest`) and the tables
named here, with the columns of :mod:`sim.columns`. :data:`TABLES` declares what each table
must hold to be read (:class:`TableFormat`) and :func:`check_columns` checks a table read
against it; :mod:`sim.output.rundir` reads the files (:func:`sim.output.rundir.read_table`)
and owns the folder (leftovers, :class:`~sim.output.rundir.RunFolder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import columns as col
from sim.errors import UserError
from sim.output.manifest import MONTH_DATE, NAME

MARKET = "market.csv"
FIRMS = "firms.csv"
FLOWS = "flows.csv"
DEALS = "deals.csv"
DEAL_TEAMS = "deal_teams.csv"
ENGINEERS_CSV = "engineers.csv"
ENGINEERS_CSV_GZ = "engineers.csv.gz"
ENGINEERS_PARQUET = "engineers.parquet"
ENGINEER_FILES: dict[str, str] = {"csv.gz": ENGINEERS_CSV_GZ, "csv": ENGINEERS_CSV,
                                  "parquet": ENGINEERS_PARQUET}
"""The file of the final engineer table in each format a run may write it in (``--engineers``),
the default first: gzip-compressed CSV, less than half the size of the CSV, written the same
way by every installation (no optional dependency) and read by any CSV reader that
decompresses (pandas, R, ``zcat``)."""
# Columns of the final engineer table, written by the model.
ENGINEER_PAY = "pay"
ENGINEER_TIER = "tier"
ENGINEER_FIRM = "firm"
DEAL_REASON = "reason"


@dataclass(frozen=True)
class TableFormat:
    """What a table of a run folder must hold to be read.

    Every column not declared as text must hold numbers (or True/False); missing numbers
    are allowed (a pay median of a tier nobody is employed in), infinite ones are not.
    """

    required: tuple[str, ...] = ()
    """Columns every reader needs."""
    text: frozenset[str] = frozenset()
    """Columns of text. Unless free or dates, they hold names (firms, tiers, kinds), which
    must be names as in scenario files: safe in plot labels, CSV cells and HTML."""
    free: frozenset[str] = frozenset()
    """Text columns of any text, possibly empty (a deal's reason)."""
    dates: frozenset[str] = frozenset()
    """Text columns of calendar months, ``YYYY-MM``."""
    may_be_empty: frozenset[str] = frozenset()
    """Name columns that may be empty (an unemployed engineer's firm)."""
    counts: frozenset[str] = frozenset({col.MONTH})
    """Columns of whole numbers >= 0, none missing."""
    flags: frozenset[str] = frozenset()
    """Columns of True / False."""
    optional: bool = False
    """Whether a run may lack the file (a run that did not record it); an optional file
    with no content is an empty table."""
    tier_columns: bool = False
    """Whether the tiers are read from the table's ``employed_<tier>`` columns (at least
    one is required)."""


TABLES: dict[str, TableFormat] = {
    MARKET: TableFormat(required=(col.MONTH, col.DATE, col.UNEMPLOYMENT_RATE),
                        text=frozenset({col.DATE}), dates=frozenset({col.DATE}),
                        tier_columns=True),
    FIRMS: TableFormat(required=(col.MONTH, col.FIRM, col.KIND, col.HEADCOUNT, col.GPUS),
                       text=frozenset({col.FIRM, col.KIND, col.COUNTER_OFFER_POLICY})),
    FLOWS: TableFormat(required=(col.MONTH, col.FLOW_SOURCE, col.FLOW_DESTINATION,
                                 col.FLOW_TIER, col.FLOW_ENGINEERS),
                       text=frozenset({col.FLOW_SOURCE, col.FLOW_DESTINATION, col.FLOW_TIER,
                                       col.FLOW_KIND}),
                       counts=frozenset({col.MONTH, col.FLOW_ENGINEERS}), optional=True),
    DEALS: TableFormat(text=frozenset({col.DATE, col.DEAL_BUYER, col.DEAL_TARGET,
                                       col.DEAL_FORM, col.DEAL_ORIGIN, DEAL_REASON}),
                       free=frozenset({DEAL_REASON}), dates=frozenset({col.DATE}),
                       flags=frozenset({col.DEAL_BLOCKED}), optional=True),
    DEAL_TEAMS: TableFormat(required=col.DEAL_TEAM_COLUMNS,
                            text=frozenset({col.DATE, col.DEAL_BUYER, col.DEAL_TARGET,
                                            col.DEAL_FORM, col.DEAL_TEAM_TIER,
                                            col.DEAL_TEAM_FIRM_AT_END}),
                            dates=frozenset({col.DATE}), flags=frozenset({col.DEAL_BLOCKED}),
                            counts=frozenset({col.DEAL_TEAM_DEAL, col.DEAL_TEAM_ENGINEERS}),
                            optional=True),
    ENGINEERS_CSV: TableFormat(text=frozenset({ENGINEER_TIER, ENGINEER_FIRM}),
                               may_be_empty=frozenset({ENGINEER_FIRM}),
                               counts=frozenset(), optional=True),
}
"""The format of each table of a run folder."""

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    name: fmt.required for name, fmt in TABLES.items() if not fmt.optional}
"""Columns a run folder's required tables must have to be read at all."""


def check_columns(table: pd.DataFrame, path: Path, fmt: TableFormat) -> None:
    """Raise :class:`UserError` unless ``table`` has ``fmt``'s columns and types."""
    missing = [c for c in fmt.required if c not in table.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    if fmt.tier_columns:
        prefix = col.per_tier(col.EMPLOYED, "")
        tiers = [str(c).removeprefix(prefix) for c in table.columns
                 if str(c).startswith(prefix)]
        if not tiers:
            raise UserError(f"{path}: no {prefix}<tier> columns (one per tier)")
        bad = [t for t in tiers if NAME.match(t) is None]
        if bad:
            raise UserError(f"{path}: column {prefix}{bad[0]}: {bad[0]!r} is not a tier name "
                            "(letters, digits, _ . -)")
    if table.empty:
        return
    for name in table.columns:
        column = table[name]
        where = f"{path}: column {name}"
        if name in fmt.text:
            if name in fmt.free:
                continue
            present = column.dropna()
            if len(present) < len(column) and name not in fmt.may_be_empty:
                row = int(np.flatnonzero(column.isna().to_numpy())[0])
                raise UserError(f"{where}: empty in data row {row + 1}")
            values = pd.unique(present.astype(str))
            pattern = MONTH_DATE if name in fmt.dates else NAME
            bad = [v for v in values if pattern.match(v) is None]
            if bad:
                what = ("a month as YYYY-MM" if name in fmt.dates
                        else "a name (letters, digits, _ . -)")
                raise UserError(f"{where}: expected {what}, got {bad[0][:40]!r}")
        elif name in fmt.flags:
            if not pd.api.types.is_bool_dtype(column):
                raise UserError(f"{where}: expected True or False in every row")
        elif pd.api.types.is_bool_dtype(column):
            continue  # True / False are numbers too
        elif not pd.api.types.is_numeric_dtype(column):
            numbers = pd.to_numeric(column, errors="coerce")
            bad_value = column[numbers.isna() & column.notna()]
            shown = str(bad_value.iloc[0])[:40] if len(bad_value) else ""
            raise UserError(f"{where}: expected numbers, got {shown!r}")
        else:
            values = column.to_numpy(dtype=float)
            if np.isinf(values).any():
                raise UserError(f"{where}: expected finite numbers, got an infinite one")
            if name in fmt.counts and (np.isnan(values).any() or (values < 0).any()
                                       or not np.all(values == np.floor(values))):
                raise UserError(f"{where}: expected whole numbers >= 0 in every row")
