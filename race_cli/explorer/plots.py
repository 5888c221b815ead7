"""Figures of the explorer: the current settings against the baseline, same seeds.

:class:`Panels` holds the five figures of the page, built once without pyplot
(no global state) and updated in place for each
:class:`race_cli.explorer.state.Comparison`: new data go into the existing
lines, bands and titles, so an update does not rebuild figures, axes, ticks
and legends, which took about half of the drawing time. The lab lines of a
side are one :class:`~matplotlib.collections.LineCollection` instead of a
line per lab. :meth:`Panels.svg` converts them to SVG for the page. A
:class:`Panels` must be used by one thread at a time (the page draws under its
computation lock). The current settings are drawn in blue, the baseline in
grey; with several seeds a line is the median over seeds and the shaded band
the range over seeds.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.metrics_info import FLOW_KIND_LABELS, THRESHOLDS, format_number
from race_cli.explorer.state import Comparison
from sim.results import FLOW_KINDS, MONEY_ACCOUNTS

#: Title style. A fixed height (``y``) skips matplotlib's automatic title placement,
#: a pass over the tick labels' extents on every draw.
TITLE: dict[str, float] = {"fontsize": 10, "y": 1.0}

#: Settings for converting the figures to SVG: text stays text (the browser draws it)
#: instead of paths, which makes each update ~20% faster (:meth:`Panels.svg` applies them).
SVG_RC: dict[str, str] = {"svg.fonttype": "none"}

CURRENT = "#1f6fb4"
BASELINE = "#8a8a8a"
SIZE = (5.4, 3.2)

#: Employer kinds shown in the flow figure (entry and exit are not employers).
EMPLOYERS: tuple[str, ...] = ("academia", "lab", "startup", "hyperscaler")

#: Outside accounts that pay money into the industry, with names for people.
SOURCES: dict[str, str] = {"investors": "Investors", "customers": "Customers",
                           "government": "Government",
                           "households": "Households (savings)"}

#: Pairs of employer kinds shown in the flow figure (the largest of all pairs).
MAX_FLOW_PAIRS = 8


#: Distance of the axis labels from the figure's bottom and left edges, in pixels. Fixed
#: positions spare matplotlib measuring every tick label again on each draw to place the
#: axis labels (about 15% of the drawing time); the tick labels fit in the margins.
EDGE_PX = 4

#: Space left beyond the data on each side of an axis, as a fraction of the data's span
#: (matplotlib's default autoscale margin).
MARGIN = 0.05

#: Figure names in display order, with the metric and the labels of the time-series panels.
SERIES: dict[str, tuple[str, str, str]] = {
    "safety": ("safety_share_mean", "Safety share of effort",
               "Safety share (capability-weighted) [share]"),
    "concentration": ("compute_hhi", "Compute concentration", "Compute HHI [index, 0-1]"),
}
NAMES: tuple[str, ...] = ("capability", "safety", "concentration", "flows", "money")


def _figure(left: float = 0.13) -> tuple[Figure, object]:
    """Return a new figure with one axes, in the explorer's size.

    Args:
        left: Left margin, as a fraction of the width (room for the y labels).
    """
    fig = Figure(figsize=SIZE, dpi=100)
    fig.subplots_adjust(left=left, right=0.97, top=0.91, bottom=0.15)
    ax = fig.add_subplot()
    ax.xaxis.set_label_coords(0.5 * (left + 0.97), EDGE_PX / (SIZE[1] * 100), fig.transFigure)
    ax.xaxis.label.set_verticalalignment("bottom")
    ax.yaxis.set_label_coords(EDGE_PX / (SIZE[0] * 100), 0.53, fig.transFigure)
    ax.yaxis.label.set_verticalalignment("top")
    return fig, ax


def _year_axis(ax: object) -> None:
    """Label the x axis in calendar years, ticks on whole years."""
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _years(run_steps: int, start_year: int) -> np.ndarray:
    """Return calendar time (decimal years) of the months of a run."""
    return start_year + np.arange(run_steps) / 12.0


def _span(low: float, high: float) -> tuple[float, float]:
    """Return ``(low, high)`` widened by :data:`MARGIN` of the span (1 around a single value)."""
    if not np.isfinite(low) or not np.isfinite(high):
        return 0.0, 1.0
    pad = MARGIN * (high - low) if high > low else 1.0
    return low - pad, high + pad


def _seed_note(comparison: Comparison) -> str:
    """Return how lines and bands summarise the seeds, for titles."""
    n = len(comparison.seeds)
    return f"median of {n} seeds, band: range" if n > 1 else f"seed {comparison.seeds[0]}"


def _mean_note(comparison: Comparison) -> str:
    """Return how bars summarise the seeds, for titles."""
    n = len(comparison.seeds)
    return f"mean of {n} seeds" if n > 1 else f"seed {comparison.seeds[0]}"


class _Band:
    """A median line over seeds and, with several seeds, the range as a shaded band."""

    def __init__(self, ax: object, color: str, label: str) -> None:
        self.line, = ax.plot([], [], color=color, lw=2.0, label=label)
        self.band = ax.fill_between([0.0, 1.0], [0.0, 0.0], [0.0, 0.0], color=color,
                                    alpha=0.2, lw=0)

    def update(self, x: np.ndarray, series: np.ndarray) -> None:
        """Show the median and range over the rows (seeds) of ``series``."""
        self.line.set_data(x, np.median(series, axis=0))
        self.band.set_visible(series.shape[0] > 1)
        self.band.set_data(x, series.min(axis=0), series.max(axis=0))


def _capability_panel() -> tuple[Figure, Callable[[Comparison], None]]:
    """Build the capability figure; return it and its update function.

    The figure shows the capability of every lab over calendar years (first
    seed) and the frontier (median and range over seeds), current against baseline.
    """
    fig, ax = _figure()
    sides = []
    for color, name in ((BASELINE, "baseline"), (CURRENT, "current")):
        style = "--" if name == "baseline" else "-"
        labs = LineCollection([], colors=color, linewidths=0.7, alpha=0.55, linestyles=style)
        ax.add_collection(labs, autolim=False)
        band = _Band(ax, color, f"{name}: frontier")
        ax.plot([], [], color=color, lw=0.7, ls=style, label=f"{name}: each lab")
        sides.append((labs, band))
    _year_axis(ax)
    ax.set_ylabel("Capability [log10 effective FLOP]")
    title = ax.set_title("", **TITLE)
    legend = ax.legend(fontsize=7, loc="upper left", ncol=2)

    def update(comparison: Comparison) -> None:
        first = comparison.current[0]
        x = _years(first.lab_capability.shape[0], first.start_year)
        shown = []
        for (labs, band), runs in zip(sides, (comparison.baseline, comparison.current),
                                              strict=True):
            per_lab = runs[0].lab_capability
            labs.set_segments([np.column_stack([x, column]) for column in per_lab.T])
            frontier = np.stack([r.lab_capability.max(axis=1) for r in runs])
            band.update(x, frontier)
            shown += [per_lab, frontier]
        seed = comparison.seeds[0]
        for text, name in zip(legend.get_texts()[1::2], ("baseline", "current"), strict=True):
            text.set_text(f"{name}: each lab (seed {seed})")
        values = np.concatenate([v.ravel() for v in shown])
        ax.set_xlim(*_span(x[0], x[-1]))
        ax.set_ylim(*_span(np.nanmin(values), np.nanmax(values)))
        title.set_text(f"Capability per lab ({_seed_note(comparison)})")

    return fig, update


def _series_panel(metric: str, name: str, ylabel: str
                  ) -> tuple[Figure, Callable[[Comparison], None]]:
    """Build the figure of a monthly metric over calendar years; return it and its update.

    Args:
        metric: Time-series metric (:data:`sim.TIMESERIES_METRICS`).
        name: Title (the seeds are added to it).
        ylabel: Axis label with unit.

    Returns:
        The figure and its update function; a dotted line marks the metric's
        threshold where one is defined (:data:`analysis.metrics_info.THRESHOLDS`).
    """
    fig, ax = _figure()
    bands = [_Band(ax, color, label) for color, label in ((BASELINE, "baseline"),
                                                           (CURRENT, "current"))]
    level = THRESHOLDS.get(metric)
    if level is not None:
        ax.axhline(level, color="#b33", lw=0.8, ls=":",
                   label=f"{format_number(level)}: highly concentrated")
    _year_axis(ax)
    ax.set_ylabel(ylabel)
    title = ax.set_title("", **TITLE)
    ax.legend(fontsize=8, loc="best")

    def update(comparison: Comparison) -> None:
        first = comparison.current[0]
        x = _years(first.timeseries[metric].size, first.start_year)
        top = level if level is not None else 0.0
        for band, runs in zip(bands, (comparison.baseline, comparison.current), strict=True):
            series = np.stack([r.timeseries[metric] for r in runs])
            band.update(x, series)
            top = max(top, float(np.nanmax(series)) if np.isfinite(series).any() else 0.0)
        ax.set_xlim(*_span(x[0], x[-1]))
        upper = _span(0.0, top)[1] if top > 0 else 1.0
        ax.set_ylim(-MARGIN * upper, upper)  # a series at 0 stays visible above the axis
        title.set_text(f"{name} ({_seed_note(comparison)})")

    return fig, update


def flow_rates(runs: Sequence[object]) -> np.ndarray:
    """Return researcher moves per year between kinds, mean over runs, shape ``(K, K)``.

    Args:
        runs: Results of one setting.

    Returns:
        ``[from_kind, to_kind]`` over :data:`sim.FLOW_KINDS`, in researchers/yr.
    """
    rates = [r.flows.sum(axis=0) / (r.lab_capability.shape[0] / 12.0) for r in runs]
    return np.mean(rates, axis=0)


def money_rates(runs: Sequence[object]) -> np.ndarray:
    """Return money paid in by each outside account, mean USD/yr over the run and runs."""
    rates = [r.money_flows[:, :, 1].sum(axis=0) / (r.lab_capability.shape[0] / 12.0)
             for r in runs]
    return np.mean(rates, axis=0)


#: Height of one bar, in units of the distance between two categories.
BAR_HEIGHT = 0.38

#: Room right of the longest bar for its value label, as a fraction of its length.
BAR_ROOM = 0.18


class _Bars:
    """Horizontal bar pairs (baseline above current) with value labels, updated in place.

    Holds ``slots`` pairs of bars and labels, created once; an update sets their
    lengths, positions and texts and hides the unused ones (creating bars with
    ``barh`` and ``bar_label`` took a sixth of the drawing time).
    """

    def __init__(self, ax: object, slots: int) -> None:
        self.ax = ax
        self.rows = []
        for _ in range(slots):
            pair = []
            for color in (BASELINE, CURRENT):
                bar = Rectangle((0.0, 0.0), 0.0, BAR_HEIGHT, color=color)
                ax.add_patch(bar)
                label = ax.annotate("", (0.0, 0.0), xytext=(2, 0), textcoords="offset points",
                                    fontsize=7, va="center", ha="left")
                pair.append((bar, label))
            self.rows.append(pair)

    def update(self, labels: Sequence[str], current: np.ndarray,
               baseline: np.ndarray) -> None:
        """Show one pair of bars per label (top to bottom), labelled with its values."""
        y = np.arange(len(labels))[::-1]
        for i, pair in enumerate(self.rows):
            shown = i < len(labels)
            for (bar, label), offset, values in zip(pair, (BAR_HEIGHT / 2, -BAR_HEIGHT / 2),
                                                    (baseline, current), strict=True):
                bar.set_visible(shown)
                label.set_visible(shown)
                if shown:
                    centre = y[i] + offset
                    bar.set_bounds(0.0, centre - BAR_HEIGHT / 2, values[i], BAR_HEIGHT)
                    label.xy = (values[i], centre)
                    label.set_text(format_number(values[i]))
        self.ax.set_yticks(y, labels, fontsize=8)
        top = max([*current, *baseline, 0.0])
        self.ax.set_xlim(0.0, top * (1.0 + BAR_ROOM) if top > 0 else 1.0)
        self.ax.set_ylim(-0.5 - BAR_HEIGHT / 2 * 0.6, len(labels) - 0.5 + BAR_HEIGHT / 2 * 0.6)


def _bar_panel(title: str, xlabel: str, slots: int,
               values: Callable[[Comparison], tuple]
               ) -> tuple[Figure, Callable[[Comparison], None]]:
    """Build a figure of bar pairs; return it and its update function.

    Args:
        title: Title (the seeds are added to it).
        xlabel: Axis label with unit.
        slots: Most pairs of bars shown.
        values: Comparison -> ``(labels, current values, baseline values)``.
    """
    fig, ax = _figure(left=0.31)
    bars = _Bars(ax, slots)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v)))
    ax.set_xlabel(xlabel)
    text = ax.set_title("", **TITLE)
    ax.legend([Patch(color=BASELINE), Patch(color=CURRENT)], ["baseline", "current"],
              fontsize=8, loc="lower right")

    def update(comparison: Comparison) -> None:
        bars.update(*values(comparison))
        text.set_text(f"{title} ({_mean_note(comparison)})")

    return fig, update


def flow_values(comparison: Comparison) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the largest flows between employers: labels, current and baseline rates."""
    cur, base = flow_rates(comparison.current), flow_rates(comparison.baseline)
    index = [FLOW_KINDS.index(k) for k in EMPLOYERS]
    pairs = [(a, b) for a in index for b in index]
    pairs.sort(key=lambda ab: -max(cur[ab], base[ab]))
    pairs = [ab for ab in pairs[:MAX_FLOW_PAIRS] if max(cur[ab], base[ab]) > 0]
    names = [f"{FLOW_KIND_LABELS[FLOW_KINDS[a]]} → {FLOW_KIND_LABELS[FLOW_KINDS[b]]}"
             for a, b in pairs]
    return names, np.array([cur[ab] for ab in pairs]), np.array([base[ab] for ab in pairs])


def money_values(comparison: Comparison) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return USD/yr paid into the industry by each outside account: current and baseline."""
    cur, base = money_rates(comparison.current), money_rates(comparison.baseline)
    index = [MONEY_ACCOUNTS.index(k) for k in SOURCES]
    return list(SOURCES.values()), cur[index], base[index]


class Panels:
    """The explorer's five figures, built once and updated in place for each comparison.

    Attributes:
        figures: Figure name -> figure, in display order (:data:`NAMES`).
    """

    def __init__(self) -> None:
        built = {"capability": _capability_panel()}
        for name, (metric, title, ylabel) in SERIES.items():
            built[name] = _series_panel(metric, title, ylabel)
        built["flows"] = _bar_panel("Moves between employers", "Moves [researchers/yr]",
                                    MAX_FLOW_PAIRS, flow_values)
        built["money"] = _bar_panel("Where the money comes from",
                                    "Paid into the AI industry [USD/yr, mean over the run]",
                                    len(SOURCES), money_values)
        self.figures: dict[str, Figure] = {name: built[name][0] for name in NAMES}
        self._updates = {name: built[name][1] for name in NAMES}

    def update(self, comparison: Comparison) -> dict[str, Figure]:
        """Show a comparison in every figure and return the figures by name."""
        for update in self._updates.values():
            update(comparison)
        return self.figures

    def svg(self, comparison: Comparison) -> dict[str, bytes]:
        """Show a comparison and return every figure as SVG (text left as text), by name.

        The SVG carries no date, so a figure that did not change gives the same
        bytes and the page does not send it to the browser again.
        """
        self.update(comparison)
        images = {}
        with matplotlib.rc_context(SVG_RC):
            for name, fig in self.figures.items():
                buffer = io.BytesIO()
                fig.savefig(buffer, format="svg", metadata={"Date": None})
                images[name] = buffer.getvalue()
        return images


def all_figures(comparison: Comparison) -> dict[str, Figure]:
    """Return every figure of the explorer for one comparison, newly built, by name."""
    return Panels().update(comparison)
