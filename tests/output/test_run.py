"""Runs write complete folders atomically, reproducibly, with manifests and plots."""

import gzip
import importlib.util
import json
import logging
import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.output.plots
import sim.output.rundir
from sim import columns as c
from sim import load_scenario
from sim.output.run import run_scenario
from tests.conftest import SCENARIOS

DATA_FILES = ("market.csv", "firms.csv", "flows.csv", "deals.csv", "deal_teams.csv",
              "engineers.csv.gz")
PLOTS = ("headcount.png", "pay_by_tier.png", "gpu_vs_top_share.png", "moves_matrix.png",
         "pay_by_firm.png", "top_share_by_firm.png", "timeline.png", "rates.png", "deals.png",
         "counter_offers.png", "pay_index_layoffs.png",
         "cash_gpus.png")


@pytest.fixture(scope="module")
def flagship_small():
    return load_scenario(SCENARIOS / "ai_talent_war_2024.toml",
                         ["market.engineers=4000", "months=6"])


def test_same_seed_gives_identical_files(tmp_path, flagship_small):
    a = run_scenario(flagship_small, seed=11, out=tmp_path / "a", progress=False, plots=False)
    b = run_scenario(flagship_small, seed=11, out=tmp_path / "b", progress=False, plots=False)
    c = run_scenario(flagship_small, seed=12, out=tmp_path / "c", progress=False, plots=False)
    for name in DATA_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "market.csv").read_bytes() != (c / "market.csv").read_bytes()
    assert (a / "engineers.csv.gz").read_bytes() != (c / "engineers.csv.gz").read_bytes()


def test_the_run_folder_says_where_each_deal_s_engineers_work_at_the_end(tmp_path,
                                                                         flagship_small):
    folder = run_scenario(flagship_small, seed=11, out=tmp_path / "run", progress=False,
                          plots=False, engineers="csv")
    deals = pd.read_csv(folder / "deals.csv")
    teams = pd.read_csv(folder / "deal_teams.csv")
    engineers = pd.read_csv(folder / "engineers.csv")
    assert tuple(teams.columns) == c.DEAL_TEAM_COLUMNS
    assert len(deals) == 1 and teams["deal"].eq(0).all()   # Databricks-MosaicML, 2023-06
    # The acquired team, every one of them, counted where the engineer table places them.
    assert teams["engineers"].sum() == deals.loc[0, "engineers_moved"]
    at_buyer = teams.loc[teams["firm_at_end"] == "Databricks", "engineers"].sum()
    assert 0 < at_buyer <= (engineers["firm"] == "Databricks").sum()


def test_the_default_engineer_table_is_compressed_csv_without_time_or_name(tmp_path,
                                                                           flagship_small):
    folder = run_scenario(flagship_small, seed=11, out=tmp_path / "run", progress=False,
                          plots=False)
    written = {p.name for p in folder.iterdir()}
    assert "engineers.csv.gz" in written
    assert not {"engineers.csv", "engineers.parquet"} & written
    assert "engineers.csv.gz" in json.loads((folder / "manifest.json").read_text())["files"]
    raw = (folder / "engineers.csv.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"  # gzip
    assert raw[4:8] == b"\0\0\0\0", "a time in the gzip header"
    assert not raw[3] & 0x08, "a file name in the gzip header"
    text = gzip.decompress(raw).decode()
    assert text.startswith("id,tier,") and len(text.splitlines()) == 4000 + 1
    assert len(raw) < len(text) / 2


FORMATS = ["csv", "csv.gz", pytest.param("parquet", marks=pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") is None, reason="Parquet needs pyarrow"))]


@pytest.mark.parametrize("engineers", FORMATS)
def test_each_engineer_format_reads_back_to_the_table_of_the_csv(tmp_path, engineers):
    """``RunFolder.engineers`` reads whichever file the run wrote: the same values as
    ``--engineers csv`` (and, for the compressed CSV, the same dtypes)."""
    from sim.output.rundir import RunFolder

    scenario = load_scenario(SCENARIOS / "textbook_job_ladder.toml",
                             ["market.engineers=1500", "months=3"])
    csv_run = run_scenario(scenario, seed=5, out=tmp_path / "csv", engineers="csv",
                           progress=False, plots=False)
    other = run_scenario(scenario, seed=5, out=tmp_path / "other", engineers=engineers,
                         progress=False, plots=False)
    expected = RunFolder.open(csv_run).engineers
    got = RunFolder.open(other).engineers
    assert len(expected) == 1500 and {"pay", "tier", "firm"} <= set(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_exact=True,
                                  check_dtype=engineers != "parquet")


def log_calls(monkeypatch, module, name: str, log: Path, argument: int) -> None:
    """Replace ``module.name`` by a spy that logs each call (the file name of its
    positional ``argument``, a line in ``log``) and then makes it: in the drawing
    processes too, which the run forks from this one after the patch."""
    real = getattr(module, name)

    def spy(*args, **kwargs):
        with open(log, "a") as out:
            out.write(f"{Path(args[argument]).name}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


def logged(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


@dataclass(frozen=True)
class DrawnRun:
    """A run of the small flagship with its plots (:func:`drawn_flagship`)."""

    cwd: Path
    """The working folder it ran in."""
    folder: Path
    """The run folder it wrote."""
    drawn: list[str]
    """The PNG file of each plot saved, as saved."""
    read: list[str]
    """Each table read during the run (by the drawing processes: the command reads none)."""


@pytest.fixture(scope="module")
def drawn_flagship(tmp_path_factory, flagship_small) -> DrawnRun:
    """The small flagship run once, plots and all, into the default ``results/`` folder of a
    temporary working folder, each plot saved and each table read logged: read by the
    tests of the run folder, of its drawing processes and of its plots."""
    cwd = tmp_path_factory.mktemp("drawn")
    drawn, read = cwd / "drawn.log", cwd / "read.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        log_calls(patch, sim.output.plots, "save", drawn, 1)  # save(fig, path)
        log_calls(patch, sim.output.rundir, "read_table", read, 1)  # read_table(folder, name)
        folder = run_scenario(flagship_small, progress=False)
    return DrawnRun(cwd, (cwd / folder).resolve(), logged(drawn), logged(read))


def test_run_folder_has_tables_plots_and_manifest(drawn_flagship, flagship_small):
    folder = drawn_flagship.folder
    assert folder.parent == drawn_flagship.cwd.resolve() / "results" / "ai_talent_war_2024"
    for name in (*DATA_FILES, *PLOTS, "manifest.json"):
        assert (folder / name).stat().st_size > 0, name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == flagship_small.seed
    assert manifest["scenario"]["market"]["engineers"] == 4000
    assert {"talentwar", "mesa", "numpy", "python"} <= set(manifest["versions"])
    assert manifest["wall_time_seconds"] > 0 and manifest["started"] <= manifest["finished"]
    # Each plot is drawn once, by the drawing processes.
    assert sorted(drawn_flagship.drawn) == sorted(PLOTS)


def assert_drawn_again_the_same(folder: Path) -> None:
    """``talentwar plot`` draws, from the folder's files alone, the very PNGs the run
    drew."""
    drawn = {name: (folder / name).read_bytes() for name in PLOTS}
    assert sim.output.plots.plot_run(folder)
    for name in PLOTS:
        assert (folder / name).read_bytes() == drawn[name], name


def test_the_plots_a_run_draws_are_those_drawn_from_its_files(tmp_path, drawn_flagship):
    """The run's drawing process gives the plot of pay the engineer table's columns from
    the model's memory, the other plots reading the files; every figure is the very PNG
    that ``talentwar plot`` then draws from the folder's files alone."""
    assert_drawn_again_the_same(shutil.copytree(drawn_flagship.folder, tmp_path / "run"))


def test_the_plots_of_a_run_without_an_engineer_table_are_those_drawn_from_its_files(
        tmp_path, flagship_small):
    """The same, when the run writes no engineer table: the drawing process is given no
    pay columns, and draws what ``talentwar plot`` draws from a folder without the
    table."""
    assert_drawn_again_the_same(run_scenario(flagship_small, seed=4, out=tmp_path / "run",
                                             progress=False, engineers="none"))


def test_the_drawing_process_is_forked_before_the_model_is_built(tmp_path, monkeypatch):
    """It loads the plotting modules while the model runs, and never holds its memory."""
    import multiprocessing

    import sim.model
    import sim.output.run

    children: list[int] = []
    built = sim.model.TalentMarket

    def build(*args, **kwargs):
        children.append(len(multiprocessing.active_children()))
        return built(*args, **kwargs)

    monkeypatch.setattr(sim.output.run, "TalentMarket", build)
    scenario = load_scenario(SCENARIOS / "textbook_job_ladder.toml",
                             ["market.engineers=500", "months=2"])
    run_scenario(scenario, out=tmp_path / "run", progress=False)
    run_scenario(scenario, out=tmp_path / "tables", progress=False, plots=False)
    assert children == [1, 0]
    assert multiprocessing.active_children() == []


def test_the_drawing_process_never_reads_the_engineer_table_being_written(drawn_flagship):
    """The plot of pay is given the table's columns; no drawing process reads the file (it
    may be half written)."""
    names = set(drawn_flagship.read)
    assert {"market.csv", "firms.csv", "flows.csv"} <= names
    assert "engineers.csv" not in names


def test_replicates_drawn_each_by_parallel_workers(tmp_path):
    """The workers of replicates run in parallel are daemonic processes, which may not
    fork: each draws its run's plots itself."""
    from sim.cli import main

    out = tmp_path / "reps"
    assert main(["run", str(SCENARIOS / "textbook_job_ladder.toml"), "--set",
                 "market.engineers=500", "--months", "2", "--replicates", "2", "--workers",
                 "2", "--plots-each", "--quiet", "--out", str(out)]) == 0
    for rep in ("rep-000", "rep-001"):
        assert sorted(p.name for p in (out / rep).glob("*.png")) == sorted(PLOTS), rep


def test_a_drawing_process_killed_before_its_work_is_one_line_and_leaves_nothing(
        tmp_path, monkeypatch, capsys):
    import multiprocessing
    import signal

    import sim.model
    import sim.output.run
    from sim.cli import main

    built = sim.model.TalentMarket

    def build(*args, **kwargs):  # the drawing process is killed while the model runs
        for child in multiprocessing.active_children():
            child.kill()
            child.join()
        return built(*args, **kwargs)

    monkeypatch.setattr(sim.output.run, "TalentMarket", build)
    status = main(["run", str(SCENARIOS / "textbook_job_ladder.toml"), "--set",
                   "market.engineers=500", "--months", "2", "--quiet", "--out",
                   str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip() == ("talentwar: error: a drawing process ended unexpectedly (exit "
                           f"status -{int(signal.SIGKILL)}: killed, by the system short of "
                           "memory perhaps); nothing it drew was kept"), err
    assert list(tmp_path.iterdir()) == []


def test_a_disk_error_writing_the_engineer_table_names_the_run_folder(
        tmp_path, monkeypatch, capsys):
    import errno

    import sim.output.run
    from sim.cli import main

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sim.output.run, "write_engineer_table", full)
    for plots, out in ((["--no-plots"], tmp_path / "tables"), ([], tmp_path / "run")):
        status = main(["run", str(SCENARIOS / "textbook_job_ladder.toml"), "--set",
                       "market.engineers=500", "--months", "2", "--quiet", "--out", str(out),
                       *plots])
        assert status == 2
        assert capsys.readouterr().err.strip() == (
            f"talentwar: error: {out}: cannot write it: No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_number_columns_read_as_missing_what_pandas_reads_as_missing():
    """The reader turns pandas' default missing words off for text columns only; for
    number columns its own list must be pandas' (a copy: pandas keeps it private)."""
    from pandas._libs.parsers import STR_NA_VALUES

    from sim.output.rundir import MISSING_WORDS

    assert set(MISSING_WORDS) == set(STR_NA_VALUES)


@pytest.mark.parametrize(("researcher", "engineer", "lab"),
                         [("1", "2", "Lab"), ("None", "NA", "null")])
def test_names_that_look_like_numbers_or_missing_values_are_read_back_as_names(
        tmp_path, researcher, engineer, lab):
    """A name such as "1" or "NA" is text: ``talentwar plot`` reads the folder and draws
    the histogram of each tier's pay as the run did."""
    import re

    from sim.output.plotkit import save
    from sim.output.rundir import RunFolder
    from tests.conftest import TWO_TIER_SCENARIO

    text = re.sub(r"\bresearcher\b", researcher, TWO_TIER_SCENARIO)
    text = re.sub(r"\bengineer\b", engineer, text).replace("[firms.Lab]", f"[firms.{lab}]")
    path = tmp_path / "names.toml"
    path.write_text(text)
    folder = run_scenario(load_scenario(path, ["market.engineers=500", "months=2"]),
                          out=tmp_path / "run", progress=False)
    run = RunFolder.open(folder)
    assert set(run.engineer_columns(("tier", "pay"), "a test")["tier"]) == {researcher,
                                                                            engineer}
    assert lab in set(run.firms["firm"])
    # Drawn again from the files as `talentwar plot` draws it: the folder read and checked
    # (check_plottable refused a tier named "NA"), then the plot of pay drawn from it.
    again = RunFolder.open(folder)
    sim.output.plots.check_plottable(again)
    redrawn = save(sim.output.plots.RUN_PLOTS["pay_by_tier"](again), tmp_path / "pay.png")
    assert redrawn.read_bytes() == (folder / "pay_by_tier.png").read_bytes()


def test_a_failed_run_leaves_nothing_that_looks_complete(tmp_results, flagship_small,
                                                         monkeypatch):
    def broken(fig, path):
        Path(path).write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(sim.output.plots, "save", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_scenario(flagship_small, progress=False)
    root = tmp_results / "results" / "ai_talent_war_2024"
    assert list(root.iterdir()) == []


def test_a_run_failing_while_its_engineer_table_is_written_ends_the_writer_first(
        tmp_path, flagship_small, monkeypatch):
    """A failure after the engineer table's writer was started ends the writer before the
    hidden folder it writes into is removed (it must not write into it meanwhile); nothing
    is left, no process either."""
    import multiprocessing

    from sim.output import run

    monkeypatch.setattr(run, "HOLD_FROM", 1_000)
    seen = []
    stop = run.EngineerWriter.stop

    def stopped(self: run.EngineerWriter) -> None:
        seen.append([p.name for p in tmp_path.iterdir()])  # the hidden folder, still there
        stop(self)

    def broken(model: object, folder: Path) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(run.EngineerWriter, "stop", stopped)
    monkeypatch.setattr(run, "write_small_tables", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_scenario(flagship_small, out=tmp_path / "run", progress=False, plots=False)
    assert seen and any(name.startswith(".run.incomplete") for name in seen[0]), seen
    assert list(tmp_path.iterdir()) == []
    assert multiprocessing.active_children() == []


def test_plots_drawn_by_run_see_the_gpu_threshold(tmp_path, monkeypatch):
    import sim.output.plots as plots
    from sim.output.rundir import RunFolder

    def seen(run_dir, *args):
        # What the plots would read (in the drawing process, forked after this patch);
        # the drawing itself is test_run_folder_has_tables_...'s
        (tmp_path / "seen").write_text(f"{RunFolder.open(run_dir).gpu_threshold}")

    monkeypatch.setattr(plots, "draw_run", seen)
    scenario = load_scenario(SCENARIOS / "textbook_job_ladder.toml",
                             ["market.engineers=1000", "months=2", "compute.threshold=1234"])
    run_scenario(scenario, out=tmp_path / "run", progress=False)
    assert (tmp_path / "seen").read_text() == "1234.0"


def test_warnings_of_a_dead_market_reach_the_manifest_and_the_user(tmp_path, capsys):
    import json

    from sim.cli import main

    path = tmp_path / "dead.toml"
    path.write_text("name = 'dead'\nmonths = 8\n[market]\nengineers = 500\n"
                    "[tiers.t]\nshare = 1.0\noutput = 0.0\n"
                    "[firms.F]\ncash = 1e6\npay = { t = 200000.0 }\n")
    assert main(["run", str(path), "--quiet", "--no-plots", "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "warning: firm F went bankrupt in month" in err
    warnings = json.loads((tmp_path / "r" / "manifest.json").read_text())["warnings"]
    assert any("output is 0" in w for w in warnings)


def test_the_engineer_table_is_written_block_by_block_with_the_whole_table_s_bytes(
        tmp_path, flagship_small):
    """Writers hold one block of engineers' text at a time (memory), yet the file is the
    bytes of the whole table's CSV: one header, every row once, in order, including a last
    block shorter than the others."""
    from sim.model import TalentMarket
    from sim.output.rundir import write_csv, write_csv_gz

    model = TalentMarket(flagship_small, seed=3)
    for _ in range(2):
        model.step()
    whole = model.engineer_table().to_csv(index=False, lineterminator="\n").encode()
    blocks = list(model.engineer_tables(rows=1_500))
    assert [len(b) for b in blocks] == [1_500, 1_500, 1_000]
    with open(tmp_path / "e.csv", "wb") as out:
        write_csv(iter(blocks), out.write)
    assert (tmp_path / "e.csv").read_bytes() == whole
    write_csv_gz(iter(blocks), tmp_path / "e.csv.gz")
    assert gzip.decompress((tmp_path / "e.csv.gz").read_bytes()) == whole


@pytest.mark.parametrize("engineers", ["csv.gz", "csv"])
def test_the_engineer_table_made_ahead_by_its_writer_is_the_table_s_bytes(
        tmp_path, flagship_small, monkeypatch, engineers):
    """A run's engineer table is written by a process that made the text of its fixed
    columns while the model ran (sim.output.run.EngineerWriter): the bytes this process
    writes for the final table."""
    from sim.model import TalentMarket
    from sim.output import run

    monkeypatch.setattr(run, "HOLD_FROM", 1_000)  # the small market gets a writer
    used = []
    start = run.EngineerWriter.start
    monkeypatch.setattr(run.EngineerWriter, "start",
                        lambda self, *a: used.append(start(self, *a)) or used[-1])
    folder = run_scenario(flagship_small, seed=5, out=tmp_path / "run", progress=False,
                          plots=False, engineers=engineers)
    assert used == [True]
    model = TalentMarket(flagship_small, seed=5)
    model.run()
    (tmp_path / "here").mkdir()
    run.write_engineer_table(model, tmp_path / "here", engineers)
    name = f"engineers.{engineers}"
    assert (folder / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_only_tables_worth_a_process_and_within_its_memory_get_a_writer():
    """A writer for CSV tables of HOLD_FROM to HOLD_ENGINEERS engineers; none for Parquet,
    no table, or markets smaller (not worth a process) or larger (its text would take
    too much memory)."""
    from types import SimpleNamespace

    from sim.output.run import HOLD_ENGINEERS, HOLD_FROM, EngineerWriter, engineer_writer

    class Model(SimpleNamespace):
        def __init__(self, n: int) -> None:
            values = {"id": np.arange(n), "firm": np.zeros(n), "pay": np.ones(n)}
            super().__init__(engineers=SimpleNamespace(n=n, columns=lambda: values))

        def engineer_table(self, start: int, stop: int) -> pd.DataFrame:
            return pd.DataFrame(self.engineers.columns()).iloc[start:stop]

    for n, engineers, served in ((HOLD_FROM, "csv.gz", True), (HOLD_ENGINEERS, "csv", True),
                                 (HOLD_FROM - 1, "csv.gz", False),
                                 (HOLD_ENGINEERS + 1, "csv.gz", False),
                                 (HOLD_FROM, "parquet", False), (HOLD_FROM, "none", False)):
        writer = engineer_writer(Model(n), engineers)  # not entered: nothing is forked
        assert isinstance(writer, EngineerWriter) == served, (n, engineers)


def test_a_table_pandas_would_write_or_a_failed_writer_leaves_it_to_the_run(
        tmp_path, flagship_small, monkeypatch, caplog):
    """Text columns of object type (pandas 2's) get no writer: pandas writes them; a
    writer that fails (killed while it makes its text or writes, or text it cannot make)
    leaves the table to the run's own process: either way the run's table is the bytes
    written in one process. A writer killed is logged as the writer, not as a drawing
    process."""
    from sim.model import TalentMarket
    from sim.output import run

    monkeypatch.setattr(run, "HOLD_FROM", 1_000)
    expected = tmp_path / "here"
    expected.mkdir()
    model = TalentMarket(flagship_small, seed=5)
    model.run()
    run.write_engineer_table(model, expected, "csv.gz")
    made = []
    init = run.EngineerWriter.__init__
    monkeypatch.setattr(run.EngineerWriter, "__init__",
                        lambda self, *a: made.append(self) or init(self, *a))

    def fails(*args: object) -> None:  # in the writer's process
        raise RuntimeError("no text")

    def short(*args: object) -> None:
        raise MemoryError

    def killed() -> None:  # the writer's process killed as it makes its text
        os.kill(os.getpid(), signal.SIGKILL)

    table = TalentMarket.engineer_table
    for case in ("object columns", "writer fails", "writer short of memory",
                 "writer killed"):
        with monkeypatch.context() as patch:
            if case == "object columns":
                patch.setattr(TalentMarket, "engineer_table", lambda self, *a, **k: table(
                    self, *a, **k).astype({"tier": object, "firm": object}, errors="ignore"))
            elif case == "writer killed":
                patch.setattr(run, "_hold_fixed_text", killed)
            else:
                patch.setattr(run, "_write_held", fails if case == "writer fails" else short)
            made.clear()
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="talentwar"):
                folder = run_scenario(flagship_small, seed=5, out=tmp_path / case,
                                      progress=False, plots=False)
            assert len(made) == (0 if case == "object columns" else 1), case
            assert (folder / "engineers.csv.gz").read_bytes() == (
                expected / "engineers.csv.gz").read_bytes(), case
            if case == "writer killed":
                assert "the engineer table's writer ended unexpectedly" in caplog.text
                assert "drawing" not in caplog.text and "drew" not in caplog.text


def test_the_engineers_fixed_columns_never_change_in_a_run(flagship_small):
    """The columns whose text is made while the model runs (Engineers.FIXED_COLUMNS) are
    the same at the end as when the population was drawn, through hires, quits, counter-
    offers, deals and layoffs; the others change."""
    from sim.agents.engineers import Engineers
    from sim.model import TalentMarket

    model = TalentMarket(flagship_small, seed=4, months=12)
    start = {name: values.copy() for name, values in model.engineers.columns().items()}
    model.run()
    assert len(model.deals) > 0 and model.market["layoffs"].sum() > 0
    end = model.engineers.columns()
    changed = {name for name in start if not (start[name] == end[name]).all()}
    assert changed == set(start) - Engineers.FIXED_COLUMNS == {"firm", "pay", "tenure"}


def test_a_fixed_column_changed_while_the_model_ran_is_written_as_it_ends(
        tmp_path, flagship_small, monkeypatch):
    """Should a column held fixed change (a mechanism added later), the writer's text made
    ahead is not used: the table is written afresh, with the final values."""
    from sim.model import TalentMarket
    from sim.output import run

    step = TalentMarket.step

    def shifted(self: TalentMarket) -> None:
        step(self)
        self.engineers.w_pay[::7] += 0.25

    monkeypatch.setattr(TalentMarket, "step", shifted)
    monkeypatch.setattr(run, "HOLD_FROM", 1_000)
    used = []
    start = run.EngineerWriter.start
    monkeypatch.setattr(run.EngineerWriter, "start",
                        lambda self, *a: used.append(start(self, *a)) or used[-1])
    folder = run_scenario(flagship_small, seed=5, out=tmp_path / "run", progress=False,
                          plots=False)
    assert used == [False]
    model = TalentMarket(flagship_small, seed=5)
    model.run()
    (tmp_path / "here").mkdir()
    run.write_engineer_table(model, tmp_path / "here", "csv.gz")
    assert (folder / "engineers.csv.gz").read_bytes() == (
        tmp_path / "here" / "engineers.csv.gz").read_bytes()


@pytest.mark.parametrize("cells", [100_000, 999])
def test_floats_are_written_as_pandas_writes_them(tmp_path, monkeypatch, cells):
    """The tables' float columns are turned into text by Python's ``repr``
    (sim.output.rundir.number_text), a few rows at a time: the same bytes as pandas' own
    ``to_csv`` (which formats them with numpy), for the numbers where formats differ (NaN,
    infinities, -0, exponents at both ends of the plain range, the smallest subnormal,
    integers held as floats) and random magnitudes; in one part, or in parts of 166 rows
    (``cells`` cells a part). tests/output/test_csv_writer.py checks every column type."""
    import numpy as np
    import pandas as pd

    from sim.output import rundir
    from sim.output.rundir import write_csv

    monkeypatch.setattr(rundir, "TEXT_CELLS", cells)

    rng = np.random.default_rng(7)
    edges = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, 2.5, 1e16, 9999999999999998.0,
             1e-4, 9.999e-5, 1e-5, 5e-324, 1.7976931348623157e308, 123456789.0, 0.1 + 0.2]
    random = rng.lognormal(0.0, 3.0, 2_000) * rng.choice([-1.0, 1.0], 2_000)
    scaled = rng.uniform(-1, 1, 2_000) * 10.0 ** rng.integers(-30, 30, 2_000)
    column = np.concatenate([edges, random, scaled])
    table = pd.DataFrame({"x": column, "n": np.arange(column.size), "s": "a,b",
                          "y": np.concatenate([edges[::-1], np.round(random, 3),
                                               np.round(scaled, 3)])})
    # and two float columns of the same name, one named by a number
    table = pd.concat([table, table[["x"]], table[["y"]].set_axis([3], axis=1)], axis=1)
    with open(tmp_path / "t.csv", "wb") as out:
        write_csv(table, out.write)
    assert (tmp_path / "t.csv").read_bytes() == table.to_csv(
        index=False, lineterminator="\n").encode()
