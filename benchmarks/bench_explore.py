"""Benchmark: simulated months a second of ``talentwar explore`` at its default size.

Usage::

    python benchmarks/bench_explore.py                   # the app's work, months 1-36
    python benchmarks/bench_explore.py --browser         # also: play in headless Chromium

The first figures are the app's own work while playing: the model's months plus drawing
every view again (chart data, chart options, the page's update) and the pause of
``PLAY_INTERVAL_MS`` between redraws, measured by rendering the app's components without a
server, pressing play and waiting for the month shown to reach 36, at each "months per
redraw while playing". ``--browser`` then serves the app, presses play in headless
Chromium (network blocked) and counts the months shown after a fixed time. Target: at
least 10 simulated months a second at the app's defaults (the flagship at 10,000
engineers, a redraw every ``REDRAW_MONTHS`` months).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLAGSHIP = HERE.parent / "scenarios" / "ai_talent_war_2024.toml"


def app_months_per_second(render_interval: int) -> float:
    """Months a second of playing the rendered app (no server, no browser) over the
    flagship's 36 months: press play, wait for the month shown to reach the horizon."""
    warnings.filterwarnings("ignore")
    import ipyvuetify as v
    import solara

    from sim.explore.app import explore_page
    from sim.explore.session import Explorer

    explorer = Explorer.load(FLAGSHIP)
    _box, rc = solara.render(explore_page(explorer, Path.cwd()), handle_error=False)
    rc.find(v.Slider, label="months per redraw while playing").widget.v_model = render_interval

    shown = next(w for w in rc.find(solara.widgets.HTML).widgets
                 if "talentwar-month" in str(w.unsafe_innerHTML))

    def month() -> int:
        return int(re.search(r"Month (\d+) of", str(shown.unsafe_innerHTML)).group(1))  # type: ignore[union-attr]

    clock = time.perf_counter()
    rc.find(v.Btn, children=["▶"]).widget.click()
    while month() < 36:
        time.sleep(0.01)
    seconds = time.perf_counter() - clock
    rc.close()
    return 36 / seconds


def model_months_per_second() -> float:
    from sim.explore.session import ExploreModel, Explorer

    model = ExploreModel(Explorer.load(FLAGSHIP))
    clock = time.perf_counter()
    model.run()
    return model.steps / (time.perf_counter() - clock)


def browser_months_per_second(seconds: float) -> float:
    """Play the served app in headless Chromium for ``seconds``; months shown a second."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from sim.cli import main; sys.exit(main())",
         "explore", str(FLAGSHIP), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = re.search(r"http://\S+/", server.stdout.readline()).group(0)  # type: ignore[union-attr]
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                         "--proxy-server=127.0.0.1:9", "--window-size=1500,1400"):
            options.add_argument(argument)
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        try:
            driver.get(url)

            def month() -> int | None:
                found = re.search(r"Month (\d+) of", driver.find_element(By.TAG_NAME,
                                                                       "body").text)
                return int(found.group(1)) if found else None

            while month() != 0:
                time.sleep(0.5)
            time.sleep(3)
            play = next(b for b in driver.find_elements(By.TAG_NAME, "button")
                        if b.text.strip() == "▶")
            play.click()
            clock = time.perf_counter()
            time.sleep(seconds)
            shown = month() or 0
            return shown / (time.perf_counter() - clock)
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--browser", action="store_true", help="also play in Chromium")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="how long to play in the browser (the run lasts 36 months)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent))
    print(f"model alone: {model_months_per_second():.1f} months/s")
    for interval in (1, 2, 3):
        print(f"app playing, a redraw every {interval} month(s): "
              f"{app_months_per_second(interval):.1f} months/s")
    if args.browser:
        print(f"browser, playing for {args.seconds:g} s: "
              f"{browser_months_per_second(args.seconds):.1f} months/s shown")


if __name__ == "__main__":
    main()
