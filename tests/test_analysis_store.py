"""Loading a sweep from its Parquet store: exact values, failures, broken parts, manifest checks.

Stores are written by :func:`sweeps.runner.run_design` on threads with
:func:`known`, a task function whose results are exact functions of the point
and the seed (no model run), so every loaded value can be checked exactly.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from analysis.cli import failure_note
from analysis.errors import SweepError
from analysis.load import load_sweep, start_year
from sim import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS, Results
from sweeps.runner import run_design
from sweeps.store import SweepStore

SHARES = (0.25, 0.5, 0.75, 1.0)
POINTS = [{"scenario": {"start_year": 2020}, "downstream": {"partner_share": s},
           "partnership": {"exclusivity": i % 2 == 1}} for i, s in enumerate(SHARES)]
PARAMS = ["downstream.partner_share", "partnership.exclusivity"]
LABELS = [[s, i % 2 == 1] for i, s in enumerate(SHARES)]
SEEDS = [7, 8, 9]
STEPS = 4


def known(point, seed):
    """Results that are exact functions of the point's partner share and the seed."""
    share = point["downstream"]["partner_share"]
    summary = {m: share * 100 + seed + i / 8 for i, m in enumerate(SUMMARY_METRICS)}
    summary["time_to_threshold_months"] = None
    series = {m: np.arange(STEPS, dtype=float) * share + seed + i
              for i, m in enumerate(TIMESERIES_METRICS)}
    flows = np.zeros((1, len(FLOW_KINDS), len(FLOW_KINDS)), dtype=np.int64)
    flows[0, 0, 1] = seed + int(share * 4)
    return Results(seed=int(seed), timeseries=series, summary=summary, flows=flows,
                   lab_names=[], lab_capability=np.zeros((STEPS, 0)),
                   lab_safety=np.zeros((STEPS, 0)), start_year=2020)


def fails_at(pairs):
    """Return a task function like :func:`known` that raises at the given (share, seed) pairs."""
    def task(point, seed):
        if (point["downstream"]["partner_share"], seed) in pairs:
            raise RuntimeError(f"diverged at seed {seed}")
        return known(point, seed)
    return task


def run(path: Path, task=known, chunk_size: int | None = None) -> Path:
    """Run the design into ``path`` on two threads and return ``path``."""
    with ThreadPoolExecutor(2) as pool:
        run_design(POINTS, SEEDS, pool, path, chunk_size, progress=False, task_fn=task,
                   params=PARAMS, labels=LABELS)
    return path


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    return run(tmp_path_factory.mktemp("store") / "sweep", chunk_size=1)


@pytest.fixture()
def copy(store_dir, tmp_path) -> Path:
    return Path(shutil.copytree(store_dir, tmp_path / "sweep"))


def test_store_values_round_trip_exactly(store_dir):
    sweep = load_sweep(store_dir)
    assert sweep.store is not None and not sweep.from_parts
    assert sweep.params == PARAMS and sweep.jobs == [0, 1, 2, 3] and sweep.seeds == SEEDS
    assert sweep.missing_jobs == [] and sweep.failures == []
    assert sweep.definition == {"name": "sweep", "params": PARAMS, "replicates": 3}
    assert sweep.provenance["packages"]["pyarrow"]
    runs = sweep.runs
    assert list(runs.columns) == ["job", *PARAMS, "replicate", "seed", *SUMMARY_METRICS]
    assert [str(runs[c].dtype) for c in ("job", "replicate", "seed")] == ["int64"] * 3
    assert runs["partnership.exclusivity"].tolist() == ([False] * 3 + [True] * 3) * 2
    row = runs[(runs["job"] == 2) & (runs["seed"] == 8)].iloc[0]
    assert row["downstream.partner_share"] == 0.75 and row["replicate"] == 1
    assert row[SUMMARY_METRICS[0]] == 83.0 and row[SUMMARY_METRICS[3]] == 83.375
    assert runs["time_to_threshold_months"].isna().all()
    assert sweep.metric_values(SUMMARY_METRICS[1], 3).tolist() == [107.125, 108.125, 109.125]

    series = sweep.timeseries
    assert len(series) == 4 * 3 * STEPS
    run_rows = series[(series["job"] == 1) & (series["seed"] == 9)]
    assert run_rows["step"].tolist() == [0, 1, 2, 3]
    assert run_rows[TIMESERIES_METRICS[2]].tolist() == [11.0, 11.5, 12.0, 12.5]
    flows = sweep.flows
    assert list(flows.columns) == ["job", "seed", "year", "from_kind", "to_kind", "moves"]
    assert flows["moves"].dtype == np.int64 and len(flows) == 12
    assert flows[(flows["job"] == 3) & (flows["seed"] == 7)]["moves"].tolist() == [11]
    assert start_year(sweep) == 2020


def test_runner_store_and_ingested_job_folders_load_to_the_same_tables(store_dir, tmp_path):
    """The same runs as a Hydra multirun's job folders, ingested, read like the runner's store."""
    from analysis.aggregate import aggregate
    from race_cli.outputs import write_job

    for job, point in enumerate(POINTS):
        (tmp_path / str(job)).mkdir()
        write_job(tmp_path / str(job), [known(point, s) for s in SEEDS], [0.0] * len(SEEDS),
                  {"config": point, "choices": {}})
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump({"params": PARAMS, "replicates": 3}))
    (tmp_path / "provenance.json").write_text("{}")
    assert aggregate(tmp_path).rows == len(POINTS) * len(SEEDS)
    from_jobs, from_store = load_sweep(tmp_path), load_sweep(store_dir)
    pd.testing.assert_frame_equal(from_jobs.runs, from_store.runs)
    pd.testing.assert_frame_equal(from_jobs.timeseries, from_store.timeseries)
    pd.testing.assert_frame_equal(from_jobs.flows, from_store.flows)
    assert start_year(from_jobs) == 2020
    for name in ("runs.parquet", "timeseries.parquet", "flows.parquet"):
        assert pq.read_table(tmp_path / name).equals(pq.read_table(store_dir / name)), name


def test_truncated_runs_part_is_named_in_one_line(copy):
    part = sorted((copy / "parts").glob("*.runs.parquet"))[2]
    part.write_bytes(part.read_bytes()[:100])
    with pytest.raises(SweepError) as error:
        load_sweep(copy)
    assert str(error.value).startswith(f"{part}: not a readable Parquet file (truncated or "
                                       "corrupt)")
    assert "\n" not in str(error.value)


def test_truncated_aggregate_is_named(copy):
    aggregate = copy / "timeseries.parquet"
    aggregate.write_bytes(aggregate.read_bytes()[:-20])
    sweep = load_sweep(copy)
    with pytest.raises(SweepError, match=r"timeseries\.parquet: not a readable Parquet file"):
        _ = sweep.timeseries


def test_missing_part_file_is_named(copy):
    for name in ("runs", "timeseries", "flows"):
        (copy / f"{name}.parquet").unlink()
    part = sorted((copy / "parts").glob("*.timeseries.parquet"))[5]
    part.unlink()
    sweep = load_sweep(copy)
    assert sweep.from_parts and len(sweep.runs) == 12
    with pytest.raises(SweepError) as error:
        _ = sweep.timeseries
    commit = part.name.replace(".timeseries.", ".runs.")
    assert str(error.value).startswith(f"{part}: missing, though its task's {commit} exists")
    assert "\n" not in str(error.value)


def test_missing_run_without_failure_is_an_interrupted_sweep(copy):
    for name in ("runs", "timeseries", "flows"):
        (copy / f"{name}.parquet").unlink()
    victim = next(p for p in sorted((copy / "parts").glob("*.runs.parquet"))
                  if pq.read_table(p).to_pylist()[0]["point"] == 1
                  and pq.read_table(p).to_pylist()[0]["seed"] == 8)
    victim.unlink()
    with pytest.raises(SweepError, match=r"parts: point 1 seed 8 has no results and is not in "
                                         r"failures\.json \(an interrupted sweep\?\)"):
        load_sweep(copy)


def test_stale_aggregate_reads_the_parts(copy, store_dir):
    """A rerun interrupted before its aggregate: the parts hold more runs than runs.parquet."""
    parts = sorted((copy / "parts").glob("*.runs.parquet"))[:3]
    aside = copy.parent / "aside"
    aside.mkdir()
    for part in parts:
        task = part.name[: -len(".runs.parquet")]
        for kind in ("runs", "timeseries", "flows"):
            shutil.move(copy / "parts" / f"{task}.{kind}.parquet", aside)
    SweepStore(copy).aggregate()
    for moved in aside.iterdir():
        shutil.move(moved, copy / "parts")
    sweep = load_sweep(copy)
    assert sweep.from_parts
    reference = load_sweep(store_dir)
    pd.testing.assert_frame_equal(sweep.runs, reference.runs)
    pd.testing.assert_frame_equal(sweep.timeseries, reference.timeseries)


def test_partial_failure_is_reported_with_its_error(tmp_path):
    path = run(tmp_path / "sweep", fails_at({(0.5, 9)}))
    with pytest.raises(SweepError) as error:
        load_sweep(path)
    message = str(error.value)
    assert message == (
        f"{path / 'runs.parquet'}: point 1 seed 9 failed ({path / 'failures.json'}: "
        "RuntimeError: diverged at seed 9; 1 such failed run(s)); every point must run the "
        "same seed list, so rerun the sweep to complete the 1 missing run(s)")


def test_failed_point_is_listed_not_dropped(tmp_path):
    path = run(tmp_path / "sweep", fails_at({(0.75, s) for s in SEEDS}))
    sweep = load_sweep(path)
    assert sweep.jobs == [0, 1, 3] and sweep.missing_jobs == [2]
    assert [(f.point, f.seed, f.error) for f in sweep.failures] == [
        (2, s, f"RuntimeError: diverged at seed {s}") for s in SEEDS]
    assert failure_note(sweep) == (
        f"3 run(s) failed, so point(s) 2 are left out (all listed in {path / 'failures.json'}; "
        "e.g. point 2 seed 7: RuntimeError: diverged at seed 7)")
    assert failure_note(load_sweep(run(tmp_path / "clean"))) is None


def test_every_run_failed(tmp_path):
    path = run(tmp_path / "sweep", fails_at({(s, seed) for s in SHARES for seed in SEEDS}))
    with pytest.raises(SweepError, match=r"runs\.parquet: no runs \(all 12 listed in .*"
                                         r"failures\.json failed, e.g. point 0 seed 7: "):
        load_sweep(path)


def _edit_manifest(path: Path, edit) -> None:
    manifest = path / "manifest.json"
    data = json.loads(manifest.read_text())
    edit(data)
    manifest.write_text(json.dumps(data))


def test_manifest_that_does_not_match_the_runs(copy):
    _edit_manifest(copy, lambda m: m["seeds"].__setitem__(1, 99))
    with pytest.raises(SweepError, match=r"runs\.parquet: point 0 has seed 8 as replicate 1; "
                                         r"manifest\.json seeds are \[7, 99, 9\]"):
        load_sweep(copy)


def test_manifest_with_fewer_points_than_the_runs(copy):
    def drop_last(m):
        m["labels"].pop()
        m["points"].pop()
        m["points_count"] = 3
    _edit_manifest(copy, drop_last)
    with pytest.raises(SweepError, match=r"point 3 is not among the 3 points of manifest\.json"):
        load_sweep(copy)


def test_malformed_manifest_and_failures(copy):
    _edit_manifest(copy, lambda m: m["labels"][0].pop())
    with pytest.raises(SweepError, match=r"manifest\.json: key 'labels' must give one value"):
        load_sweep(copy)
    (copy / "manifest.json").write_text("{not json")
    with pytest.raises(SweepError, match=r"manifest\.json: unreadable"):
        load_sweep(copy)


def test_sweep_yaml_must_agree_with_the_manifest(copy):
    (copy / "sweep.yaml").write_text(yaml.safe_dump({"params": PARAMS[:1], "replicates": 3}))
    with pytest.raises(SweepError, match=r"manifest\.json: params .* differ from sweep\.yaml"):
        load_sweep(copy)
    (copy / "sweep.yaml").write_text(yaml.safe_dump({"params": PARAMS, "replicates": 5}))
    with pytest.raises(SweepError, match=r"3 seeds but sweep\.yaml says replicates=5"):
        load_sweep(copy)
    (copy / "sweep.yaml").write_text(yaml.safe_dump(
        {"params": PARAMS, "replicates": 3, "design": {"kind": "grid", "points": LABELS[:2]}}))
    with pytest.raises(SweepError, match=r"manifest\.json: 4 points but sweep\.yaml lists 2"):
        load_sweep(copy)
    (copy / "sweep.yaml").write_text(yaml.safe_dump(
        {"name": "shares", "params": PARAMS, "replicates": 3, "design": {"kind": "lhs"}}))
    sweep = load_sweep(copy)
    assert (sweep.name, sweep.design_kind, sweep.runs_path) == ("shares", "lhs",
                                                                copy / "runs.parquet")


def test_failures_json_must_be_a_list_of_failures(copy):
    (copy / "failures.json").write_text('[{"point": 0}]')
    with pytest.raises(SweepError, match=r"failures\.json: expected a JSON list of "
                                         r"\{point, seed, error\}"):
        load_sweep(copy)


def test_file_of_another_version_is_named(copy):
    """A summary metric this version does not know (a store written by another version)."""
    table = pq.read_table(copy / "runs.parquet")
    renamed = table.rename_columns([*table.column_names[:-1], "mystery_index"])
    pq.write_table(renamed, copy / "runs.parquet")
    with pytest.raises(SweepError, match=rf"runs\.parquet: columns differ from the runs schema "
                                         rf"of this version \(missing: {SUMMARY_METRICS[-1]}; "
                                         r"unknown: mystery_index; or another order\)"):
        load_sweep(copy)
