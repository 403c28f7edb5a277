"""The run folder: its format, written atomically, and read back.

A run folder holds ``manifest.json``, ``market.csv``, ``firms.csv``, ``flows.csv``,
``deals.csv``, the final engineer table (``engineers.csv.gz`` by default; ``engineers.csv``
or ``engineers.parquet`` on request) and the plots. This module is the one owner of that
folder: writing its tables as CSV (:func:`write_csv`, :func:`write_csv_gz`: the bytes of
pandas' ``to_csv``, the text made faster here), which leftovers of an interrupted process
are its own to remove, reading its tables (:func:`read_table`; the file names and each
table's format are :mod:`sim.output.formats`', the manifest's :mod:`sim.output.manifest`'),
and :class:`RunFolder`, the reader of a finished run that plots, comparisons and reports
share. A damaged folder is refused by :class:`RunFolder` with one :class:`UserError`
naming the file and what is wrong, before anything reads its values. The names of the
tables' columns are declared in :mod:`sim.columns`; the atomic writers (a run appears
complete or not at all; a set of plots is added whole or not at all) are
:mod:`sim.files`'.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from sim import columns as col
from sim import files
from sim.errors import UserError
from sim.files import LEFTOVER, require_folder
from sim.files.textscan import one_line, scan_text
from sim.output.formats import (
    DEAL_TEAMS,
    DEALS,
    ENGINEER_FILES,
    ENGINEERS_CSV,
    ENGINEERS_PARQUET,
    FIRMS,
    FLOWS,
    MARKET,
    TABLES,
    TableFormat,
    check_columns,
)
from sim.output.manifest import MANIFEST, Manifest, load_manifest

KNOWN_FILES = frozenset({MANIFEST, MARKET, FIRMS, FLOWS, DEALS, DEAL_TEAMS,
                         *ENGINEER_FILES.values(),
                         "differences.csv", "report.html", "firm_differences.csv",
                         "firm_measures.csv", "deal_team_differences.csv",
                         "effects_over_time.csv", "summary.csv"})
"""Files the output layer writes (with any ``*.png``): a leftover holding anything else is
not ours and is kept."""
REPLICATE_RUN = re.compile(r"^rep-[0-9]{3,}$")
"""The run folders inside a replicate folder (``rep-000``...): a leftover may hold them."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet run a CSV cell as a formula."""


# --------------------------------------------------------------------------- writing


def csv_cell(text: str) -> str:
    """``text`` made safe for a CSV cell: a leading ``'`` if a spreadsheet would otherwise
    run it as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a return)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


TEXT_CELLS = 100_000
"""Most cells :func:`write_csv` holds as text at a time (a Python string each: about 6 MB
for the engineer table's)."""


def _quoting_characters() -> tuple[str, str]:
    """The ASCII characters that make Python's ``csv`` writer quote a cell, set up as
    ``DataFrame.to_csv`` sets it up (``,`` between cells, ``"`` to quote, ``QUOTE_MINIMAL``,
    lines ending in ``"\\n"``); and those it refuses or writes otherwise. Asked of the
    ``csv`` module itself, once, writing ``a<char>,b`` for each: the answer may differ
    between Python versions (Python 3.11 quotes ``,``, ``"`` and ``\\n``, not ``\\r``)."""
    quoted, other = [], []
    for char in map(chr, range(128)):
        buffer = io.StringIO()
        try:
            csv.writer(buffer, lineterminator="\n").writerow([f"a{char}", "b"])
        except csv.Error:
            other.append(char)
            continue
        text = buffer.getvalue()
        if text == '"a' + char.replace('"', '""') + '",b\n':
            quoted.append(char)
        elif text != f"a{char},b\n":
            other.append(char)
    return "".join(quoted), "".join(other)


QUOTED, UNWRITABLE = _quoting_characters()
"""The characters that make the ``csv`` module quote a cell, and those it would not write
as they are (none on Python 3.11): a text column holding one of the latter is written by
pandas itself (:func:`write_csv`)."""


def _quote(text: str) -> str:
    """``text`` as the ``csv`` module writes a cell: between ``"`` (each ``"`` doubled) if it
    holds a character of :data:`QUOTED`, else as it is."""
    if any(char in text for char in QUOTED):
        return '"' + text.replace('"', '""') + '"'
    return text


def number_text(values: np.ndarray) -> list[str]:
    """The values of a float64, integer or bool array as the text ``DataFrame.to_csv``
    writes for them: Python's ``repr`` of each (``12``, ``True``; for a float the shortest
    text that reads back as the same number, which numpy's ``astype(str)`` that pandas
    uses matches: ``0.1``, ``1e-05``, ``1e+16``, ``inf``), and an empty cell for NaN. Made
    by one ``repr`` of the list of values, split at its ``", "`` (no Python call per
    value), ``nan`` removed (no other float's ``repr`` holds it)."""
    if values.size == 0:
        return []
    text = repr(values.tolist())[1:-1]
    if values.dtype.kind == "f":
        text = text.replace("nan", "")
    return text.split(", ")


def _column_cells(column: pd.Series) -> Callable[[int, int], list[str]] | None:
    """A function giving rows ``start`` to ``stop`` of ``column`` as the cells ``to_csv``
    writes for them, or None for a type this module does not write itself.

    Written here: float64, numpy integers and numpy bools (:func:`number_text`), and
    pandas text (``str`` or ``string``: each text as it is, or quoted where the ``csv``
    module quotes it, :func:`_quote`; missing as an empty cell).
    """
    kind = column.dtype
    if isinstance(kind, np.dtype) and (kind == np.float64 or kind.kind in "iub"):
        values = column.to_numpy()
        return lambda start, stop: number_text(values[start:stop])
    if isinstance(kind, pd.StringDtype):
        if UNWRITABLE and bool(column.str.contains(f"[{re.escape(UNWRITABLE)}]", regex=True)
                               .fillna(False).any()):
            return None

        def cells(start: int, stop: int) -> list[str]:
            # The part's texts only: a column stored by pyarrow makes a Python string of
            # each cell it gives, so the whole column's would not stay within TEXT_CELLS.
            texts = column.iloc[start:stop].to_numpy(dtype=object, na_value="").tolist()
            joined = "".join(texts)
            return list(map(_quote, texts)) if any(c in joined for c in QUOTED) else texts

        return cells
    return None


def _write_block(block: pd.DataFrame, header: bool, write: Callable[[bytes], object]) -> bool:
    """Write ``block`` (its header line first if ``header``) as ``to_csv`` would, its cells'
    text made by :func:`_column_cells` and joined here, :data:`TEXT_CELLS` cells at a time
    (a part of ``TEXT_CELLS // columns`` rows, one ``write`` a part); return False, having
    written nothing, if a column is of a type it does not write (or the table has no
    columns, or columns named on several levels)."""
    if block.shape[1] == 0 or isinstance(block.columns, pd.MultiIndex):
        return False
    cells = [_column_cells(block.iloc[:, k]) for k in range(block.shape[1])]
    if any(c is None for c in cells):
        return False
    if header:  # pandas' own, for the names' text and quoting
        write(block.iloc[:0].to_csv(index=False, lineterminator="\n").encode("utf-8"))
    _write_rows([c for c in cells if c is not None], len(block), write)
    return True


def _write_rows(pieces: Sequence[Callable[[int, int], list[str]]], rows: int,
                write: Callable[[bytes], object]) -> None:
    """Write ``rows`` rows through ``write``, each the cells that ``pieces`` (each giving
    rows ``start`` to ``stop`` of a column's cells, or of several columns' already joined)
    give for it, joined by ``,`` and ended by ``\n``: a part of about :data:`TEXT_CELLS`
    cells at a time. A row of one empty cell is ``""``, as ``csv`` writes it."""
    for joined in _joined_rows(pieces, rows):
        # a new list (a piece alone is its own): csv writes a row of one empty cell as ""
        lines = (['""' if cell == "" else cell for cell in joined] if len(pieces) == 1
                 else joined)
        lines.append("")
        write("\n".join(lines).encode("utf-8"))


def _joined_rows(pieces: Sequence[Callable[[int, int], list[str]]],
                 rows: int) -> Iterator[list[str]]:
    """Rows 0 to ``rows`` of ``pieces`` (as :func:`_write_rows` takes them), each row's
    cells joined by ``,`` (a piece alone: its cells as they are, the piece's own list:
    read it, do not change it), in parts of about :data:`TEXT_CELLS` cells."""
    part = max(TEXT_CELLS // len(pieces), 1)
    for start in range(0, rows, part):
        columns = [piece(start, start + part) for piece in pieces]
        yield (columns[0] if len(columns) == 1
               else list(map(",".join, zip(*columns, strict=True))))


def write_csv(tables: pd.DataFrame | Iterable[pd.DataFrame],
              write: Callable[[bytes], object]) -> None:
    """Write a table, or the consecutive blocks of one (the header from the first), as
    UTF-8 CSV through ``write`` (a binary file's ``write``): the same bytes as the whole
    table's ``to_csv(index=False, lineterminator="\\n")``, holding at most
    :data:`TEXT_CELLS` cells' text at a time.

    Each column's cells are made text here (:func:`_column_cells`: float64 as
    :func:`number_text`, numpy integers and bools as ``str``, pandas text as it is or quoted
    as the ``csv`` module quotes it, missing values empty) and a row's cells joined by
    ``,``, its line ended by ``\\n`` (a row of one empty cell is ``""``, as ``csv`` writes
    it); the header is pandas' own. Joining takes about a quarter of the time ``to_csv``
    takes for the same text cells; most of what is left is Python's ``repr`` of the
    floats. A block with a column of another type (object, categories, dates, nullable
    numbers...), a text column holding a character of :data:`UNWRITABLE`, no columns or
    columns named on several levels is written by ``to_csv`` itself, its float64 columns
    made text first by :func:`number_text`.
    """
    blocks = [tables] if isinstance(tables, pd.DataFrame) else tables
    header = True
    for block in blocks:
        if _write_block(block, header, write):
            header = False
            continue
        # The float columns by position (names may repeat).
        floats = [k for k, kind in enumerate(block.dtypes) if kind == np.float64]
        # At most TEXT_CELLS floats as text at a time (a Python string each).
        rows = max(TEXT_CELLS // max(len(floats), 1), 1)
        for start in range(0, max(len(block), 1), rows):
            part = block.iloc[start:start + rows]
            if floats:
                part = part.copy()
                for k in floats:
                    part.isetitem(k, np.array(number_text(part.iloc[:, k].to_numpy()),
                                              dtype=object))
            write(part.to_csv(index=False, header=header,
                              lineterminator="\n").encode("utf-8"))
            header = False


def write_csv_gz(tables: pd.DataFrame | Iterable[pd.DataFrame], path: Path,
                 level: int = 1) -> None:
    """Write a table, or the consecutive blocks of one (:func:`write_csv`), as
    gzip-compressed CSV, the same bytes for the same table (:func:`gz_writer`)."""
    with gz_writer(path, level) as write:
        write_csv(tables, write)


@contextmanager
def csv_writer(path: Path, compressed: bool) -> Iterator[Callable[[bytes], object]]:
    """A ``write`` function whose parts of text are written to ``path``: gzip-compressed
    (:func:`gz_writer`) if ``compressed``, else as they are."""
    if compressed:
        with gz_writer(path) as write:
            yield write
    else:
        with open(path, "wb") as out:
            yield out.write


@contextmanager
def gz_writer(path: Path, level: int = 1) -> Iterator[Callable[[bytes], object]]:
    """A ``write`` function whose parts of text are written to ``path`` gzip-compressed,
    all written when the block ends.

    The gzip header holds no time and no file name (``mtime=0``, ``filename=""``), so a run
    repeated with the same seed writes an identical file. Level 1 (the fastest) gives
    a file about 10% larger than level 9 for the engineer table, in a tenth of the
    compression time.

    Each part of text is compressed in a second thread while the next is made (zlib
    lets other threads run while it compresses; the engineer table then takes the time
    of making its text, not that plus compressing it); at most one part waits, so the
    text held stays bounded (:data:`TEXT_CELLS`). The compressed bytes do not depend on
    how the text is cut into parts.
    """
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="",
                                                 mtime=0, compresslevel=level) as out, \
            ThreadPoolExecutor(max_workers=1) as compressor:
        pending: list[Future[int]] = []

        def write(text: bytes) -> None:
            if pending:  # the previous part compressed (its error, if any, raised)
                pending.pop().result()
            pending.append(compressor.submit(out.write, text))

        yield write
        if pending:
            pending.pop().result()


@dataclass(frozen=True)
class HeldText:
    """The text of some columns of a table, made before its other columns are known
    (:func:`hold_text`), to be written with them later (:func:`write_held_csv`).

    ``columns``: every column of the table, in order; ``held``: the names of those made
    here; ``runs``: for each run of consecutive held columns, in order, each row's cells
    joined by ``,`` (one text a row); ``rows``: the table's number of rows.
    """

    columns: tuple[str, ...]
    held: frozenset[str]
    runs: tuple[list[str], ...]
    rows: int


def written_here(frame: pd.DataFrame) -> bool:
    """Whether :func:`write_csv` makes the text of each column of ``frame`` itself (not
    pandas' ``to_csv``): the columns :func:`hold_text` and :func:`write_held_csv` write.
    With pandas 2, for one, text columns are object columns, which pandas writes."""
    return all(_column_cells(frame.iloc[:, k]) is not None for k in range(frame.shape[1]))


def hold_text(frame: pd.DataFrame, columns: Sequence[str]) -> HeldText | None:
    """The text of the columns of ``frame`` (a table's columns whose values are known
    now, all its rows) as :func:`write_csv` writes their cells, each run of them that
    lies together in the table's ``columns`` joined row by row: :class:`HeldText`. None
    if a column is of a type :func:`write_csv` leaves to pandas, or the table has one
    column (both then written by :func:`write_csv` itself)."""
    held = frozenset(frame.columns)
    if len(columns) < 2 or not held <= set(columns) or len(set(columns)) != len(columns):
        return None
    runs = []
    for is_held, group in itertools.groupby(columns, key=held.__contains__):
        if not is_held:
            continue
        makers = [_column_cells(frame[name]) for name in group]
        pieces = [make for make in makers if make is not None]
        if len(pieces) < len(makers):
            return None
        text: list[str] = []
        for lines in _joined_rows(pieces, len(frame)):
            text.extend(lines)
        runs.append(text)
    return HeldText(tuple(columns), held, tuple(runs), len(frame))


def _rows_of(text: list[str]) -> Callable[[int, int], list[str]]:
    """Rows ``start`` to ``stop`` of ``text`` (a run of held columns' text)."""
    return lambda start, stop: text[start:stop]


def write_held_csv(held: HeldText, rest: pd.DataFrame,
                   write: Callable[[bytes], object]) -> bool:
    """Write the table whose held columns' text is ``held`` and whose other columns are
    ``rest`` (the same rows, in the same order) through ``write``: the bytes
    :func:`write_csv` writes for the whole table (each row's cells joined by ``,``, a run
    of held columns' text being its cells already joined so; pandas' header). False,
    having written nothing, if a column of ``rest`` is of a type :func:`write_csv` leaves
    to pandas.

    Raises
    ------
    ValueError
        If ``rest`` does not hold the other columns of the table, or has another number
        of rows.
    """
    others = [name for name in held.columns if name not in held.held]
    if len(rest) != held.rows or sorted(map(str, rest.columns)) != sorted(map(str, others)):
        raise ValueError(f"expected the columns {others} in {held.rows} rows, not "
                         f"{list(rest.columns)} in {len(rest)}")
    makers = {name: _column_cells(rest[name]) for name in others}
    pieces: list[Callable[[int, int], list[str]]] = []
    runs = iter(held.runs)
    for is_held, group in itertools.groupby(held.columns, key=held.held.__contains__):
        if is_held:
            pieces.append(_rows_of(next(runs)))
        else:
            for name in group:
                make = makers[name]
                if make is None:
                    return False
                pieces.append(make)
    write(pd.DataFrame(columns=list(held.columns)).to_csv(
        index=False, lineterminator="\n").encode("utf-8"))
    _write_rows(pieces, held.rows, write)
    return True


# --------------------------------------------------------------------------- leftovers


def _ours(folder: Path) -> bool:
    """Whether a hidden folder holds only what the output layer writes (so is safe to
    remove): tables, manifest, plots, reports, a replicate folder's summary and run folders
    (``rep-000``...), and hidden temporary files or folders."""
    try:
        for path in folder.iterdir():
            if path.name.startswith("."):
                if path.is_dir() and not (LEFTOVER.match(path.name) and _ours(path)):
                    return False
            elif path.is_dir():
                if path.is_symlink() or not (REPLICATE_RUN.match(path.name) and _ours(path)):
                    return False
            elif not (path.name in KNOWN_FILES or path.suffix == ".png"):
                return False
    except OSError:
        return False
    return True


def remove_leftovers(parent: Path) -> list[Path]:
    """Remove the ``.<name>.incomplete-<pid>`` folders (and ``.<name>.tmp-<pid>`` files) in
    ``parent`` that a process killed while writing left behind (its pid no longer runs);
    return those removed.

    Folders of a process that still runs, or holding files the output layer does not write,
    are kept (:func:`sim.files.remove_leftovers`). The name reservations (``.<name>.lock``)
    that no running process holds go too.
    """
    removed = files.remove_leftovers(parent, _removable)
    return removed + files.remove_stale_locks(parent)


def _removable(path: Path) -> bool:
    """Whether a leftover is the output layer's own: a hidden folder holding only what it
    writes, or the temporary file of one of its files (``.report.html.tmp-<pid>``; a
    report written under another name, ``.<name>.html.tmp-<pid>``)."""
    if path.is_dir():
        return _ours(path)
    found = LEFTOVER.match(path.name)
    return found is not None and (found["name"] in KNOWN_FILES
                                  or found["name"].endswith((".png", ".html")))


# --------------------------------------------------------------------------- reading


def engineers_file(folder: Path) -> Path:
    """The file holding a run's final engineer table: the first of :data:`ENGINEER_FILES`
    present in ``folder`` (``engineers.csv`` if none is)."""
    for name in ENGINEER_FILES.values():
        path = Path(folder) / name
        if path.exists() or path.is_symlink():
            return path
    return Path(folder) / ENGINEERS_CSV


MISSING_WORDS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                 "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                 "nan", "null")
"""The cells ``pandas.read_csv`` reads as missing by default (its ``na_values``): what a
number column of a run table may hold for a missing number. A text column's only missing
cell is an empty one."""


def read_table(folder: Path, name: str,
               columns: Collection[str] | None = None) -> pd.DataFrame:
    """A table of a run folder, read and checked against its :data:`TABLES` format.

    A missing optional table (and an optional file with no content) is an empty table. The
    engineer table (``name`` is ``engineers.csv``) is read from whichever file of
    :data:`ENGINEER_FILES` the run wrote (:func:`engineers_file`). ``columns``: read only
    these (those of them the file has; the table keeps a row per line even if it has none
    of them), for a reader that needs a few columns of a large CSV table: the whole file is
    still checked (UTF-8, no line longer or a last line shorter than the header). A Parquet
    table is read whole, then cut to ``columns``.

    Raises
    ------
    UserError
        Naming the file and what is wrong: missing (if required), a folder, unreadable,
        not gzip (``.csv.gz``) or Parquet (``.parquet``), not UTF-8, not CSV, cut short, a
        required column missing or a column of the wrong type.
    """
    fmt = TABLES[name]
    path = engineers_file(folder) if name == ENGINEERS_CSV else Path(folder) / name
    if not path.exists() and not path.is_symlink():
        if fmt.optional:
            return pd.DataFrame()
        raise UserError(f"{folder}: not a complete run folder (no {name})")
    if path.name == ENGINEERS_PARQUET:
        if path.is_dir():
            raise UserError(f"{path}: is a folder, not a file")
        return _read_parquet(path, fmt, columns)
    scan = scan_text(path)
    if scan.blank:
        if fmt.optional:
            return pd.DataFrame()
        raise UserError(f"{path}: empty file (expected a CSV table with a header line)")
    if scan.bad_byte is not None:
        raise UserError(f"{path}: not UTF-8 text (byte {scan.bad_byte})")
    # Only some columns: the parser then skips its check that no line has more fields
    # than the header, so that is the scan's (exact unless a field is quoted; a file
    # that quotes, or has a line too long, is parsed whole and so checked by the parser).
    # The header's first column is always read, so the table keeps a row per line.
    some = columns is not None and not scan.quoted and scan.most_fields <= scan.header_fields
    wanted = set(columns or ()) | set(scan.header[:1])
    try:  # read from the file itself (decompressed as it is read): no copy of its text
        # Text columns as text: a name such as "1" is a name, not a number, and "NA" or
        # "None" a name, not a missing value (only an empty cell is missing there).
        text = fmt.text & set(scan.header)
        table = pd.read_csv(path, compression="gzip" if path.name.endswith(".gz") else None,
                            usecols=wanted.__contains__ if some else None,
                            dtype={name: str for name in text}, keep_default_na=False,
                            na_values={name: [""] if name in text else MISSING_WORDS
                                       for name in scan.header})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError,
            csv.Error) as err:
        raise UserError(f"{path}: not a readable CSV table: {one_line(err)}") from None
    if columns is not None:
        keep = set(columns)
        table = table[[c for c in table.columns if c in keep]]
    if scan.last_fields is not None and scan.last_fields < scan.header_fields:
        raise UserError(f"{path}: cut short: its last line has {scan.last_fields} of "
                        f"{scan.header_fields} fields")
    check_columns(table, path, fmt)
    return table


def _read_parquet(path: Path, fmt: TableFormat,
                  columns: Collection[str] | None = None) -> pd.DataFrame:
    """A Parquet table (only ``columns``, those of them it has, if given), its empty texts
    read as missing (as a CSV reader reads them)."""
    try:
        table = pd.read_parquet(path)
        if columns is not None:
            table = table[[c for c in table.columns if c in set(columns)]]
    except Exception as err:  # pyarrow raises its own error types
        raise UserError(f"{path}: not a readable Parquet table: {one_line(err)}") from None
    for name in fmt.text & set(table.columns):
        table[name] = table[name].mask(table[name] == "")
    check_columns(table, path, fmt)
    return table


@dataclass
class RunFolder:
    """A run folder read back: its tables (read and checked on first use), manifest and
    label.

    Open one with :meth:`open` (tables only; what plotting needs, also while the run is
    still being written) or :meth:`finished` (a complete run with a manifest; what
    comparisons and reports need). Both check the manifest (if any), ``market.csv``,
    ``firms.csv`` and ``deals.csv``; :meth:`check` checks more tables before a reader
    writes anything.

    Parameters
    ----------
    dir : Path
        The run folder.
    label : str
        Name shown in legends and table headers (unique among compared runs).
    """

    dir: Path
    label: str = ""
    _engineer_parts: dict[tuple[str, ...], pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def open(cls, run_dir: Path | str) -> RunFolder:
        """Open a run folder whose tables are written.

        Raises
        ------
        UserError
            If the folder does not exist, its manifest (if it has one) is damaged,
            ``market.csv`` or ``firms.csv`` is missing or damaged, ``market.csv`` has no
            rows, or ``deals.csv`` is damaged.
        """
        path = require_folder(run_dir)
        run = cls(path)
        if (path / MANIFEST).exists() or (path / MANIFEST).is_symlink():
            run.manifest  # noqa: B018 (read and checked)
        run.check(MARKET, FIRMS, DEALS)
        if run.market.empty:
            raise UserError(f"{path / MARKET}: no monthly rows; not a finished run")
        return run

    @classmethod
    def finished(cls, run_dir: Path | str) -> RunFolder:
        """Open a finished run folder, labelled ``"<scenario> seed <seed>"``.

        Raises
        ------
        UserError
            If the folder does not exist, has no manifest or fails :meth:`open`'s checks.
        """
        path = require_folder(run_dir)
        if not (path / MANIFEST).exists() and not (path / MANIFEST).is_symlink():
            raise UserError(f"{run_dir}: not a run folder (no {MANIFEST})")
        run = cls.open(path)
        run.label = f"{run.scenario_name} seed {run.seed}"
        return run

    def check(self, *names: str) -> None:
        """Read and check the named tables now (a :class:`UserError` if one is damaged)."""
        for name in names:
            getattr(self, _PROPERTY[name])

    def require(self, name: str, columns: Iterable[str], why: str) -> None:
        """Raise :class:`UserError` naming the file unless table ``name`` (if it has rows)
        has ``columns``, which ``why`` needs."""
        self._require(name, getattr(self, _PROPERTY[name]), columns, why)

    def _require(self, name: str, table: pd.DataFrame, columns: Iterable[str],
                 why: str) -> None:
        if len(table.index) == 0 and TABLES[name].optional:  # no rows (or no file)
            return
        missing = [c for c in columns if c not in table.columns]
        if missing:
            shown = engineers_file(self.dir) if name == ENGINEERS_CSV else self.dir / name
            raise UserError(f"{shown}: missing column(s) {', '.join(missing)} ({why})")

    def engineer_columns(self, columns: tuple[str, ...], why: str) -> pd.DataFrame:
        """Only ``columns`` of the final engineer table (read once per set of columns;
        empty if the run wrote no table): at a million engineers the whole table takes
        about 250 MB in memory, two columns a tenth of it (read from CSV; a Parquet table
        is read whole, then cut).

        Raises
        ------
        UserError
            Naming the file if it is damaged, or has rows but lacks one of ``columns``,
            which ``why`` needs.
        """
        if columns not in self._engineer_parts:
            table = read_table(self.dir, ENGINEERS_CSV, columns)
            self._require(ENGINEERS_CSV, table, columns, why)
            self._engineer_parts[columns] = table
        return self._engineer_parts[columns]

    def hold_engineer_columns(self, columns: tuple[str, ...], table: pd.DataFrame) -> None:
        """Take ``table`` as the engineer table's ``columns`` (:meth:`engineer_columns`
        then gives it, not read from the file): what the command that writes the table
        holds in memory, the same values."""
        self._engineer_parts[columns] = table

    # Tables, each read and checked once on first use.

    @cached_property
    def market(self) -> pd.DataFrame:
        """``market.csv``: one row per month."""
        return read_table(self.dir, MARKET)

    @cached_property
    def firms(self) -> pd.DataFrame:
        """``firms.csv``: one row per firm per month."""
        return read_table(self.dir, FIRMS)

    @cached_property
    def flows(self) -> pd.DataFrame:
        """``flows.csv``: moves per month, tier, source and destination (empty if none)."""
        return read_table(self.dir, FLOWS)

    @cached_property
    def deals(self) -> pd.DataFrame:
        """``deals.csv``: one row per deal (empty if the run recorded none)."""
        return read_table(self.dir, DEALS)

    @cached_property
    def deal_teams(self) -> pd.DataFrame:
        """``deal_teams.csv``: where each deal attempt's team works at the end, by tier and
        firm (empty if the run recorded none, or was written before the table existed)."""
        return read_table(self.dir, DEAL_TEAMS)

    @cached_property
    def engineers(self) -> pd.DataFrame:
        """The final engineer table, from the file of :data:`ENGINEER_FILES` the run wrote
        (empty if it wrote none)."""
        return read_table(self.dir, ENGINEERS_CSV)

    @cached_property
    def manifest(self) -> Manifest:
        """``manifest.json``, checked (a :class:`UserError` if it is missing or damaged)."""
        return load_manifest(self.dir)

    # What the tables and the manifest tell.

    @property
    def tiers(self) -> list[str]:
        """Tier names, best first, read from the market table's ``employed_<tier>`` columns."""
        prefix = col.per_tier(col.EMPLOYED, "")
        return [str(c).removeprefix(prefix) for c in self.market.columns
                if str(c).startswith(prefix)]

    def dates(self) -> pd.Series:
        """Calendar months of the run, as dates."""
        return pd.to_datetime(self.market[col.DATE], format="%Y-%m")

    @property
    def scenario_name(self) -> str:
        """The scenario's name from the manifest."""
        return str(self.manifest["scenario"]["name"])

    @property
    def seed(self) -> int:
        """The seed from the manifest (the scenario's, for manifests without one)."""
        return int(self.manifest.get("seed", self.manifest["scenario"].get("seed", 0)))

    @property
    def gpu_threshold(self) -> float | None:
        """The scenario's GPU threshold, from the manifest (None without a manifest)."""
        if not (self.dir / MANIFEST).exists():
            return None
        threshold = self.manifest["scenario"].get("compute", {}).get("threshold")
        return None if threshold is None else float(threshold)


_PROPERTY = {MARKET: "market", FIRMS: "firms", FLOWS: "flows", DEALS: "deals",
             DEAL_TEAMS: "deal_teams", ENGINEERS_CSV: "engineers"}
"""The :class:`RunFolder` property of each table."""

