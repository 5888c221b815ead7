"""Write synthetic sweep directories with known outcome distributions.

These directories follow the sweep-directory contract (``docs/contracts.md``)
of an aggregated Hydra multirun (``sweep.yaml``, ``provenance.json`` and the
Parquet aggregate with its manifest, written through
:meth:`sweeps.store.SweepStore.write_aggregate`; no job folders and no CSV
export), but their values come from a simple linear response instead of the
model, so that tests can check that the analysis recovers known effects and
so that the report can be tried without running a sweep:

``value(metric, point, seed) = level(metric) + sum_k coef[metric][k] * x_k
+ crn_sd * z_seed + noise_sd * e_(point, seed)``

``z_seed`` depends on the seed only (common random numbers: identical at
every point, so paired differences between two points do not contain it) and
``e`` is independent per point and seed; both are standard normal draws from
generators seeded explicitly with ``numpy.random.default_rng``. Time series
ramp linearly from near zero to the noise-free level (times a per-run factor
``1 + 0.05 z``) over the horizon, plus noise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.results import SUMMARY_METRICS, TIMESERIES_METRICS

#: Metrics that are left empty (null) in a run when their value exceeds this level.
NULL_ABOVE: dict[str, float] = {"time_to_threshold_months": 100.25}

#: Typical level of each metric in the synthetic data (other metrics: 1.0).
LEVELS: dict[str, float] = {
    "frontier_capability": 30.0,
    "capability_growth_oom_per_year": 0.8,
    "leader_gap_oom": 0.3,
    "contenders": 3.0,
    "time_to_threshold_months": 100.0,
    "compute_price_usd_per_h100e_hour": 5.0,
    "ai_market_usd_per_month": 1.0e9,
    "capital_supply_usd_per_month": 5.0e8,
    "researchers_active": 20000.0,
    "startups_alive": 300.0,
}


def _level(metric: str) -> float:
    """Return the synthetic level of a metric."""
    return LEVELS.get(metric, 1.0)


def _x(value: Any) -> float:
    """Return a parameter value as a number (booleans as 0/1)."""
    return float(bool(value)) if isinstance(value, bool | np.bool_) else float(value)


def linear_value(
    metric: str,
    point: Mapping[str, Any],
    effects: Mapping[str, Mapping[str, float]],
) -> float:
    """Return the noise-free synthetic value of a metric at a point.

    Args:
        metric: Metric name.
        point: Swept parameter -> value.
        effects: Metric -> {parameter: coefficient (metric units per parameter unit)}.

    Returns:
        ``level(metric) + sum_k coef_k * x_k``.
    """
    coefs = effects.get(metric, {})
    return _level(metric) + sum(c * _x(point[p]) for p, c in coefs.items())


def write_synthetic_sweep(
    path: str | Path,
    points: Sequence[Mapping[str, Any]],
    seeds: Sequence[int],
    effects: Mapping[str, Mapping[str, float]] | None = None,
    *,
    kind: str = "grid",
    crn_sd: float = 0.5,
    noise_sd: float = 0.2,
    steps: int = 24,
    design_seed: int = 0,
    name: str = "synthetic",
    fixed: Mapping[str, float] | None = None,
    same_as: Mapping[int, int] | None = None,
    scales: Mapping[str, str] | None = None,
) -> Path:
    """Write a complete sweep directory whose outcomes follow a known linear response.

    Args:
        path: Directory to create (may exist; files in it are overwritten).
        points: One mapping per job (job id = position), swept parameter -> value;
            every point has the same keys.
        seeds: Seed list run at every point (replicate ``i`` uses ``seeds[i]``).
        effects: Metric -> {parameter: coefficient}; summary metrics use it
            directly, time-series metrics ramp linearly to it over the horizon.
        kind: Design kind recorded in ``sweep.yaml`` (``grid``, ``lhs``, ``sobol``).
        crn_sd: Standard deviation of the seed component shared by all points
            (metric units).
        noise_sd: Standard deviation of the independent per-run noise (metric units).
        steps: Horizon of the time series, in months.
        design_seed: Seed of the noise generators (and recorded as the design seed).
        name: Sweep name recorded in ``sweep.yaml``.
        fixed: Summary metric -> value it takes in every run (a constant or
            saturated metric, e.g. ``{"incident_prob": 1.0}``).
        same_as: Job -> earlier job whose outcomes (summary metrics, time
            series and flows) it copies seed by seed: a duplicate point, as
            when a lever has no effect at some setting.
        scales: Parameter -> ``"log"`` or ``"linear"``, recorded as the design's
            ``scale`` (how a sampled design drew it); default: none recorded.

    Returns:
        The sweep directory.
    """
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    effects = effects or {}
    params = list(points[0])
    n_points, n_seeds = len(points), len(seeds)
    job = np.repeat(np.arange(n_points), n_seeds)
    seed = np.tile(np.asarray(seeds, dtype=np.int64), n_points)
    crn = np.stack([np.random.default_rng([design_seed, s]).standard_normal(len(SUMMARY_METRICS))
                    for s in seeds])
    rng = np.random.default_rng([design_seed, n_points, n_seeds])
    runs = pd.DataFrame({"job": job})
    for p in params:
        runs[p] = np.repeat([pt[p] for pt in points], n_seeds)
    runs["replicate"] = np.tile(np.arange(n_seeds), n_points)
    runs["seed"] = seed
    noise = rng.standard_normal((job.size, len(SUMMARY_METRICS)))
    for i, metric in enumerate(SUMMARY_METRICS):
        level = np.repeat([linear_value(metric, pt, effects) for pt in points], n_seeds)
        value = level + crn_sd * np.tile(crn[:, i], n_points) + noise_sd * noise[:, i]
        runs[metric] = np.where(value > NULL_ABOVE.get(metric, math.inf), np.nan, value)
    for metric, value in (fixed or {}).items():
        runs[metric] = float(value)
    copies = {int(k): int(v) for k, v in (same_as or {}).items()}
    _copy_outcomes(runs, copies, list(SUMMARY_METRICS))
    ramp = (np.arange(steps) + 1) / steps
    series = pd.DataFrame({"job": np.repeat(job, steps), "seed": np.repeat(seed, steps),
                           "step": np.tile(np.arange(steps), job.size)})
    for metric in TIMESERIES_METRICS:
        end = np.repeat([linear_value(metric, pt, effects) for pt in points], n_seeds)
        spread = 1.0 + 0.05 * rng.standard_normal((job.size, 1))
        jitter = noise_sd * rng.standard_normal((job.size, steps)) * np.sqrt(ramp)
        series[metric] = (end[:, None] * spread * ramp + jitter).ravel()
    _copy_outcomes(series, copies, list(TIMESERIES_METRICS))
    flows = _synthetic_flows(points, job, seed, steps, rng)
    if copies:
        kept = flows[~flows["job"].isin(list(copies))]
        copied = [flows[flows["job"] == src].assign(job=dst) for dst, src in copies.items()]
        flows = pd.concat([kept, *copied], ignore_index=True).sort_values(
            ["job", "seed", "year"], kind="stable")
    _write_store(root, params, points, {"runs": runs, "timeseries": series, "flows": flows})
    _write_definition(root, name, params, points, seeds, kind, design_seed, steps, scales)
    (root / "provenance.json").write_text(json.dumps({
        "git_revision": "synthetic",
        "python": "3.11",
        "packages": {"numpy": np.__version__, "pandas": pd.__version__},
    }, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return root


def _write_store(root: Path, params: list[str], points: Sequence[Mapping[str, Any]],
                 frames: Mapping[str, pd.DataFrame]) -> None:
    """Write the tables (``job`` = point) and each point's swept values through the store."""
    import pyarrow as pa

    from sweeps.store import SweepStore, schemas

    tables = {}
    for kind, frame in frames.items():
        schema = schemas()[kind]
        frame = frame.rename(columns={"job": "point"})[schema.names]
        tables[kind] = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    labels = {job: [_plain(point[p]) for p in params] for job, point in enumerate(points)}
    SweepStore(root).write_aggregate(tables, params, labels)


def _copy_outcomes(table: pd.DataFrame, copies: Mapping[int, int], columns: list[str]) -> None:
    """Overwrite, in place, the outcome columns of each target job with its source job's rows."""
    for target, source in copies.items():
        rows = table["job"] == target
        table.loc[rows, columns] = table.loc[table["job"] == source, columns].to_numpy()


def _synthetic_flows(
    points: Sequence[Mapping[str, Any]],
    job: np.ndarray,
    seed: np.ndarray,
    steps: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Return Poisson researcher moves per run and year for the main pairs of kinds.

    The rate of startup-to-lab moves rises with the first swept parameter, so
    flow figures differ between points; zero counts are omitted, as in the contract.
    """
    first = np.array([_x(next(iter(pt.values()))) for pt in points])[job]
    rates = {
        ("academia", "lab"): np.full(job.size, 40.0),
        ("academia", "startup"): np.full(job.size, 10.0),
        ("lab", "startup"): np.full(job.size, 8.0),
        ("startup", "lab"): 5.0 + 20.0 * first,
        ("lab", "hyperscaler"): np.full(job.size, 6.0),
        ("entry", "academia"): np.full(job.size, 60.0),
        ("lab", "exit"): np.full(job.size, 4.0),
    }
    frames = []
    for year in range(math.ceil(steps / 12)):
        for (src, dst), rate in rates.items():
            frames.append(pd.DataFrame({"job": job, "seed": seed, "year": year, "from_kind": src,
                                        "to_kind": dst, "moves": rng.poisson(rate)}))
    flows = pd.concat(frames, ignore_index=True)
    return flows[flows["moves"] > 0].sort_values(["job", "seed", "year"], kind="stable")


def _write_definition(
    root: Path,
    name: str,
    params: list[str],
    points: Sequence[Mapping[str, Any]],
    seeds: Sequence[int],
    kind: str,
    design_seed: int,
    steps: int,
    scales: Mapping[str, str] | None = None,
) -> None:
    """Write ``sweep.yaml`` with the design, its points, scales, replicates and seed."""
    import yaml

    values = [[_plain(pt[p]) for p in params] for pt in points]
    bounds = {}
    for i, p in enumerate(params):
        column = [v[i] for v in values]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in column):
            bounds[p] = [min(column), max(column)]
    definition = {
        "name": name,
        "params": params,
        "design": {"kind": kind, "seed": design_seed, "bounds": bounds, "points": values,
                   **({"scale": dict(scales)} if scales else {})},
        "replicates": len(seeds),
        "seed": int(seeds[0]),
        "overrides": [f"steps={steps}"],
    }
    text = yaml.dump(definition, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                     sort_keys=False)
    (root / "sweep.yaml").write_text(text, encoding="utf-8")


def _plain(value: Any) -> Any:
    """Convert numpy scalars to plain Python values for YAML."""
    return value.item() if isinstance(value, np.generic) else value
