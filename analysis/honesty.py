"""What a sweep cannot show: uninformative metrics, duplicate points, the p-value floor.

A report should not draw noise as if it were a result. This module finds

* metrics that carry no information in a sweep (:func:`uninformative_reason`):
  every value null (undefined), every value at one of the metric's natural
  bounds (saturated, e.g. a probability of 1 in every run), or every value the
  same (constant);
* points whose outcomes are identical to an earlier point's on every seed
  (:func:`duplicate_points`: a lever inert at some setting), which figures
  should draw once;
* the smallest Holm-adjusted p-value that a paired comparison can reach
  (:func:`holm_floor`): with ``n`` paired seeds the exact two-sided Wilcoxon
  signed-rank test cannot go below ``2 / 2^n`` (all differences of one sign),
  and Holm's step-down multiplies the smallest p-value by the number of
  contrasts; when that floor exceeds the significance level no contrast can
  be significant, whatever the effects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis.load import Sweep
from analysis.metrics_info import format_number, metric_info
from sim.results import SUMMARY_METRICS

#: Absolute tolerance (metric units, relative for large values) below which values are equal.
TOLERANCE = 1e-6

#: Significance level the p-value floor is compared with.
ALPHA = 0.05


def uninformative_reason(
    values: np.ndarray | Sequence[float],
    bounds: tuple[float, float] | None = None,
    tol: float = TOLERANCE,
) -> str | None:
    """Say why a metric's values carry no information, or return ``None`` if they do.

    Args:
        values: Every value of the metric in the sweep (all runs, and all
            months for a time series); NaN marks a null value.
        bounds: Natural ``(low, high)`` bounds of the metric, or ``None``.
        tol: Values within ``tol`` of a bound count as at the bound; values
            whose spread is at most ``tol * max(1, max |value|)`` count as constant.

    Returns:
        ``"undefined: every value is null"``, ``"saturated: every run at the
        upper bound 1 (within 1e-06)"``, ``"constant: every run equals 986"``,
        or ``None`` when the values vary (nulls are left out of the last two
        checks).
    """
    array = np.asarray(values, dtype=float).ravel()
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return "undefined: every value is null"
    if bounds is not None:
        for name, bound in (("lower", bounds[0]), ("upper", bounds[1])):
            if np.all(np.abs(finite - bound) <= tol):
                return (f"saturated: every run at the {name} bound {format_number(bound)} "
                        f"(within {tol:g})")
    low, high = float(finite.min()), float(finite.max())
    if high - low <= tol * max(1.0, float(np.abs(finite).max())):
        return f"constant: every run equals {format_number(float(np.median(finite)), 4)}"
    return None


def uninformative_metrics(
    sweep: Sweep, metrics: Sequence[str], tol: float = TOLERANCE
) -> dict[str, str]:
    """Return the metrics of a sweep that carry no information, with the reason.

    Summary metrics are judged on their value in every run, time-series
    metrics on every monthly value of every run.

    Args:
        sweep: The loaded sweep.
        metrics: Summary and/or time-series metric names.
        tol: See :func:`uninformative_reason`.

    Returns:
        Metric -> reason, in the order of ``metrics``, for the uninformative ones only.
    """
    found = {}
    for metric in metrics:
        table = sweep.runs if metric in SUMMARY_METRICS else sweep.timeseries
        reason = uninformative_reason(table[metric].to_numpy(dtype=float),
                                      metric_info(metric).bounds, tol)
        if reason is not None:
            found[metric] = reason
    return found


def duplicate_points(sweep: Sweep, metrics: Sequence[str] | None = None) -> dict[int, int]:
    """Find points whose summary outcomes equal an earlier point's on every seed.

    Two points are duplicates when every summary metric of ``runs.csv`` (or
    of ``metrics``) agrees on every seed, nulls included (within a relative
    tolerance of 1e-12, for values that went through a CSV file): the levers
    that differ between them had no effect at all, so figures draw them once.

    Args:
        sweep: The loaded sweep.
        metrics: Summary metrics to compare (default: all in ``runs.csv``).

    Returns:
        Job id -> job id of the first point (in job order) with the same
        outcomes; points without a duplicate are not keys.
    """
    names = [m for m in (metrics or sweep.metrics) if m in SUMMARY_METRICS]
    if not names:
        return {}
    runs = sweep.runs.sort_values(["job", "seed"], kind="stable")
    blocks = {int(job): group[names].to_numpy(dtype=float)
              for job, group in runs.groupby("job", sort=True)}
    originals: list[int] = []
    found = {}
    for job in sweep.jobs:
        block = blocks[job]
        for first in originals:
            other = blocks[first]
            if other.shape == block.shape and np.allclose(block, other, rtol=1e-12, atol=0.0,
                                                          equal_nan=True):
                found[job] = first
                break
        else:
            originals.append(job)
    return found


def wilcoxon_p_floor(n_pairs: int) -> float:
    """Return the smallest two-sided p-value of the exact Wilcoxon signed-rank test.

    With ``n`` pairs and no ties or zero differences, the most extreme
    outcome (all differences of one sign) has probability ``2^-n`` under the
    null hypothesis on each side, so the two-sided p-value is at least
    ``2^(1-n)`` (0.00195 for 10 pairs).

    Args:
        n_pairs: Number of paired seeds (at least 1).

    Returns:
        ``min(1, 2^(1 - n_pairs))``.
    """
    return min(1.0, 2.0 ** (1 - int(n_pairs)))


def holm_floor(n_pairs: int, n_contrasts: int) -> float:
    """Return the smallest Holm-adjusted p-value a family of paired contrasts can reach.

    Holm's step-down procedure multiplies the smallest p-value by the number
    of contrasts in the family, so the floor is the Wilcoxon floor
    (:func:`wilcoxon_p_floor`) times ``n_contrasts``, capped at 1.

    Args:
        n_pairs: Paired seeds per contrast.
        n_contrasts: Contrasts adjusted together.

    Returns:
        ``min(1, n_contrasts * 2^(1 - n_pairs))``.
    """
    return min(1.0, max(1, int(n_contrasts)) * wilcoxon_p_floor(n_pairs))


def holm_floor_note(n_pairs: int, n_contrasts: int, alpha: float = ALPHA) -> str:
    """Say that no contrast can be significant, when the Holm floor exceeds ``alpha``.

    Args:
        n_pairs: Paired seeds per contrast.
        n_contrasts: Contrasts adjusted together (Holm).
        alpha: Significance level.

    Returns:
        A sentence for the report, or ``""`` when significance is reachable.
    """
    floor = holm_floor(n_pairs, n_contrasts)
    if floor <= alpha:
        return ""
    return (f"With {n_pairs} paired seeds the smallest two-sided Wilcoxon p-value is "
            f"{wilcoxon_p_floor(n_pairs):.3g}; Holm's adjustment over {n_contrasts} "
            f"contrasts multiplies it by {n_contrasts}, so p_holm cannot fall below "
            f"{floor:.3g} > {alpha:g}: no contrast can reach significance at {alpha:g}, "
            "whatever the effect. Judge the effects by their size and intervals, or run "
            "more seeds.")
