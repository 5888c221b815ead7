"""The Solara page of ``race-explore``: controls, headline numbers, figures and exports.

A thin layer over :mod:`race_cli.explorer.state` (validation, runs, exports) and
:mod:`race_cli.explorer.plots` (figures). Each browser session has its own settings
(Solara's module-level reactive values are per session); all sessions share
one :class:`race_cli.explorer.state.Runner`, so a run computed once (the baseline) is
reused by everybody. Runs happen in a background thread; when settings change
faster than the model runs, superseded settings are skipped.
"""

from __future__ import annotations

import html
import os
import threading
from dataclasses import dataclass
from typing import Any

import solara

from analysis.metrics_info import format_number
from race_cli.explorer import plots, state
from sim.params import ParamError

#: Shared by every session: runs and caches simulations.
RUNNER = state.Runner(workers=int(os.environ["RACE_EXPLORE_WORKERS"])
                      if os.environ.get("RACE_EXPLORE_WORKERS") else None)

#: One computation at a time (2 cores); a waiting one is skipped when superseded.
_COMPUTE_LOCK = threading.Lock()

#: The five figures, shared by every session, updated in place and converted to SVG
#: while holding :data:`_COMPUTE_LOCK` (reusing them halves the drawing time).
PANELS = plots.Panels()


def _import_model() -> None:
    """Import the model (Mesa and friends, about a second) before the first page asks."""
    import sim.model  # noqa: F401


threading.Thread(target=_import_model, name="import-model", daemon=True).start()

#: Horizon the explorer starts with (``race-explore --horizon``), in months.
HORIZON = int(os.environ.get("RACE_EXPLORE_HORIZON", state.DEFAULT_HORIZON_MONTHS))

#: Other parameters given on the command line (``race-explore key=value``).
OVERRIDES = state.parse_overrides(os.environ.get("RACE_EXPLORE_OVERRIDES", ""))


def _initial() -> dict[str, Any]:
    """Return the settings the explorer starts with (also the default baseline)."""
    return state.initial_settings(HORIZON, OVERRIDES)


settings = solara.reactive(_initial())
baseline = solara.reactive(_initial())
pinned = solara.reactive(False)
replicates = solara.reactive(1)
seed = solara.reactive(state.DEFAULT_SEED)
extra_text = solara.reactive("")


@dataclass(frozen=True)
class Outcome:
    """What one update shows.

    Attributes:
        comparison: The runs, or ``None`` when the settings are invalid.
        figures: SVG images of the figures by name (empty when invalid).
        rows: Headline numbers (empty when invalid).
        error: One-line message of an invalid setting, else ``""``.
        current: Settings run, extra overrides included.
        base: Baseline settings run.
    """

    comparison: state.Comparison | None
    figures: dict[str, bytes]
    rows: list[state.HeadlineRow]
    error: str
    current: dict[str, Any]
    base: dict[str, Any]


def compute(snapshot: tuple, latest: list) -> Outcome | None:
    """Run the settings of ``snapshot`` against the baseline; ``None`` if superseded.

    Args:
        snapshot: ``(settings, baseline, replicates, seed, extra_text)`` as frozen tuples.
        latest: One-element list holding the newest snapshot of the session.

    Returns:
        The outcome, or ``None`` when a newer snapshot arrived while waiting.
    """
    with _COMPUTE_LOCK:
        if latest[0] != snapshot:
            return None
        current, base, reps, root, extra = snapshot
        current, base = dict(current), dict(base)
        try:
            current = {**current, **state.parse_overrides(extra)}
            comparison = state.compare(RUNNER, current, base, reps, root)
        except ParamError as exc:
            return Outcome(None, {}, [], str(exc).splitlines()[0], current, base)
        return Outcome(comparison, PANELS.svg(comparison), state.headline(comparison),
                       "", current, base)


#: Magnitude below which a headline number is printed as 0 (floating-point noise, such as
#: a growth rate of 6e-15 OOM/yr when capability does not move).
NOISE = 1e-9


def _cell(value: float, digits: int = 4) -> str:
    """Format a headline number for the table (``digits`` significant digits)."""
    if value != value:
        return "undefined"
    return "0" if abs(value) < NOISE else format_number(value, digits)


def headline_html(rows: list[state.HeadlineRow], seeds: int) -> str:
    """Return the headline table as HTML (rows carry ``data-metric`` for tests)."""
    head = ("<thead><tr><th>Outcome</th><th>Unit</th><th>Current</th><th>Baseline</th>"
            "<th>Difference</th>" + ("<th>Seeds higher / lower</th>" if seeds > 1 else "")
            + "</tr></thead>")
    body = []
    for row in rows:
        diff = _cell(row.difference, 3)
        if row.difference == row.difference and row.difference >= NOISE:
            diff = "+" + diff
        agree = f"<td>{row.higher} / {row.lower}</td>" if seeds > 1 else ""
        body.append(
            f'<tr data-metric="{row.metric}"><td>{html.escape(row.label)}</td>'
            f"<td>{html.escape(row.unit)}</td><td class='current'>{_cell(row.current)}</td>"
            f"<td class='baseline'>{_cell(row.baseline)}</td>"
            f"<td class='difference'>{diff}</td>{agree}</tr>")
    return head + "<tbody>" + "".join(body) + "</tbody>"


TABLE_STYLE = "border-collapse: collapse; font-size: 14px; width: 100%;"

#: Style of the headline table: numbers right-aligned, rows separated.
CSS = """
.explorer-headline th, .explorer-headline td {padding: 3px 10px; border-bottom: 1px solid #ddd;}
.explorer-headline th {text-align: right; background: #f4f4f4;}
.explorer-headline th:first-child, .explorer-headline td:first-child {text-align: left;}
.explorer-headline td {text-align: right; font-variant-numeric: tabular-nums;}
.explorer-headline td:nth-child(2) {color: #555;}
"""


def _describe(values: dict[str, Any]) -> str:
    """Return the settings that differ from the explorer's defaults, for people."""
    defaults = _initial()
    diff = {k: v for k, v in values.items() if defaults.get(k, object()) != v}
    if not diff:
        return "the explorer's defaults"
    return ", ".join(f"{k}={state.format_value(v)}" for k, v in diff.items())


@solara.component
def LeverControl(lever: state.Lever) -> None:
    """A slider or a switch for one lever, its value and unit in the label."""
    value = settings.value[lever.key]

    def set_value(new: Any) -> None:
        settings.value = {**settings.value, lever.key: new}

    unit = state.display_unit(lever)
    if lever.kind == "bool":
        with solara.Tooltip(lever.help):
            solara.Switch(label=f"{lever.label}: {'on' if value else 'off'}", value=value,
                          on_value=set_value)
        return
    lo, hi = lever.bounds()
    text = format_number(value) if lever.kind == "float" else str(value)
    label = f"{lever.label}: {text}" + (f" {unit}" if unit else "")
    with solara.Tooltip(lever.help):
        if lever.kind == "int":
            solara.SliderInt(label, value=int(value), min=int(lo), max=int(hi),
                             step=int(lever.step), on_value=set_value, thumb_label=False)
        else:
            solara.SliderFloat(label, value=float(value), min=float(lo), max=float(hi),
                               step=float(lever.step), on_value=set_value, thumb_label=False)


@solara.component
def Controls() -> None:
    """The sidebar: levers, seeds, extra overrides and the baseline buttons."""
    solara.Markdown("### Levers")
    for lever in state.LEVERS:
        LeverControl(lever)
    solara.Markdown("### Seeds")
    solara.SliderInt(f"Replicates (seeds): {replicates.value}", value=replicates,
                     min=1, max=state.MAX_REPLICATES, thumb_label=False)
    solara.InputInt("Root seed", value=seed)
    solara.InputText("More overrides (key=value ..., Enter to apply)", value=extra_text)
    solara.Markdown("### Baseline")

    def pin() -> None:
        current = {**settings.value, **_safe_extra()}
        baseline.value = current
        pinned.value = True

    def unpin() -> None:
        baseline.value = _initial()
        pinned.value = False

    def reset() -> None:
        settings.value = _initial()
        extra_text.value = ""

    with solara.Row():
        solara.Button("Pin current as baseline", on_click=pin, outlined=True)
        solara.Button("Defaults as baseline", on_click=unpin, outlined=True,
                      disabled=not pinned.value)
    solara.Button("Reset levers", on_click=reset, text=True)


def _safe_extra() -> dict[str, Any]:
    """Return the extra overrides, or none when they do not parse (the page shows why)."""
    try:
        return state.parse_overrides(extra_text.value)
    except ParamError:
        return {}


@solara.component
def Figure(svg: bytes) -> None:
    """One figure, as the SVG image drawn with the results (unchanged bytes are not resent)."""
    solara.Image(svg, format="svg+xml")


@solara.component
def Exports(outcome: Outcome) -> None:
    """The override line and the experiment file of the current settings."""
    line = state.override_line(outcome.current, replicates.value, seed.value)
    text = state.experiment_yaml(outcome.current, outcome.base, replicates.value, seed.value)
    solara.Markdown("### Export")
    solara.Markdown("Run the current settings from a shell:")
    solara.HTML(tag="pre", unsafe_innerHTML=html.escape(line), classes=["explorer-override"],
                style="white-space: pre-wrap; background: #f4f4f4; padding: 8px;")
    solara.Markdown("Or run them against the baseline as an experiment "
                    "(`race-experiment explorer_settings.yaml`):")
    solara.FileDownload(text, filename=f"{state.EXPORT_NAME}.yaml",
                        label="Download experiment file", mime_type="text/yaml")
    with solara.Details("Show the experiment file"):
        solara.HTML(tag="pre", unsafe_innerHTML=html.escape(text),
                    classes=["explorer-experiment"], style="font-size: 12px;")


@solara.component
def Results(outcome: Outcome, busy: bool) -> None:
    """Headline numbers and figures of one outcome."""
    comparison = outcome.comparison
    assert comparison is not None
    n = len(comparison.seeds)
    reused = 2 * n - comparison.simulated
    simulated = (f"{comparison.simulated} new run{'s' if comparison.simulated != 1 else ''}, "
                 f"{reused} reused from the cache or identical settings")
    status = (f"{'Updating... ' if busy else ''}Computed in {comparison.seconds:.2f} s "
              f"({simulated}); seeds {comparison.seeds[0]}"
              + (f"-{comparison.seeds[-1]}" if n > 1 else "") + ", same for both.")
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(status), classes=["explorer-status"],
                style="color: #555; font-size: 13px;")
    solara.HTML(tag="table", unsafe_innerHTML=headline_html(outcome.rows, n),
                classes=["explorer-headline"], style=TABLE_STYLE)
    figures = outcome.figures
    with solara.Columns([1, 1]):
        Figure(figures["capability"])
        Figure(figures["safety"])
    with solara.Columns([1, 1]):
        Figure(figures["concentration"])
        Figure(figures["flows"])
    with solara.Columns([1, 1]):
        Figure(figures["money"])
        Exports(outcome)


@solara.component
def Page() -> None:
    """The explorer page."""
    solara.Title("race-sim explorer")
    solara.Style(CSS)
    snapshot = (tuple(settings.value.items()), tuple(baseline.value.items()), replicates.value,
                seed.value, extra_text.value)
    latest = solara.use_memo(lambda: [None], [])
    latest[0] = snapshot
    shown, set_shown = solara.use_state(None)

    def work() -> Outcome | None:
        outcome = compute(snapshot, latest)
        if outcome is not None:
            set_shown(outcome)
        return outcome

    result = solara.use_thread(work, dependencies=[snapshot], intrusive_cancel=False)
    busy = result.state == solara.ResultState.RUNNING
    with solara.Sidebar():
        Controls()
    base_text = _describe(baseline.value) if pinned.value else "the explorer's defaults"
    solara.Markdown(
        "## race-sim explorer\n"
        f"Current settings (**{_describe(settings.value)}**) against the baseline "
        f"(**{base_text}**), same seeds and horizon. Blue: current; grey: baseline. "
        "Hover a control for what it does; docs/explorer.md explains each.")
    if result.state == solara.ResultState.ERROR:
        solara.Error(f"Internal error: {str(result.error).splitlines()[0]}",
                     classes=["explorer-error"])
    if shown is None:
        solara.Info("Running the model for the first time (current settings and baseline)...")
        return
    if shown.error:
        solara.Error(shown.error, classes=["explorer-error"])
        return
    Results(shown, busy)
