"""The calibration's table of runs has the sweep's damage rule: a torn last record is
dropped with a warning, anything else damaged is refused (never silently dropped)."""

from __future__ import annotations

import pytest

from sim.calibration.store import RUNS_FILE, read_runs, run_header
from sim.files import TableDamage
from sim.files.table import record

KEYS, MOMENTS = ["market.wage_growth"], ["m1"]


def runs(tmp_path, *lines: str) -> None:
    (tmp_path / RUNS_FILE).write_text(record(run_header(KEYS, MOMENTS)) + "".join(lines))


GOOD = record([0, 0, 0, 11, 0.5, "done", "0.1", "", 0.25])


@pytest.mark.parametrize("bad", [
    record([1, 0, 1, 12, 0.5, "done", "0.1", ""]),  # a cell short
    record([1, 0, 1, 12, "half", "done", "0.1", "", 0.3]),  # not a number
])
def test_a_damaged_record_is_refused_not_dropped(tmp_path, bad):
    runs(tmp_path, GOOD, bad, GOOD.replace("0,0,0,11", "2,0,2,13"))
    before = (tmp_path / RUNS_FILE).read_bytes()
    with pytest.raises(TableDamage, match="line 3"):
        read_runs(tmp_path, KEYS, MOMENTS)
    assert (tmp_path / RUNS_FILE).read_bytes() == before  # nothing rewritten


def test_a_torn_last_record_is_dropped_with_a_warning(tmp_path, caplog):
    runs(tmp_path, GOOD, "1,0,1,12,0.5,do")
    cache = read_runs(tmp_path, KEYS, MOMENTS)
    assert cache == {((0.5,), 0): ("done", (0.25,))}
    assert "torn last record" in caplog.text
    assert (tmp_path / RUNS_FILE).read_text() == record(run_header(KEYS, MOMENTS)) + GOOD
