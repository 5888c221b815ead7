"""Exact equivalence of the startups' fast helpers with the numpy calls they replace."""

from __future__ import annotations

import numpy as np
import pytest

from sim.populations.startups import (
    rows_employed_by,
    sample_without_replacement,
    weighted_index,
)


def _probabilities(rng: np.random.Generator, n: int) -> np.ndarray:
    """Shares of random weights: skewed, flat, or with a dominant entry."""
    kind = rng.integers(3)
    if kind == 0:
        w = rng.lognormal(0.0, 2.0, n)
    elif kind == 1:
        w = np.ones(n)
    else:
        w = rng.random(n) * 1e-6
        w[rng.integers(n)] = 1.0
    return w / w.sum()


@pytest.mark.parametrize("seed", range(40))
def test_weighted_index_matches_generator_choice(seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        p = _probabilities(rng, int(rng.integers(1, 12)))
        a, b = np.random.default_rng(seed + 1000), np.random.default_rng(seed + 1000)
        assert weighted_index(p, a) == b.choice(p.size, p=p)
        assert a.random() == b.random()


@pytest.mark.parametrize("seed", range(40))
def test_sample_without_replacement_matches_generator_choice(seed):
    rng = np.random.default_rng(seed)
    for _ in range(30):
        n = int(rng.integers(1, 40))
        k = int(rng.integers(1, n + 1))
        p = _probabilities(rng, n)
        a, b = np.random.default_rng(seed + 1000), np.random.default_rng(seed + 1000)
        got = sample_without_replacement(p.copy(), k, a)
        assert np.array_equal(got, b.choice(n, k, replace=False, p=p))
        assert a.random() == b.random()


def test_sample_without_replacement_large_population_single_draw():
    rng = np.random.default_rng(7)
    w = rng.lognormal(0.0, 0.5, 20_000)
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    for k in (1, 2, 5):
        got = sample_without_replacement(w / w.sum(), k, a)
        assert np.array_equal(got, b.choice(w.size, k, replace=False, p=w / w.sum()))


def test_sample_without_replacement_needs_enough_positive_entries():
    p = np.array([0.5, 0.5, 0.0])
    with pytest.raises(ValueError):
        sample_without_replacement(p, 3, np.random.default_rng(0))


@pytest.mark.parametrize("seed", range(20))
def test_rows_employed_by_matches_gather(seed):
    rng = np.random.default_rng(seed)
    n_orgs = int(rng.integers(1, 30))
    for first in (True, False):
        k = int(rng.integers(0, n_orgs + 1))
        member = np.zeros(n_orgs, dtype=bool)
        if first:
            member[:k] = True
        else:
            member[rng.choice(n_orgs, k, replace=False)] = True
        employer = rng.integers(0, n_orgs, int(rng.integers(0, 200)))
        assert np.array_equal(rows_employed_by(employer, member),
                              np.flatnonzero(member[employer]))
