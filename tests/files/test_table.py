"""A run table keeps every complete record, drops only a torn last record (and says so),
and refuses any other damage, naming the file and the line."""

from __future__ import annotations

import pytest

from sim.files import RunTable, TableDamage, WriteError
from sim.files.table import Appender, record

HEADER = ["run_id", "status", "error"]
AWKWARD = ["comma, inside", 'a "quote"', "line\nfeed", "cr\r\nlf", "emoji 🧪", "=1+1", ""]


def table(path, text: bytes) -> RunTable:
    path.write_bytes(text)
    return RunTable(path, HEADER)


def test_cells_of_any_text_read_back_as_written(tmp_path):
    path = tmp_path / "t.csv"
    runs = RunTable(path, HEADER)
    writer = runs.appender()
    rows = [[str(k), "done", text] for k, text in enumerate(AWKWARD)]
    for row in rows:
        writer.append(row)
    writer.close()
    assert [row for _, row in runs.rows()] == rows
    assert runs.records == len(rows) and not runs.torn and runs.dropped is None


@pytest.mark.parametrize("tail", [b"7,do", b'7,done,"half a quoted\ncell'])
def test_a_torn_last_record_is_dropped_and_named(tmp_path, tail):
    body = record(HEADER) + record([1, "done", "x"]) + record([2, "failed", "a\nb"])
    runs = table(tmp_path / "t.csv", body.encode() + tail)
    assert [row[0] for _, row in runs.rows()] == ["1", "2"]
    assert runs.torn
    assert runs.dropped is not None and "line 5" in runs.dropped
    assert f"{len(tail)} bytes" in runs.dropped


@pytest.mark.parametrize(("text", "words"), [
    (b"\x8f\x00garbage without any newline", "no complete header line"),  # R10
    (b'"an open quote\nand lines\nbut no end', "no complete header line"),
    (b"run_id,state,error\n1,done,\n", "do not match the expected"),
    (b"run_id,status,error\n1,done\n2,done,\n", "line 2: 2 cells, expected 3"),
    (b"run_id,status,error\n1,done,\xff\n", "line 2: not UTF-8"),
    (b'run_id,status,error\n1,"do"ne,\n', "line 2: not a readable CSV record"),
])
def test_anything_else_is_damage(tmp_path, text, words):
    runs = table(tmp_path / "t.csv", text)
    with pytest.raises(TableDamage, match=words) as caught:
        list(runs.rows())
    assert caught.value.path == tmp_path / "t.csv"


def test_a_missing_or_empty_table_has_no_records(tmp_path):
    assert list(RunTable(tmp_path / "missing.csv", HEADER).rows()) == []
    assert list(table(tmp_path / "empty.csv", b"").rows()) == []


def test_rewrite_keeps_the_records_chosen_and_drops_the_torn_tail(tmp_path):
    body = record(HEADER) + "".join(record([k, "done", f"e{k}"]) for k in range(5))
    runs = table(tmp_path / "t.csv", body.encode() + b"5,do")
    runs.rewrite(lambda row: int(row[0]) % 2 == 0)
    assert (tmp_path / "t.csv").read_text() == (
        record(HEADER) + "".join(record([k, "done", f"e{k}"]) for k in (0, 2, 4)))
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left


def test_a_table_that_cannot_be_opened_is_a_write_error_naming_it(tmp_path):
    # the folder is a file: the system's reason, the table named, as a WriteError (which
    # the sweep and calibration say with their runs recorded and the resume command)
    (tmp_path / "folder").write_text("")
    path = tmp_path / "folder" / "runs.csv"
    with pytest.raises(WriteError) as raised:
        Appender(path)
    assert raised.value.path == path and raised.value.reason == "Not a directory"
    assert str(raised.value) == f"{path}: cannot write it: Not a directory"
