"""One pass over a CSV file's text, compressed or not, that holds only a block of it at a
time: is it blank, is it UTF-8 (and where it is not), how many fields have its first and
last lines (a last line with fewer fields than the header is a file cut short). What
readers of large tables check before they parse them from the file itself.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import UserError


def one_line(err: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(err).split()) or type(err).__name__


NEWLINE, COMMA = ord("\n"), ord(",")

SCAN_BLOCK = 1 << 22
"""Bytes of a table's text read at a time by :func:`scan_text`."""


@dataclass
class TextScan:
    """What one pass over a CSV file's text found (:func:`scan_text`)."""

    blank: bool
    """Nothing but white space (or nothing)."""
    bad_byte: int | None
    """Offset of the first byte that is not UTF-8, in the (decompressed) text."""
    header: tuple[str, ...]
    """The fields of the first line that is not blank (the header)."""
    last_fields: int | None
    """Fields of the last line that is not blank; None if it is the header."""
    most_fields: int
    """The most fields of any line, counted as commas + 1 (exact where no field is quoted:
    see :attr:`quoted`)."""
    quoted: bool
    """The text holds a double quote, so a comma may sit inside a field and
    :attr:`most_fields` may overcount."""

    @property
    def header_fields(self) -> int:
        """Fields of the header."""
        return len(self.header)


def _fields(line: bytes) -> list[str]:
    """The CSV fields of one line (split at its commas if it is not CSV at all)."""
    text = line.decode("utf-8", errors="replace")
    try:
        return next(csv.reader([text]), [])
    except csv.Error:  # a stray return inside the line: the reader refuses it
        return text.split(",")


def _commas_per_line(block: bytes, carry: int) -> tuple[int, int]:
    """(most commas on a line that ends in ``block``, commas of its unfinished last line),
    ``carry`` being the commas of the line it continues."""
    data = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(data == NEWLINE)
    commas = np.flatnonzero(data == COMMA)
    if ends.size == 0:
        return 0, carry + commas.size
    before = np.searchsorted(commas, ends)  # commas before each line end
    per_line = np.diff(before, prepend=0)
    per_line[0] += carry
    return int(per_line.max()), int(commas.size - before[-1])


def scan_text(path: Path) -> TextScan:
    """Read a table's file once, block by block (:data:`SCAN_BLOCK`; decompressed as read
    if its name ends in ``.gz``), holding a block, the header and the last line: is it
    blank, where is its first byte that is not UTF-8, what are its header's fields, how
    many fields have its last line (fewer than the header's: a file cut short) and its
    longest (more: a damaged line), and does it quote fields.

    Raises
    ------
    UserError
        Naming the file if it is a folder, cannot be read, or is not readable gzip.
    """
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a file")
    most, carry, quoted = 0, 0, False
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed below, with the gzip reader)
    except OSError as err:
        raise UserError(f"{path}: cannot be read: {err.strerror or err}") from None
    decoder = codecs.getincrementaldecoder("utf-8")()
    blank, bad, offset = True, None, 0
    head, tail, many_lines = bytearray(), b"", False
    with raw, (gzip.GzipFile(fileobj=raw, mode="rb") if path.name.endswith(".gz")
               else raw) as text:
        while True:
            try:
                block = text.read(SCAN_BLOCK)
            except (OSError, EOFError, zlib.error) as err:
                if not path.name.endswith(".gz"):
                    raise UserError(f"{path}: cannot be read: {one_line(err)}") from None
                raise UserError(f"{path}: not a readable gzip file: {one_line(err)}"
                                ) from None
            if not block:
                break
            blank = blank and block.isspace()
            if bad is None:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as err:
                    bad = offset - pending + err.start
            if not head.strip() or b"\n" not in head.lstrip():
                head += block
            quoted = quoted or b'"' in block
            line_most, carry = _commas_per_line(block, carry)
            most = max(most, line_most)
            tail += block
            end = len(tail.rstrip())
            cut = tail.rfind(b"\n", 0, end)
            if cut >= 0:
                tail, many_lines = tail[cut + 1:], True
            offset += len(block)
    if bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as err:
            bad = offset - len(err.object) + err.start
    first = bytes(head).lstrip().split(b"\n", 1)[0].rstrip(b"\r")
    return TextScan(blank=blank, bad_byte=bad, header=tuple(_fields(first)),
                    last_fields=len(_fields(tail.rstrip())) if many_lines else None,
                    most_fields=max(most, carry) + 1, quoted=quoted)
