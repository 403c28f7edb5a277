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

from sim.errors import UserError


def _one_line(err: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(err).split()) or type(err).__name__


SCAN_BLOCK = 1 << 22
"""Bytes of a table's text read at a time by :func:`_scan_text`."""


@dataclass
class TextScan:
    """What one pass over a CSV file's text found (:func:`_scan_text`)."""

    blank: bool
    """Nothing but white space (or nothing)."""
    bad_byte: int | None
    """Offset of the first byte that is not UTF-8, in the (decompressed) text."""
    header_fields: int
    """Fields of the first line."""
    last_fields: int | None
    """Fields of the last line that is not empty; None if it is the first line."""


def _fields(line: bytes) -> int:
    """The number of CSV fields of one line (its commas + 1 if it is not CSV at all)."""
    text = line.decode("utf-8", errors="replace")
    try:
        return len(next(csv.reader([text]), []))
    except csv.Error:  # a stray return inside the line: the reader refuses it
        return text.count(",") + 1


def scan_text(path: Path) -> TextScan:
    """Read a table's file once, block by block (:data:`SCAN_BLOCK`; decompressed as read
    if its name ends in ``.gz``), holding only a block, the first line and the last one:
    is it blank, where is its first byte that is not UTF-8, how many fields have its first
    and last lines (a last line with fewer fields than the header is a file cut short).

    Raises
    ------
    UserError
        Naming the file if it is a folder, cannot be read, or is not readable gzip.
    """
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a file")
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
                    raise UserError(f"{path}: cannot be read: {_one_line(err)}") from None
                raise UserError(f"{path}: not a readable gzip file: {_one_line(err)}"
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
            if b"\n" not in head:
                head += block[:SCAN_BLOCK]
            tail += block
            end = len(tail.rstrip(b"\r\n"))
            cut = tail.rfind(b"\n", 0, end)
            if cut >= 0:
                tail, many_lines = tail[cut + 1:], True
            offset += len(block)
    if bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as err:
            bad = offset - len(err.object) + err.start
    first = bytes(head).split(b"\n", 1)[0].rstrip(b"\r")
    return TextScan(blank=blank, bad_byte=bad, header_fields=_fields(first),
                    last_fields=_fields(tail.rstrip(b"\r\n")) if many_lines else None)
