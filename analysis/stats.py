"""Statistics tables per parameter point: summaries, paired effects, grids and flows.

All confidence intervals are two-sided bootstrap intervals from
``scipy.stats.bootstrap`` (BCa, falling back to the percentile method when BCa
is undefined), with generators seeded from ``numpy.random.SeedSequence`` over
``(seed, job, metric index, table tag)``: regenerating a table gives identical
numbers, and adding or removing metrics does not change the others.
Null summary values (empty cells, e.g. a threshold never reached) are dropped
and counted in ``n_null``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import SweepError
from analysis.load import Sweep, check_metrics
from sim.results import FLOW_KINDS, SUMMARY_METRICS

#: Default number of bootstrap resamples.
N_RESAMPLES = 4999

_TAG_SUMMARY = 1
_TAG_EFFECT = 2

_STATISTICS: dict[str, Callable[..., np.ndarray]] = {"mean": np.mean, "median": np.median}


def _rng(seed: int, *keys: int) -> np.random.Generator:
    """Return a generator for one bootstrap, seeded by the base seed and the table keys."""
    return np.random.default_rng([seed, *keys])


def bootstrap_ci(
    values: np.ndarray,
    statistic: str = "mean",
    confidence_level: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    rng: np.random.Generator | None = None,
) -> tuple[float, float]:
    """Return a bootstrap confidence interval of the mean or median of a sample.

    Args:
        values: Sample (NaN values are dropped).
        statistic: ``"mean"`` or ``"median"``.
        confidence_level: Coverage of the two-sided interval (0-1).
        n_resamples: Number of bootstrap resamples.
        rng: Generator for the resampling; ``None`` uses ``default_rng(0)``.

    Returns:
        ``(low, high)`` in the units of ``values``; ``(v, v)`` when all values
        equal ``v``; NaNs with fewer than two values.
    """
    if statistic not in _STATISTICS:
        raise SweepError(f"statistic={statistic!r}: allowed: {', '.join(_STATISTICS)}")
    sample = np.asarray(values, dtype=float)
    sample = sample[np.isfinite(sample)]
    if sample.size < 2:
        return (np.nan, np.nan)
    if np.all(sample == sample[0]):
        return (float(sample[0]), float(sample[0]))
    function = _STATISTICS[statistic]
    low, high = bootstrap_interval(
        (sample,), lambda x, axis: function(x, axis=axis), confidence_level, n_resamples,
        rng if rng is not None else np.random.default_rng(0),
    )
    return float(low), float(high)


def bootstrap_interval(
    data: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    confidence_level: float,
    n_resamples: int,
    rng: np.random.Generator,
    method: str = "BCa",
) -> tuple[np.ndarray, np.ndarray]:
    """Return a bootstrap confidence interval of a (possibly multi-output) statistic.

    Runs ``scipy.stats.bootstrap`` with the BCa method and repeats it with the
    percentile method, on the same resamples, when BCa gives a non-finite
    bound (for example a statistic that is constant across jackknife samples).
    ``method="percentile"`` skips BCa (whose jackknife costs ``n`` extra
    evaluations of the statistic on samples of size ``n - 1``).

    Args:
        data: Samples, as for ``scipy.stats.bootstrap``.
        statistic: Vectorized statistic ``f(*samples, axis)``; several outputs
            are stacked along the first axis.
        confidence_level: Coverage of the two-sided interval (0-1).
        n_resamples: Number of bootstrap resamples.
        rng: Generator of the resampling.
        method: ``"BCa"`` (with the percentile fallback) or ``"percentile"``.

    Returns:
        Arrays ``(low, high)`` with one entry per output of the statistic; NaN
        for an output that is undefined (NaN) in some resamples.
    """
    state = rng.bit_generator.state
    if method == "BCa":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                data, statistic, n_resamples=n_resamples, confidence_level=confidence_level,
                method="BCa", vectorized=True, rng=rng,
            )
        low, high = result.confidence_interval
        if np.all(np.isfinite(low)) and np.all(np.isfinite(high)):
            return np.asarray(low), np.asarray(high)
        rng.bit_generator.state = state
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            data, statistic, n_resamples=n_resamples, confidence_level=confidence_level,
            method="percentile", vectorized=True, rng=rng,
        )
    return np.asarray(result.confidence_interval.low), np.asarray(result.confidence_interval.high)


def _metric_index(metric: str) -> int:
    """Return the position of a summary metric (a stable key for bootstrap seeds)."""
    return SUMMARY_METRICS.index(metric)


def _select_metrics(sweep: Sweep, metrics: Sequence[str] | None) -> list[str]:
    """Return the requested summary metrics, checked (default: all)."""
    return check_metrics(sweep.metrics if metrics is None else metrics, "summary")


def describe(values: np.ndarray) -> dict[str, float]:
    """Return count, null count, mean, median, standard deviation and 5/95% quantiles.

    Args:
        values: Sample (NaN = null).

    Returns:
        Mapping with keys ``n``, ``n_null``, ``mean``, ``median``, ``std``
        (ddof=1), ``q05`` and ``q95``; NaN where undefined.
    """
    sample = np.asarray(values, dtype=float)
    finite = sample[np.isfinite(sample)]
    n = finite.size
    return {
        "n": n,
        "n_null": int(sample.size - n),
        "mean": float(np.mean(finite)) if n else np.nan,
        "median": float(np.median(finite)) if n else np.nan,
        "std": float(np.std(finite, ddof=1)) if n > 1 else np.nan,
        "q05": float(np.quantile(finite, 0.05)) if n else np.nan,
        "q95": float(np.quantile(finite, 0.95)) if n else np.nan,
    }


def summary_table(
    sweep: Sweep,
    metrics: Sequence[str] | None = None,
    *,
    pooled: bool = False,
    confidence_level: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Summarise each summary metric at each parameter point across seeds.

    Args:
        sweep: The loaded sweep.
        metrics: Summary metrics (default: all in ``runs.csv``).
        pooled: Summarise all runs of the sweep together (one row per metric,
            ``job`` = -1) instead of per point; for sampled designs with many points.
        confidence_level: Coverage of the bootstrap interval of the mean (0-1).
        n_resamples: Number of bootstrap resamples.
        seed: Base seed of the bootstrap generators.

    Returns:
        One row per (metric, job): ``metric``, ``job``, the swept parameters
        (absent when pooled), ``n``, ``n_null``, ``mean``, ``ci_low``,
        ``ci_high`` (interval of the mean), ``median``, ``q05``, ``q95``,
        ``std``; values in the metric's units.
    """
    names = _select_metrics(sweep, metrics)
    rows = []
    groups = [(-1, sweep.runs)] if pooled else list(sweep.runs.groupby("job", sort=True))
    for metric in names:
        for job, group in groups:
            values = group[metric].to_numpy(dtype=float)
            low, high = bootstrap_ci(
                values, "mean", confidence_level, n_resamples,
                _rng(seed, int(job) + 1, _metric_index(metric), _TAG_SUMMARY),
            )
            row = {"metric": metric, "job": int(job)}
            if not pooled:
                row.update(group[sweep.params].iloc[0].to_dict())
            info = describe(values)
            row.update(n=info["n"], n_null=info["n_null"], mean=info["mean"], ci_low=low,
                       ci_high=high, median=info["median"], q05=info["q05"], q95=info["q95"],
                       std=info["std"])
            rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(sweep: Sweep, metric: str, job: int, baseline: int) -> pd.DataFrame:
    """Return per-seed values at a point and at the baseline, and their difference.

    Common random numbers make the runs of one seed comparable across points,
    so the paired difference removes the variation shared by a seed.

    Args:
        sweep: The loaded sweep.
        metric: Summary metric.
        job: Job id of the point.
        baseline: Job id of the baseline point.

    Returns:
        Columns ``seed``, ``baseline``, ``value``, ``difference`` (value -
        baseline, metric units); seeds with a null at either point are dropped.
    """
    check_metrics([metric], "summary")
    table = pd.DataFrame({
        "seed": sweep.seeds,
        "baseline": sweep.metric_values(metric, baseline),
        "value": sweep.metric_values(metric, job),
    })
    table["difference"] = table["value"] - table["baseline"]
    return table[np.isfinite(table["difference"])].reset_index(drop=True)


def _mean_and_dz(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Return the mean and the standardised mean (mean / sd, ddof=1; NaN if sd = 0)."""
    mean = np.mean(x, axis=axis)
    sd = np.std(x, axis=axis, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.stack([mean, np.where(sd > 0, mean / sd, np.nan)])


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Return Holm-Bonferroni adjusted p-values (NaN entries are left NaN).

    Args:
        p_values: Unadjusted p-values of one family of tests.

    Returns:
        Adjusted p-values, monotone in the order of the unadjusted ones, capped at 1.
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    m = order.size
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def effects_table(
    sweep: Sweep,
    baseline: int,
    metrics: Sequence[str] | None = None,
    *,
    jobs: Sequence[int] | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Estimate the paired effect of each point against the baseline point.

    The effect is the mean of per-seed differences (common random numbers),
    with a bootstrap interval, the standardised effect ``d_z`` = mean / sd of
    the differences (with its interval), the share of seeds in which the
    point exceeds the baseline, and a two-sided Wilcoxon signed-rank test of
    zero median difference (``scipy.stats.wilcoxon``), Holm-adjusted across
    the points of each metric.

    Args:
        sweep: The loaded sweep.
        baseline: Job id of the baseline point (see :func:`analysis.load.resolve_baseline`).
        metrics: Summary metrics (default: all in ``runs.csv``).
        jobs: Points to compare with the baseline (default: all); the Holm
            adjustment runs over these (e.g. without duplicate points).
        confidence_level: Coverage of the bootstrap intervals (0-1).
        n_resamples: Number of bootstrap resamples.
        seed: Base seed of the bootstrap generators.

    Returns:
        One row per (metric, compared job other than the baseline): ``metric``, ``job``,
        the swept parameters, ``n_pairs``, ``baseline_mean``, ``mean``,
        ``effect`` (mean difference, metric units), ``effect_ci_low``,
        ``effect_ci_high``, ``rel_effect`` (effect / |baseline mean|),
        ``median_diff``, ``d_z``, ``d_z_ci_low``, ``d_z_ci_high``,
        ``share_higher`` (0-1), ``wilcoxon_stat``, ``p_value``, ``p_holm``.
    """
    names = _select_metrics(sweep, metrics)
    if baseline not in sweep.jobs:
        raise SweepError(f"baseline job {baseline} is not in the sweep; jobs: {sweep.jobs}")
    compared = sweep.jobs if jobs is None else [j for j in sweep.jobs if j in set(jobs)]
    points = sweep.points.set_index("job")
    rows = []
    for metric in names:
        first = len(rows)
        for job in compared:
            if job == baseline:
                continue
            pairs = paired_differences(sweep, metric, job, baseline)
            diff = pairs["difference"].to_numpy()
            row = {"metric": metric, "job": job, **points.loc[job, sweep.params].to_dict()}
            row.update(_paired_effect(
                diff, pairs["baseline"].to_numpy(), pairs["value"].to_numpy(), confidence_level,
                n_resamples, _rng(seed, job + 1, _metric_index(metric), _TAG_EFFECT),
            ))
            rows.append(row)
        p_adjusted = holm([r["p_value"] for r in rows[first:]])
        for row, p in zip(rows[first:], p_adjusted, strict=True):
            row["p_holm"] = float(p)
    return pd.DataFrame(rows)


def _mean_beyond_rounding(values: np.ndarray) -> float:
    """Mean of ``values``, or exactly 0 when it is within the rounding error of the sum.

    Differences that cancel (``0.1 + 0.2 - 0.3``) leave a mean of ~1e-17 instead of
    0; a report would print that as an effect. A floating-point sum of ``n`` terms
    errs by at most about ``n eps sum|x|`` (Higham 2002, §4.2), so a mean within
    that bound is no evidence of an effect and is reported as 0.
    """
    mean = float(np.mean(values))
    bound = values.size * np.finfo(float).eps * float(np.mean(np.abs(values)))
    return 0.0 if abs(mean) <= bound else mean


def _paired_effect(
    diff: np.ndarray,
    base: np.ndarray,
    value: np.ndarray,
    confidence_level: float,
    n_resamples: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Return the effect statistics of one point against the baseline."""
    n = diff.size
    nan = np.nan
    result = {
        "n_pairs": n,
        "baseline_mean": float(np.mean(base)) if n else nan,
        "mean": float(np.mean(value)) if n else nan,
        "effect": _mean_beyond_rounding(diff) if n else nan,
        "effect_ci_low": nan, "effect_ci_high": nan,
        "rel_effect": nan,
        "median_diff": float(np.median(diff)) if n else nan,
        "d_z": nan, "d_z_ci_low": nan, "d_z_ci_high": nan,
        "share_higher": float(np.mean(diff > 0)) if n else nan,
        "wilcoxon_stat": nan, "p_value": nan,
    }
    if n and result["baseline_mean"] != 0:
        result["rel_effect"] = result["effect"] / abs(result["baseline_mean"])
    if n < 2:
        return result
    if np.all(diff == diff[0]):
        result.update(effect_ci_low=float(diff[0]), effect_ci_high=float(diff[0]))
    else:
        result["d_z"] = float(np.mean(diff) / np.std(diff, ddof=1))
        low, high = bootstrap_interval((diff,), _mean_and_dz, confidence_level, n_resamples, rng)
        result.update(effect_ci_low=float(low[0]), effect_ci_high=float(high[0]),
                      d_z_ci_low=float(low[1]), d_z_ci_high=float(high[1]))
    if np.all(diff == 0):
        result.update(wilcoxon_stat=0.0, p_value=1.0)
    else:
        test = stats.wilcoxon(diff, alternative="two-sided")
        result.update(wilcoxon_stat=float(test.statistic), p_value=float(test.pvalue))
    return result


def default_threshold(sweep: Sweep, metric: str) -> float:
    """Return the default exceedance level of a summary metric.

    The level is a meaningful value of the metric from
    :data:`analysis.metrics_info.THRESHOLDS` (for example an HHI of 0.18,
    "highly concentrated"), not a statistic of the sweep: the median of all
    runs, the former default, makes every exceedance map a split at 50%.

    Args:
        sweep: The loaded sweep (checked to hold the metric).
        metric: Summary metric.

    Returns:
        The level in metric units, or NaN when the metric has no default level.
    """
    from analysis.metrics_info import threshold

    check_metrics([metric], "summary")
    del sweep
    level = threshold(metric)
    return np.nan if level is None else float(level)


def grid_table(sweep: Sweep, metric: str, threshold: float | None = None) -> pd.DataFrame:
    """Return the median and the exceedance probability of a metric at each point.

    Args:
        sweep: The loaded sweep.
        metric: Summary metric.
        threshold: Level in metric units; ``None`` uses :func:`default_threshold`.

    Returns:
        One row per job: ``job``, the swept parameters, ``n`` (non-null runs),
        ``median`` (metric units), ``p_exceed`` (share of non-null runs with a
        value strictly above the threshold, 0-1; NaN without a threshold) and
        ``threshold``.
    """
    check_metrics([metric], "summary")
    level = default_threshold(sweep, metric) if threshold is None else float(threshold)
    rows = []
    for job, group in sweep.runs.groupby("job", sort=True):
        values = group[metric].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        row = {"job": int(job), **group[sweep.params].iloc[0].to_dict(), "n": values.size,
               "median": float(np.median(values)) if values.size else np.nan,
               "p_exceed": (float(np.mean(values > level))
                            if values.size and np.isfinite(level) else np.nan),
               "threshold": level}
        rows.append(row)
    return pd.DataFrame(rows)


def is_full_grid(sweep: Sweep) -> bool:
    """Return whether the points are every combination of two swept parameters' values.

    Args:
        sweep: The loaded sweep.

    Returns:
        True for a 2-D sweep with one point per combination (heatmaps apply).
    """
    if len(sweep.params) != 2:
        return False
    a, b = sweep.params
    points = sweep.points
    size = points[a].nunique() * points[b].nunique()
    return size == len(points) and not points.duplicated([a, b]).any()


def flow_table(sweep: Sweep, jobs: Sequence[int] | None = None) -> pd.DataFrame:
    """Return mean researcher moves per year between organisation kinds at each point.

    A run's rate for a pair of kinds is its total moves divided by the number
    of (possibly partial) years of the sweep's runs (``max(year) + 1`` in
    ``flows.csv``); runs without a row for a pair count as zero moves.

    Args:
        sweep: The loaded sweep.
        jobs: Points to include (default: all).

    Returns:
        One row per (job, from_kind, to_kind) over :data:`sim.FLOW_KINDS`:
        ``job``, ``from_kind``, ``to_kind``, ``mean`` and ``median`` across
        seeds of the moves per year (researchers/year), ``q05``, ``q95``.
    """
    selected = sweep.jobs if jobs is None else list(jobs)
    unknown = sorted(set(selected) - set(sweep.jobs))
    if unknown:
        raise SweepError(f"jobs {unknown} are not in the sweep; jobs: {sweep.jobs}")
    flows = sweep.flows
    years = int(flows["year"].max()) + 1 if not flows.empty else 1
    totals = flows.groupby(["job", "seed", "from_kind", "to_kind"])["moves"].sum()
    seeds = sweep.seeds
    kinds = list(FLOW_KINDS)
    index = pd.MultiIndex.from_product([selected, seeds, kinds, kinds],
                                       names=["job", "seed", "from_kind", "to_kind"])
    rates = totals.reindex(index, fill_value=0.0).to_numpy(dtype=float).reshape(
        len(selected), len(seeds), len(kinds), len(kinds)) / years
    rows = []
    for j, job in enumerate(selected):
        for a, src in enumerate(kinds):
            for b, dst in enumerate(kinds):
                values = rates[j, :, a, b]
                rows.append({"job": job, "from_kind": src, "to_kind": dst,
                             "mean": float(values.mean()), "median": float(np.median(values)),
                             "q05": float(np.quantile(values, 0.05)),
                             "q95": float(np.quantile(values, 0.95))})
    return pd.DataFrame(rows)
