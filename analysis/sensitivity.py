"""Global sensitivity: first-order and total Sobol indices from a stored Saltelli design.

``scipy.stats.sobol_indices`` evaluates a callable; a sweep has already been
run, so this module applies the same estimators to the stored results:

* first order (Saltelli et al. 2010, Table 2 (b)):
  ``S_i = mean(f_B * (f_ABi - f_A)) / V``;
* total (Jansen 1999; Saltelli et al. 2010, Table 2 (f)):
  ``ST_i = mean((f_A - f_ABi)**2) / (2 V)``;

with ``V`` the variance of ``f_A`` and ``f_B`` together, outputs centred on
their mean first. Confidence intervals are percentile intervals from
``scipy.stats.bootstrap`` over the ``N`` base rows (each resample keeps a row
of A, of B and of every AB_i together); BCa is not used because its jackknife
costs ``O(N^2 d)``.

Required design (the sweep's ``design.kind`` is ``sobol``): ``N * (d + 2)``
jobs for ``d`` swept numeric parameters, in job order

* jobs ``0 .. N-1``: matrix A (one point per row),
* jobs ``N .. 2N-1``: matrix B,
* jobs ``(2 + i) N .. (3 + i) N - 1``: matrix AB_i = A with column ``i``
  (the ``i``-th swept parameter in ``runs.csv`` column order) taken from B.

:func:`saltelli_points` builds such a design from scrambled Sobol' points;
:func:`saltelli_blocks` checks that a loaded sweep has this layout. The model
output of a point is the mean (or median) of the metric across its seeds;
with common random numbers the seed component is the same at every point.

Designs without that layout (a plain Sobol' sequence or a Latin hypercube)
still give first-order indices from the data alone (:func:`first_order_table`):
each parameter's range is cut into ``M`` equal-count bins (``M`` about the
square root of the number of points) and ``S_i`` is the share of output
variance explained by the bin means, corrected for the finite sample as in
omega squared (Hays 1963): ``(SSB - (M - 1) MSW) / (SST + MSW)``, with a
delete-a-group jackknife interval. Total indices need the pick-freeze design
above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from analysis.errors import SweepError
from analysis.load import Sweep, check_metrics
from analysis.stats import N_RESAMPLES, bootstrap_interval
from sim.results import SUMMARY_METRICS

#: ``method`` column of pick-freeze estimates.
SALTELLI_METHOD = "saltelli-jansen"

#: ``method`` column of given-data first-order estimates.
GIVEN_DATA_METHOD = "binned (given data)"

#: Index columns of the sensitivity tables, in order.
INDEX_COLUMNS: tuple[str, ...] = (
    "first", "first_low", "first_high", "total", "total_low", "total_high")

#: Groups of the delete-a-group jackknife of given-data indices.
JACKKNIFE_GROUPS = 20

#: Fewest points for given-data first-order indices.
MIN_GIVEN_DATA_POINTS = 16


def saltelli_points(
    bounds: Mapping[str, tuple[float, float]], n_base: int, seed: int
) -> pd.DataFrame:
    """Return the points of a Saltelli design over a box, in the required job order.

    Args:
        bounds: Dotted parameter key -> ``(low, high)``, in column order.
        n_base: Base sample size ``N`` (a power of 2, for the balance of
            Sobol' points).
        seed: Seed of the scrambled Sobol' sequence.

    Returns:
        ``N * (d + 2)`` rows (A, B, AB_1, ..., AB_d), one column per parameter.

    Raises:
        ValueError: ``n_base`` is not a power of 2 or a bound is empty.
    """
    if n_base < 1 or n_base & (n_base - 1):
        raise ValueError(f"n_base={n_base}: must be a power of 2")
    keys = list(bounds)
    d = len(keys)
    low = np.array([bounds[k][0] for k in keys], dtype=float)
    high = np.array([bounds[k][1] for k in keys], dtype=float)
    if np.any(high <= low):
        raise ValueError(f"bounds {dict(bounds)}: each needs low < high")
    sample = qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(seed)).random_base2(
        int(np.log2(n_base)))
    a = qmc.scale(sample[:, :d], low, high)
    b = qmc.scale(sample[:, d:], low, high)
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    return pd.DataFrame(np.vstack(blocks), columns=keys)


@dataclass(frozen=True)
class SaltelliBlocks:
    """Job ids of the blocks of a Saltelli design.

    Attributes:
        params: Swept parameters, in the order of the AB_i blocks.
        a: Job ids of matrix A, shape ``(N,)``.
        b: Job ids of matrix B, shape ``(N,)``.
        ab: Job ids of matrices AB_i, shape ``(d, N)``.
    """

    params: list[str]
    a: np.ndarray
    b: np.ndarray
    ab: np.ndarray

    @property
    def n_base(self) -> int:
        """Base sample size ``N``."""
        return int(self.a.size)


def saltelli_blocks(sweep: Sweep) -> SaltelliBlocks:
    """Check that a sweep has the Saltelli layout and return its blocks.

    Args:
        sweep: The loaded sweep.

    Returns:
        The job ids of A, B and every AB_i.

    Raises:
        SweepError: The jobs do not form an A, B, AB_1..AB_d design (see the
            module docstring), naming the first job that breaks it.
    """
    where = sweep.runs_path
    params = sweep.params
    d = len(params)
    points = sweep.points
    for p in params:
        if not pd.api.types.is_numeric_dtype(points[p]) or pd.api.types.is_bool_dtype(points[p]):
            raise SweepError(f"{where}: Sobol indices need numeric parameters; {p!r} is not")
    jobs = points["job"].to_numpy()
    layout = (
        "Sobol indices need the Saltelli layout: N*(d+2) jobs in order A (N rows), B, "
        "AB_1..AB_d, where AB_i is A with column i from B (see docs/analysis.md)"
    )
    if not np.array_equal(jobs, np.arange(jobs.size)):
        missing = sorted(set(range(int(jobs.max()) + 1)) - set(jobs.tolist()))
        raise SweepError(f"{where}: jobs {missing[:10]} are missing. {layout}")
    if d == 0 or jobs.size % (d + 2):
        raise SweepError(f"{where}: {jobs.size} jobs for d={d} parameters. {layout}")
    n = jobs.size // (d + 2)
    x = points[params].to_numpy(dtype=float)
    a, b = x[:n], x[n:2 * n]
    for i in range(d):
        block = x[(2 + i) * n:(3 + i) * n]
        expected = a.copy()
        expected[:, i] = b[:, i]
        bad = ~np.all(np.isclose(block, expected, rtol=1e-9, atol=1e-12), axis=1)
        if bad.any():
            job = (2 + i) * n + int(np.flatnonzero(bad)[0])
            raise SweepError(
                f"{where}: job {job} should equal job {job - (2 + i) * n} (matrix A) with "
                f"{params[i]!r} from job {job - (1 + i) * n} (matrix B). {layout}"
            )
    return SaltelliBlocks(
        params=list(params),
        a=jobs[:n],
        b=jobs[n:2 * n],
        ab=jobs[2 * n:].reshape(d, n),
    )


def _indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> np.ndarray:
    """Return first-order and total indices stacked, shape ``(2 d, ...)``.

    ``f_a`` and ``f_b`` have shape ``(..., n)``, ``f_ab`` ``(d, ..., n)``; the
    estimators reduce the last axis.
    """
    mean = 0.5 * (np.mean(f_a, axis=-1, keepdims=True) + np.mean(f_b, axis=-1, keepdims=True))
    fa, fb, fab = f_a - mean, f_b - mean, f_ab - mean
    variance = np.var(np.concatenate([fa, fb], axis=-1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(fb * (fab - fa), axis=-1) / variance
        total = 0.5 * np.mean((fa - fab) ** 2, axis=-1) / variance
    return np.concatenate([first, total], axis=0)


def sobol_indices_from_values(
    f_a: np.ndarray,
    f_b: np.ndarray,
    f_ab: np.ndarray,
    *,
    confidence_level: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Estimate first-order and total Sobol indices with bootstrap intervals.

    Args:
        f_a: Outputs at the rows of A, shape ``(N,)``.
        f_b: Outputs at the rows of B, shape ``(N,)``.
        f_ab: Outputs at the rows of each AB_i, shape ``(d, N)``.
        confidence_level: Coverage of the intervals (0-1).
        n_resamples: Number of bootstrap resamples of the N base rows.
        rng: Generator of the resampling; ``None`` uses ``default_rng(0)``.

    Returns:
        Arrays of shape ``(d,)``: ``first``, ``first_low``, ``first_high``,
        ``total``, ``total_low``, ``total_high`` (dimensionless; NaN when the
        output has zero variance).
    """
    f_a = np.asarray(f_a, dtype=float)
    f_b = np.asarray(f_b, dtype=float)
    f_ab = np.asarray(f_ab, dtype=float)
    d, n = f_ab.shape
    if f_a.shape != (n,) or f_b.shape != (n,):
        raise ValueError(f"f_a and f_b need shape ({n},) to match f_ab {f_ab.shape}")
    point = _indices(f_a, f_b, f_ab)
    result = {"first": point[:d], "total": point[d:]}
    nan = np.full(d, np.nan)
    if n < 3 or not np.all(np.isfinite(point)):
        result.update(first_low=nan, first_high=nan, total_low=nan, total_high=nan)
        return result

    def statistic(index: np.ndarray, axis: int = -1) -> np.ndarray:
        index = np.moveaxis(index, axis, -1)
        return _indices(f_a[index], f_b[index], f_ab[:, index])

    low, high = bootstrap_interval(
        (np.arange(n),), statistic, confidence_level, n_resamples,
        rng if rng is not None else np.random.default_rng(0), method="percentile",
    )
    result.update(first_low=low[:d], first_high=high[:d], total_low=low[d:], total_high=high[d:])
    return result


def sobol_table(
    sweep: Sweep,
    metrics: Sequence[str] | None = None,
    *,
    statistic: str = "mean",
    confidence_level: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Return first-order and total Sobol indices of summary metrics per swept parameter.

    Args:
        sweep: A sweep with the Saltelli layout (see the module docstring).
        metrics: Summary metrics (default: all in ``runs.csv``).
        statistic: Output of a point: ``"mean"`` or ``"median"`` across seeds.
        confidence_level: Coverage of the bootstrap intervals (0-1).
        n_resamples: Number of bootstrap resamples.
        seed: Base seed of the bootstrap generators.

    Returns:
        One row per (metric, parameter): ``metric``, ``param``, ``first``,
        ``first_low``, ``first_high``, ``total``, ``total_low``,
        ``total_high`` (dimensionless), ``n_base`` (base rows used: rows
        where any block has only null values are dropped) and ``method``.
    """
    if statistic not in ("mean", "median"):
        raise SweepError(f"statistic={statistic!r}: allowed: mean, median")
    names = check_metrics(sweep.metrics if metrics is None else metrics, "summary")
    blocks = saltelli_blocks(sweep)
    per_point = sweep.runs.groupby("job")[names].agg(statistic)
    rows = []
    for metric in names:
        y = per_point[metric]
        f_a = y.loc[blocks.a].to_numpy()
        f_b = y.loc[blocks.b].to_numpy()
        f_ab = np.stack([y.loc[jobs].to_numpy() for jobs in blocks.ab])
        keep = np.isfinite(f_a) & np.isfinite(f_b) & np.all(np.isfinite(f_ab), axis=0)
        est = sobol_indices_from_values(
            f_a[keep], f_b[keep], f_ab[:, keep], confidence_level=confidence_level,
            n_resamples=n_resamples,
            rng=np.random.default_rng([seed, SUMMARY_METRICS.index(metric), 3]),
        )
        for i, param in enumerate(blocks.params):
            rows.append({"metric": metric, "param": param,
                         **{k: float(est[k][i]) for k in INDEX_COLUMNS},
                         "n_base": int(keep.sum()), "method": SALTELLI_METHOD})
    return pd.DataFrame(rows)


def _bin_codes(x: np.ndarray, bins: int) -> tuple[np.ndarray, int]:
    """Return a bin per value (its distinct value, or an equal-count rank bin) and the bin count."""
    values, codes = np.unique(x, return_inverse=True)
    if values.size <= bins:
        return codes, int(values.size)
    ranks = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    return (ranks * bins) // x.size, bins


def _omega_squared(y: np.ndarray, codes: np.ndarray, bins: int) -> np.ndarray:
    """Return the bias-corrected correlation ratio of ``y`` on bins, along the last axis.

    ``y`` and ``codes`` have shape ``(..., n)``; bins are ``0 .. bins - 1``.
    """
    batch = y.reshape(-1, y.shape[-1])
    group = codes.reshape(-1, codes.shape[-1])
    rows, n = batch.shape
    flat = (np.arange(rows)[:, None] * bins + group).ravel()
    count = np.bincount(flat, minlength=rows * bins).reshape(rows, bins)
    total = np.bincount(flat, weights=batch.ravel(), minlength=rows * bins).reshape(rows, bins)
    mean = batch.mean(axis=1, keepdims=True)
    sst = np.sum((batch - mean) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        bin_mean = np.where(count > 0, total / count, 0.0)
        ssb = np.sum(count * (bin_mean - mean) ** 2, axis=1)
        used = np.count_nonzero(count, axis=1)
        msw = (sst - ssb) / (n - used)
        omega = (ssb - (used - 1) * msw) / (sst + msw)
    return omega.reshape(y.shape[:-1])


def first_order_given_data(
    x: np.ndarray,
    y: np.ndarray,
    *,
    bins: int | None = None,
    confidence_level: float = 0.95,
    groups: int = JACKKNIFE_GROUPS,
    rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Estimate first-order Sobol indices from any sample of independent inputs.

    The interval is normal with a delete-a-group jackknife standard error:
    points are split at random into ``groups`` groups and the estimate is
    repeated without each group. (A bootstrap would put duplicated points in
    the same bin, which biases this estimator upwards.)

    Args:
        x: Inputs, shape ``(n, d)``.
        y: Outputs, shape ``(n,)``.
        bins: Bins per input; ``None`` uses ``round(sqrt(n))`` clipped to 2-50.
            An input with no more distinct values than that is binned by value.
        confidence_level: Coverage of the intervals (0-1).
        groups: Number of jackknife groups (at most ``n``).
        rng: Generator of the random grouping; ``None`` uses ``default_rng(0)``.

    Returns:
        Arrays of shape ``(d,)``: ``first``, ``first_low``, ``first_high``
        (dimensionless; NaN when the output is constant).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = x.shape
    if y.shape != (n,):
        raise ValueError(f"y needs shape ({n},) to match x {x.shape}")
    size = bins if bins is not None else int(np.clip(round(np.sqrt(n)), 2, 50))
    binned = [_bin_codes(x[:, i], size) for i in range(d)]

    def estimate(keep: np.ndarray) -> np.ndarray:
        return np.array([_omega_squared(y[keep], codes[keep], m) for codes, m in binned])

    point = estimate(np.arange(n))
    g = min(groups, n)
    member = (rng if rng is not None else np.random.default_rng(0)).permutation(n) % g
    partial = np.stack([estimate(np.flatnonzero(member != k)) for k in range(g)])
    se = np.sqrt((g - 1) / g * np.sum((partial - partial.mean(axis=0)) ** 2, axis=0))
    half = stats.norm.ppf(0.5 + confidence_level / 2) * se
    return {"first": point, "first_low": point - half, "first_high": point + half}


def first_order_table(
    sweep: Sweep,
    metrics: Sequence[str] | None = None,
    *,
    statistic: str = "mean",
    confidence_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Return given-data first-order Sobol indices for a sampled design of any layout.

    For Latin hypercube or plain Sobol'-sequence sweeps, whose points do not
    form the pick-freeze layout of :func:`sobol_table`. The inputs must be
    sampled independently (as in those designs).

    Args:
        sweep: A sweep with numeric swept parameters and at least
            :data:`MIN_GIVEN_DATA_POINTS` points.
        metrics: Summary metrics (default: all in ``runs.csv``).
        statistic: Output of a point: ``"mean"`` or ``"median"`` across seeds.
        confidence_level: Coverage of the jackknife intervals (0-1).
        seed: Base seed of the jackknife groupings.

    Returns:
        The columns of :func:`sobol_table`, with the total-index columns NaN,
        ``n_base`` = points used and ``method`` = :data:`GIVEN_DATA_METHOD`.

    Raises:
        SweepError: Non-numeric parameters or too few points.
    """
    if statistic not in ("mean", "median"):
        raise SweepError(f"statistic={statistic!r}: allowed: mean, median")
    names = check_metrics(sweep.metrics if metrics is None else metrics, "summary")
    where = sweep.runs_path
    points = sweep.points.set_index("job")
    for p in sweep.params:
        if not pd.api.types.is_numeric_dtype(points[p]) or pd.api.types.is_bool_dtype(points[p]):
            raise SweepError(f"{where}: Sobol indices need numeric parameters; {p!r} is not")
    if len(points) < MIN_GIVEN_DATA_POINTS:
        raise SweepError(f"{where}: {len(points)} points; given-data first-order indices "
                         f"need at least {MIN_GIVEN_DATA_POINTS}")
    per_point = sweep.runs.groupby("job")[names].agg(statistic)
    x_all = points.loc[per_point.index, sweep.params].to_numpy(dtype=float)
    rows = []
    nan = float("nan")
    for metric in names:
        y = per_point[metric].to_numpy()
        keep = np.isfinite(y)
        est = first_order_given_data(
            x_all[keep], y[keep], confidence_level=confidence_level,
            rng=np.random.default_rng([seed, SUMMARY_METRICS.index(metric), 4]),
        )
        for i, param in enumerate(sweep.params):
            rows.append({"metric": metric, "param": param,
                         **{k: float(v[i]) for k, v in est.items()},
                         "total": nan, "total_low": nan, "total_high": nan,
                         "n_base": int(keep.sum()), "method": GIVEN_DATA_METHOD})
    return pd.DataFrame(rows)
