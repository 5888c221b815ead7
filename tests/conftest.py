"""Shared fixtures: small parameter sets and seeded generators for the model tests."""

from __future__ import annotations

import numpy as np
import pytest

from sim.params import SimParams, replace


@pytest.fixture(scope="session")
def small_params() -> SimParams:
    """Default parameters with a reduced population: 3,000 researchers, 60 startups, 120 months.

    Everything else (8 labs, 3 big + 3 alternative clouds, 3 talent pools, all
    mechanisms and policies) stays at its default, so whole-model tests exercise
    every phase while a run takes well under a second.
    """
    return replace(SimParams(), scenario__n_researchers=3000, scenario__n_startups=60)


@pytest.fixture()
def rng() -> np.random.Generator:
    """A generator with a fixed seed, fresh for every test."""
    return np.random.default_rng(20240601)
