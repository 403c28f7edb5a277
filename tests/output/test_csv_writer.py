"""The tables' CSV writer (sim.output.rundir.write_csv) writes the bytes pandas' ``to_csv``
writes, with floats as Python's ``repr``, for every column type, in blocks and parts."""

import gzip
import io
import itertools
import math
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.output import rundir
from sim.output.rundir import write_csv, write_csv_gz

EDGE_FLOATS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, 0.1 + 0.2, 1e16,
               9999999999999998.0, 1e-4, 9.999e-5, 1e-5, 5e-324, 2.2250738585072014e-308,
               1.7976931348623157e308, -1e300, 123456789.0]
"""Floats where formats differ: NaN, infinities, -0, exponents at both ends of the plain
range, the smallest subnormal and normal, the largest, integers held as floats."""
EDGE_TEXTS = ["", " ", ",", '"', '""', "a,b", 'say "hi"', "a\nb", "a\rb", "\r\n", "a\tb",
              "é", "日本", "😀,", "nan", "True", "=1+2", "'"]
"""Texts the ``csv`` module quotes (``,``, ``"``, ``\\n``), those it does not (a return on
Python 3.11, a tab, spaces), empty (alone in a row it is written ``""``) and unicode."""
NAMES = ["a", "b", "a,b", 'q"', "", "n\nl", "é", 3]
"""Column names, drawn with repeats (a table may have two columns of one name)."""


def floats() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(EDGE_FLOATS), st.floats(allow_nan=True),
                     st.floats(-1e3, 1e3).map(lambda x: round(x, 2)))


def texts() -> st.SearchStrategy[str | None]:
    return st.one_of(st.sampled_from(EDGE_TEXTS), st.text(max_size=6), st.none())


def column(kind: str, rows: int) -> st.SearchStrategy[object]:
    """A column of ``rows`` values of type ``kind`` (a pandas array or numpy array)."""
    if kind == "float64":
        return st.lists(floats(), min_size=rows, max_size=rows).map(
            lambda v: np.array(v, dtype=np.float64))
    if kind in ("int64", "int32", "int8", "uint16"):
        info = np.iinfo(kind)
        return st.lists(st.integers(int(info.min), int(info.max)), min_size=rows,
                        max_size=rows).map(lambda v: np.array(v, dtype=kind))
    if kind == "bool":
        return st.lists(st.booleans(), min_size=rows, max_size=rows).map(
            lambda v: np.array(v, dtype=bool))
    if kind in ("str", "string"):  # missing: NaN (str) or pd.NA (string)
        return st.lists(texts(), min_size=rows, max_size=rows).map(
            lambda v: pd.array(v, dtype=kind))
    # object: mixed values, written by pandas itself
    return st.lists(st.one_of(st.integers(-5, 5), texts(), floats()), min_size=rows,
                    max_size=rows).map(lambda v: np.array(v, dtype=object))


HANDLED = ["float64", "int64", "int32", "int8", "uint16", "bool", "str", "string"]


@st.composite
def tables(draw: st.DrawFn, kinds: list[str] = HANDLED) -> pd.DataFrame:
    rows = draw(st.integers(0, 12))
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=5))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=len(chosen), max_size=len(chosen)))
    table = pd.concat([pd.DataFrame({0: draw(column(kind, rows))}) for kind in chosen],
                      axis=1)
    table.columns = names
    return table


def expected(table: pd.DataFrame) -> bytes:
    """``to_csv`` of ``table`` with its float64 cells made Python's ``repr`` (NaN empty)
    first, value by value, by this test."""
    table = table.copy()
    for k, kind in enumerate(table.dtypes):
        if kind == np.float64:
            table.isetitem(k, np.array(["" if math.isnan(x) else repr(x)
                                        for x in table.iloc[:, k].tolist()], dtype=object))
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def written(blocks: list[pd.DataFrame], cells: int) -> bytes:
    """What write_csv writes for ``blocks``, holding ``cells`` cells' text at a time."""
    out = io.BytesIO()
    with mock.patch.object(rundir, "TEXT_CELLS", cells):
        write_csv(iter(blocks), out.write)
    return out.getvalue()


def cut(table: pd.DataFrame, stops: list[int]) -> list[pd.DataFrame]:
    """``table`` in consecutive blocks ending at ``stops`` (and its end)."""
    edges = [0, *sorted(min(s, len(table)) for s in stops), len(table)]
    return [table.iloc[a:b] for a, b in itertools.pairwise(edges)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), stops=st.lists(st.integers(0, 12), max_size=3),
       cells=st.sampled_from([1, 3, 7, 100_000]))
def test_the_writer_writes_to_csv_s_bytes_for_every_handled_type(table, stops, cells):
    """Floats (NaN, infinities, -0, huge, tiny), integers of several widths, bools and
    texts (str and string, missing, quoted where csv quotes, empty, unicode) under repeated
    or quoted column names, with zero rows or a single column, written as one table or in
    blocks (some empty), a few cells at a time: the bytes of the whole table's ``to_csv``."""
    assert written(cut(table, stops), cells) == expected(table)


@settings(max_examples=60, deadline=None)
@given(table=tables(["float64", "str", "object", "int64"]),
       stops=st.lists(st.integers(0, 12), max_size=2))
def test_tables_with_a_column_of_another_type_are_written_by_pandas(table, stops):
    """A block with an object column (or any type the writer does not make text for) is
    written by ``to_csv`` itself: the same bytes still."""
    assert written(cut(table, stops), 5) == expected(table)


def test_tables_of_the_handled_types_are_made_text_here_not_by_pandas():
    """A table of the handled types (as the engineer table is) is written without pandas'
    ``to_csv`` making its rows: pandas writes its header line only (no rows)."""
    table = pd.DataFrame({"x": [0.5, np.nan], "n": np.array([1, 2], dtype=np.int32),
                          "b": [True, False], "s": pd.array(["a", "b,c"], dtype="str")})
    made = []
    to_csv = pd.DataFrame.to_csv

    def counted(frame: pd.DataFrame, *args: object, **kwargs: object) -> object:
        made.append(len(frame))
        return to_csv(frame, *args, **kwargs)

    whole = expected(pd.concat([table, table]))
    with mock.patch.object(pd.DataFrame, "to_csv", counted):
        assert written([table, table], 100) == whole
    assert made == [0]  # the header: a block of no rows


def test_quoting_follows_the_csv_module():
    """The characters the writer quotes are those the ``csv`` module quotes: a comma, a
    quote and a new line at least; cells holding them are quoted, their quotes doubled."""
    assert {",", '"', "\n"} <= set(rundir.QUOTED)
    table = pd.DataFrame({"t": pd.array(['a"b', "c,d", "e\nf", "g"], dtype="str"),
                          "n": [1, 2, 3, 4]})
    assert written([table], 100) == b't,n\n"a""b",1\n"c,d",2\n"e\nf",3\ng,4\n'


def test_the_gzip_file_holds_the_same_text_in_the_same_bytes(tmp_path):
    """write_csv_gz (text made in parts, compressed in a second thread while the next part
    is made) writes the bytes of the whole text compressed in one go at level 1, with no
    time in the header."""
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"x": rng.lognormal(0, 3, 30_000), "n": np.arange(30_000),
                          "s": pd.array(rng.choice(["a", "b,c", ""], 30_000), dtype="str")})
    blocks = [table.iloc[:10_000], table.iloc[10_000:]]
    with mock.patch.object(rundir, "TEXT_CELLS", 9_999):
        write_csv_gz(iter(blocks), tmp_path / "t.csv.gz")
    whole = io.BytesIO()
    with gzip.GzipFile(fileobj=whole, mode="wb", filename="", mtime=0, compresslevel=1) as out:
        out.write(expected(table))
    data = (tmp_path / "t.csv.gz").read_bytes()
    assert data == whole.getvalue()
    assert data[4:8] == bytes(4)  # mtime


@st.composite
def held_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[object]]:
    """A table of the handled types with distinct column names (two or more), and the
    names of the columns whose text is made ahead (one or more, anywhere)."""
    table = draw(tables())
    width = table.shape[1]
    names = draw(st.lists(st.sampled_from(NAMES), min_size=max(width, 2),
                          max_size=max(width, 2), unique=True))
    if width == 1:  # at least two columns: the one drawn, twice
        table = pd.concat([table, table], axis=1)
    table.columns = names
    held = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    return table, held


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=held_tables(), cells=st.sampled_from([1, 3, 7, 100_000]))
def test_a_table_written_with_text_made_ahead_has_the_same_bytes(drawn, cells):
    """The engineer table's fixed columns are made text while the model runs
    (hold_text), the others joined to them at the end (write_held_csv): for any choice of
    held columns (first, last, between others, alone, all), the bytes write_csv writes for
    the whole table, a few cells at a time."""
    table, held_names = drawn
    with mock.patch.object(rundir, "TEXT_CELLS", cells):
        held = rundir.hold_text(table[held_names], list(table.columns))
        assert held is not None
        out = io.BytesIO()
        rest = table[[name for name in table.columns if name not in held_names]]
        assert rundir.write_held_csv(held, rest, out.write)
    assert out.getvalue() == expected(table)


def test_text_made_ahead_refuses_other_columns_or_rows():
    """The columns joined to the held text must be the table's others, in as many rows."""
    table = pd.DataFrame({"a": [1.5, 2.5], "b": [1, 2], "c": [0.1, 0.2]})
    held = rundir.hold_text(table[["a", "c"]], ["a", "b", "c"])
    assert held is not None and held.runs == (["1.5", "2.5"], ["0.1", "0.2"])
    for rest in (table[["b", "c"]], table[["b"]].iloc[:1], table[[]]):
        with pytest.raises(ValueError, match="expected the columns"):
            rundir.write_held_csv(held, rest, io.BytesIO().write)
    # a column of another type: nothing written, the caller writes the whole table
    out = io.BytesIO()
    assert not rundir.write_held_csv(held, pd.DataFrame({"b": np.array([1, "x"], object)}),
                                     out.write)
    assert out.getvalue() == b""
    # repeated names or a one-column table: not made ahead
    assert rundir.hold_text(table[["a"]], ["a", "a"]) is None
    assert rundir.hold_text(table[["a"]], ["a"]) is None
    assert rundir.hold_text(pd.DataFrame({"a": np.array([1, "x"], object)}), ["a", "b"]) is None
