"""Readers of a few columns of the engineer table read only those, with every check of
the whole file kept (UTF-8, not cut short)."""

from __future__ import annotations

import gzip
import shutil

import pytest

import sim.files.textscan as textscan
from sim.errors import UserError
from sim.output.rundir import RunFolder, read_table


@pytest.fixture
def bare_copy(two_tier_runs, tmp_path):
    """A copy of a plot-less run folder (its engineer table as engineers.csv.gz)."""
    return shutil.copytree(two_tier_runs[2], tmp_path / "run")


def _engineer_text(folder) -> bytes:
    return gzip.decompress((folder / "engineers.csv.gz").read_bytes())


def test_only_the_asked_columns_are_read_with_the_whole_table_s_values(bare_copy):
    run = RunFolder.open(bare_copy)
    part = run.engineer_columns(("pay", "tier"), "the plot of pay")
    assert list(part.columns) == ["tier", "pay"]  # in the file's order
    assert part.equals(run.engineers[["tier", "pay"]])
    assert run.engineer_columns(("pay", "tier"), "the plot of pay") is part  # read once


def test_a_missing_column_names_the_file_and_the_reader(bare_copy):
    with pytest.raises(UserError, match=r"engineers\.csv\.gz: missing column\(s\) "
                                         r"no_such \(the plot of pay\)"):
        RunFolder.open(bare_copy).engineer_columns(("pay", "no_such"), "the plot of pay")


def test_a_table_cut_short_is_refused_even_if_the_last_line_has_the_asked_columns(
        bare_copy):
    # the last line keeps 3 fields: id, tier and productivity; "tier" is all we ask for
    lines = _engineer_text(bare_copy).rstrip(b"\n").split(b"\n")
    lines[-1] = b",".join(lines[-1].split(b",")[:3])
    (bare_copy / "engineers.csv.gz").write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    fields = len(lines[0].split(b","))
    with pytest.raises(UserError, match=f"cut short: its last line has 3 of {fields} fields"):
        read_table(bare_copy, "engineers.csv", ("tier",))


def test_the_file_is_scanned_block_by_block_with_exact_offsets(bare_copy, monkeypatch,
                                                               tmp_path):
    """The scan holds one block at a time, yet finds a stray byte at its exact offset in
    the decompressed text, accepts a character whose bytes straddle two blocks, and sees a
    last line cut short whatever the block size."""
    monkeypatch.setattr(textscan, "SCAN_BLOCK", 7)
    path = tmp_path / "t.csv"
    path.write_bytes(b"abcdef" + "\u00e9".encode() * 9 + b"\n1,2\n")  # spans bytes 6-7
    scan = textscan.scan_text(path)
    assert (scan.bad_byte, scan.header_fields, scan.last_fields) == (None, 1, 2)
    path.write_bytes(b"a,b,c\n" + b"1,2,3\n" * 5 + b"\xff,2,3\n4,5\n\r\n")
    scan = textscan.scan_text(path)
    assert (scan.bad_byte, scan.header_fields, scan.last_fields) == (36, 3, 2)
    text = _engineer_text(bare_copy)
    header_end = text.index(b"\n")
    damaged = text[:header_end + 40] + b"\xff" + text[header_end + 41:]
    (bare_copy / "engineers.csv.gz").write_bytes(gzip.compress(damaged))
    with pytest.raises(UserError, match=rf"not UTF-8 text \(byte {header_end + 40}\)"):
        read_table(bare_copy, "engineers.csv", ("tier",))


def _write_engineers(folder, text: str) -> None:
    (folder / "engineers.csv.gz").write_bytes(gzip.compress(text.encode()))


def test_a_line_with_more_fields_than_the_header_is_refused_when_reading_some_columns(
        bare_copy):
    """The parser checks long lines only when it reads every column; the scan checks them
    when only some are read (a shifted line would put values in the wrong columns)."""
    _write_engineers(bare_copy, "id,tier,pay\n0,junior,100\n1,junior,200,9\n2,junior,300\n")
    with pytest.raises(UserError, match="not a readable CSV table"):
        read_table(bare_copy, "engineers.csv", ("pay", "tier"))


def test_quoted_fields_holding_commas_are_read_right_when_reading_some_columns(bare_copy):
    _write_engineers(bare_copy, 'id,firm,pay\n0,"A, Inc",100\n1,B,200\n')
    table = read_table(bare_copy, "engineers.csv", ("pay",))
    assert list(table.columns) == ["pay"] and table["pay"].tolist() == [100, 200]


def test_rows_without_any_asked_column_name_the_missing_columns(bare_copy):
    _write_engineers(bare_copy, "id,wage,grade\n0,100,a\n")
    with pytest.raises(UserError, match=r"missing column\(s\) pay, tier \(the plot of pay\)"):
        RunFolder.open(bare_copy).engineer_columns(("pay", "tier"), "the plot of pay")


def test_blank_lines_around_the_table_are_not_a_cut(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n\na,b\n1,2\n   \n\r\n")
    scan = textscan.scan_text(path)
    assert (scan.header, scan.last_fields, scan.most_fields) == (("a", "b"), 2, 2)
