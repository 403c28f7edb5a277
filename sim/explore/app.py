"""The live app: Mesa's SolaraViz on the talent market, with controls, views and actions.

Mesa's SolaraViz gives the page its model controller (step, play, pause, reset; a reset
builds the model class again from its parameters) and its redraw after every step; this
module adds:

- the controls (:mod:`sim.explore.controls`), in the sidebar: a change rebuilds the model
  from the new settings, as a reset does; a value the schema refuses is shown, not used;
- the views, each drawn from one chart-data function of :mod:`sim.output.charts` in the
  firms' colours of every plot (:mod:`sim.output.palette`): named firms' share of each tier
  over time, pay by firm, GPU stock against top-tier share with the threshold, the deals
  timeline, counter-offers and moves;
- "Save as scenario" and "Compare with the start" (:mod:`sim.explore.session`).

The same components render in Jupyter: ``explore_page(Explorer.load(path))`` is a Solara
element a notebook cell displays. The page uses no component that fetches files from a
CDN (Solara's Markdown loads KaTeX from one): every file it needs is served by the
``solara-assets`` package (see :mod:`sim.explore.server`).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sim.errors import UserError
from sim.explore import figures
from sim.explore.controls import Control, antitrust_range
from sim.explore.session import ExploreModel, Explorer, compare_with_start, save_scenario
from sim.output.replicates import format_differences
from sim.scenario import Scenario

PLAY_INTERVAL_MS = 10
"""Pause between redraws while playing (SolaraViz's default, 100 ms, caps play at 10
redraws a second before any work is done)."""
REDRAW_MONTHS = 3
"""Months between redraws while playing (SolaraViz's render interval): drawing the views
costs several months of the model (benchmarks/bench_explore.py)."""


TABLE_STYLE = ("font-size: 12px; border-collapse: collapse; width: 100%;")


CHART_HEIGHTS = {"tier_share_figure": 330, "pay_figure": 300, "gpu_figure": 300,
                 "deals_figure": 260}


@solara.component
def Chart(option: figures.Option, height: int) -> Any:
    """An ECharts chart (its JavaScript is served by ``solara-assets``) under its title,
    written as text on the page."""
    heading, drawn = figures.split_title(option)
    with solara.Column(gap="0px") as column:
        solara.Text(heading, style="font-weight: bold; font-size: 13px;",
                    classes=["chart-title"])
        solara.FigureEcharts(option=drawn, attributes={"style": f"height: {height}px;"},
                             responsive=True)
    return column


@solara.component
def ControlInput(control: Control, value: Any, on_value: Callable[[Any], None],
                 high: float | None = None) -> None:
    """One control: a slider, a set of toggle buttons or a checkbox."""
    if control.kind == "choice":
        with solara.Row(style="align-items: center; flex-wrap: wrap;"):
            solara.Text(control.label, style="font-size: 13px; min-width: 9em;")
            solara.ToggleButtonsSingle(
                value=value, values=list(control.choices), on_value=on_value, dense=True,
                classes=[f"control-{control.key.replace('.', '-')}"])
    elif control.kind == "bool":
        solara.Checkbox(label=control.label, value=bool(value), on_value=on_value)
    elif control.kind == "int":
        solara.SliderInt(control.label, value=int(value), min=int(control.low or 0),
                         max=int(high if high is not None else control.high or 0),
                         step=int(control.step or 1), on_value=on_value)
    else:
        solara.SliderFloat(control.label, value=float(value), min=float(control.low or 0),
                           max=float(high if high is not None else control.high or 0),
                           step=float(control.step or 0.1), on_value=on_value)


def _setter(change: Callable[[str, Any], None], key: str) -> Callable[[Any], None]:
    """``change(key, value)`` as a function of the value."""
    return lambda value: change(key, value)


@solara.component
def Controls(explorer: Explorer, model: solara.Reactive[ExploreModel]) -> None:
    """The scenario's controls: a change builds the model again from month 0 with the new
    settings (as SolaraViz's reset does); a value the schema refuses is shown, not used."""
    error = solara.use_reactive("")

    def change(key: str, value: Any) -> None:
        if value == explorer.current_value(key):
            return
        try:
            explorer.change(key, value)
        except UserError as err:
            error.value = str(err)
            return
        error.value = ""
        model.value = ExploreModel(explorer)

    with solara.Card("Scenario settings"):
        solara.Text("A change starts the model again from month 0 with the new settings "
                    "(each bounded by the scenario schema).", style="font-size: 12px;")
        if error.value:
            solara.Error(error.value)
        rule = explorer.current.antitrust.rule
        for control in explorer.controls:
            if not control.key.startswith("firms."):
                high = antitrust_range(rule) if control.key == "antitrust.threshold" else None
                ControlInput(control, explorer.value(control), _setter(change, control.key),
                             high)
    with solara.Card("Firms: counter-offer policy and outreach"):
        for control in explorer.controls:
            if control.key.startswith("firms."):
                ControlInput(control, explorer.value(control), _setter(change, control.key))


@solara.component
def Views(model: ExploreModel, explorer: Explorer, save_dir: Path) -> None:
    """What the model shows now: the month, the five views, the scenario's actions."""
    update_counter.get()  # drawn again after every step SolaraViz's controller makes
    tables = model.tables()
    spec = model.spec
    with solara.Column(style="padding: 8px;"):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f'<b id="talentwar-month">Month {model.steps} of {spec.months}</b> '
            f"({tables.date(model.steps)}) · {spec.market.engineers:,} engineers · seed "
            f"{spec.seed} · changed from the start: {escape(explorer.describe())}"))
        Chart(figures.tier_share_figure(tables), CHART_HEIGHTS['tier_share_figure'])
        with solara.Columns([1, 1]):
            Chart(figures.pay_figure(tables), CHART_HEIGHTS['pay_figure'])
            Chart(figures.gpu_figure(tables), CHART_HEIGHTS['gpu_figure'])
        with solara.Columns([1, 1]):
            with solara.Column():
                Chart(figures.deals_figure(tables), CHART_HEIGHTS['deals_figure'])
                ScenarioActions(explorer, save_dir)
            with solara.Column():
                solara.Text(f"Counter-offers and moves, months 1-{tables.month} "
                            "(policy: now)", style="font-weight: bold;")
                solara.HTML(tag="table", unsafe_innerHTML=figures.counter_offer_rows(tables),
                            style=TABLE_STYLE, classes=["counter-offers"])


@solara.component
def ScenarioActions(explorer: Explorer, save_dir: Path) -> None:
    """Save the settings as a scenario file; compare them with the start."""
    default = save_dir / f"{explorer.base.name}-explore.toml"
    path = solara.use_reactive(str(default))
    saved = solara.use_reactive("")
    comparison = solara.lab.use_task(lambda: format_differences(compare_with_start(explorer)),
                                     dependencies=None)

    def save() -> None:
        try:
            written = save_scenario(explorer, Path(path.value))
        except UserError as err:
            saved.value = f"Not saved: {err}"
            return
        saved.value = f"Saved {written}: run it with talentwar run {written}"

    with solara.Card("Scenario"):
        solara.InputText("scenario file to write", value=path, continuous_update=True)
        with solara.Row():
            solara.Button("Save as scenario", on_click=save, color="primary",
                          classes=["save-scenario"])
            solara.Button("Compare with the start", on_click=lambda: comparison(),
                          disabled=comparison.pending, classes=["compare-start"])
        if saved.value:
            solara.Text(saved.value, classes=["saved-message"])
        if comparison.pending:
            solara.Text("Running paired replicates of the start and of now...")
            solara.ProgressLinear(True)
        elif comparison.error:
            solara.Error(f"Comparison failed: {comparison.exception}")
        elif comparison.finished and comparison.value:
            solara.Text("Now minus the start, mean over replicates paired by seed, 95% "
                        "interval; (≈ 0): not distinguishable from zero")
            solara.HTML(tag="pre", unsafe_innerHTML=escape(comparison.value),
                        style="font-size: 11px;", classes=["comparison"])


def explore_page(explorer: Explorer, save_dir: Path | None = None) -> Any:
    """The app of one explorer as a Solara element for a notebook cell (in Solara's app
    layout, which the server adds to a page by itself)."""
    page = ExplorePage(explorer, Path(save_dir) if save_dir is not None else Path.cwd())
    return solara.AppLayout(children=[page])


@solara.component
def ExplorePage(explorer: Explorer, save_dir: Path) -> None:
    """The app: SolaraViz's model controller (step, play, reset; play and render
    intervals) and the scenario's controls in the sidebar, the views beside them."""
    first: ExploreModel = solara.use_memo(lambda: ExploreModel(explorer), [])
    model: solara.Reactive[ExploreModel] = solara.use_reactive(first)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(REDRAW_MONTHS)
    threads = solara.use_reactive(False)
    with solara.AppBar():
        solara.AppBarTitle(f"talentwar explore: {explorer.base.name}")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(model, model_parameters={"explorer": explorer},
                            play_interval=play_interval, render_interval=render_interval,
                            use_threads=threads)
            solara.SliderInt("months per redraw", value=render_interval, min=1, max=12)
        Controls(explorer, model)
    Views(model.value, explorer, save_dir)


# What the server serves: set by sim.explore.server before it starts.
SCENARIO: tuple[Scenario, str] | None = None
SAVE_DIR = Path.cwd()


@solara.component
def Page() -> None:
    """The server's page: a fresh explorer of the configured scenario per browser tab."""
    base, source = SCENARIO if SCENARIO is not None else (None, "")
    explorer = solara.use_memo(lambda: Explorer(base, source) if base is not None else None,
                               [])
    if explorer is None:
        solara.Error("no scenario configured (start the app with talentwar explore)")
        return
    ExplorePage(explorer, SAVE_DIR)
