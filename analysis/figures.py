"""Figures of a sweep: distributions, fan charts, heatmaps, effects, sensitivity, flows.

Every function takes the loaded :class:`~analysis.load.Sweep` and explicit
arguments, builds a ``matplotlib.figure.Figure`` in the style of
:mod:`analysis.style` and returns it; :func:`analysis.style.save_figure`
writes it as PNG, SVG or PDF. Axis labels carry units (from
:mod:`analysis.metrics_info` and the parameter metadata of :mod:`sim.params`).
Seeds drawn as dots are jittered with ``numpy.random.default_rng(0)``, so a
figure is the same every time.
"""

from __future__ import annotations

import inspect
import math
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib
import matplotlib.colors
import matplotlib.patches
import matplotlib.ticker
import numpy as np
import pandas as pd

from analysis.errors import SweepError
from analysis.load import Sweep, check_metrics, display_labels, short_names, start_year
from analysis.metrics_info import (
    FLOW_KIND_LABELS,
    FLOW_UNIT,
    axis_label,
    format_number,
    format_quantity,
    metric_info,
    param_label,
)
from analysis.stats import (
    effects_table,
    flow_table,
    grid_table,
    is_full_grid,
    paired_differences,
)
from analysis.style import new_figure, point_colors, styled

#: Rows (sources) and columns (destinations) of the flow heatmaps.
FLOW_SOURCES: tuple[str, ...] = ("academia", "lab", "startup", "hyperscaler", "entry")
FLOW_TARGETS: tuple[str, ...] = ("academia", "lab", "startup", "hyperscaler", "exit")

#: Most points shown in one per-point figure (more make labels unreadable).
MAX_POINTS = 16

#: Most panels the report puts in one small-multiples figure (fan charts, flows).
MAX_PANELS = 9


def _jobs(sweep: Sweep, jobs: Sequence[int] | None) -> list[int]:
    """Return the requested jobs (default: all), checked, at most :data:`MAX_POINTS`."""
    selected = sweep.jobs if jobs is None else [int(j) for j in jobs]
    unknown = sorted(set(selected) - set(sweep.jobs))
    if unknown:
        raise SweepError(f"jobs {unknown} are not in the sweep; jobs: {sweep.jobs[:20]}")
    if not selected:
        raise SweepError("no jobs selected")
    if len(selected) > MAX_POINTS:
        raise SweepError(
            f"{len(selected)} points in one figure; pass jobs= with at most {MAX_POINTS}"
        )
    return selected


#: Characters per line of point labels on axes and in legends, and of panel titles.
LABEL_WIDTH = 34
PANEL_TITLE_WIDTH = 44


def wrap_label(label: str, width: int = LABEL_WIDTH) -> str:
    """Break a point label into lines of at most ``width`` characters, after commas if possible.

    Args:
        label: A label from :func:`analysis.load.display_labels`.
        width: Characters per line.

    Returns:
        The label with line breaks, each after a comma where the parts fit.
    """
    lines: list[str] = []
    for part in label.split(", "):
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += f", {part}"
        else:
            if lines:
                lines[-1] += ","
            lines.extend(textwrap.wrap(part, width) or [""])
    return "\n".join(lines)


def _jitter(n: int, width: float = 0.15) -> np.ndarray:
    """Return deterministic offsets in [-width, width] for ``n`` dots."""
    return np.random.default_rng(0).uniform(-width, width, n)


def _horizontal(method: Any) -> dict[str, Any]:
    """Return the keyword that lays a box plot on its side (``orientation`` since mpl 3.10)."""
    if "orientation" in inspect.signature(method).parameters:
        return {"orientation": "horizontal"}
    return {"vert": False}


#: Most decimal places a tick spacing is resolved to by :class:`HumanFormatter`.
MAX_TICK_DECIMALS = 12


class HumanFormatter(matplotlib.ticker.Formatter):
    """Tick labels for people: :func:`~analysis.metrics_info.format_number`, no offset.

    Each tick gets the significant digits that show the decimal places its
    spacing needs (at least two), so ticks every 0.025 read ``-0.1, -0.125``
    (not ``-0.13``), ``0.123, 0.125, 0.127`` stay apart, and ``1,630`` is
    never printed as ``1.63e+03`` or as an offset such as ``1e-8+9.999999e-1``.
    """

    ticks: tuple[float, ...] = ()

    def set_locs(self, locs: Sequence[float]) -> None:
        """Remember the tick locations (called by matplotlib before labelling)."""
        self.ticks = tuple(float(v) for v in locs)

    def _decimals(self) -> int | None:
        """Fewest decimal places that write every tick exactly (to 1e-6 of the spacing)."""
        locs = np.asarray([v for v in self.ticks if np.isfinite(v)], dtype=float)
        if locs.size < 2:
            return None
        step = float(np.min(np.diff(np.unique(locs))))
        if not step > 0:
            return None
        for decimals in range(-15, MAX_TICK_DECIMALS + 1):
            if np.all(np.abs(np.round(locs, decimals) - locs) <= 1e-6 * step):
                return decimals
        return MAX_TICK_DECIMALS

    def __call__(self, x: float, pos: int | None = None) -> str:
        """Return the label of the tick at ``x``."""
        decimals = self._decimals()
        digits = 2
        if decimals is not None and x != 0 and np.isfinite(x):
            digits = int(np.clip(np.floor(np.log10(abs(x))) + 1 + decimals, 2, 15))
        return format_number(x, digits)


def human_ticks(*axes: Any) -> None:
    """Label the ticks of the given axis objects (``ax.xaxis``, a colour bar's axis) for people."""
    for axis in axes:
        if axis.get_scale() == "linear":
            axis.set_major_formatter(HumanFormatter())


def _null_note(n_null: int) -> str:
    """Return a title suffix counting null values left out."""
    return f" ({n_null} null values left out)" if n_null else ""


@styled
def plot_distributions(
    sweep: Sweep, metric: str, jobs: Sequence[int] | None = None
) -> Any:
    """Plot the distribution of a summary metric across seeds at each point.

    Left: a box plot per point with every seed as a dot. Right: the empirical
    CDF of each point, overlaid, in the same colours.

    Args:
        sweep: The loaded sweep.
        metric: Summary metric.
        jobs: Points to show (default: all; at most :data:`MAX_POINTS`).

    Returns:
        The figure.
    """
    check_metrics([metric], "summary")
    selected = _jobs(sweep, jobs)
    labels = display_labels(sweep)
    colors = point_colors(selected)
    values = {job: sweep.metric_values(metric, job) for job in selected}
    n_null = sum(int(np.isnan(v).sum()) for v in values.values())
    finite = {job: v[np.isfinite(v)] for job, v in values.items()}
    rows = max(wrap_label(labels[j]).count("\n") + 1 for j in selected)
    height = max(3.0, (0.3 + 0.14 * rows) * len(selected) + 1.6)
    fig = new_figure(11.0 if rows == 1 else 12.5, height)
    box_ax, cdf_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1.0]})
    positions = np.arange(len(selected))[::-1]
    data = [finite[job] if finite[job].size else np.array([np.nan]) for job in selected]
    box_ax.boxplot(data, positions=positions, widths=0.55, whis=(5, 95), showfliers=False,
                   **_horizontal(box_ax.boxplot), medianprops={"color": "black"},
                   boxprops={"color": "0.35"}, whiskerprops={"color": "0.35"},
                   capprops={"color": "0.35"})
    for pos, job in zip(positions, selected, strict=True):
        v = finite[job]
        box_ax.scatter(v, pos + _jitter(v.size), s=10, color=colors[job], alpha=0.75,
                       linewidths=0, zorder=3)
    box_ax.set_yticks(positions, [wrap_label(labels[j]) for j in selected])
    box_ax.set_xlabel(axis_label(metric))
    box_ax.set_title("Box: quartiles and 5-95% range; dots: seeds")
    for job in selected:
        v = np.sort(finite[job])
        if v.size:
            cdf_ax.step(np.concatenate([[v[0]], v]), np.arange(v.size + 1) / v.size,
                        where="post", color=colors[job], label=wrap_label(labels[job]),
                        linewidth=1.4)
    cdf_ax.set_xlabel(axis_label(metric))
    cdf_ax.set_ylabel("Share of seeds at or below")
    cdf_ax.set_ylim(0, 1.02)
    cdf_ax.set_title("Empirical CDF per point")
    if not any(v.size for v in finite.values()):
        for ax in (box_ax, cdf_ax):
            ax.text(0.5, 0.5, "all values null", transform=ax.transAxes, ha="center",
                    va="center", color="0.4")
    elif len(selected) <= 8:
        cdf_ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if metric_info(metric).log_scale and all(np.all(v > 0) for v in finite.values()):
        box_ax.set_xscale("log")
        cdf_ax.set_xscale("log")
    human_ticks(box_ax.xaxis, cdf_ax.xaxis)
    n_seeds = len(sweep.seeds)
    fig.suptitle(f"{metric_info(metric).label}: {n_seeds} seed{'s' if n_seeds != 1 else ''} "
                 "per point"
                 f"{_null_note(n_null)}")
    return fig


def _quantile_bands(sweep: Sweep, metric: str, job: int) -> tuple[np.ndarray, np.ndarray]:
    """Return months and the 5, 25, 50, 75, 95% quantiles across seeds, shape (5, steps)."""
    rows = sweep.timeseries[sweep.timeseries["job"] == job]
    table = rows.pivot(index="seed", columns="step", values=metric)
    values = table.to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        bands = np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    return table.columns.to_numpy(), bands


@styled
def plot_fan_chart(sweep: Sweep, metric: str, jobs: Sequence[int] | None = None) -> Any:
    """Plot a time-series metric as fan charts: median with 50% and 90% bands across seeds.

    One panel per point, with shared axes, so that points can be compared
    without overlapping bands.

    Args:
        sweep: The loaded sweep.
        metric: Time-series metric.
        jobs: Points to show (default: all; at most :data:`MAX_POINTS`).

    Returns:
        The figure.
    """
    check_metrics([metric], "timeseries")
    selected = _jobs(sweep, jobs)
    labels = display_labels(sweep)
    colors = point_colors(selected)
    ncols = min(3, len(selected))
    nrows = math.ceil(len(selected) / ncols)
    fig = new_figure(3.4 * ncols + 0.6, 2.5 * nrows + 0.7)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False))
    log = metric_info(metric).log_scale
    first_year = start_year(sweep)
    for ax, job in zip(axes.flat, selected, strict=False):
        months, bands = _quantile_bands(sweep, metric, job)
        months = first_year + months.astype(float) / 12.0
        color = colors[job]
        ax.fill_between(months, bands[0], bands[4], color=color, alpha=0.18, linewidth=0,
                        label="90% band")
        ax.fill_between(months, bands[1], bands[3], color=color, alpha=0.4, linewidth=0,
                        label="50% band")
        ax.plot(months, bands[2], color=color, linewidth=1.6, label="median")
        ax.set_title(wrap_label(labels[job], PANEL_TITLE_WIDTH))
        log = log and bool(np.all(bands[np.isfinite(bands)] > 0))
    for ax in axes.flat[len(selected):]:
        ax.set_visible(False)
    fig.supylabel(axis_label(metric, timeseries=True, wrap=True), fontsize=9)
    for ax in axes.flat[len(selected) - ncols:len(selected)]:
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("Year")
    if log:
        axes.flat[0].set_yscale("log")
    human_ticks(axes.flat[0].yaxis)
    for ax in axes.flat:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5, integer=True))
        ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:.0f}"))
    axes.flat[0].legend(loc="upper left", frameon=False)
    fig.suptitle(f"{metric_info(metric).label}: median, 50% and 90% bands across "
                 f"{len(sweep.seeds)} seeds")
    return fig


def _grid_image(table: pd.DataFrame, a: str, b: str, column: str) -> tuple[list, list, np.ndarray]:
    """Pivot a per-point column into a 2-D array (rows: values of ``b``, columns: of ``a``)."""
    grid = table.pivot(index=b, columns=a, values=column).sort_index().sort_index(axis=1)
    return list(grid.columns), list(grid.index), grid.to_numpy(dtype=float)


def _format_tick(value: Any) -> str:
    """Format a parameter value for a heatmap tick."""
    if isinstance(value, bool | np.bool_):
        return "on" if value else "off"
    if isinstance(value, int | float | np.integer | np.floating):
        return format_number(float(value), 3)
    return str(value)


def _annotate(ax: Any, image: np.ndarray, cmap: Any, norm: Any, digits: int = 3) -> None:
    """Write each cell's value on a heatmap in black or white for contrast."""
    if image.size > 144:
        return
    for (i, j), value in np.ndenumerate(image):
        if np.isfinite(value):
            r, g, b, _ = cmap(norm(value))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(j, i, format_number(value, digits), ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")


def _mark_effects(
    ax: Any, data: pd.DataFrame, a: str, b: str, baseline: int | None, cmap: Any, norm: Any
) -> None:
    """Annotate an effect map: the baseline cell, and unclear effects hatched in parentheses."""
    _, _, image = _grid_image(data, a, b, "effect")
    _, _, unclear = _grid_image(data, a, b, "unclear")
    _, _, same = _grid_image(data, a, b, "same")
    _, _, jobs = _grid_image(data, a, b, "job")
    for (i, j), value in np.ndenumerate(image):
        if jobs[i, j] == baseline or same[i, j] == 1:
            text = "baseline" if jobs[i, j] == baseline else "= baseline"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="0.3")
            continue
        if not np.isfinite(value):
            continue
        text = format_number(value, 2)
        if unclear[i, j] == 1:
            ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                                      hatch="///", edgecolor="0.55",
                                                      linewidth=0))
            text = f"({text})"
        if image.size <= 144:
            r, g, bl, _ = cmap(norm(value))
            dark = 0.299 * r + 0.587 * g + 0.114 * bl < 0.5
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")


#: Smallest span of a level colour scale relative to the level (metrics without bounds).
MIN_RELATIVE_SPAN = 0.2


def level_range(
    values: np.ndarray, bounds: tuple[float, float] | None = None,
    min_relative_span: float = MIN_RELATIVE_SPAN,
    spread: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """Return a colour range for levels that does not stretch small differences over it.

    Metrics with natural bounds (shares, probabilities, indices) use at least
    those bounds, so 0.123 and 0.133 look alike, as they are. Other metrics
    cover at least ``spread`` (the report passes the 5-95% range of all
    runs, so medians that differ by much less than the run-to-run variation
    look alike) and at least ``min_relative_span`` times the size of the
    central level (and a span of 1 around zero).

    Args:
        values: The values to show (NaN ignored).
        bounds: Natural bounds of the metric, or ``None``.
        min_relative_span: Smallest span relative to ``|centre|``.
        spread: A ``(low, high)`` range the colours must cover, or ``None``.

    Returns:
        ``(low, high)`` with ``low < high``.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if spread is not None and all(np.isfinite(spread)):
        low, high = min(low, float(spread[0])), max(high, float(spread[1]))
    if bounds is not None:
        return min(low, bounds[0]), max(high, bounds[1])
    centre = (low + high) / 2.0
    need = min_relative_span * abs(centre) if centre else 1.0
    if high - low < need:
        low, high = centre - need / 2.0, centre + need / 2.0
    return low, high


#: Smallest half-span of an effect axis (and of an effect colour scale), as a fraction of
#: the magnitude of the baseline's mean: effect axes cover at least
#: ``[-f |baseline mean|, +f |baseline mean|]`` and always zero, so an effect of 0.001 on a
#: baseline of 0.13 (under 1%) looks as small as it is. The one place to change the rule.
MIN_EFFECT_FRACTION = 0.05

#: Space left beyond the data on an effect axis, as a fraction of its span.
RANGE_MARGIN = 0.06


def effect_range(
    values: Any, reference: float, centre: float = 0.0,
    min_fraction: float = MIN_EFFECT_FRACTION, margin: float = RANGE_MARGIN,
) -> tuple[float, float]:
    """Return an axis range that shows small effects as small.

    The range covers every finite value (effects and interval ends), the
    ``centre`` (zero for effects) and at least ``centre +/- min_fraction *
    |reference|``, plus ``margin`` of its span on each side. Without a usable
    reference (zero or NaN) the minimum half-span is the largest distance of
    a value from the centre, or 1 metric unit when every value equals it.

    Args:
        values: Values to show (any shape; NaN ignored), in metric units.
        reference: Level the effects are relative to, usually the baseline's
            mean, in metric units.
        centre: Value the range is built around (0 for effects; the mean level
            for outcome axes).
        min_fraction: Smallest half-span relative to ``|reference|``
            (default :data:`MIN_EFFECT_FRACTION`).
        margin: Padding on each side, as a fraction of the span.

    Returns:
        ``(low, high)`` with ``low < centre < high``.
    """
    finite = np.asarray(values, dtype=float).ravel()
    finite = finite[np.isfinite(finite)]
    half = min_fraction * abs(reference) if np.isfinite(reference) else 0.0
    if half <= 0:
        half = float(np.abs(finite - centre).max()) if finite.size else 0.0
        half = half if half > 0 else 1.0
    low = min(centre - half, float(finite.min()) if finite.size else centre)
    high = max(centre + half, float(finite.max()) if finite.size else centre)
    pad = margin * (high - low)
    return low - pad, high + pad


def baseline_mean(sweep: Sweep, metric: str, baseline: int) -> float:
    """Return the mean of a summary metric over the baseline's seeds (NaN if all null)."""
    values = np.asarray(sweep.metric_values(metric, baseline), dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else math.nan


def scale_reference(metric: str, level: float) -> float:
    """The level that sets an axis's smallest span (:func:`effect_range`), or NaN.

    For a level on a logarithmic scale (``log10 ...`` units) a share of the level
    means nothing (0.25 OOM is a factor 1.8, not 1% of 32 OOM), so there is
    none and the axis spans the values drawn.
    """
    return math.nan if "log10" in metric_info(metric).unit else level


def _mean_differences(
    sweep: Sweep, metric: str, baseline: int, effects: pd.DataFrame | None
) -> pd.DataFrame:
    """Return per-point mean paired differences from the baseline.

    Columns: ``job``, the parameters, ``effect``, ``same`` (1 where every
    seed's value equals the baseline's) and ``unclear`` (1 where the 95%
    interval of ``effects`` covers zero, 0 elsewhere, NaN without an interval).
    """
    wide = sweep.runs.pivot(index="seed", columns="job", values=metric)
    differences = wide.sub(wide[baseline], axis=0)
    diff = differences.mean(axis=0, skipna=True)
    same = (differences.fillna(0.0) == 0.0).all(axis=0) & (wide.isna().eq(
        wide[baseline].isna(), axis=0)).all(axis=0)
    table = sweep.points[["job", *sweep.params]].copy()
    table["effect"] = table["job"].map(diff)
    table["same"] = table["job"].map(same.astype(float))
    table["unclear"] = np.nan
    if effects is not None and not effects.empty:
        rows = effects[effects["metric"] == metric].set_index("job")
        covers = (rows["effect_ci_low"] <= 0) & (rows["effect_ci_high"] >= 0)
        table["unclear"] = table["job"].map(covers.astype(float))
    return table


@styled
def plot_heatmaps(
    sweep: Sweep,
    metric: str,
    threshold: float | None = None,
    baseline: int | None = None,
    effects: pd.DataFrame | None = None,
) -> Any:
    """Plot a 2-D sweep as heatmaps: median, paired effect and P(metric > threshold).

    The median map is annotated with its values; its colour range includes
    the metric's natural bounds, or else the 5-95% range of all runs and a
    minimum span (see :func:`level_range`), so differences small against
    the run-to-run variation are not stretched over the whole scale. The effect
    map (when ``baseline`` is given) shows the mean paired difference from
    the baseline on a diverging scale centred on zero that spans at least
    :data:`MIN_EFFECT_FRACTION` of the baseline's mean (:func:`effect_range`), so
    negligible effects stay pale; the baseline cell is
    marked, and with ``effects`` the cells whose 95% interval covers zero
    are hatched and their values put in parentheses. The exceedance map
    appears only when a threshold is given (see
    :data:`analysis.metrics_info.THRESHOLDS`).

    Args:
        sweep: A sweep whose points are every combination of two parameters.
        metric: Summary metric.
        threshold: Level in metric units; ``None``: no exceedance map.
        baseline: Job id of the baseline point; ``None``: no effect map.
        effects: :func:`analysis.stats.effects_table` rows with intervals
            (optional; marks effects whose interval covers zero).

    Returns:
        The figure.

    Raises:
        SweepError: The sweep is not a full 2-D grid.
    """
    check_metrics([metric], "summary")
    if not is_full_grid(sweep):
        raise SweepError(
            f"heatmaps need a full grid over exactly two parameters; {sweep.path} sweeps "
            f"{len(sweep.params)} parameter(s) over {len(sweep.jobs)} points"
        )
    if not sweep.runs[metric].notna().any():
        raise SweepError(f"every value of {metric} in {sweep.path} is null: nothing to map")
    table = grid_table(sweep, metric, np.nan if threshold is None else float(threshold))
    info = metric_info(metric)
    panels = [("median", table, axis_label(metric, wrap=True), f"Median of {info.label}",
               "viridis")]
    if baseline is not None:
        diffs = _mean_differences(sweep, metric, baseline, effects)
        title = "Mean paired difference from baseline"
        if np.isfinite(diffs["unclear"].to_numpy(dtype=float)).any():
            title += "\n(hatched, in parentheses: 95% CI covers 0)"
        panels.append(("effect", diffs, axis_label(metric, prefix="Difference in ", wrap=True),
                       title, "RdBu_r"))
    if threshold is not None:
        event = f"{info.label} > {format_quantity(threshold, metric, 3)}"
        joint = " " if len(event) <= 28 else "\n"
        panels.append(("p_exceed", table, "Share of seeds", f"Share of seeds with{joint}{event}",
                       "magma"))
    a, b = sweep.params
    names = short_names(sweep.params)
    fig = new_figure(4.4 * len(panels) + 0.4, 3.9)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (column, data, bar_label, title, cmap_name) in zip(axes, panels, strict=True):
        xs, ys, image = _grid_image(data, a, b, column)
        cmap = matplotlib.colormaps[cmap_name]
        if column == "p_exceed":
            norm = matplotlib.colors.Normalize(0.0, 1.0)
        elif column == "effect":
            reference = scale_reference(metric, baseline_mean(sweep, metric, baseline))
            top = max(np.abs(effect_range(image, reference, margin=0.0)))
            norm = matplotlib.colors.Normalize(-top, top)
        else:
            runs = sweep.runs[metric].to_numpy(dtype=float)
            runs = runs[np.isfinite(runs)]
            spread = tuple(np.quantile(runs, [0.05, 0.95])) if runs.size else None
            norm = matplotlib.colors.Normalize(*level_range(image, info.bounds,
                                                            spread=spread))
        mesh = ax.imshow(image, origin="lower", aspect="auto", cmap=cmap, norm=norm)
        ax.set_xticks(range(len(xs)), [_format_tick(x) for x in xs])
        ax.set_yticks(range(len(ys)), [_format_tick(y) for y in ys])
        ax.set_xlabel(param_label(a, names[a]))
        ax.set_ylabel(param_label(b, names[b]))
        ax.set_title(title, wrap=True)
        ax.grid(False)
        if column == "effect":
            _mark_effects(ax, data, a, b, baseline, cmap, norm)
        else:
            _annotate(ax, image, cmap, norm, 2 if column == "p_exceed" else 3)
        bar = fig.colorbar(mesh, ax=ax, label=bar_label, shrink=0.9)
        human_ticks(bar.ax.yaxis)
    return fig


@styled
def plot_paired_effects(
    sweep: Sweep,
    metric: str,
    baseline: int,
    jobs: Sequence[int] | None = None,
    *,
    table: pd.DataFrame | None = None,
    n_resamples: int = 4999,
    seed: int = 0,
) -> Any:
    """Plot per-seed differences of a metric between each point and the baseline.

    Each dot is one seed (common random numbers: the same seed at both
    points); the black bar is the mean difference with its bootstrap
    confidence interval (from :func:`analysis.stats.effects_table`). The
    horizontal range includes zero and at least :data:`MIN_EFFECT_FRACTION` of
    the baseline's mean on each side (:func:`effect_range`).

    Args:
        sweep: The loaded sweep.
        metric: Summary metric.
        baseline: Job id of the baseline point.
        jobs: Points to compare (default: all but the baseline; at most
            :data:`MAX_POINTS`).
        table: Precomputed :func:`analysis.stats.effects_table` rows (to avoid
            recomputing the bootstrap); ``None`` computes them.
        n_resamples: Bootstrap resamples when ``table`` is ``None``.
        seed: Bootstrap seed when ``table`` is ``None``.

    Returns:
        The figure.
    """
    check_metrics([metric], "summary")
    candidates = [j for j in (sweep.jobs if jobs is None else jobs) if j != baseline]
    selected = _jobs(sweep, candidates)
    if baseline not in sweep.jobs:
        raise SweepError(f"baseline job {baseline} is not in the sweep; jobs: {sweep.jobs}")
    if table is None:
        table = effects_table(sweep, baseline, [metric], n_resamples=n_resamples, seed=seed)
    effects = table[table["metric"] == metric].set_index("job")
    labels = display_labels(sweep)
    colors = point_colors(selected)
    rows = max(wrap_label(labels[j]).count("\n") + 1 for j in selected)
    fig = new_figure(7.5, max(2.8, (0.3 + 0.15 * rows) * len(selected) + 1.9))
    ax = fig.subplots()
    positions = np.arange(len(selected))[::-1]
    shown = [effects.reindex(selected)[["effect_ci_low", "effect_ci_high"]].to_numpy()]
    for pos, job in zip(positions, selected, strict=True):
        diff = paired_differences(sweep, metric, job, baseline)["difference"].to_numpy()
        shown.append(diff)
        ax.scatter(diff, pos + _jitter(diff.size), s=10, color=colors[job], alpha=0.7,
                   linewidths=0, zorder=2)
        if job in effects.index:
            row = effects.loc[job]
            low, high = row["effect_ci_low"], row["effect_ci_high"]
            if np.isfinite(low) and np.isfinite(high):
                ax.plot([low, high], [pos, pos], color="black", linewidth=3,
                        solid_capstyle="butt", zorder=3)
            ax.plot([row["effect"]], [pos], marker="o", color="white",
                    markeredgecolor="black", markersize=6, zorder=4)
    ax.axvline(0.0, color="0.3", linewidth=1.0, linestyle="--")
    ax.set_xlim(*effect_range(np.concatenate([np.ravel(v) for v in shown]),
                              scale_reference(metric, baseline_mean(sweep, metric, baseline))))
    ax.set_yticks(positions, [wrap_label(labels[j]) for j in selected])
    ax.set_xlabel(axis_label(metric, prefix="Difference in "))
    human_ticks(ax.xaxis)
    ax.set_title(wrap_label(f"Per-seed differences vs baseline ({labels[baseline]})", 60)
                 + "\nbar: mean difference with 95% bootstrap CI")
    return fig


@styled
def plot_sobol(sweep: Sweep, table: pd.DataFrame, metric: str) -> Any:
    """Plot first-order and total Sobol indices of a metric as bars with CIs.

    Total indices are left out when the table has none (given-data estimates).
    Indices are shares of variance, so the axis is [0, 1]; estimates and
    interval ends outside it (sampling error of the estimators) are clipped
    for display and the title says so with their range.

    Args:
        sweep: The loaded sweep (for parameter names).
        table: :func:`analysis.sensitivity.sobol_table` or
            :func:`analysis.sensitivity.first_order_table` rows.
        metric: Summary metric in ``table``.

    Returns:
        The figure.
    """
    rows = table[table["metric"] == metric]
    if rows.empty:
        raise SweepError(f"no Sobol indices for {metric!r} in the table")
    names = short_names(sweep.params)
    params = list(rows["param"])
    x = np.arange(len(params))
    kinds = [("first", "first order S_i", "#0072B2")]
    if np.isfinite(rows["total"].to_numpy()).any():
        kinds.append(("total", "total ST_i", "#E69F00"))
    fig = new_figure(max(4.5, 1.2 * len(params) + 2.0), 3.6)
    ax = fig.subplots()
    width = 0.76 / len(kinds)
    for k, (key, label, color) in enumerate(kinds):
        value = np.clip(rows[key].to_numpy(dtype=float), 0.0, 1.0)
        low = np.clip(rows[f"{key}_low"].to_numpy(dtype=float), 0.0, 1.0)
        high = np.clip(rows[f"{key}_high"].to_numpy(dtype=float), 0.0, 1.0)
        err = np.vstack([np.clip(value - low, 0, None), np.clip(high - value, 0, None)])
        err = np.where(np.isfinite(err), err, 0.0)
        centres = x + (k - (len(kinds) - 1) / 2) * width
        ax.bar(centres, np.nan_to_num(value), width,
               color=color, label=label, yerr=err, capsize=3, error_kw={"linewidth": 1.0})
        for centre, raw in zip(centres, rows[key].to_numpy(dtype=float), strict=True):
            if np.isfinite(raw) and not 0.0 <= raw <= 1.0:
                top = raw > 1.0
                ax.text(centre, 0.985 if top else 0.015,
                        f"{'▲' if top else '▼'} {format_number(raw, 3)}", ha="center",
                        va="top" if top else "bottom", fontsize=7,
                        color="white" if top else "black")
    ax.axhline(0.0, color="0.3", linewidth=0.8)
    tilt = len(params) > 4
    ax.set_xticks(x, [names.get(p, p) for p in params], rotation=20 if tilt else 0,
                  ha="right" if tilt else "center")
    ax.set_ylabel("Sobol index (share of variance)")
    ax.set_xlabel("Swept parameter")
    ax.set_ylim(0.0, 1.0)
    columns = [f"{key}{end}" for key, _, _ in kinds for end in ("", "_low", "_high")]
    shown = rows[columns].to_numpy(dtype=float)
    finite = shown[np.isfinite(shown)]
    note = ""
    if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
        note = (f"; values from {format_number(finite.min(), 2)} to "
                f"{format_number(finite.max(), 2)} clipped to [0, 1]")
    if not np.any(np.isfinite(rows["first"].to_numpy())):
        note = "; output constant: undefined"
    ax.set_title(f"Sensitivity of {metric_info(metric).label}\n({rows['method'].iloc[0]}, "
                 f"N = {int(rows['n_base'].iloc[0])}, 95% CI{note})", wrap=True)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@styled
def plot_flows(
    sweep: Sweep, jobs: Sequence[int] | None = None, *, table: pd.DataFrame | None = None
) -> Any:
    """Plot researcher moves between kinds of organisation as from-to heatmaps per point.

    Cells are mean moves per year across seeds (researchers/year), on one
    colour scale for all panels; rows are origins (including entry of new
    PhDs), columns destinations (including exit).

    Args:
        sweep: The loaded sweep.
        jobs: Points to show (default: all; at most :data:`MAX_POINTS`).
        table: Precomputed :func:`analysis.stats.flow_table`; ``None`` computes it.

    Returns:
        The figure.
    """
    selected = _jobs(sweep, jobs)
    flows = flow_table(sweep, selected) if table is None else table
    labels = display_labels(sweep)
    ncols = min(3, len(selected))
    nrows = math.ceil(len(selected) / ncols)
    fig = new_figure(3.6 * ncols + 1.3, 3.2 * nrows + 0.6)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False))
    images = {}
    for job in selected:
        grid = flows[flows["job"] == job].pivot(index="from_kind", columns="to_kind",
                                                values="mean")
        images[job] = grid.reindex(index=list(FLOW_SOURCES), columns=list(FLOW_TARGETS),
                                   fill_value=0.0).to_numpy(dtype=float)
    top = max((float(np.nanmax(img)) for img in images.values()), default=1.0)
    norm = matplotlib.colors.Normalize(0.0, top if top > 0 else 1.0)
    cmap = matplotlib.colormaps["Blues"]
    mesh = None
    for index, (ax, job) in enumerate(zip(axes.flat, selected, strict=False)):
        mesh = ax.imshow(images[job], cmap=cmap, norm=norm, aspect="auto")
        _annotate(ax, images[job], cmap, norm)
        ax.set_xticks(range(len(FLOW_TARGETS)),
                      [FLOW_KIND_LABELS[k].split(" (")[0] for k in FLOW_TARGETS],
                      rotation=35, ha="right")
        ax.set_yticks(range(len(FLOW_SOURCES)),
                      [FLOW_KIND_LABELS[k].split(" (")[0] for k in FLOW_SOURCES])
        if index % ncols:
            ax.tick_params(labelleft=False)
        else:
            ax.set_ylabel("From")
        ax.set_xlabel("To")
        ax.set_title(wrap_label(labels[job], PANEL_TITLE_WIDTH))
        ax.grid(False)
    for ax in axes.flat[len(selected):]:
        ax.set_visible(False)
    bar = fig.colorbar(mesh, ax=list(axes.flat[:len(selected)]), label=f"Moves [{FLOW_UNIT}]",
                       shrink=0.85)
    human_ticks(bar.ax.yaxis)
    fig.suptitle(f"Researcher moves per year, mean across {len(sweep.seeds)} seeds")
    return fig


def log_scaled_params(sweep: Sweep) -> set[str]:
    """Return the swept parameters sampled on a log scale (``design.scale`` in ``sweep.yaml``).

    Grids count as log-scaled when their positive values are evenly spaced in
    logarithm and span at least a factor of 10 (e.g. ``1e-3, 1e-2, 1e-1``).
    """
    design = sweep.definition.get("design") or {}
    scales = design.get("scale") or {}
    found = {p for p in sweep.params if scales.get(p) == "log"}
    for param in sweep.params:
        values = pd.to_numeric(sweep.points[param], errors="coerce").to_numpy(dtype=float)
        values = np.unique(values[np.isfinite(values)])
        if values.size >= 3 and np.all(values > 0) and values[-1] / values[0] >= 10:
            steps = np.diff(np.log(values))
            if np.allclose(steps, steps[0], rtol=0.05):
                found.add(param)
    return found


@styled
def plot_parameter_scatter(sweep: Sweep, metric: str, statistic: str = "median") -> Any:
    """Plot a metric's per-point median (or mean) against each swept parameter.

    Meant for sampled designs (Latin hypercube, Sobol) with many points, where
    per-point distributions are too many to show.

    Args:
        sweep: The loaded sweep.
        metric: Summary metric.
        statistic: ``"median"`` or ``"mean"`` across the seeds of a point.

    Returns:
        The figure.
    """
    check_metrics([metric], "summary")
    if statistic not in ("median", "mean"):
        raise SweepError(f"statistic={statistic!r}: allowed: median, mean")
    per_point = sweep.runs.groupby("job")[metric].agg(statistic)
    points = sweep.points.set_index("job")
    names = short_names(sweep.params)
    ncols = min(3, len(sweep.params))
    nrows = math.ceil(len(sweep.params) / ncols)
    fig = new_figure(3.4 * ncols + 0.6, 2.8 * nrows + 0.6)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False))
    logs = log_scaled_params(sweep)
    for ax, param in zip(axes.flat, sweep.params, strict=False):
        x = points.loc[per_point.index, param]
        ax.scatter(x.astype(float) if x.dtype == bool else x, per_point.to_numpy(), s=10,
                   alpha=0.6, color="#0072B2", linewidths=0)
        if param in logs:
            ax.set_xscale("log")
        ax.set_xlabel(param_label(param, names[param]) + (" (log scale)" if param in logs
                                                          else ""))
        human_ticks(ax.xaxis)
    human_ticks(axes.flat[0].yaxis)
    for ax in axes.flat[len(sweep.params):]:
        ax.set_visible(False)
    fig.supylabel(axis_label(metric, prefix=f"{statistic.capitalize()} of ", wrap=True),
                  fontsize=9)
    fig.suptitle(f"{metric_info(metric).label}: {statistic} across seeds at each of "
                 f"{len(sweep.jobs)} points")
    return fig


def lever_lines(
    sweep: Sweep, lever: str, by: str | None, baseline: int
) -> dict[Any, list[tuple[Any, int]]]:
    """Return the points on the lines of a lever figure: one line per value of ``by``.

    A line holds the points where every swept parameter other than ``lever``
    and ``by`` takes its baseline value, ordered by the lever's value.

    Args:
        sweep: The loaded sweep.
        lever: Swept parameter on the horizontal axis.
        by: Swept parameter with one line per value, or ``None`` for one line.
        baseline: Job id of the baseline point.

    Returns:
        Value of ``by`` (``None`` without ``by``) -> ``[(lever value, job), ...]``.

    Raises:
        SweepError: ``lever`` or ``by`` is not a swept parameter, or they are equal.
    """
    for name in (lever, by):
        if name is not None and name not in sweep.params:
            raise SweepError(f"key figure: {name!r} is not a swept parameter; swept: "
                             f"{', '.join(sweep.params)}")
    if by == lever:
        raise SweepError(f"key figure: lever and by are both {lever!r}; choose two parameters")
    points = sweep.points.set_index("job")
    base = points.loc[baseline]
    held = [p for p in sweep.params if p not in (lever, by)]
    mask = np.ones(len(points), dtype=bool)
    for param in held:
        mask &= (points[param] == base[param]).to_numpy()
    chosen = points[mask]
    lines: dict[Any, list[tuple[Any, int]]] = {}
    by_order = None if by is None else _value_order(points[by])
    keys = [None] if by is None else sorted(pd.unique(chosen[by]), key=by_order)
    lever_order = _value_order(points[lever])
    for key in keys:
        rows = chosen if by is None else chosen[chosen[by] == key]
        pairs = sorted(((row[lever], int(job)) for job, row in rows.iterrows()),
                       key=lambda pair: lever_order(pair[0]))
        lines[key.item() if hasattr(key, "item") else key] = pairs
    return lines


#: Fewest distinct lever values drawn as lines with bands; with fewer, a key figure shows
#: points with interval bars (a line between two values would suggest a linear response
#: at values never simulated).
MIN_LINE_VALUES = 3

#: Horizontal offset between the interval bars of successive ``by`` values, as a fraction
#: of the lever's range, so the bars do not overlap.
DODGE = 0.06


def _error_bars(values: np.ndarray) -> np.ndarray:
    """Return ``errorbar``'s ``yerr`` (distances below, above) from rows (effect, low, high)."""
    return np.vstack([values[:, 0] - values[:, 1], values[:, 2] - values[:, 0]])


def _sort_key(value: Any) -> tuple[int, Any]:
    """Order numbers (and booleans) by value, other values by their text."""
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        return (0, float(value))
    return (1, str(value))


def _value_order(values: pd.Series) -> Callable[[Any], tuple[int, Any]]:
    """Sort key of a swept parameter's values: numbers by value, choices as first swept.

    Choices (config-group options such as ``governance``) have no order of
    their own; the design's order (job order, as the spec lists them, which
    usually starts with the baseline) is kept rather than the alphabet's.
    """
    first = {v: i for i, v in enumerate(pd.unique(values))}

    def key(value: Any) -> tuple[int, Any]:
        number = _sort_key(value)
        return number if number[0] == 0 else (1, first.get(value, len(first)))

    return key


def is_numeric_lever(sweep: Sweep, lever: str) -> bool:
    """Whether a swept parameter's values are numbers (not booleans or choices)."""
    return all(isinstance(v, int | float | np.integer | np.floating)
               and not isinstance(v, bool | np.bool_) for v in pd.unique(sweep.points[lever]))


@styled
def plot_lever_effect(
    sweep: Sweep,
    metric: str,
    lever: str,
    baseline: int,
    by: str | None = None,
    *,
    table: pd.DataFrame | None = None,
    twins: dict[int, int] | None = None,
    n_resamples: int = 4999,
    seed: int = 0,
) -> Any:
    """Plot the paired effect of a lever against its value, with its 95% interval.

    The effect at a point is the mean over the common seeds of its
    difference from the baseline point (:func:`analysis.stats.effects_table`)
    with its bootstrap 95% interval. There is one series per value of ``by``;
    every other swept parameter is held at its baseline value. The baseline
    itself has effect 0 exactly, and so has every point that duplicates it
    (:func:`analysis.honesty.duplicate_points`).

    With at least :data:`MIN_LINE_VALUES` numeric lever values each series is
    a line with markers at the simulated values and its interval as a band;
    log-sampled levers get a log axis. With fewer, or with choices (config-group
    options, booleans) in the design's order, each series is points with
    interval bars, offset by :data:`DODGE` of the lever's range per ``by``
    value, and ticks only at the simulated values: nothing is drawn between
    them. The vertical range includes zero (dashed) and at least
    :data:`MIN_EFFECT_FRACTION` of the baseline's mean (:func:`effect_range`;
    not for levels in log10 units, :func:`scale_reference`).

    Args:
        sweep: The loaded sweep.
        metric: Summary metric.
        lever: Swept parameter on the horizontal axis.
        baseline: Job id of the baseline point.
        by: Swept parameter with one line per value (``None``: one line).
        table: Precomputed effects rows of the metric (any subset of points);
            missing points are computed.
        twins: Duplicate points (``duplicate_points(sweep)``), computed when ``None``.
        n_resamples: Bootstrap resamples of points not in ``table``.
        seed: Bootstrap seed of points not in ``table``.

    Returns:
        The figure.
    """
    from analysis.honesty import duplicate_points
    from analysis.metrics_info import format_param_value, param_words

    check_metrics([metric], "summary")
    lines = lever_lines(sweep, lever, by, baseline)
    twins = duplicate_points(sweep) if twins is None else twins
    root = {j: twins.get(j, j) for j in sweep.jobs}
    needed = sorted({root[j] for pairs in lines.values() for _, j in pairs} - {root[baseline]})
    rows = (table[table["metric"] == metric].set_index("job") if table is not None
            else pd.DataFrame())
    missing = [j for j in needed if j not in rows.index]
    if missing:
        extra = effects_table(sweep, baseline, [metric], jobs=missing, n_resamples=n_resamples,
                              seed=seed).set_index("job")
        rows = pd.concat([rows, extra])

    def effect(job: int) -> tuple[float, float, float]:
        if root[job] == root[baseline]:
            return 0.0, 0.0, 0.0
        row = rows.loc[root[job]]
        return float(row["effect"]), float(row["effect_ci_low"]), float(row["effect_ci_high"])

    fig = new_figure(5.4, 3.5)
    ax = fig.subplots()
    numeric = is_numeric_lever(sweep, lever)
    ticks = sorted({v for pairs in lines.values() for v, _ in pairs},
                   key=_value_order(sweep.points[lever]))
    where = {v: float(v) if numeric else float(i) for i, v in enumerate(ticks)}
    sparse = len(ticks) < MIN_LINE_VALUES or not numeric
    if sparse:
        labels = [format_param_value(lever, v) for v in ticks]
        crowded = len(ticks) > 3 and max(len(text) for text in labels) > 6
        ax.set_xticks([where[v] for v in ticks], labels, rotation=30 if crowded else 0,
                      ha="right" if crowded else "center")
    span = (max(where.values()) - min(where.values())) or 1.0
    colors = point_colors(list(range(len(lines))))
    markers = "osD^v<>ph"
    drawn = []
    for i, (key, pairs) in enumerate(lines.items()):
        x = np.array([where[v] for v, _ in pairs])
        values = np.array([effect(j) for _, j in pairs]).reshape(-1, 3)
        drawn.append(values)
        name = "all points" if by is None else format_param_value(by, key)
        style = {"color": colors[i], "marker": markers[i % len(markers)], "label": name}
        if sparse:
            x = x + DODGE * span * (i - (len(lines) - 1) / 2)
            ax.errorbar(x, values[:, 0], yerr=_error_bars(values), linestyle="none",
                        markersize=5, capsize=3, elinewidth=1.4, **style)
            continue
        ax.fill_between(x, values[:, 1], values[:, 2], color=colors[i], alpha=0.18,
                        linewidth=0)
        ax.plot(x, values[:, 0], markersize=4.5, linewidth=1.6, **style)
    if sparse:
        margin = 0.5 * span if numeric else 0.6
        ax.set_xlim(min(where.values()) - margin, max(where.values()) + margin)
    ax.axhline(0.0, color="0.25", linewidth=0.9, linestyle="--", zorder=1)
    reference = baseline_mean(sweep, metric, baseline)
    ax.set_ylim(*effect_range(np.concatenate(drawn), scale_reference(metric, reference)))
    if numeric and not sparse and lever in log_scaled_params(sweep):
        ax.set_xscale("log")
    names = short_names(sweep.params)
    ax.set_xlabel(param_label(lever, param_words(lever, names[lever])))
    ax.set_ylabel(axis_label(metric, prefix="Effect on ", wrap=True))
    human_ticks(ax.yaxis)
    if numeric and not sparse:
        human_ticks(ax.xaxis)
        if ax.get_xscale() == "linear" and all(float(v).is_integer() for v in ticks):
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    if by is not None:
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, [f"{param_words(by, names[by])} {label}" for label in labels],
                   loc="outside lower center", ncol=min(len(labels), 3), frameon=False,
                   fontsize=7.5)
    ax.set_title(metric_info(metric).label, loc="left", fontweight="bold")
    if np.isfinite(reference):
        ax.set_title(f"baseline mean {format_quantity(reference, metric)}",
                     loc="right", fontsize=7.5, color="0.35")
    return fig


#: Fewest points per quantile bin of a sampled-design key figure, and most bins.
BIN_POINTS = 5
MAX_BINS = 8


def quantile_bins(x: np.ndarray, log: bool = False) -> np.ndarray:
    """Return the bin index of each value: equal-count (quantile) bins of a sampled lever.

    Uses ``min(MAX_BINS, len(x) // BIN_POINTS)`` bins (at least one), with
    edges at quantiles of ``x`` (of ``log(x)`` for log-sampled levers, the same
    bins). Ties go to the lower bin.

    Args:
        x: Lever values, one per point.
        log: Whether the lever is sampled on a log scale.

    Returns:
        Integer bin of each value, 0 to ``n_bins - 1``.
    """
    values = np.log(x) if log else np.asarray(x, dtype=float)
    n_bins = max(1, min(MAX_BINS, values.size // BIN_POINTS))
    edges = np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1))[1:-1]
    return np.searchsorted(edges, values, side="left")


@styled
def plot_sampled_lever(sweep: Sweep, metric: str, lever: str) -> Any:
    """Plot a metric against one lever of a sampled design (Latin hypercube, Sobol).

    Every point has its own values of all levers, so there is no line of
    points that differ in this lever alone. Each dot is one point's mean over
    its seeds with a Student-t 95% interval bar (grey; none with one seed);
    the black line joins the mean of the point means in equal-count bins of
    the lever (:func:`quantile_bins`), drawn at the bin's mean lever value
    (geometric mean on a log axis): the lever's average effect with the other
    levers varying as sampled. With fewer than :data:`MIN_LINE_VALUES` bins
    each bin's mean is a horizontal segment over the bin's range instead (no
    line between two bins). Log-sampled levers (:func:`log_scaled_params`) get a
    log axis. The vertical range covers the intervals and at least
    :data:`MIN_EFFECT_FRACTION` of the overall mean on each side of it
    (:func:`effect_range`), so a flat response looks flat.

    Args:
        sweep: The loaded sweep.
        metric: Summary metric.
        lever: Swept parameter on the horizontal axis.

    Returns:
        The figure.

    Raises:
        SweepError: ``lever`` is not a numeric swept parameter, or the metric
            is null everywhere.
    """
    from scipy import stats as scipy_stats

    from analysis.metrics_info import param_words

    check_metrics([metric], "summary")
    if lever not in sweep.params:
        raise SweepError(f"key figure: {lever!r} is not a swept parameter; swept: "
                         f"{', '.join(sweep.params)}")
    points = sweep.points.set_index("job")
    x = pd.to_numeric(points[lever], errors="coerce")
    if points[lever].dtype == bool or x.isna().any():
        raise SweepError(f"key figure: {lever!r} is not numeric; a sampled design's key "
                         "figure needs a numeric lever")
    groups = sweep.runs.groupby("job")[metric]
    table = pd.DataFrame({"x": x, "mean": groups.mean(), "sd": groups.std(ddof=1),
                          "n": groups.count()}).dropna(subset=["mean"])
    if table.empty:
        raise SweepError(f"every value of {metric} in {sweep.path} is null: nothing to plot")
    dof = np.maximum(table["n"].to_numpy() - 1, 1)
    half = (scipy_stats.t.ppf(0.975, dof) * table["sd"].to_numpy()
            / np.sqrt(table["n"].to_numpy()))
    half = np.where(table["n"].to_numpy() > 1, half, np.nan)
    log = lever in log_scaled_params(sweep) and bool((table["x"] > 0).all())
    fig = new_figure(5.4, 3.5)
    ax = fig.subplots()
    ax.errorbar(table["x"].to_numpy(dtype=float), table["mean"].to_numpy(dtype=float),
                yerr=half, fmt="o", color="0.45", markersize=3.5,
                elinewidth=0.8, capsize=0, alpha=0.8,
                label="point mean, 95% CI" if np.isfinite(half).any() else "point (1 seed)")
    bins = quantile_bins(table["x"].to_numpy(), log)
    binned = table.assign(bin=bins, lx=np.log(table["x"]) if log else table["x"]).groupby(
        "bin").agg(x=("lx", "mean"), mean=("mean", "mean"), low=("x", "min"), high=("x", "max"))
    centres = binned["x"].to_numpy(dtype=float)
    label = f"mean in {len(binned)} quantile bins"
    if len(binned) >= MIN_LINE_VALUES:
        ax.plot(np.exp(centres) if log else centres, binned["mean"].to_numpy(dtype=float),
                color="black", linewidth=1.8, marker="s", markersize=4, label=label, zorder=4)
    else:
        ax.hlines(binned["mean"], binned["low"], binned["high"], color="black", linewidth=1.8,
                  label=label, zorder=4)
    level = float(table["mean"].mean())
    ends = np.concatenate([table["mean"] - half, table["mean"] + half, table["mean"]])
    ax.set_ylim(*effect_range(ends, scale_reference(metric, level), centre=level))
    if log:
        ax.set_xscale("log")
    names = short_names(sweep.params)
    ax.set_xlabel(param_label(lever, param_words(lever, names[lever]))
                  + (" (log scale)" if log else ""))
    ax.set_ylabel(axis_label(metric, prefix="Mean of ", wrap=True))
    human_ticks(ax.xaxis, ax.yaxis)
    ax.legend(frameon=False, fontsize=7.5)
    ax.set_title(metric_info(metric).label, loc="left", fontweight="bold")
    seeds = len(sweep.seeds)
    ax.set_title(f"{len(table)} sampled points, {seeds} seed{'s' if seeds != 1 else ''} each",
                 loc="right",
                 fontsize=7.5, color="0.35")
    return fig
