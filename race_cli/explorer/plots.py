"""Figures of the explorer: the current settings against the baseline, same seeds.

Each function takes a :class:`race_cli.explorer.state.Comparison` and returns a
matplotlib :class:`~matplotlib.figure.Figure` built without pyplot (no global
state, safe in the server's threads). The current settings are drawn in blue,
the baseline in grey; with several seeds a line is the median over seeds and
the shaded band the range over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.metrics_info import FLOW_KIND_LABELS, THRESHOLDS, format_number
from race_cli.explorer.state import Comparison
from sim.results import FLOW_KINDS, MONEY_ACCOUNTS

#: Title style. A fixed height (``y``) skips matplotlib's automatic title placement,
#: a pass over the tick labels' extents on every draw.
TITLE: dict[str, float] = {"fontsize": 10, "y": 1.0}

#: Settings for converting the figures to SVG: text stays text (the browser draws it)
#: instead of paths, which makes each update ~20% faster. The page applies them.
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


def _figure(left: float = 0.13) -> tuple[Figure, object]:
    """Return a new figure with one axes, in the explorer's size.

    Args:
        left: Left margin, as a fraction of the width (room for the y labels).
    """
    fig = Figure(figsize=SIZE, dpi=100)
    fig.subplots_adjust(left=left, right=0.97, top=0.91, bottom=0.15)
    return fig, fig.add_subplot()


def _year_axis(ax: object) -> None:
    """Label the x axis in calendar years, ticks on whole years."""
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _years(run_steps: int, start_year: int) -> np.ndarray:
    """Return calendar time (decimal years) of the months of a run."""
    return start_year + np.arange(run_steps) / 12.0


def _band(ax: object, x: np.ndarray, series: np.ndarray, color: str, label: str) -> None:
    """Draw the median over seeds (rows) and, with several seeds, their range."""
    ax.plot(x, np.median(series, axis=0), color=color, lw=2.0, label=label)
    if series.shape[0] > 1:
        ax.fill_between(x, series.min(axis=0), series.max(axis=0), color=color, alpha=0.2,
                        lw=0)


def _seed_note(comparison: Comparison) -> str:
    """Return how lines and bands summarise the seeds, for titles."""
    n = len(comparison.seeds)
    return f"median of {n} seeds, band: range" if n > 1 else f"seed {comparison.seeds[0]}"


def _mean_note(comparison: Comparison) -> str:
    """Return how bars summarise the seeds, for titles."""
    n = len(comparison.seeds)
    return f"mean of {n} seeds" if n > 1 else f"seed {comparison.seeds[0]}"


def capability(comparison: Comparison) -> Figure:
    """Capability of every lab over calendar years (first seed) and the frontier."""
    fig, ax = _figure()
    first = comparison.current[0]
    x = _years(first.lab_capability.shape[0], first.start_year)
    for runs, color, name in ((comparison.baseline, BASELINE, "baseline"),
                              (comparison.current, CURRENT, "current")):
        labs = runs[0].lab_capability
        ax.plot(x, labs, color=color, lw=0.7, alpha=0.55,
                ls="--" if name == "baseline" else "-")
        frontier = np.stack([r.lab_capability.max(axis=1) for r in runs])
        _band(ax, x, frontier, color, f"{name}: frontier")
        ax.plot([], [], color=color, lw=0.7, ls="--" if name == "baseline" else "-",
                label=f"{name}: each lab (seed {comparison.seeds[0]})")
    ax.set_title(f"Capability per lab ({_seed_note(comparison)})", **TITLE)
    _year_axis(ax)
    ax.set_ylabel("Capability [log10 effective FLOP]")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    return fig


def timeseries(comparison: Comparison, metric: str, title: str, ylabel: str) -> Figure:
    """A monthly metric over calendar years, current against baseline.

    Args:
        comparison: The runs.
        metric: Time-series metric (:data:`sim.TIMESERIES_METRICS`).
        title: Figure title.
        ylabel: Axis label with unit.

    Returns:
        The figure; a dotted line marks the metric's threshold where one is
        defined (:data:`analysis.metrics_info.THRESHOLDS`).
    """
    fig, ax = _figure()
    first = comparison.current[0]
    x = _years(first.timeseries[metric].size, first.start_year)
    for runs, color, name in ((comparison.baseline, BASELINE, "baseline"),
                              (comparison.current, CURRENT, "current")):
        _band(ax, x, np.stack([r.timeseries[metric] for r in runs]), color, name)
    level = THRESHOLDS.get(metric)
    if level is not None:
        ax.axhline(level, color="#b33", lw=0.8, ls=":",
                   label=f"{format_number(level)}: highly concentrated")
    ax.set_ylim(bottom=0.0)
    ax.set_title(f"{title} ({_seed_note(comparison)})", **TITLE)
    _year_axis(ax)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="best")
    return fig


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


def _bars(ax: object, labels: Sequence[str], current: np.ndarray,
          baseline: np.ndarray) -> None:
    """Draw horizontal bar pairs (baseline above current) with value labels."""
    y = np.arange(len(labels))[::-1]
    height = 0.38
    for offset, values, color, name in ((height / 2, baseline, BASELINE, "baseline"),
                                        (-height / 2, current, CURRENT, "current")):
        bars = ax.barh(y + offset, values, height, color=color, label=name)
        ax.bar_label(bars, [format_number(v) for v in values], fontsize=7, padding=2)
    ax.set_yticks(y, labels, fontsize=8)
    ax.margins(x=0.18)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v)))


def flows(comparison: Comparison) -> Figure:
    """Researcher moves per year between kinds of employer (the largest pairs)."""
    fig, ax = _figure(left=0.31)
    cur, base = flow_rates(comparison.current), flow_rates(comparison.baseline)
    index = [FLOW_KINDS.index(k) for k in EMPLOYERS]
    pairs = [(a, b) for a in index for b in index]
    pairs.sort(key=lambda ab: -max(cur[ab], base[ab]))
    pairs = [ab for ab in pairs[:MAX_FLOW_PAIRS] if max(cur[ab], base[ab]) > 0]
    names = [f"{FLOW_KIND_LABELS[FLOW_KINDS[a]]} → {FLOW_KIND_LABELS[FLOW_KINDS[b]]}"
             for a, b in pairs]
    _bars(ax, names, np.array([cur[ab] for ab in pairs]), np.array([base[ab] for ab in pairs]))
    ax.set_title(f"Moves between employers ({_mean_note(comparison)})", **TITLE)
    ax.set_xlabel("Moves [researchers/yr]")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def money(comparison: Comparison) -> Figure:
    """Where the money comes from: USD/yr paid into the industry by each outside account."""
    fig, ax = _figure(left=0.31)
    cur, base = money_rates(comparison.current), money_rates(comparison.baseline)
    index = [MONEY_ACCOUNTS.index(k) for k in SOURCES]
    _bars(ax, list(SOURCES.values()), cur[index], base[index])
    ax.set_title(f"Where the money comes from ({_mean_note(comparison)})", **TITLE)
    ax.set_xlabel("Paid into the AI industry [USD/yr, mean over the run]")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def all_figures(comparison: Comparison) -> dict[str, Figure]:
    """Return every figure of the explorer, keyed by name, in display order."""
    return {
        "capability": capability(comparison),
        "safety": timeseries(comparison, "safety_share_mean", "Safety share of effort",
                             "Safety share (capability-weighted) [share]"),
        "concentration": timeseries(comparison, "compute_hhi", "Compute concentration",
                                    "Compute HHI [index, 0-1]"),
        "flows": flows(comparison),
        "money": money(comparison),
    }
