"""Exact-value tests of the fast paths of the talent market and the workforce table."""

from __future__ import annotations

import numpy as np
import pytest

from sim.markets import sampling
from sim.markets.sampling import search_cdf
from sim.markets.talent import accept_applicants, sample_candidates


def _reference_search(cdf: np.ndarray, keys: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, keys, side="right"), cdf.size - 1)


def _weights(rng: np.random.Generator, kind: int, k: int) -> np.ndarray:
    w = rng.random(k)
    if kind == 1:  # many zeros
        w[rng.random(k) < 0.6] = 0.0
    elif kind == 2:  # heavy tail: clumped CDF, often wider buckets than the guide searches
        w = rng.lognormal(0.0, 5.0, k) * (rng.random(k) < 0.5)
    elif kind == 3:  # whole numbers: ties between keys and CDF values
        w = np.floor(rng.random(k) * 3.0)
    elif kind == 4:  # subnormal weights
        w = w * 1e-310
    elif kind == 5:  # tiny weights that vanish in the sum, and zeros
        w[rng.random(k) < 0.3] = 1e-300
        w[rng.random(k) < 0.3] = 0.0
    elif kind == 6:  # one positive weight
        w = np.zeros(k)
        w[rng.integers(k)] = rng.random()
    elif kind == 7:  # all zero
        w = np.zeros(k)
    return w


@pytest.mark.parametrize("kind", range(8))
def test_search_cdf_equals_searchsorted(kind: int) -> None:
    rng = np.random.default_rng(kind)
    for _ in range(1500):
        k = int(rng.integers(1, 40)) if rng.random() < 0.7 else int(rng.integers(1, 1000))
        w = _weights(rng, kind, k)
        cdf = np.cumsum(w)
        total = w.sum()
        edges = [0.0, total, cdf[-1], np.nextafter(cdf[-1], np.inf),
                 np.nextafter(cdf[-1], -np.inf), np.inf, -np.inf, -1.0, *cdf[:8]]
        keys = np.concatenate([(rng.random((int(rng.integers(0, 40)), 8)) * total).ravel(),
                               edges])
        got = search_cdf(cdf, keys)
        want = _reference_search(cdf, keys)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_search_cdf_keeps_shape_and_covers_both_paths() -> None:
    rng = np.random.default_rng(7)
    keys = rng.random((50, 8))
    flat = np.cumsum(np.ones(100)) / 100.0
    clumped = np.cumsum(np.r_[np.full(sampling.GUIDE_MAX_WIDTH + 1, 1e-9), 1.0])
    for cdf in (flat, clumped):
        got = search_cdf(cdf, keys)
        assert got.shape == keys.shape
        np.testing.assert_array_equal(got, _reference_search(cdf, keys))


def _reference_sample_candidates(vacancies: np.ndarray, m: int, j: int,
                                 rng: np.random.Generator) -> np.ndarray:
    weights = np.asarray(vacancies, dtype=float)
    total = weights.sum()
    if m == 0 or total <= 0:
        return np.full((m, j), -1, dtype=np.int64)
    cdf = np.cumsum(weights)
    draws = rng.random((m, j)) * total
    return np.minimum(np.searchsorted(cdf, draws, side="right"), len(weights) - 1)


@pytest.mark.parametrize("seed", range(4))
def test_sample_candidates_equals_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for trial in range(300):
        vac = _weights(rng, trial % 8, int(rng.integers(1, 800)))
        m, j = int(rng.integers(0, 300)), int(rng.integers(1, 10))
        got = sample_candidates(vac, m, j, np.random.default_rng(trial))
        want = _reference_sample_candidates(vac, m, j, np.random.default_rng(trial))
        np.testing.assert_array_equal(got, want)


def _reference_accept(choice: np.ndarray, skill: np.ndarray, vacancies: np.ndarray) -> np.ndarray:
    accepted = np.zeros(choice.shape[0], dtype=bool)
    applied = np.flatnonzero(choice >= 0)
    if applied.size == 0:
        return accepted
    order = applied[np.lexsort((-skill[applied], choice[applied]))]
    emp = choice[order]
    rank = np.arange(emp.size) - emp.searchsorted(emp)
    accepted[order] = rank < np.floor(vacancies[emp])
    return accepted


@pytest.mark.parametrize("seed", range(4))
def test_accept_applicants_equals_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(500):
        k, m = int(rng.integers(1, 30)), int(rng.integers(0, 200))
        choice = rng.integers(-1, k, m)
        skill = np.round(rng.lognormal(0.0, 0.5, m), int(rng.integers(0, 3)))  # ties
        vacancies = rng.random(k) * rng.choice([0.5, 3.0, 20.0])
        vacancies[rng.random(k) < 0.2] = 0.0
        if rng.random() < 0.1:
            vacancies[rng.integers(k)] = rng.choice([np.nan, np.inf, -np.inf, -2.0])
        np.testing.assert_array_equal(accept_applicants(choice, skill, vacancies),
                                      _reference_accept(choice, skill, vacancies))
