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

import math
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter
from plotly.subplots import make_subplots

from sim import columns as col
from sim.errors import UserError
from sim.explore.controls import Control, antitrust_range
from sim.explore.session import ExploreModel, Explorer, compare_with_start, save_scenario
from sim.output import charts
from sim.output.palette import UNEMPLOYMENT_LABEL
from sim.output.replicates import format_differences
from sim.scenario import Scenario

PLAY_INTERVAL_MS = 10
"""Pause between months while playing (SolaraViz's default, 100 ms, caps play at 10
months a second before any work is done)."""
CHART_HEIGHT = 330
FONT = {"size": 11}


# --------------------------------------------------------------------------- figures


def _layout(fig: go.Figure, title: str, height: int = CHART_HEIGHT) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 13}}, height=height,
                      margin={"l": 50, "r": 10, "t": 40, "b": 40}, template="plotly_white",
                      font=FONT, legend={"font": {"size": 9}}, uirevision="keep")
    return fig


def _mode(tables: charts.RunTables) -> str:
    """Lines, or markers while there is one month (a line of one point is invisible)."""
    return "lines" if tables.month > 0 else "markers"


def tier_share_figure(tables: charts.RunTables) -> go.Figure:
    """Named firms' share of each tier over time, one panel per tier."""
    frame = charts.tier_shares(tables)
    frame = frame[frame[charts.LABEL] != UNEMPLOYMENT_LABEL]
    tiers = list(tables.tiers)
    fig = make_subplots(rows=1, cols=len(tiers), subplot_titles=tiers, shared_yaxes=True)
    for k, tier in enumerate(tiers):
        part = frame[frame[col.FLOW_TIER] == tier]
        for label, rows in part.groupby(charts.LABEL, sort=False):
            fig.add_trace(go.Scatter(
                x=rows[col.MONTH], y=rows[charts.SHARE], mode=_mode(tables), name=str(label),
                legendgroup=str(label), showlegend=k == 0,
                line={"color": tables.labels.colours[str(label)], "width": 1.5},
                marker={"color": tables.labels.colours[str(label)]}),
                row=1, col=k + 1)
    fig.update_yaxes(title_text="share of the tier (%)", row=1, col=1)
    fig.update_xaxes(range=[0, tables.months])
    fig.update_xaxes(title_text="month")
    return _layout(fig, "Share of each tier by firm (all engineers of the tier, employed "
                   "or not)")


def pay_figure(tables: charts.RunTables) -> go.Figure:
    """Pay of each tier by firm over time, one panel per tier (log scale)."""
    frame = charts.pay_by_firm(tables)
    tiers = [t for t in tables.tiers if t in set(frame[col.FLOW_TIER])]
    titles = [f"{t} ({frame.loc[frame[col.FLOW_TIER] == t, charts.STATISTIC].iloc[0]})"
              for t in tiers]
    fig = make_subplots(rows=1, cols=max(len(tiers), 1), subplot_titles=titles)
    for k, tier in enumerate(tiers):
        part = frame[frame[col.FLOW_TIER] == tier]
        for label, rows in part.groupby(charts.LABEL, sort=False):
            fig.add_trace(go.Scatter(
                x=rows[col.MONTH], y=rows[charts.PAY], mode=_mode(tables), name=str(label),
                legendgroup=str(label), showlegend=False,
                line={"color": tables.labels.colours[str(label)], "width": 1.5},
                marker={"color": tables.labels.colours[str(label)]}),
                row=1, col=k + 1)
    fig.update_yaxes(type="log", tickprefix="$")
    fig.update_xaxes(range=[0, tables.months])
    fig.update_xaxes(title_text="month")
    return _layout(fig, "Pay by firm ($ a year; median, or mean where no median is kept; "
                   "colours as above)")


def gpu_figure(tables: charts.RunTables) -> go.Figure:
    """GPU stock of each firm against its share of the employed top tier, now, with the
    GPU threshold (log x; a firm without GPUs at 1)."""
    frame = charts.gpu_and_top_share(tables)
    fig = go.Figure()
    for label, rows in frame.groupby(charts.LABEL, sort=False):
        named = label != tables.labels.rest
        fig.add_trace(go.Scatter(
            x=rows[col.GPUS].clip(lower=1), y=rows[charts.TOP_SHARE], name=str(label),
            mode="markers+text" if named else "markers",
            text=rows[col.FIRM] if named else None, textposition="top center",
            textfont={"size": 9, "color": tables.labels.colours[str(label)]},
            customdata=rows[[col.FIRM, col.GPUS]],
            hovertemplate="%{customdata[0]}: %{customdata[1]:,.0f} GPUs, %{y:.1f}%"
                          "<extra></extra>",
            marker={"color": tables.labels.colours[str(label)], "size": 9 if named else 6}))
    fig.add_vline(x=tables.threshold, line_dash="dot", line_color="grey",
                  annotation_text=f"threshold {tables.threshold:,.0f}",
                  annotation_font_size=10)
    fig.update_xaxes(type="log", title_text="GPU stock (H100s, log scale)")
    fig.update_yaxes(title_text=f"share of employed {tables.tiers[0]} (%)")
    return _layout(fig, f"GPUs against top-tier share, month {tables.month}")


FORM_SYMBOLS = {"acquisition": "circle", "license_and_hire": "square"}


def deals_figure(tables: charts.RunTables) -> go.Figure:
    """Deals by month and buyer: marker shape the form, filled if done, open if blocked;
    its size grows with the engineers moved."""
    frame = charts.deal_timeline(tables)
    fig = go.Figure()
    for (form, status), rows in frame.groupby([col.DEAL_FORM, charts.STATUS], sort=False):
        symbol = FORM_SYMBOLS.get(str(form), "diamond") + ("-open" if status == "blocked"
                                                            else "")
        fig.add_trace(go.Scatter(
            x=rows[col.MONTH], y=rows[col.DEAL_BUYER], mode="markers",
            name=f"{form} ({status})",
            marker={"symbol": symbol, "size": 8 + 2 * rows[col.DEAL_ENGINEERS_MOVED].clip(
                upper=50).pow(0.5), "color": [tables.labels.colours.get(
                    tables.labels.label(b), "#555") for b in rows[col.DEAL_BUYER]]},
            customdata=rows[[col.DEAL_TARGET, col.DEAL_PRICE, col.DEAL_ENGINEERS_MOVED]],
            hovertemplate="%{y} takes %{customdata[0]} for $%{customdata[1]:,.0f} "
                          "(%{customdata[2]} engineers)<extra></extra>"))
    fig.update_xaxes(title_text="month", range=[0, tables.months + 0.5])
    title = "Deals (none yet)" if frame.empty else f"Deals ({len(frame)} so far)"
    return _layout(fig, title, height=260)


def counter_offer_rows(tables: charts.RunTables) -> str:
    """The counter-offers and moves table as HTML rows (one per firm, data-firm=name)."""
    table = charts.counter_offers_and_moves(tables)
    head = ("<tr><th>firm</th><th>policy</th><th>counter-offers</th><th>accepted</th>"
            "<th>retention calls</th><th>kept</th><th>hires</th><th>quits</th>"
            "<th>headcount</th></tr>")
    rows = []
    for label, r in table.iterrows():
        colour = tables.labels.colours.get(str(label), "#000")
        cells = "".join(f"<td>{_count(r[c])}</td>" for c in (
            col.COUNTER_OFFERS, col.COUNTER_OFFERS_ACCEPTED, col.RETENTION_CALLS,
            col.RETENTION_KEPT, col.HIRES, col.QUITS, col.HEADCOUNT))
        rows.append(f'<tr data-firm="{escape(str(label))}"><td style="color:{colour}">'
                    f"&#9632; {escape(str(label))}</td><td class='policy'>"
                    f"{escape(str(r[col.COUNTER_OFFER_POLICY]))}</td>{cells}</tr>")
    return head + "".join(rows)


def _count(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else \
        f"{float(value):,.0f}"


# --------------------------------------------------------------------------- components


TABLE_STYLE = ("font-size: 12px; border-collapse: collapse; width: 100%;")


@solara.component
def Figure(fig: go.Figure) -> None:
    """A plotly figure (a Jupyter widget; its JavaScript comes with the plotly package)."""
    solara.FigurePlotly(fig)


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
                ControlInput(control, explorer.value(control),
                             lambda v, k=control.key: change(k, v), high)
    with solara.Card("Firms: counter-offer policy and outreach"):
        for control in explorer.controls:
            if control.key.startswith("firms."):
                ControlInput(control, explorer.value(control),
                             lambda v, k=control.key: change(k, v))


@solara.component
def Views(model: ExploreModel, explorer: Explorer, save_dir: Path) -> None:
    """What the model shows now: the month, the five views, the scenario's actions."""
    update_counter.get()  # drawn again after every step SolaraViz's controller makes
    tables = charts.RunTables.from_model(model)
    spec = model.spec
    with solara.Column(style="padding: 8px;"):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f'<b id="talentwar-month">Month {model.steps} of {spec.months}</b> '
            f"({tables.date(model.steps)}) · {spec.market.engineers:,} engineers · seed "
            f"{spec.seed} · changed from the start: {escape(explorer.describe())}"))
        Figure(tier_share_figure(tables))
        with solara.Columns([1, 1]):
            Figure(pay_figure(tables))
            Figure(gpu_figure(tables))
        with solara.Columns([1, 1]):
            with solara.Column():
                Figure(deals_figure(tables))
                ScenarioActions(explorer, save_dir)
            with solara.Column():
                solara.Text(f"Counter-offers and moves, months 1-{tables.month} "
                            "(policy: now)", style="font-weight: bold;")
                solara.HTML(tag="table", unsafe_innerHTML=counter_offer_rows(tables),
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
    """The app of one explorer as a Solara element (a page, or a notebook cell's output)."""
    return ExplorePage(explorer, Path(save_dir) if save_dir is not None else Path.cwd())


@solara.component
def ExplorePage(explorer: Explorer, save_dir: Path) -> None:
    """The app: SolaraViz's model controller (step, play, reset; play and render
    intervals) and the scenario's controls in the sidebar, the views beside them."""
    first = solara.use_memo(lambda: ExploreModel(explorer), [])
    model = solara.use_reactive(first)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
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
