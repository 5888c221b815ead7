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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from analysis.errors import SweepError
from analysis.load import RUNS_FILE, Sweep, check_metrics
from analysis.stats import N_RESAMPLES, bootstrap_interval
from sim.results import SUMMARY_METRICS


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
    where = sweep.path / RUNS_FILE
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
        ``total_high`` (dimensionless) and ``n_base`` (base rows used: rows
        where any block has only null values are dropped).
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
                         **{k: float(v[i]) for k, v in est.items()},
                         "n_base": int(keep.sum())})
    return pd.DataFrame(rows)
