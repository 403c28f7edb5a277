"""Benchmark: simulated months a second of ``talentwar explore`` at its default size.

Usage::

    python benchmarks/bench_explore.py                   # the app's work, months 1-36
    python benchmarks/bench_explore.py --browser         # also: play in headless Chromium

The first figure is the app's own work per month while playing: the model's month plus
drawing every view again (chart data, chart options, the page's update), measured by
rendering the app's components without a server and pressing "Step" (SolaraViz's play
does the same, after a pause of ``PLAY_INTERVAL_MS``), at each "months per redraw"
(SolaraViz's render interval). ``--browser`` then serves the app, presses play in
headless Chromium (network blocked) and counts the months shown after a fixed time.
Target: at least 10 simulated months a second at the app's defaults (the flagship at
10,000 engineers, a redraw every month).
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


def app_months_per_second(render_interval: int) -> tuple[float, float]:
    """Months a second of stepping the rendered app over the flagship's 36 months, with
    and without the play pause; and the model's own months a second."""
    warnings.filterwarnings("ignore")
    import ipyvuetify as v
    import solara

    from sim.explore.app import PLAY_INTERVAL_MS, explore_page
    from sim.explore.session import Explorer

    explorer = Explorer.load(FLAGSHIP)
    _box, rc = solara.render(explore_page(explorer, Path.cwd()), handle_error=False)
    rc.find(v.Slider, label="months per redraw").widget.v_model = render_interval
    step = rc.find(v.Btn, children=["Step"]).widget
    clicks = 36 // render_interval
    clock = time.perf_counter()
    for _ in range(clicks):
        step.click()
    seconds = time.perf_counter() - clock
    rc.close()
    months = clicks * render_interval
    playing = months / (seconds + clicks * PLAY_INTERVAL_MS / 1000)
    return months / seconds, playing


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
        raw, playing = app_months_per_second(interval)
        print(f"app, a redraw every {interval} month(s): {raw:.1f} months/s of work, "
              f"{playing:.1f} months/s playing")
    if args.browser:
        print(f"browser, playing for {args.seconds:g} s: "
              f"{browser_months_per_second(args.seconds):.1f} months/s shown")


if __name__ == "__main__":
    main()
