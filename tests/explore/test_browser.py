"""``talentwar explore`` in a real browser: headless Chromium, the network blocked.

The app is started as a user starts it (the command line, a free local port) and driven
with selenium through Debian's ``chromium`` and ``chromium-driver``. Every request other
than to the app's own address goes to a proxy on a closed port, so a file fetched from a
CDN fails to load, and the test also checks that the browser asked for nothing else.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.scenario import load_scenario
from tests.conftest import SCENARIOS, chrome_options, chromium_tools

# The app runs in a process of its own: this one imports it (and Solara, a second or
# more) only in the test that reads it, not in every worker that collects this file.
if importlib.util.find_spec("solara") is None:
    pytest.skip("the explore extra is not installed", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

FIRM = "Google_DeepMind"
"""The firm whose policy the test changes (it answers offers with "beat" in the
flagship)."""
RENDER_TIMEOUT = 90
TALENTWAR = [sys.executable, "-c", "import sys; from sim.cli import main; sys.exit(main())"]
"""The command line, as the ``talentwar`` script runs it."""


def wait_for(what: str, check: Callable[[], Any], timeout: float = RENDER_TIMEOUT) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except WebDriverException:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """``talentwar explore`` on the flagship, on a free port, saving into a temporary
    folder; stopped with SIGTERM at the end, and checked to leave no process behind."""
    saves = tmp_path / "saves"
    saves.mkdir()
    process = subprocess.Popen(
        [*TALENTWAR, "explore", str(SCENARIOS / "ai_talent_war_2024.toml"), "--port", "0",
         "--save-dir", str(saves)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the address, printed before serving
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, f"no address printed: {line!r}"
        yield found.group(0), process, saves
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail("talentwar explore did not stop within 30 s of SIGTERM")
        stderr = process.stderr.read() if process.stderr else ""
        assert status == 128 + signal.SIGTERM, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]
        left = _group_members(process.pid)
        assert not left, f"processes left behind: {left}"


def _group_members(pgid: int) -> list[int]:
    """Processes still in process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    members.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return members


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium with every non-local request sent to a closed port."""
    _, driver_path = chromium_tools()
    options = chrome_options(tmp_path / "profile", "1500,1400", loopback=True, network_log=True)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def body(driver: Any) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def month_shown(driver: Any) -> int | None:
    found = re.search(r"Month (\d+) of \d+", body(driver))
    return int(found.group(1)) if found else None


def click_button(driver: Any, text: str) -> None:
    """Click the (enabled) button whose text is ``text``."""
    def find() -> Any:
        for button in driver.find_elements(By.TAG_NAME, "button"):
            if button.text.strip().lower() == text.lower() and button.is_enabled():
                return button
        return None
    button = wait_for(f"a button {text!r}", find)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()


def firm_cell(driver: Any, firm: str, column: int) -> str | None:
    """The text of cell ``column`` of ``firm``'s row of the counter-offers table."""
    rows = driver.find_elements(By.CSS_SELECTOR, f'table.counter-offers tr[data-firm="{firm}"]')
    if not rows:
        return None
    return str(rows[0].find_elements(By.TAG_NAME, "td")[column].get_attribute("textContent"))


def test_the_app_in_a_browser_offline(app: tuple[str, subprocess.Popen[str], Path],
                                      browser: Any, tmp_path: Path) -> None:
    url, _process, saves = app
    driver = browser
    driver.get(url)

    # The page renders the controls and the charts.
    wait_for("month 0", lambda: month_shown(driver) == 0)
    wait_for("the controls", lambda: "Scenario settings" in body(driver)
             and "GPU threshold (H100s)" in body(driver) and f"{FIRM}: counter-offers"
             in body(driver))
    wait_for("the four charts", lambda: len(driver.find_elements(
        By.CSS_SELECTOR, ".solara-echarts canvas")) >= 4)
    titles = body(driver)
    for title in ("Share of each tier by firm", "Pay by firm", "GPUs against top-tier share",
                  "Deals", "Counter-offers and moves"):
        assert title in titles, title
    assert firm_cell(driver, FIRM, 1) == "beat"
    # A step advances the month shown by one (the months per redraw apply to play only).
    from sim.explore.app import REDRAW_MONTHS

    assert REDRAW_MONTHS > 1
    click_button(driver, "Step")
    wait_for("month 1", lambda: month_shown(driver) == 1)

    # Changing a firm's policy changes that firm's row (and starts again from month 0).
    toggle = driver.find_element(
        By.CSS_SELECTOR, f".control-firms-{FIRM}-policy-counter_offer")
    never = next(b for b in toggle.find_elements(By.TAG_NAME, "button")
                 if b.text.strip().lower() == "never")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", never)
    never.click()
    wait_for(f"{FIRM}'s row to say never", lambda: firm_cell(driver, FIRM, 1) == "never")
    assert month_shown(driver) == 0
    for k in range(1, 7):
        click_button(driver, "Step")
        wait_for(f"month {k}", lambda m=k: month_shown(driver) == m)
    assert firm_cell(driver, FIRM, 2) == "0"  # a firm that never counters made none
    keep = os.environ.get("TALENTWAR_EXPLORE_SCREENSHOT")
    if keep:
        time.sleep(2)  # the picture kept for people: the charts' animations finished
    shot = tmp_path / "explore.png"
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if keep:
        shutil.copy(shot, keep)


    # Save as scenario writes a file that talentwar validate accepts.
    click_button(driver, "Save as scenario")
    saved = saves / "ai_talent_war_2024-explore.toml"
    wait_for("the saved scenario", saved.is_file, timeout=30)
    check = subprocess.run([*TALENTWAR, "validate", str(saved)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    scenario = load_scenario(saved)
    assert scenario.firms[FIRM].policy.counter_offer == "never"  # type: ignore[attr-defined]
    assert scenario.market.engineers == 10_000

    # Play runs to the horizon, redrawing on the way, and then play and step are off.
    click_button(driver, "▶")
    wait_for("month 36", lambda: month_shown(driver) == 36)
    wait_for("play and step switched off", lambda: not any(
        b.is_enabled() for b in driver.find_elements(By.TAG_NAME, "button")
        if b.text.strip() in ("▶", "❚❚", "Step")))
    assert firm_cell(driver, FIRM, 2) == "0"

    # No console errors, and nothing asked of any other address.
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    requested = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.add(message["params"]["request"]["url"])
    origin = url.rstrip("/")
    network = [u for u in requested if u.split(":", 1)[0] in ("http", "https", "ws", "wss")]
    outside = [u for u in network if not u.startswith((origin, origin.replace("http", "ws")))]
    assert not outside, outside
    assert any("/_solara/cdn/" in u for u in network)  # the CDN files, served locally
