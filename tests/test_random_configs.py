"""Valid input never breaks the model: random configurations inside every documented range.

Every leaf parameter of :class:`sim.params.SimParams` is drawn inside its
declared range (uniform on a log scale where the range spans more than two
orders of magnitude or has no upper bound, where the draw goes up to 100x the
default), choices and booleans uniformly. Population sizes are drawn small so
that 200 runs of 24 months (and 50 at the bounds) fit in the test budget; the large-population case
is the benchmark's. A draw that the cross-field checks refuse (for example
more in-house labs than labs) is redrawn, and the number of redraws is bounded.
Each run must finish without an exception, write only finite numbers, keep
every organisation's cash and the ledger's total closed, and keep shares in [0, 1].
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import RaceModel
from sim.observation import results
from sim.params import ParamError, SimParams, from_dict, iter_fields

#: Population sizes used in the random runs: key -> (lo, hi).
SMALL_POPULATION = {
    "scenario.n_labs": (1, 10),
    "scenario.n_inhouse_labs": (0, 3),
    "scenario.n_big_clouds": (0, 4),
    "scenario.n_alt_clouds": (0, 4),
    "scenario.n_startups": (0, 40),
    "scenario.n_pools": (1, 4),
    "scenario.n_researchers": (1, 800),
    "startups.initial_staff": (0, 20),
    "startups.max_headcount": (1, 200),
    "safety.br_grid": (11, 41),
    "talent.candidates": (1, 20),
}
#: Keys fixed in every random run.
FIXED = {"seed", "steps", "scenario.name"}
STEPS = 24


def _draw(key: str, default, meta: dict, rng: np.random.Generator, at_bound: bool):
    if key in SMALL_POPULATION:
        lo, hi = SMALL_POPULATION[key]
        return int(rng.choice([lo, hi])) if at_bound else int(rng.integers(lo, hi + 1))
    if isinstance(default, bool):
        return bool(rng.random() < 0.5)
    if meta.get("choices"):
        return str(rng.choice(meta["choices"]))
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is None:
        return default
    if hi is None:
        hi = max(100.0 * abs(default), lo + 1.0)
    if isinstance(default, int):
        hi = min(hi, max(10 * max(default, 1), lo + 1))
        return int(rng.choice([lo, hi])) if at_bound else int(rng.integers(lo, hi + 1))
    if at_bound:
        value = float(rng.choice([lo, hi]))
        if meta.get("lo_open") and value == lo:
            value = lo + 1e-9 * max(1.0, abs(hi - lo))
        return value
    if lo > 0 and hi / lo > 100:
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    value = float(rng.uniform(lo, hi))
    return value if not (meta.get("lo_open") and value == lo) else (lo + hi) / 2


def _nested(flat: dict) -> dict:
    out: dict = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def random_params(seed: int, at_bound: bool) -> tuple[SimParams, int]:
    """Draw a valid configuration; returns it and the number of refused draws."""
    rng = np.random.default_rng(seed)
    for refused in range(200):
        flat = {key: _draw(key, default, meta, rng, at_bound)
                for key, default, meta in iter_fields() if key not in FIXED}
        flat["steps"] = STEPS
        try:
            return from_dict(_nested(flat)), refused
        except ParamError:
            continue
    raise AssertionError(f"no valid configuration in 200 draws (seed {seed})")


def _run_and_check(params: SimParams, seed: int) -> None:
    model = RaceModel(params, seed, audit=True)
    for _ in range(params.steps):
        model.step()
    res = results(model)
    for name, series in res.timeseries.items():
        if name == "leader_gap_oom" and params.scenario.n_labs == 1:
            continue
        assert np.isfinite(series).all(), name
    for name, value in res.summary.items():
        assert value is None or math.isfinite(value), name
    assert np.isfinite(res.money_flows).all() and (res.money_flows >= 0).all()
    # Rounding errors made while amounts were large stay when they shrink (a 0.02 USD
    # error from balances of 1e14 USD, a cash of -0.004 USD, one ulp of 1e13, left
    # after flows of 1e13 fell to 1e9), so tolerances scale with the largest amounts
    # held so far in the run.
    peak_book = peak_cash = 0.0
    for a in model.audit:
        # The book closes up to float rounding of its largest balances.
        peak_book = max(peak_book, np.abs(a["cash_after"]).sum() + a["inflow"].sum()
                        + a["outflow"].sum() + np.abs(a["external_after"]).sum())
        assert abs(a["total_after"]) <= 1e-9 * peak_book + 1e-3, a["step"]
        # Cash never goes negative beyond float rounding of the largest amounts.
        n = a["n_before"]
        scale = a["inflow"][:n] + a["outflow"][:n] + np.abs(a["cash_before"])
        peak_cash = max(peak_cash, float(scale.max(initial=0.0)))
        assert np.all(a["cash_after"][:n] >= -(1e-12 * peak_cash + 1e-3)), a["step"]
    for name in ("safety_share_mean", "openness_mean", "compute_hhi", "big3_cloud_share",
                 "incident_prob", "major_incident_prob", "startup_partnered_share"):
        series = res.timeseries[name]
        assert ((series >= 0) & (series <= 1 + 1e-12)).all(), name


@pytest.mark.parametrize("chunk", range(10))
def test_random_configurations_inside_the_ranges(chunk):
    """200 configurations in 10 chunks of 20 (so that pytest-xdist spreads them)."""
    refused = 0
    for k in range(20):
        seed = 1000 + 20 * chunk + k
        params, r = random_params(seed, at_bound=False)
        refused += r
        _run_and_check(params, seed)
    assert refused < 20 * 20


@pytest.mark.parametrize("chunk", range(5))
def test_random_configurations_at_the_bounds(chunk):
    """50 configurations with every parameter at one end of its range."""
    for k in range(10):
        seed = 5000 + 10 * chunk + k
        params, _ = random_params(seed, at_bound=True)
        _run_and_check(params, seed)
