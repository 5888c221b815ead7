"""Sweeps: replicates, launchers, resuming, failures, refusing a reused directory, aggregation.

Every sweep runs the tiny ``scenario=small`` population for three months, through
the installed ``race-sim`` console script in a separate process.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from sim import SUMMARY_METRICS, TIMESERIES_METRICS

BASE = ["scenario=small", "steps=3"]
GRID = ["downstream.partner_share=0.2,0.6", "partnership.exclusivity=true,false", "replicates=3"]
PARAMS = ["downstream.partner_share", "partnership.exclusivity"]


def race_sim() -> str:
    path = shutil.which("race-sim")
    assert path is not None, "the race-sim console script is not installed (pip install -e .)"
    return path


def multirun(sweep_dir: Path, *args: str, launcher: str = "basic") -> subprocess.Popen:
    return subprocess.Popen(
        [race_sim(), "-m", f"hydra.sweep.dir={sweep_dir}", f"hydra/launcher={launcher}",
         *BASE, *args],
        cwd=sweep_dir.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def job_files(sweep_dir: Path) -> dict[str, bytes]:
    """Bytes of every result file of every job (done markers carry times: a rerun changes them)."""
    return {str(p.relative_to(sweep_dir)): p.read_bytes()
            for p in sorted(sweep_dir.glob("[0-9]*/*")) if p.is_file() and p.suffix != ".log"}


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    """A finished 2x2 grid x 3 replicates with the basic launcher."""
    sweep_dir = tmp_path_factory.mktemp("sweeps") / "grid"
    result = finish(multirun(sweep_dir, *GRID))
    assert result.returncode == 0, result.stderr
    return sweep_dir


@pytest.fixture
def grid_copy(grid, tmp_path) -> Path:
    copy = tmp_path / "grid"
    shutil.copytree(grid, copy)
    return copy


def test_grid_with_replicates_gives_one_row_per_job_and_seed(grid):
    rows = read_rows(grid / "runs.csv")
    assert len(rows) == 12
    assert list(rows[0]) == ["job", *PARAMS, "replicate", "seed", *SUMMARY_METRICS]
    points = {(r["downstream.partner_share"], r["partnership.exclusivity"]) for r in rows}
    assert points == {("0.2", "True"), ("0.2", "False"), ("0.6", "True"), ("0.6", "False")}
    seeds_per_job = {}
    for r in rows:
        seeds_per_job.setdefault(r["job"], []).append(int(r["seed"]))
    assert sorted(seeds_per_job) == ["0", "1", "2", "3"]
    first = seeds_per_job["0"]
    assert len(set(first)) == 3, "replicates use distinct seeds"
    assert first == [20151, 20152, 20153]
    assert all(seeds == first for seeds in seeds_per_job.values()), "same seed list everywhere"
    assert all(r["frontier_capability"] != "" for r in rows)

    series = read_rows(grid / "timeseries.csv")
    assert list(series[0]) == ["job", "seed", "step", *TIMESERIES_METRICS]
    assert len(series) == 12 * 3
    flows = read_rows(grid / "flows.csv")
    assert list(flows[0]) == ["job", "seed", "year", "from_kind", "to_kind", "moves"]

    record = OmegaConf.to_container(OmegaConf.load(grid / "sweep.yaml"))
    assert record["params"] == PARAMS
    assert record["replicates"] == 3 and record["jobs"] == 4
    assert record["design"]["kind"] == "grid"
    assert record["design"]["points"] == [[0.2, True], [0.2, False], [0.6, True], [0.6, False]]
    assert (grid / "provenance.json").is_file()


def test_sweep_directory_loads_in_the_analysis_package(grid):
    """The multirun's job folders were ingested into the runner's typed Parquet aggregate."""
    import pyarrow.parquet as pq

    from analysis import load_sweep
    from sweeps.store import schemas

    for kind in ("runs", "timeseries", "flows"):
        assert pq.read_schema(grid / f"{kind}.parquet").equals(schemas()[kind]), kind
    sweep = load_sweep(grid)
    assert sweep.runs_path == grid / "runs.parquet"
    assert sweep.params == PARAMS
    assert sweep.jobs == [0, 1, 2, 3]
    assert sweep.seeds == [20151, 20152, 20153]
    assert sweep.missing_jobs == []
    assert len(sweep.timeseries) == 36


def test_launchers_give_identical_results(grid, tmp_path):
    """Joblib (the project's parallel launcher) and submitit_local reproduce the basic launcher.

    Two of the grid's points keep the test short; their rows must equal the grid's rows.
    """
    subset = ["downstream.partner_share=0.2,0.6", "partnership.exclusivity=false", "replicates=3"]
    procs = {launcher: multirun(tmp_path / launcher, *subset, launcher=launcher)
             for launcher in ("parallel", "slurm_local")}
    basic = {(r["downstream.partner_share"], r["seed"]): r for r in read_rows(grid / "runs.csv")
             if r["partnership.exclusivity"] == "False"}
    assert len(basic) == 6
    for launcher, proc in procs.items():
        result = finish(proc)
        assert result.returncode == 0, (launcher, result.stderr)
        rows = read_rows(tmp_path / launcher / "runs.csv")
        assert len(rows) == 6
        for row in rows:
            expected = basic[(row["downstream.partner_share"], row["seed"])]
            for metric in SUMMARY_METRICS:
                assert row[metric] == expected[metric], (launcher, metric)


def test_rerunning_a_finished_sweep_runs_no_job(grid_copy):
    before = job_files(grid_copy)
    runs_before = (grid_copy / "runs.csv").read_bytes()
    result = finish(multirun(grid_copy, *GRID))
    assert result.returncode == 0, result.stderr
    assert "4 already finished" in result.stdout + result.stderr
    assert job_files(grid_copy) == before
    assert (grid_copy / "runs.csv").read_bytes() == runs_before


def test_deleted_job_is_rerun_alone_with_identical_values(grid_copy):
    before = job_files(grid_copy)
    runs_before = (grid_copy / "runs.csv").read_bytes()
    shutil.rmtree(grid_copy / "2")
    result = finish(multirun(grid_copy, *GRID))
    assert result.returncode == 0, result.stderr
    after = job_files(grid_copy)
    for name, data in before.items():
        if name.startswith("2/") and name.endswith(("done.json", "provenance.json")):
            continue  # they record when the job ran
        assert after[name] == data, name
    assert after["2/done.json"] != before["2/done.json"], "job 2 ran again"
    assert after["0/done.json"] == before["0/done.json"], "job 0 did not run again"
    assert (grid_copy / "runs.csv").read_bytes() == runs_before


def test_failing_job_keeps_other_results_and_is_reported(tmp_path):
    sweep_dir = tmp_path / "failing"
    result = finish(multirun(sweep_dir, "downstream.partner_share=0.2,1.5,0.4", "replicates=2"))
    assert result.returncode == 1
    assert "1 of 3 jobs failed" in result.stderr
    assert "job 1 (downstream.partner_share=1.5): ParamError" in result.stderr
    assert (sweep_dir / "1" / "error.json").is_file()
    assert not (sweep_dir / "1" / "done.json").exists()
    rows = read_rows(sweep_dir / "runs.csv")
    assert sorted({r["job"] for r in rows}) == ["0", "2"]
    assert len(rows) == 4
    assert (sweep_dir / "0" / "done.json").is_file() and (sweep_dir / "2" / "done.json").is_file()


def test_reused_directory_with_a_different_sweep_is_refused(grid_copy):
    before = job_files(grid_copy)
    other = ["downstream.partner_share=0.2,0.9", "partnership.exclusivity=true,false",
             "replicates=3"]
    result = finish(multirun(grid_copy, *other))
    assert result.returncode == 2
    assert "holds a different sweep" in result.stderr
    assert "design.points" in result.stderr
    assert job_files(grid_copy) == before
    fewer_seeds = finish(multirun(grid_copy, *GRID[:2], "replicates=2"))
    assert fewer_seeds.returncode == 2 and "replicates" in fewer_seeds.stderr


def test_directory_with_unrecorded_jobs_is_refused(grid_copy):
    (grid_copy / "sweep.yaml").unlink()
    result = finish(multirun(grid_copy, *GRID))
    assert result.returncode == 2
    assert "no sweep.yaml" in result.stderr


def test_aggregate_on_demand_rebuilds_the_tables(grid_copy):
    from analysis.aggregate import aggregate

    expected = {name: (grid_copy / name).read_bytes()
                for name in ("runs.csv", "timeseries.csv", "flows.csv")}
    for name in expected:
        (grid_copy / name).unlink()
    result = aggregate(grid_copy)
    assert result.jobs == [0, 1, 2, 3] and result.rows == 12
    for name, data in expected.items():
        assert (grid_copy / name).read_bytes() == data, name
