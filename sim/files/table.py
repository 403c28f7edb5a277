"""A resumable table of runs: a CSV file appended one record at a time, read back record
by record, with one rule for damage.

A record is appended with one ``write`` and a flush, so a process killed mid-write leaves
at most the start of its last record: a *torn* last record. Reading (:meth:`RunTable.rows`)
uses the ``csv`` module on complete lines, so a quoted cell may hold commas, quotes and
newlines. The damage rule, the same for every table:

- a torn last record (a last line without its newline, or a quoted cell still open at the
  end of the file) is dropped, and :attr:`RunTable.dropped` says what was dropped;
- anything else that is not a record of the table is damage, refused with
  :class:`TableDamage` naming the file and the line: no complete header line, other
  columns, a record of the wrong number of cells, a bad quote, bytes that are not UTF-8.

The header is written atomically when the table is created (:meth:`RunTable.create`), so a
file without a complete header line is never a torn table but a damaged one. Rewriting
(:meth:`RunTable.rewrite`) streams the kept records into a temporary file that replaces
the table atomically.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sim.errors import UserError
from sim.files.atomic import WriteError, atomic_file


class TableDamage(UserError):
    """A table holds something that is not a record of it: ``path``, ``line`` (0 for the
    file as a whole) and ``reason``."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        where = f"{path}: line {line}" if line else str(path)
        super().__init__(f"{where}: {reason}; the table is damaged")
        self.path = path
        self.line = line
        self.reason = reason


def cell(value: Any) -> str:
    """A value as a cell: None and NaN empty, booleans ``true``/``false``, floats by
    ``repr`` (they read back bit for bit)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def record(values: Sequence[Any]) -> str:
    """One CSV record (newline-terminated) of ``values`` (:func:`cell`), quoted by the
    ``csv`` module: commas, quotes and newlines stay inside their cell. A record with a
    carriage return in a cell is quoted in full (the minimal quoting of a ``\\n``-terminated
    writer would leave it bare, and a reader would end the record there)."""
    cells = [cell(v) for v in values]
    buffer = io.StringIO()
    if any("\r" in c for c in cells):
        csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(cells)
    else:
        csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


class RunTable:
    """One resumable table: ``path`` and its ``header`` (None: whatever the file has).

    After :meth:`rows` has run to the end: :attr:`header` is the file's header (None if it
    has none), :attr:`records` the complete records read, :attr:`torn` whether a torn last
    record was dropped and :attr:`dropped` what it was, in words.
    """

    def __init__(self, path: Path, header: Sequence[str] | None = None) -> None:
        self.path = Path(path)
        self.expected = None if header is None else list(header)
        self.header: list[str] | None = None
        self.records = 0
        self.torn = False
        self.dropped: str | None = None
        self._consumed = 0

    # ------------------------------------------------------------------ reading

    def _lines(self, handle: BinaryIO) -> Iterator[str]:
        for number, raw in enumerate(handle, 1):
            if not raw.endswith(b"\n"):
                self.torn = True  # only the last line can lack its newline
                return
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise TableDamage(self.path, number, f"not UTF-8 text (byte {err.start})"
                                  ) from None
            self._consumed += len(raw)
            yield text

    def _torn(self, size: int, start: int, line: int) -> None:
        self.torn = True
        self.dropped = (f"{self.path}: a torn last record (line {line}, {size - start:,} "
                        "bytes, a write cut short) was dropped")

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(line, cells)`` of each complete record after the header (a missing or
        empty file has none); refuse damage with :class:`TableDamage`."""
        self.header, self.records, self.torn, self.dropped = None, 0, False, None
        self._consumed = 0
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        except OSError as err:
            raise UserError(f"{self.path}: cannot read it: {err.strerror or err}") from None
        with handle:
            size = os.fstat(handle.fileno()).st_size
            reader = csv.reader(self._lines(handle), strict=True)
            start, line = 0, 1
            try:
                first = next(reader, None)
                if first is None:
                    if size:
                        raise TableDamage(self.path, 0, "no complete header line")
                    return
                self.header = first
                if self.expected is not None and first != self.expected:
                    raise TableDamage(self.path, 1, f"columns {first} do not match the expected "
                                      f"{self.expected} (another table, or another version)")
                width = len(first)
                start, line = self._consumed, reader.line_num + 1
                for row in reader:
                    if len(row) != width:
                        raise TableDamage(self.path, reader.line_num,
                                          f"{len(row)} cells, expected {width}")
                    self.records += 1
                    yield reader.line_num, row
                    start, line = self._consumed, reader.line_num + 1
            except csv.Error as err:
                if "unexpected end of data" not in str(err):
                    raise TableDamage(self.path, reader.line_num,
                                      f"not a readable CSV record ({err})") from None
                self.torn = True  # the last record stops inside a quoted cell
            except OSError as err:
                raise UserError(f"{self.path}: cannot read it: {err.strerror or err}"
                                ) from None
            if self.torn:
                if self.header is None:
                    raise TableDamage(self.path, 0, "no complete header line")
                self._torn(size, start, line)

    # ------------------------------------------------------------------ writing

    def create(self) -> None:
        """Write the header (atomically) if the file is missing or empty."""
        if self.expected is None:
            raise ValueError("a table is created with its header")
        try:
            empty = self.path.stat().st_size == 0
        except FileNotFoundError:
            empty = True
        if empty:
            with atomic_file(self.path, "the table") as tmp:
                tmp.write_text(record(self.expected), encoding="utf-8")

    def rewrite(self, keep: Callable[[list[str]], bool]) -> None:
        """Rewrite the table with its header and the complete records ``keep`` accepts
        (streamed into a temporary file that then replaces it)."""
        if self.expected is None:
            raise ValueError("a table is rewritten with its header")
        source = RunTable(self.path, self.expected)
        with atomic_file(self.path, "the table") as tmp, tmp.open(
                "w", newline="", encoding="utf-8") as out:
            out.write(record(self.expected))
            for _, row in source.rows():
                if keep(row):
                    out.write(record(row))

    def appender(self) -> Appender:
        """An :class:`Appender` of records (the table is created first if need be)."""
        self.create()
        return Appender(self.path)


class Appender:
    """Appends records to a table, each with one ``write`` and a flush."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.handle: TextIO = path.open("a", newline="", encoding="utf-8")
        except OSError as err:
            raise WriteError(path, err.strerror or str(err)) from None

    def append(self, values: Sequence[Any]) -> None:
        """Append one record (:func:`record`)."""
        self.write(record(values))

    def write(self, text: str) -> None:
        """Append ``text`` (whole records) with one ``write``, then flush."""
        self.handle.write(text)
        self.handle.flush()

    def close(self) -> None:
        """Flush to disk and close."""
        if self.handle.closed:
            return
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
        finally:
            self.handle.close()
