"""Validation against Armstrong, Bostrom & Shulman (2016), "Racing to the precipice".

In the paper's no-information case, n teams with capabilities uniform on
[0, mu] and enmity e choose safety levels; the symmetric Nash equilibrium is
``s* = min(1, mu / (n e))``. The model's ``best_response`` safety mode with the
other mechanisms switched off (no upstream deals, no startups, identical
enmity, no capability information) must converge to it: every lab's final
safety share lies within 0.03 of ``s*``. Runs: 40 months, 500 researchers,
safety adjusting halfway to the best response each month, seed 3.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.params import SimParams, replace

TOLERANCE = 0.03
STEPS = 40


def abs_params(n: int, mu: float, e: float) -> SimParams:
    """The stylised race of the paper: only labs, their safety choice and the race."""
    return replace(
        SimParams(), steps=STEPS,
        scenario__n_labs=n, scenario__n_inhouse_labs=0, scenario__n_startups=0,
        scenario__n_researchers=500,
        safety__mode="best_response", safety__br_information="none", safety__br_mu=mu,
        safety__br_safety_cost=1.0, safety__adjust_rate=0.5,
        partnership__enabled=False, labs__enmity_spread=0.0, labs__enmity_mean=e,
    )


def s_star(n: int, mu: float, e: float) -> float:
    return min(1.0, mu / (n * e))


@pytest.fixture(scope="module")
def safety_path():
    """Safety share per month and lab, by ``(n, mu, e, seed)``; each run is simulated once."""
    cache: dict[tuple, np.ndarray] = {}

    def get(n: int, mu: float, e: float, seed: int = 3) -> np.ndarray:
        key = (n, mu, e, seed)
        if key not in cache:
            cache[key] = sim.run(abs_params(n, mu, e), seed).lab_safety
        return cache[key]

    return get


@pytest.mark.parametrize(
    ("n", "mu", "e"),
    [
        (2, 0.5, 1.0),   # s* = 0.25
        (3, 1.0, 0.5),   # s* = 2/3
        (4, 0.6, 0.8),   # s* = 0.1875
        (3, 0.3, 1.0),   # s* = 0.1
        (2, 1.0, 1.0),   # s* = 0.5
        (2, 1.0, 0.4),   # mu / (n e) = 1.25: the cap at 1 binds
    ],
)
def test_no_information_equilibrium(safety_path, n, mu, e):
    path = safety_path(n, mu, e)
    assert path.shape == (STEPS, n)
    final = path[-1]
    assert np.all(np.abs(final - s_star(n, mu, e)) <= TOLERANCE), (final, s_star(n, mu, e))
    # Converged: the last ten months move by less than a third of the tolerance.
    assert np.ptp(path[-10:]) <= TOLERANCE / 3


def test_equilibrium_does_not_depend_on_the_seed(safety_path):
    np.testing.assert_allclose(safety_path(2, 0.5, 1.0, seed=11)[-1], safety_path(2, 0.5, 1.0)[-1],
                               atol=TOLERANCE)


@pytest.mark.parametrize(
    ("less", "more", "lever"),
    [
        ((3, 1.0, 1.0), (2, 1.0, 1.0), "more teams"),
        ((2, 1.0, 1.0), (2, 1.0, 0.8), "more enmity"),
        ((2, 0.5, 1.0), (2, 1.0, 1.0), "smaller mu"),
    ],
)
def test_comparative_statics(safety_path, less, more, lever):
    """The paper's comparative statics: the difference has the sign and size ``s*`` predicts."""
    low, high = safety_path(*less)[-1].mean(), safety_path(*more)[-1].mean()
    predicted = s_star(*more) - s_star(*less)
    assert predicted > 0.1
    assert low < high, lever
    assert abs((high - low) - predicted) <= 2 * TOLERANCE, lever
