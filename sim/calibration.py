"""Calibration by simulated method of moments over common random numbers.

A declared small set of parameters is fitted so that summary moments of the
model, averaged over a fixed list of seeds, match published targets
(``shared/design/calibration-targets.md``). The objective is the sum of
squared standardised deviations ``sum_k ((m_k(theta) - target_k) / scale_k)^2``
(McFadden 1989; Gourieroux & Monfort 1996); the same seeds at every
``theta`` make it a deterministic function that a derivative-free optimiser
(``scipy.optimize.minimize``, Powell with bounds) can minimise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

from sim.params import ParamError, SimParams, replace


@dataclass(frozen=True)
class Target:
    """One moment to match.

    Attributes:
        metric: Summary metric name (see :data:`sim.results.SUMMARY_METRICS`).
        value: Target value.
        scale: Tolerance used to standardise the deviation (same unit as the metric).
        source: Where the target comes from.
    """

    metric: str
    value: float
    scale: float
    source: str = ""


@dataclass(frozen=True)
class FreeParam:
    """A parameter to fit, by dotted key, within bounds."""

    key: str
    lo: float
    hi: float


@dataclass
class FitResult:
    """Outcome of :func:`fit`.

    Attributes:
        values: Fitted parameter values by dotted key.
        moments: Simulated moments at the fit (mean over seeds).
        objective: Objective at the fit.
        start_objective: Objective at the starting point.
        n_evaluations: Objective evaluations used.
        history: ``(values, objective)`` of every evaluation, in order.
    """

    values: dict[str, float]
    moments: dict[str, float]
    objective: float
    start_objective: float
    n_evaluations: int
    history: list[tuple[dict[str, float], float]] = field(default_factory=list)


def with_values(base: SimParams, values: Mapping[str, float]) -> SimParams:
    """Return ``base`` with dotted-key ``values`` applied and validated."""
    return replace(base, **{k.replace(".", "__"): v for k, v in values.items()})


def simulated_moments(
    params: SimParams, metrics: Sequence[str], seeds: Sequence[int],
    run: Callable[[SimParams, int], Any], executor: Executor | None = None,
) -> dict[str, float]:
    """Mean of each summary metric over ``seeds`` (undefined values count as NaN).

    Args:
        params: Parameters of the runs.
        metrics: Summary metric names.
        seeds: Seeds (common random numbers across parameter points).
        run: Function ``(params, seed) -> Results`` (e.g. :func:`sim.run`).
        executor: Optional executor to run the seeds in parallel.

    Returns:
        Metric name -> mean value.
    """
    if executor is None:
        results = [run(params, s) for s in seeds]
    else:
        results = list(executor.map(run, [params] * len(seeds), seeds))
    out = {}
    for m in metrics:
        vals = [r.summary[m] for r in results]
        out[m] = float(np.mean([np.nan if v is None else v for v in vals]))
    return out


def objective_value(moments: Mapping[str, float], targets: Sequence[Target]) -> float:
    """Sum of squared standardised deviations; ``inf`` if a moment is undefined."""
    total = 0.0
    for t in targets:
        m = moments[t.metric]
        if not np.isfinite(m):
            return float("inf")
        total += ((m - t.value) / t.scale) ** 2
    return total


def fit(
    base: SimParams, free: Sequence[FreeParam], targets: Sequence[Target],
    seeds: Sequence[int], run: Callable[[SimParams, int], Any], max_evaluations: int = 60,
    executor: Executor | None = None,
) -> FitResult:
    """Fit ``free`` parameters so that simulated moments match ``targets``.

    Starts from the values in ``base`` (clipped into bounds) and runs Powell's
    method with bounds on coordinates rescaled to [0, 1]. The result is the
    best point evaluated (the first of equals), which is not Powell's last
    point when the budget runs out.

    Args:
        base: Parameters whose other values stay fixed.
        free: Parameters to fit with their bounds.
        targets: Moments to match.
        seeds: Seeds averaged at every evaluation (common random numbers).
        run: Function ``(params, seed) -> Results``.
        max_evaluations: Budget of objective evaluations.
        executor: Optional executor to run the seeds of an evaluation in parallel.

    Returns:
        The best point found, its moments and the evaluation history.

    Raises:
        ParamError: A free key is unknown or its bounds are empty.
    """
    for fp in free:
        if not fp.lo < fp.hi:
            raise ParamError(f"{fp.key}: calibration bounds [{fp.lo}, {fp.hi}] are empty")
    lo = np.array([fp.lo for fp in free])
    hi = np.array([fp.hi for fp in free])
    start = np.array([_get(base, fp.key) for fp in free], dtype=float)
    u0 = np.clip((start - lo) / (hi - lo), 0.0, 1.0)
    metrics = [t.metric for t in targets]
    history: list[tuple[dict[str, float], float]] = []
    cache: dict[tuple[float, ...], tuple[float, dict[str, float], dict[str, float]]] = {}

    def evaluate(u: np.ndarray) -> float:
        key = tuple(np.round(u, 12))
        if key not in cache:
            values = {fp.key: float(v) for fp, v in zip(free, lo + u * (hi - lo), strict=True)}
            moments = simulated_moments(with_values(base, values), metrics, seeds, run, executor)
            obj = objective_value(moments, targets)
            cache[key] = (obj, moments, values)
            history.append((values, obj))
        return cache[key][0]

    start_obj = evaluate(u0)
    res = minimize(evaluate, u0, method="Powell", bounds=[(0.0, 1.0)] * len(free),
                   options={"maxfev": max_evaluations, "xtol": 1e-3, "ftol": 1e-4})
    evaluate(np.clip(res.x, 0.0, 1.0))
    best_obj, best_moments, best_values = min(cache.values(), key=lambda entry: entry[0])
    return FitResult(best_values, best_moments, best_obj, start_obj, len(history), history)


def _get(params: SimParams, dotted: str) -> Any:
    node: Any = params
    for part in dotted.split("."):
        if not hasattr(node, part):
            raise ParamError(f"{dotted}: unknown parameter key")
        node = getattr(node, part)
    return node
