"""Shared fixtures: scenario paths and small markets built in code; the order in which
pytest-xdist hands test modules to its workers; the headless Chromium of the browser
tests. The test processes' allocator is set as the command's."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.files.processes import keep_freed_memory
from sim.scenario import validate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# The test processes run their models with the allocator the talentwar command has (the
# outputs are the same either way; it spares the page faults of every month's arrays).
# tests/files/test_allocator.py checks the setting itself in processes of their own.
keep_freed_memory()


TINY_SWEEP = """
name = "tiny"
base = "{base}"
seed = 1
replicates = 2
months = 3
set = ["market.engineers=500"]
[[parameters]]
key = "compute.threshold"
values = [1000, 20000]
[[measures]]
column = "unemployment_rate"
"""
"""A sweep of 4 runs of 3 months at 500 engineers (``base``: the scenario to format in)."""


TWO_TIER_SCENARIO = """
name = "two_tier_test"
description = "Tiny two-tier market for tests <b>& escaping</b>"
seed = 1
months = 12

[market]
engineers = 2_000
initial_unemployment = 0.05

[tiers.researcher]
share = 0.05
ai = true
separation = 0.01
search_unemployed = 0.5
search_employed = 0.1
weights = { pay = 1.0, gpu = 2.0, mission = 0.5, outreach = 0.0, dispersion = 0.3 }

[tiers.engineer]
share = 0.95
ai = false
separation = 0.02
search_unemployed = 0.3
search_employed = 0.05
weights = { pay = 1.0, gpu = 0.0, mission = 0.0, outreach = 0.0, dispersion = 0.3 }

[compute]
threshold = 10_000

[firms.Lab]
kind = "frontier_lab"
gpus = 20_000
mission = 1.0
pay = { researcher = 1_500_000, engineer = 220_000 }

[firms.BigCo]
kind = "big_tech"
gpus = 50_000
mission = 0.5
pay = { researcher = 1_200_000, engineer = 200_000 }
size = 4

[[generated_firms]]
count = 6
prefix = "firm"
gpus = { min = 0, max = 2_000 }
pay = { researcher = { min = 500_000, max = 900_000 }, engineer = { min = 140_000, max = 180_000 } }
"""
"""A tiny two-tier market as TOML text (its description tests HTML escaping)."""


LONGEST_FIRST = (
    "tests/output/test_report.py",
    "tests/output/test_run.py",  # second: it reads none of the folders the first builds
    "tests/output/test_fuzz_run_folders.py",
    "tests/explore/test_browser.py",
    "tests/test_tutorial.py",
    "tests/output/test_damaged_folders.py",
    "tests/test_validation.py",
    "tests/explore/test_command.py",
    "tests/sweeps/test_kills.py",
    "tests/output/test_plots_firms.py",
    "tests/sweeps/test_hardening.py",
    "tests/output/test_layout.py",
    "tests/test_notebook.py",
    "tests/sweeps/test_resume.py",
    "tests/calibration/test_resume.py",
    "tests/sweeps/test_replicates.py",
    "tests/sweeps/test_backends.py",
    "tests/files/test_progress.py",
    "tests/output/test_interrupts.py",
    "tests/calibration/test_recovery.py",
    "tests/output/test_replicates.py",
    "tests/output/test_report_escaping.py",
    "tests/output/test_run_folders.py",
    "tests/sweeps/test_signals.py",
    "tests/sweeps/test_worker.py",
    "tests/sweeps/test_analysis.py",
    "tests/output/test_compare.py",
    "tests/calibration/test_flagship.py",
    "tests/sweeps/test_plots.py",
    "tests/scenario/test_loading.py",
)
"""The test files that take longest, longest first (the sum of their tests' durations under
``-n 2``, which counts a test's waits for its processes and the browser as well as its own
CPU time; the mean of two runs on 7 December 2026), run first. Under ``-n``, each worker
takes whole files in collection order (``--dist loadfile --no-loadscope-reorder`` in
pyproject.toml), so a long file collected last would leave one worker running it alone at
the end. The second file builds none of the session's shared folders, so the second worker
starts it at once instead of waiting for the first worker to build them."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the tests of :data:`LONGEST_FIRST` to the front, keeping every other order."""
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}

    def key(item: pytest.Item) -> int:
        path = item.path.relative_to(ROOT).as_posix()
        return rank.get(path, len(rank))

    items.sort(key=key)


def small_market(**changes) -> dict:
    """A small two-tier market as plain scenario data (to tweak, then validate)."""
    data = {
        "name": "small",
        "seed": 7,
        "months": 24,
        "market": {"engineers": 6_000, "initial_unemployment": 0.05},
        "tiers": {
            "researcher": {
                "share": 0.2, "ai": True,
                "separation": 0.01, "search_unemployed": 0.5, "search_employed": 0.2,
                "output": 150_000,
                "weights": {"pay": 1.0, "gpu": 2.0, "mission": 1.0, "outreach": 1.0},
                "responsiveness": [0.3, 0.3],
            },
            "engineer": {
                "share": 0.8, "ai": False,
                "separation": 0.01, "search_unemployed": 0.5, "search_employed": 0.1,
                "output": 25_000,
                "weights": {"pay": 1.0, "gpu": 0.0, "mission": 0.5},
            },
        },
        "choice": {"noise": 0.3, "switching_cost": 0.1, "offers_per_search": 2},
        "firms": {
            name: {
                "kind": kind, "gpus": gpus, "mission": mission, "outreach": 0,
                "pay": {"researcher": 1_000_000, "engineer": 200_000},
            }
            for name, kind, gpus, mission in [
                ("Alpha", "big_tech", 50_000, 0.5),
                ("Beta", "big_tech", 50_000, 0.5),
                ("Gamma", "ai_startup", 2_000, 0.5),
                ("Delta", "enterprise_software", 2_000, 0.5),
            ]
        },
    }
    from sim.scenario import deep_merge

    return deep_merge(data, changes)


def scenario_of(data: dict):
    """Validate scenario data built in a test."""
    return validate(data, "test scenario")


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str,
               build: Callable[[Path], tuple[Path, ...]]) -> tuple[Path, ...]:
    """The folders ``build(root)`` writes under a new folder ``root`` (and returns), built
    once for the whole test session and copied for each process that asks.

    Under pytest-xdist, each worker process has its own session fixtures: the first worker
    to ask builds the folders, under a file lock, into the session's shared temporary folder
    (the parent of each worker's own, as pytest-xdist's documentation does it), and every
    worker, the first too, gets its own copy, made with :func:`shutil.copytree` into a
    ``tmp_path_factory.mktemp(name)`` folder of its own, at the same paths below it. A test
    may write into its copy (a report beside a run, say) as it would into folders it built,
    and never sees another worker's writes. Without xdist, ``build`` writes straight into
    the session's folder.
    """
    root = tmp_path_factory.mktemp(name)
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build(root)
    shared = tmp_path_factory.getbasetemp().parent / f"built-once-{name}"
    listing = shared / "folders.json"
    with open(f"{shared}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not listing.is_file():  # none yet, or a worker failed building it
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            made = build(shared)
            listing.write_text(json.dumps([str(p.relative_to(shared)) for p in made]))
    shutil.copytree(shared, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(listing.name))
    return tuple(root / part for part in json.loads(listing.read_text()))


@pytest.fixture(scope="session")
def two_tier_runs(tmp_path_factory):
    """Tiny runs of the two-tier market: seed 1, seed 2 with a higher GPU threshold, and
    seed 3 written without plots, each with the scenario file beside them (built once per
    session, :func:`built_once`). Shared by the compare and report tests."""
    from sim.output.run import run_scenario
    from sim.scenario import load_scenario

    def build(root: Path) -> tuple[Path, ...]:
        path = root / "two_tier.toml"
        path.write_text(TWO_TIER_SCENARIO)
        a = run_scenario(load_scenario(path), seed=1, out=root / "a", progress=False)
        b = run_scenario(load_scenario(path, ["compute.threshold=30000"]), seed=2,
                         out=root / "b", progress=False)
        bare = run_scenario(load_scenario(path), seed=3, out=root / "bare", progress=False,
                            plots=False)
        return a, b, bare

    return built_once(tmp_path_factory, "runs", build)


@pytest.fixture(scope="session")
def two_tier_replicates(tmp_path_factory):
    """Three replicate folders of the two-tier market (3 replicates, 6 months, no engineer
    table): the base, the base again, and a counterfactual with a much higher GPU
    threshold (built once per session, :func:`built_once`). Shared by the replicate and
    report tests."""
    from sim.scenario import load_scenario
    from sim.sweeps.replicates import run_replicates

    def build(root: Path) -> tuple[Path, ...]:
        path = root / "two_tier.toml"
        path.write_text(TWO_TIER_SCENARIO)

        def make(name, *overrides):
            scenario = load_scenario(path, ["months=6", *overrides])
            return run_replicates(scenario, 3, out=root / name, engineers="none",
                                  progress=False)

        return make("base"), make("again"), make("cf", "compute.threshold=30000")

    return built_once(tmp_path_factory, "reps", build)


FORCED_DEAL = {"type": "forced_deal", "month": 2, "buyer": "Alpha", "target": "Gamma",
               "price": 500e6, "review": True, "form": "acquisition"}
"""Alpha acquires the start-up Gamma in month 2 of :func:`small_market`, under review."""


@pytest.fixture(scope="session")
def deal_replicates(tmp_path_factory):
    """Two replicate folders of :func:`small_market` (3,000 engineers, 6 months, 3
    replicates on the same seeds) with Alpha's acquisition of Gamma in month 2: done (no
    antitrust review), and blocked (a review that blocks any deal giving a buyer more than
    10% of the top tier), built once per session (:func:`built_once`). Shared by the
    firm-level comparison tests."""
    from sim.sweeps.replicates import run_replicates

    def build(root: Path) -> tuple[Path, ...]:
        out = []
        for name, antitrust in (("done", {"enabled": False}),
                                ("blocked", {"enabled": True, "rule": "top_share",
                                             "threshold": 10.0})):
            scenario = scenario_of(small_market(
                name=f"deal_{name}", months=6, market={"engineers": 3_000},
                events=[FORCED_DEAL], firms={"Gamma": {"cash": 50e6}}, antitrust=antitrust))
            out.append(run_replicates(scenario, 3, out=root / name, engineers="none",
                                      progress=False))
        return tuple(out)

    return built_once(tmp_path_factory, "deal-reps", build)


@pytest.fixture
def tmp_results(tmp_path, monkeypatch):
    """Run in a temporary working folder, so default ``results/`` lands there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def chromium_tools() -> tuple[str, str]:
    """Debian's ``chromium`` (or ``chromium-browser``) and ``chromedriver``, with selenium
    to drive them, or skip (fail under ``TALENTWAR_REQUIRE_BROWSER=1``, as in CI) if any
    is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, found in (("chromium", chromium), ("chromedriver", driver),
                                        ("selenium", importlib.util.find_spec("selenium")))
               if found is None]
    if missing:
        if os.environ.get("TALENTWAR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TALENTWAR_REQUIRE_BROWSER=1 but {', '.join(missing)} missing")
        pytest.skip(f"{', '.join(missing)} not installed")
    assert chromium is not None and driver is not None
    return chromium, driver


def chrome_options(profile: Path, window: str, *, loopback: bool, network_log: bool = False
                   ) -> Any:
    """Selenium's options for headless Chromium with a window of ``window`` pixels
    (``"W,H"``), its profile in ``profile``, every request sent to a proxy on a closed port
    (so that it fails) except, with ``loopback``, those to this machine (a local app's),
    and the browser's console logged; with ``network_log``, its network events too
    (selenium's ``performance`` log: not asked for where unread, as it costs the browser
    time on a report holding megabytes of embedded images)."""
    chromium, _ = chromium_tools()
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                     "--proxy-server=127.0.0.1:9", f"--window-size={window}"):
        options.add_argument(argument)
    if not loopback:  # Chromium lets requests to this machine bypass a proxy unless told
        options.add_argument("--proxy-bypass-list=<-loopback>")
    logs = {"browser": "ALL", **({"performance": "ALL"} if network_log else {})}
    options.set_capability("goog:loggingPrefs", logs)
    return options


@pytest.fixture(scope="session")
def page_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium (1280 x 1024) driven by selenium through chromium-driver, shared
    by the tests that open the HTML reports in a browser: one per test process, each page
    opened from the same file (:func:`page_file`), so that each page costs its own
    loading and drawing only: plotly's script, the same in every report, is compiled once,
    where a browser started for each page, or a page at a new address, compiles it again."""
    _, driver_path = chromium_tools()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = chrome_options(tmp_path_factory.mktemp("page-browser") / "profile", "1280,1024",
                             loopback=False)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def page_file(driver: Any) -> Path:
    """The one file through which the shared browser ``driver`` (:func:`page_browser`)
    opens every page, beside its profile folder: the same address each time. A report
    opened at a new address took 1.5-1.8 s on this project's machine, at the address of
    the one before 0.5 s (plotly's script compiled again at each new address, it seems:
    Chromium caches compiled scripts with the page's address)."""
    return Path(driver.capabilities["chrome"]["userDataDir"]).parent / "page.html"
