"""The runner and its store: exact round trip, resume, a killed worker, executors, the lock, scale.

Most tests use :func:`synthetic`, a task function that builds results from the
point and the seed without the model, so they exercise the runner and the
store alone; the executor comparison and the large design run the model.
"""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from sim import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS, Results
from sweeps import executors
from sweeps.runner import WORKER_DIED, run_design
from sweeps.store import (
    FAILURES_JSON,
    RUNS_PARQUET,
    Failure,
    StoreError,
    StoreLocked,
    SweepStore,
)

ROOT = Path(__file__).resolve().parent.parent
AGGREGATES = ("runs.parquet", "timeseries.parquet", "flows.parquet")


def synthetic(point, seed):
    """Results that depend only on (point, seed): NaN, None, ints and flows included."""
    rng = np.random.default_rng([int(seed), int(point["x"] * 1000)])
    steps = 3
    summary = {m: float(v) for m, v in zip(SUMMARY_METRICS, rng.normal(size=len(SUMMARY_METRICS)),
                                           strict=True)}
    summary[SUMMARY_METRICS[1]] = None
    summary[SUMMARY_METRICS[2]] = int(seed)
    series = {m: rng.normal(size=steps) for m in TIMESERIES_METRICS}
    series[TIMESERIES_METRICS[0]][1] = np.nan
    flows = np.zeros((1, len(FLOW_KINDS), len(FLOW_KINDS)), dtype=np.int64)
    flows[0, 0, 1] = int(seed) + 1
    return Results(seed=int(seed), timeseries=series, summary=summary, flows=flows,
                   lab_names=[], lab_capability=np.zeros((steps, 0)),
                   lab_safety=np.zeros((steps, 0)), start_year=2015)


def one_month(point, seed):
    """One month of results carrying the point's x as frontier capability (cheap to build)."""
    k = len(FLOW_KINDS)
    summary = dict.fromkeys(SUMMARY_METRICS, 0.0)
    summary["frontier_capability"] = point["x"]
    return Results(seed=int(seed), timeseries={m: ZERO for m in TIMESERIES_METRICS},
                   summary=summary, flows=np.zeros((1, k, k), dtype=np.int64), lab_names=[],
                   lab_capability=np.zeros((1, 0)), lab_safety=np.zeros((1, 0)),
                   start_year=2015)


ZERO = np.zeros(1)


def kill_at_three(point, seed):
    """Like :func:`synthetic`, but the worker process kills itself at point x == 3."""
    if point["x"] == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return synthetic(point, seed)


def raise_at_one(point, seed):
    """Like :func:`synthetic`, but the run raises at point x == 1, seed 11."""
    if point["x"] == 1 and seed == 11:
        raise ValueError("bad\nvalue")
    return synthetic(point, seed)


POINTS = [{"x": float(i), "nested": {"y": i % 2}} for i in range(6)]
SEEDS = [10, 11]


def aggregate_bytes(path: Path) -> dict[str, bytes]:
    return {name: (path / name).read_bytes() for name in AGGREGATES}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted sweep of POINTS x SEEDS with the synthetic task, in threads."""
    path = tmp_path_factory.mktemp("runner") / "reference"
    with ThreadPoolExecutor(2) as pool:
        report = run_design(POINTS, SEEDS, pool, path, chunk_size=2, progress=False,
                            task_fn=synthetic)
    assert (report.total, report.done, report.failed) == (12, 12, 0)
    return path


def test_store_round_trip_is_exact(reference):
    store = SweepStore(reference)
    runs = store.table("runs").to_pydict()
    assert list(zip(runs["point"], runs["seed"], strict=True)) == [
        (p, s) for p in range(6) for s in SEEDS]
    assert runs["replicate"] == [0, 1] * 6
    series = store.table("timeseries").to_pydict()
    flows = store.table("flows").to_pydict()
    for i, (point, seed) in enumerate(zip(runs["point"], runs["seed"], strict=True)):
        expected = synthetic(POINTS[point], seed)
        for metric in SUMMARY_METRICS:
            value = expected.summary[metric]
            assert runs[metric][i] == (None if value is None else float(value))
        rows = [j for j, (p, s) in enumerate(zip(series["point"], series["seed"], strict=True))
                if (p, s) == (point, seed)]
        assert [series["step"][j] for j in rows] == [0, 1, 2]
        for metric in TIMESERIES_METRICS:
            np.testing.assert_array_equal([series[metric][j] for j in rows],
                                          expected.timeseries[metric])
        flow_rows = [(flows["year"][j], flows["from_kind"][j], flows["to_kind"][j],
                      flows["moves"][j]) for j in range(len(flows["point"]))
                     if (flows["point"][j], flows["seed"][j]) == (point, seed)]
        assert flow_rows == expected.flow_rows()
    manifest = store.manifest()
    assert manifest["seeds"] == SEEDS and manifest["points"] == POINTS
    assert manifest["params"] == ["x", "nested.y"]
    assert manifest["labels"][3] == [3.0, 1]
    assert json.loads((reference / FAILURES_JSON).read_text()) == []


def test_csv_export_has_the_contract_columns(reference, tmp_path):
    runs_csv, series_csv, flows_csv = SweepStore(reference).export_csv(tmp_path)
    lines = runs_csv.read_text().splitlines()
    assert lines[0].startswith("job,x,nested.y,replicate,seed," + SUMMARY_METRICS[0] + ",")
    assert len(lines) == 13
    first = synthetic(POINTS[0], 10)
    cells = lines[1].split(",")
    assert cells[:5] == ["0", "0.0", "0", "0", "10"]
    assert cells[5] == repr(first.summary[SUMMARY_METRICS[0]]) and cells[6] == ""
    assert series_csv.read_text().splitlines()[0] == "job,seed,step," + ",".join(
        TIMESERIES_METRICS)
    assert flows_csv.read_text().splitlines()[1] == (
        f"0,10,0,{FLOW_KINDS[0]},{FLOW_KINDS[1]},11")


def test_resume_runs_only_missing_pairs_and_ends_identical(reference, tmp_path):
    path = tmp_path / "resumed"
    with ThreadPoolExecutor(2) as pool:
        first = run_design(POINTS[:4] + POINTS[4:], SEEDS, pool, path, chunk_size=5,
                           progress=False, task_fn=synthetic)
        assert first.done == 12
        # losing one task's part (5 pairs) and rerunning: only those 5 run
        victim = sorted((path / "parts").glob("*.runs.parquet"))[1]
        victim.unlink()
        again = run_design(POINTS, SEEDS, pool, path, chunk_size=1, progress=False,
                           task_fn=synthetic)
        assert (again.skipped, again.done, again.failed) == (7, 5, 0)
        none_left = run_design(POINTS, SEEDS, pool, path, progress=False, task_fn=synthetic)
        assert (none_left.skipped, none_left.done) == (12, 0)
    assert aggregate_bytes(path) == aggregate_bytes(reference)


def test_a_raising_run_is_recorded_and_the_rest_of_its_task_finishes(tmp_path):
    with ThreadPoolExecutor(1) as pool:
        report = run_design(POINTS, SEEDS, pool, tmp_path / "s", chunk_size=12, progress=False,
                            task_fn=raise_at_one)
    assert (report.done, report.failed) == (11, 1)
    assert report.failures == [Failure(1, 11, "ValueError: bad value")]
    assert SweepStore(tmp_path / "s").failures() == report.failures
    assert pq.read_table(tmp_path / "s" / RUNS_PARQUET).num_rows == 11


def test_killed_worker_loses_only_its_pairs_and_rerun_completes_identically(reference, tmp_path):
    path = tmp_path / "killed"
    pool = executors.local(2)
    try:
        report = run_design(POINTS, SEEDS, pool, path, chunk_size=1, progress=False,
                            task_fn=kill_at_three)
    finally:
        pool.shutdown()
    assert report.failures == [Failure(3, 10, WORKER_DIED), Failure(3, 11, WORKER_DIED)]
    assert report.done == 10
    assert SweepStore(path).failures() == report.failures
    assert pq.read_table(path / RUNS_PARQUET).num_rows == 10
    with ThreadPoolExecutor(2) as threads:
        rerun = run_design(POINTS, SEEDS, threads, path, progress=False, task_fn=synthetic)
    assert (rerun.skipped, rerun.done, rerun.failed) == (10, 2, 0)
    assert SweepStore(path).failures() == []
    assert aggregate_bytes(path) == aggregate_bytes(reference)


def test_a_second_sweep_into_a_locked_directory_is_refused(reference, tmp_path):
    holder = SweepStore(tmp_path / "busy")
    with holder.locked(), pytest.raises(StoreLocked, match="another sweep is running"):
        run_design(POINTS, SEEDS, ThreadPoolExecutor(1), tmp_path / "busy", progress=False,
                   task_fn=synthetic)
    with pytest.raises(StoreError, match="holds a different design"):
        run_design(POINTS[:2], SEEDS, ThreadPoolExecutor(1), reference, progress=False,
                   task_fn=synthetic)


def small_points(count: int, steps: int = 1) -> list[dict]:
    small = yaml.safe_load((ROOT / "configs" / "scenario" / "small.yaml").read_text())
    return [{"steps": steps, "scenario": small["scenario"],
             "downstream": {"partner_share": i / max(count - 1, 1)}} for i in range(count)]


def test_local_dask_and_submitit_give_identical_aggregates(tmp_path):
    """The model through three executors and three chunkings: the same bytes.

    Dask's LocalCluster runs thread workers and submitit's local executor one
    job of all six runs, to keep interpreter start-ups (the cost here) few.
    """
    points, seeds = small_points(3), [1, 2]
    made = {
        "local": (lambda: executors.local(2), 2),
        "dask": (lambda: executors.dask(workers=2, processes=False), 1),
        "submitit": (lambda: executors.submitit(tmp_path / "submitit_logs", cluster="local",
                                                poll_seconds=0.2), 6),
    }
    results = {}
    for name, (make, chunk) in made.items():
        executor = make()
        try:
            report = run_design(points, seeds, executor, tmp_path / name, chunk_size=chunk,
                                progress=False)
        finally:
            executor.shutdown()
        assert (report.done, report.failed) == (6, 0), (name, report.failures)
        results[name] = aggregate_bytes(tmp_path / name)
    assert results["dask"] == results["local"]
    assert results["submitit"] == results["local"]
    runs = pq.read_table(tmp_path / "local" / RUNS_PARQUET).to_pydict()
    assert runs["seed"] == [1, 2] * 3


def test_twenty_thousand_point_design_runs_through_the_runner(tmp_path):
    """Past the old command-line limit (~18,700 points): every pair ends in the aggregate."""
    count = 20_000
    points = [{"x": float(i)} for i in range(count)]
    pool = executors.local(2)
    try:
        report = run_design(points, [7], pool, tmp_path / "big", progress=False,
                            task_fn=one_month)
    finally:
        pool.shutdown()
    assert (report.done, report.failed) == (count, 0)
    runs = pq.read_table(tmp_path / "big" / RUNS_PARQUET,
                         columns=["point", "seed", "frontier_capability"]).to_pydict()
    assert runs["point"] == list(range(count)) and runs["seed"] == [7] * count
    assert runs["frontier_capability"] == [float(i) for i in range(count)]


def test_twenty_thousand_model_runs_small_scenario_one_step(tmp_path):
    """20,000 real model runs (small scenario, one month) through the runner: ~80 s on 2 cores."""
    count = 20_000
    began = time.perf_counter()
    pool = executors.local()
    try:
        report = run_design(small_points(count), [1], pool, tmp_path / "big", progress=False)
    finally:
        pool.shutdown()
    assert (report.done, report.failed) == (count, 0), report.failures[:3]
    assert pq.read_table(tmp_path / "big" / RUNS_PARQUET).num_rows == count
    print(f"20,000 small-scenario runs at steps=1: {time.perf_counter() - began:.1f} s")
