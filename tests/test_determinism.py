"""Determinism: one seed gives one run, in this process and in a fresh one."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import observation
from sim.model import RaceModel
from sim.params import ParamError, SimParams, replace, to_dict
from sim.results import Results

SEED = 11

#: Runs the model in a fresh interpreter from JSON parameters and pickles the Results.
SUBPROCESS_SCRIPT = """
import json, pickle, sys
import sim
params = sim.from_dict(json.loads(sys.argv[1]))
with open(sys.argv[2], "wb") as fh:
    pickle.dump(sim.run(params, int(sys.argv[3])), fh)
"""


def fingerprint(res: Results) -> str:
    """SHA-256 of everything a run outputs: summary, time series, flows, lab trajectories."""
    h = hashlib.sha256()
    h.update(json.dumps(res.summary, sort_keys=True).encode())
    for name, series in res.timeseries.items():
        h.update(name.encode())
        h.update(np.ascontiguousarray(series, dtype=np.float64).tobytes())
    for arr in (res.flows, res.lab_capability, res.lab_safety):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(json.dumps([res.seed, res.lab_names, res.start_year]).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def first(small_params: SimParams) -> Results:
    return sim.run(small_params, SEED)


@pytest.fixture(scope="module")
def second(small_params: SimParams) -> Results:
    """The same seed again, this time taken from ``params.seed`` (``seed=None``)."""
    return sim.run(replace(small_params, seed=SEED))


@pytest.fixture(scope="module")
def seed_zero(small_params: SimParams) -> Results:
    return sim.run(replace(small_params, seed=0))


def test_same_seed_gives_identical_outputs_in_process(first: Results, second: Results):
    assert first.summary == second.summary
    assert first.timeseries.keys() == second.timeseries.keys()
    for name, series in first.timeseries.items():
        np.testing.assert_array_equal(series, second.timeseries[name], err_msg=name)
    np.testing.assert_array_equal(first.flows, second.flows)
    np.testing.assert_array_equal(first.lab_capability, second.lab_capability)
    np.testing.assert_array_equal(first.lab_safety, second.lab_safety)
    assert fingerprint(first) == fingerprint(second)


def test_same_seed_gives_identical_outputs_in_a_separate_process(
        first: Results, small_params: SimParams, tmp_path: Path):
    out = tmp_path / "results.pkl"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", SUBPROCESS_SCRIPT, json.dumps(to_dict(small_params)),
                    str(out), str(SEED)], check=True, env=env, timeout=120)
    with out.open("rb") as fh:
        other = pickle.load(fh)
    assert fingerprint(other) == fingerprint(first)


def test_a_different_seed_gives_a_different_run(first: Results, seed_zero: Results):
    assert seed_zero.seed == 0
    assert fingerprint(seed_zero) != fingerprint(first)
    assert seed_zero.summary != first.summary
    for name in ("frontier_capability", "researchers_active", "moves_academia_to_industry"):
        assert not np.array_equal(seed_zero.timeseries[name], first.timeseries[name]), name


def test_interleaved_models_do_not_share_state(first: Results, seed_zero: Results,
                                              small_params: SimParams):
    """Two models stepped alternately in one process give the runs each gives alone."""
    models = [RaceModel(small_params, SEED), RaceModel(small_params, 0)]
    for _ in range(small_params.steps):
        for model in models:
            model.step()
    assert fingerprint(observation.results(models[0])) == fingerprint(first)
    assert fingerprint(observation.results(models[1])) == fingerprint(seed_zero)


def test_replicate_seeds():
    assert sim.replicate_seeds(7, 3) == [7, 8, 9]
    assert sim.replicate_seeds(0, 1) == [0]
    seeds = sim.replicate_seeds(100, 50)
    assert len(set(seeds)) == 50
    assert sim.replicate_seeds(100, 50)[:10] == sim.replicate_seeds(100, 10)
    with pytest.raises(ParamError, match="replicates=0"):
        sim.replicate_seeds(1, 0)
