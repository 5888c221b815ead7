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
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd

from analysis.errors import SweepError
from analysis.load import Sweep, check_metrics, point_labels, short_names
from analysis.metrics_info import (
    FLOW_KIND_LABELS,
    FLOW_UNIT,
    axis_label,
    format_quantity,
    metric_info,
    param_label,
)
from analysis.stats import (
    default_threshold,
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


def _jitter(n: int, width: float = 0.15) -> np.ndarray:
    """Return deterministic offsets in [-width, width] for ``n`` dots."""
    return np.random.default_rng(0).uniform(-width, width, n)


def _horizontal(method: Any) -> dict[str, Any]:
    """Return the keyword that lays a box plot on its side (``orientation`` since mpl 3.10)."""
    if "orientation" in inspect.signature(method).parameters:
        return {"orientation": "horizontal"}
    return {"vert": False}


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
    labels = point_labels(sweep)
    colors = point_colors(selected)
    values = {job: sweep.metric_values(metric, job) for job in selected}
    n_null = sum(int(np.isnan(v).sum()) for v in values.values())
    finite = {job: v[np.isfinite(v)] for job, v in values.items()}
    height = max(3.0, 0.42 * len(selected) + 1.6)
    fig = new_figure(11.0, height)
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
    box_ax.set_yticks(positions, [labels[j] for j in selected])
    box_ax.set_xlabel(axis_label(metric))
    box_ax.set_title("Box: quartiles and 5-95% range; dots: seeds")
    for job in selected:
        v = np.sort(finite[job])
        if v.size:
            cdf_ax.step(np.concatenate([[v[0]], v]), np.arange(v.size + 1) / v.size,
                        where="post", color=colors[job], label=labels[job], linewidth=1.4)
    cdf_ax.set_xlabel(axis_label(metric))
    cdf_ax.set_ylabel("Share of seeds at or below [1]")
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
    fig.suptitle(f"{metric_info(metric).label}: {len(sweep.seeds)} seeds per point"
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
    labels = point_labels(sweep)
    colors = point_colors(selected)
    ncols = min(3, len(selected))
    nrows = math.ceil(len(selected) / ncols)
    fig = new_figure(3.4 * ncols + 0.6, 2.5 * nrows + 0.7)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False))
    log = metric_info(metric).log_scale
    for ax, job in zip(axes.flat, selected, strict=False):
        months, bands = _quantile_bands(sweep, metric, job)
        color = colors[job]
        ax.fill_between(months, bands[0], bands[4], color=color, alpha=0.18, linewidth=0,
                        label="90% band")
        ax.fill_between(months, bands[1], bands[3], color=color, alpha=0.4, linewidth=0,
                        label="50% band")
        ax.plot(months, bands[2], color=color, linewidth=1.6, label="median")
        ax.set_title(labels[job])
        log = log and bool(np.all(bands[np.isfinite(bands)] > 0))
    for ax in axes.flat[len(selected):]:
        ax.set_visible(False)
    fig.supylabel(axis_label(metric, timeseries=True, wrap=True), fontsize=9)
    for ax in axes.flat[len(selected) - ncols:len(selected)]:
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("Month of run [months]")
    if log:
        axes.flat[0].set_yscale("log")
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
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating):
        return f"{float(value):.3g}"
    return str(value)


def _annotate(ax: Any, image: np.ndarray, fmt: str, cmap: Any, norm: Any) -> None:
    """Write each cell's value on a heatmap in black or white for contrast."""
    if image.size > 144:
        return
    for (i, j), value in np.ndenumerate(image):
        if np.isfinite(value):
            r, g, b, _ = cmap(norm(value))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(j, i, format(value, fmt), ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")


@styled
def plot_heatmaps(sweep: Sweep, metric: str, threshold: float | None = None) -> Any:
    """Plot a 2-D sweep as heatmaps: median of a metric, and P(metric > threshold).

    Args:
        sweep: A sweep whose points are every combination of two parameters.
        metric: Summary metric.
        threshold: Level in metric units; ``None`` uses the median over all runs.

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
    level = default_threshold(sweep, metric) if threshold is None else float(threshold)
    table = grid_table(sweep, metric, level)
    a, b = sweep.params
    names = short_names(sweep.params)
    fig = new_figure(9.0, 3.9)
    axes = fig.subplots(1, 2)
    panels = [
        ("median", axis_label(metric), f"Median across seeds of {metric_info(metric).label}",
         "viridis", ".3g"),
        ("p_exceed", "Probability [1]",
         f"P({metric_info(metric).label} > {format_quantity(level, metric, 3)})",
         "magma", ".2f"),
    ]
    for ax, (column, bar_label, title, cmap_name, fmt) in zip(axes, panels, strict=True):
        xs, ys, image = _grid_image(table, a, b, column)
        cmap = matplotlib.colormaps[cmap_name]
        if column == "p_exceed":
            norm = matplotlib.colors.Normalize(0.0, 1.0)
        else:
            finite = image[np.isfinite(image)]
            low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            norm = matplotlib.colors.Normalize(low, high if high > low else low + 1.0)
        mesh = ax.imshow(image, origin="lower", aspect="auto", cmap=cmap, norm=norm)
        ax.set_xticks(range(len(xs)), [_format_tick(x) for x in xs])
        ax.set_yticks(range(len(ys)), [_format_tick(y) for y in ys])
        ax.set_xlabel(param_label(a, names[a]))
        ax.set_ylabel(param_label(b, names[b]))
        ax.set_title(title)
        ax.grid(False)
        _annotate(ax, image, fmt, cmap, norm)
        fig.colorbar(mesh, ax=ax, label=bar_label, shrink=0.9)
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
    confidence interval (from :func:`analysis.stats.effects_table`).

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
    labels = point_labels(sweep)
    colors = point_colors(selected)
    fig = new_figure(7.5, max(2.8, 0.45 * len(selected) + 1.6))
    ax = fig.subplots()
    positions = np.arange(len(selected))[::-1]
    for pos, job in zip(positions, selected, strict=True):
        diff = paired_differences(sweep, metric, job, baseline)["difference"].to_numpy()
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
    ax.set_yticks(positions, [labels[j] for j in selected])
    ax.set_xlabel(axis_label(metric, prefix="Difference in "))
    ax.set_title(f"Per-seed differences vs baseline ({labels[baseline]});\n"
                 "bar: mean difference with 95% bootstrap CI")
    return fig


@styled
def plot_sobol(sweep: Sweep, table: pd.DataFrame, metric: str) -> Any:
    """Plot first-order and total Sobol indices of a metric as bars with CIs.

    Total indices are left out when the table has none (given-data estimates).

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
        value = rows[key].to_numpy()
        low, high = rows[f"{key}_low"].to_numpy(), rows[f"{key}_high"].to_numpy()
        err = np.vstack([np.clip(value - low, 0, None), np.clip(high - value, 0, None)])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.bar(x + (k - (len(kinds) - 1) / 2) * width, np.nan_to_num(value), width,
               color=color, label=label, yerr=err, capsize=3, error_kw={"linewidth": 1.0})
    ax.axhline(0.0, color="0.3", linewidth=0.8)
    tilt = len(params) > 4
    ax.set_xticks(x, [names.get(p, p) for p in params], rotation=20 if tilt else 0,
                  ha="right" if tilt else "center")
    ax.set_ylabel("Sobol index [1]")
    ax.set_xlabel("Swept parameter")
    bounds = rows[[f"{key}_{end}" for key, _, _ in kinds for end in ("low", "high")]]
    bounds = bounds.to_numpy(dtype=float)
    finite = bounds[np.isfinite(bounds)]
    ax.set_ylim(min(0.0, finite.min() if finite.size else 0.0) - 0.05,
                max(1.05, (finite.max() if finite.size else 0.0) + 0.05))
    constant = not np.any(np.isfinite(rows["first"].to_numpy()))
    note = ", output constant: undefined" if constant else ""
    ax.set_title(f"Sensitivity of {metric_info(metric).label}\n({rows['method'].iloc[0]}, "
                 f"N = {int(rows['n_base'].iloc[0])}, 95% CI{note})")
    ax.legend(frameon=False, loc="upper right")
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
    labels = point_labels(sweep)
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
        _annotate(ax, images[job], ".3g", cmap, norm)
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
        ax.set_title(labels[job])
        ax.grid(False)
    for ax in axes.flat[len(selected):]:
        ax.set_visible(False)
    fig.colorbar(mesh, ax=list(axes.flat[:len(selected)]), label=f"Moves [{FLOW_UNIT}]",
                 shrink=0.85)
    fig.suptitle(f"Researcher moves per year, mean across {len(sweep.seeds)} seeds")
    return fig


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
    for ax, param in zip(axes.flat, sweep.params, strict=False):
        x = points.loc[per_point.index, param]
        ax.scatter(x.astype(float) if x.dtype == bool else x, per_point.to_numpy(), s=10,
                   alpha=0.6, color="#0072B2", linewidths=0)
        ax.set_xlabel(param_label(param, names[param]))
    for ax in axes.flat[len(sweep.params):]:
        ax.set_visible(False)
    fig.supylabel(axis_label(metric, prefix=f"{statistic.capitalize()} of ", wrap=True),
                  fontsize=9)
    fig.suptitle(f"{metric_info(metric).label}: {statistic} across seeds at each of "
                 f"{len(sweep.jobs)} points")
    return fig
