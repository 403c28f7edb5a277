"""The live app: Mesa's SolaraViz on the talent market, with controls, views and actions.

Mesa's SolaraViz gives the page its redraw signal (``update_counter``, which its
controllers raise after a step); this module adds:

- the run controller (:func:`RunController`): reset, play and pause, and step, as Mesa's
  ``ModelController`` has them, but "Step" advances one month whatever the months per redraw
  (Mesa's steps as many months as it redraws after), and play redraws every
  ``REDRAW_MONTHS`` months;

- the controls (:mod:`sim.explore.controls`), in the sidebar: a change rebuilds the model
  from the new settings, as a reset does; a value the schema refuses is shown, not used;
- the views, each drawn from one chart-data function of :mod:`sim.output.charts` in the
  firms' colours of every plot (:mod:`sim.output.palette`): named firms' share of each tier
  over time, pay by firm, GPU stock against top-tier share with the threshold, the deals
  timeline, counter-offers and moves. The views of a model
  (:class:`sim.explore.figures.LiveViews`) compute the chart data of the new months only,
  and each chart (:class:`ChartWidget`) goes to the browser as one JSON text, drawn at the
  browser's next frame and only while it is on the screen;
- "Save as scenario" and "Compare with the start" (:mod:`sim.explore.session`).

The same components render in Jupyter: ``explore_page(Explorer.load(path))`` is a Solara
element a notebook cell displays. The page uses no component that fetches files from a
CDN (Solara's Markdown loads KaTeX from one): every file it needs is served by the
``solara-assets`` package (see :mod:`sim.explore.server`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import ipyvuetify
import reacton.ipyvuetify as rv
import solara
import solara.lab
import traitlets
from mesa.visualization.utils import force_update, update_counter

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
costs more than a month of the model (benchmarks/bench_explore.py). "Step" advances one
month."""


TABLE_STYLE = ("font-size: 12px; border-collapse: collapse; width: 100%;")
COLUMN_STYLE = "height: 100%; flex-grow: 1; overflow: auto"


CHART_HEIGHTS = {"tier_share_figure": 330, "pay_figure": 300, "gpu_figure": 300,
                 "deals_figure": 260}


class ChartWidget(ipyvuetify.VuetifyTemplate):
    """An ECharts chart under its heading (``chart.vue``), its option as two JSON texts.

    ``layout_json`` is the option without its series (axes, panels, legend),
    ``series_json`` the series: while the layout stays the same, only the series go to
    the browser, which replaces the chart's series and keeps the rest. Being text, the
    option is compared as a string and sent without checking each value; the browser
    draws it at its next frame, and only while the chart is on the screen (ECharts from
    ``solara-assets``, as Solara's own chart loads it).
    """

    template_file = (__file__, "chart.vue")
    heading = traitlets.Unicode("").tag(sync=True)
    layout_json = traitlets.Unicode("{}").tag(sync=True)
    series_json = traitlets.Unicode("[]").tag(sync=True)
    height = traitlets.Int(300).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        """Where ECharts comes from, as Solara's own chart has it: the page's own address
        when Solara serves its assets (``None``), else Solara's configured CDN."""
        import solara.settings

        return None if solara.settings.assets.proxy else str(solara.settings.assets.cdn)


def chart_traits(option: figures.Option) -> dict[str, str]:
    """A chart's heading (its title, written on the page), its layout and its series as
    :class:`ChartWidget` takes them."""
    heading, drawn = figures.split_title(option)
    layout = {k: v for k, v in drawn.items() if k != "series"}
    return {"heading": heading, "layout_json": json.dumps(layout, separators=(",", ":")),
            "series_json": json.dumps(drawn.get("series", []), separators=(",", ":"))}


@solara.component
def RunController(model: solara.Reactive[ExploreModel], explorer: Explorer,
                  redraw_months: solara.Reactive[int],
                  play_interval_ms: int = PLAY_INTERVAL_MS) -> None:
    """Reset, play or pause, and step, as Mesa's ``ModelController`` (and its buttons'
    labels), except that "Step" advances one month whatever ``redraw_months``.

    Playing runs in a thread: it pauses ``play_interval_ms``, steps ``redraw_months``
    months (fewer at the horizon, or if paused meanwhile) and redraws the views, until
    paused or the model stops running. A reset builds the model again from the explorer's
    settings of now.
    """
    playing = solara.use_reactive(False)
    # The buttons follow the model's running state: this is the last model that stopped,
    # which changes when a model stops, not on every step (which would render the
    # controller again each month).
    stopped: solara.Reactive[ExploreModel | None] = solara.use_reactive(None)
    running = model.value.running
    error = solara.use_reactive("")

    def play() -> None:
        try:
            while playing.value and model.value.running:
                time.sleep(play_interval_ms / 1000)
                current = model.value
                for _ in range(max(int(redraw_months.value), 1)):
                    if not (playing.value and current.running):
                        break
                    current.step()
                force_update()
                if not current.running:
                    stopped.value = current
        except Exception as err:  # shown on the page, as Mesa's controller shows it
            error.value = f"error in step: {err}"
        playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def step() -> None:
        current = model.value
        if current.running:
            current.step()
            force_update()
        if not current.running:
            stopped.value = current

    def reset() -> None:
        playing.value = False
        error.value = ""
        model.value = ExploreModel(explorer)

    stopped.get()
    with solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(label="❚❚" if playing.value else "▶", color="primary",
                      on_click=lambda: playing.set(not playing.value),
                      disabled=not running)
        solara.Button(label="Step", color="primary", on_click=step,
                      disabled=playing.value or not running)
    if error.value:
        solara.Error(error.value)


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


def drawing(model: ExploreModel, explorer: Explorer, live: figures.LiveViews
            ) -> dict[str, Any]:
    """What the views show of ``model`` now: the month line, each chart's traits
    (:func:`chart_traits`), the counter-offers table's heading and rows."""
    tables = model.tables()
    spec = model.spec
    return {
        "month": (f'<b id="talentwar-month">Month {tables.month} of {spec.months}</b> '
                  f"({tables.date(tables.month)}) · {spec.market.engineers:,} engineers · "
                  f"seed {spec.seed} · changed from the start: "
                  f"{escape(explorer.describe())}"),
        "tier_share_figure": chart_traits(live.tier_share_figure(tables)),
        "pay_figure": chart_traits(live.pay_figure(tables)),
        "gpu_figure": chart_traits(figures.gpu_figure(tables)),
        "deals_figure": chart_traits(figures.deals_figure(tables)),
        "table_heading": f"Counter-offers and moves, months 1-{tables.month} (policy: now)",
        "table": live.counter_offer_rows(tables),
    }


def view_widgets() -> dict[str, Any]:
    """The widgets the views draw into: the month line, the four charts, the
    counter-offers table's heading and rows (filled by :func:`redraw`)."""
    return {
        "month": solara.widgets.HTML(tag="div"),
        **{name: ChartWidget(height=height) for name, height in CHART_HEIGHTS.items()},
        "table_heading": solara.widgets.HTML(tag="div",
                                             attributes={"style": "font-weight: bold;"}),
        "table": solara.widgets.HTML(tag="table", attributes={
            "style": TABLE_STYLE, "class": "counter-offers"}),
    }


def redraw(widgets: dict[str, Any], model: ExploreModel, explorer: Explorer,
           live: figures.LiveViews) -> None:
    """Set the views' widgets to what ``model`` shows now (:func:`drawing`); a widget
    sends the browser only the values that changed."""
    drawn = drawing(model, explorer, live)
    widgets["month"].unsafe_innerHTML = drawn["month"]
    widgets["table_heading"].unsafe_innerHTML = escape(drawn["table_heading"])
    widgets["table"].unsafe_innerHTML = drawn["table"]
    for name in CHART_HEIGHTS:
        with widgets[name].hold_sync():
            for trait, value in drawn[name].items():
                setattr(widgets[name], trait, value)


@solara.component
def Views(model: ExploreModel, explorer: Explorer, save_dir: Path) -> None:
    """What the model shows now: the month, the five views, the scenario's actions.

    The views are widgets of this component's own (:func:`view_widgets`), drawn again
    after each step the run controller asks for (``update_counter``) by setting their
    values (:func:`redraw`): no component is rendered again, and only the values that
    changed go to the browser.
    """
    live = solara.use_memo(figures.LiveViews, [model])
    shown = solara.use_memo(view_widgets, [])

    def connect() -> Callable[[], None]:
        redraw(shown, model, explorer, live)
        return update_counter.subscribe(lambda _counter: redraw(shown, model, explorer, live))

    solara.use_effect(connect, [model])
    def closing() -> Callable[[], None]:
        def close() -> None:
            for widget in shown.values():
                widget.close()
        return close

    solara.use_effect(closing, [])
    with solara.Column(style="padding: 8px;"):
        solara.Column(children=[shown["month"], shown["tier_share_figure"]], gap="0px")
        with rv.Row():  # two columns, as solara.Columns lays them out
            for name in ("pay_figure", "gpu_figure"):
                rv.Col(style_=COLUMN_STYLE, children=[shown[name]])
        with rv.Row():
            with rv.Col(style_=COLUMN_STYLE):
                solara.Column(children=[shown["deals_figure"]])
                ScenarioActions(explorer, save_dir)
            rv.Col(style_=COLUMN_STYLE, children=[shown["table_heading"], shown["table"]])


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
    """The app: the run controller (step, play, reset; months per redraw while playing)
    and the scenario's controls in the sidebar, the views beside them."""
    first: ExploreModel = solara.use_memo(lambda: ExploreModel(explorer), [])
    model: solara.Reactive[ExploreModel] = solara.use_reactive(first)
    redraw_months = solara.use_reactive(REDRAW_MONTHS)
    with solara.AppBar():
        solara.AppBarTitle(f"talentwar explore: {explorer.base.name}")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            RunController(model, explorer, redraw_months)
            solara.SliderInt("months per redraw while playing", value=redraw_months, min=1,
                             max=12)
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
