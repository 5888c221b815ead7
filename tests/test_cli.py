"""The ``race-sim`` command: files of a run, determinism, rerun from the saved config,
bad input, and a light ``--help``.

Runs go through the installed console script in separate processes, at a short
horizon with the tiny ``scenario=small`` population, from a temporary working
directory (the configs ship inside the package).
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS

STEPS = 12
RUN_FILES = ("summary.json", "timeseries.csv", "flows.csv", "provenance.json", "overview.png",
             ".hydra/config.yaml")


def race_sim() -> str:
    path = shutil.which("race-sim")
    assert path is not None, "the race-sim console script is not installed (pip install -e .)"
    return path


def start(run_dir: Path, *overrides: str, cwd: Path) -> subprocess.Popen:
    """Start `race-sim` writing into run_dir (not waiting)."""
    return subprocess.Popen(
        [race_sim(), f"hydra.run.dir={run_dir}", *overrides],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


BAD_INPUTS = {
    # wrong type: Hydra rejects it at composition
    "talent.candidates=many": (1, ["talent.candidates", "many", "Integer"]),
    # negative count
    "scenario.n_labs=-2": (2, ["scenario.n_labs=-2", "must be >= 1"]),
    # probability outside [0, 1]
    "downstream.partner_share=1.5": (2, ["downstream.partner_share=1.5", "<= 1.0"]),
    # unknown policy name
    "safety.mode=foo": (2, ["safety.mode='foo'",
                            "allowed: expected_value, heuristic, best_response"]),
    # unknown key, with the allowed keys and a close match
    "talent.candidate=3": (2, ["talent.candidate=3", "unknown key", "candidates"]),
    # CLI key out of range
    "replicates=0": (2, ["replicates=0", ">= 1"]),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Small runs and bad-input runs, all started at once (separate processes).

    Keys: ``a`` and ``b`` (seed 7), ``c`` (seed 8), ``r`` (seeds 7, 8, 9 in one job) and
    each key of BAD_INPUTS.
    """
    root = tmp_path_factory.mktemp("cli")
    specs = {"a": ["seed=7"], "b": ["seed=7"], "c": ["seed=8"], "r": ["seed=7", "replicates=3"]}
    specs.update({bad: ["steps=2", bad] for bad in BAD_INPUTS})
    procs = {}
    for i, (key, extra) in enumerate(specs.items()):
        run_dir = root / str(i)
        procs[key] = (run_dir, start(run_dir, "scenario=small", f"steps={STEPS}", *extra,
                                     cwd=root))
    return {key: (run_dir, finish(proc)) for key, (run_dir, proc) in procs.items()}


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_run_writes_every_file_with_the_contract_columns(runs):
    run_dir, result = runs["a"]
    assert result.returncode == 0, result.stderr
    for name in RUN_FILES:
        assert (run_dir / name).is_file(), name
    assert not list(run_dir.glob(".*.tmp")), "temporary files left behind"

    summary = json.loads((run_dir / "summary.json").read_text())
    assert list(summary) == ["seed", *SUMMARY_METRICS]
    assert summary["seed"] == 7
    assert all(v is None or isinstance(v, int | float) for v in summary.values())
    assert isinstance(summary["frontier_capability"], float)

    series = read_csv(run_dir / "timeseries.csv")
    assert series[0] == ["step", *TIMESERIES_METRICS]
    assert [int(row[0]) for row in series[1:]] == list(range(STEPS))
    assert all(len(row) == len(series[0]) for row in series)

    flows = read_csv(run_dir / "flows.csv")
    assert flows[0] == ["year", "from_kind", "to_kind", "moves"]
    assert len(flows) > 1, "a year of a 400-researcher population has researcher moves"
    for year, src, dst, moves in flows[1:]:
        assert int(year) == 0
        assert src in FLOW_KINDS and dst in FLOW_KINDS
        assert int(moves) > 0

    prov = json.loads((run_dir / "provenance.json").read_text())
    assert prov["seed"] == 7
    assert prov["python"] == sys.version.split()[0]
    assert prov["packages"]["mesa"].startswith("3.3")
    assert prov["packages"]["hydra-core"].startswith("1.3")
    assert prov["config"]["steps"] == STEPS
    assert prov["config"]["scenario"]["name"] == "small"
    assert prov["choices"]["scenario"] == "small"
    assert "git" in prov

    assert (run_dir / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Headline outcomes" in result.stdout
    assert "Frontier capability" in result.stdout


def test_same_seed_in_two_processes_gives_identical_files(runs):
    assert runs["b"][1].returncode == 0 and runs["c"][1].returncode == 0
    a, b = runs["a"][0], runs["b"][0]
    for name in ("summary.json", "timeseries.csv", "flows.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_different_seed_gives_different_results(runs):
    a, c = runs["a"][0], runs["c"][0]
    assert (a / "timeseries.csv").read_bytes() != (c / "timeseries.csv").read_bytes()
    sa = json.loads((a / "summary.json").read_text())
    sc = json.loads((c / "summary.json").read_text())
    assert sc["seed"] == 8
    assert any(sa[m] != sc[m] for m in SUMMARY_METRICS)


def test_rerun_from_saved_hydra_config_is_identical(runs, tmp_path):
    original = runs["a"][0]
    rerun = tmp_path / "rerun"
    result = finish(start(rerun, "--config-path", str(original / ".hydra"),
                          "--config-name", "config", cwd=tmp_path))
    assert result.returncode == 0, result.stderr
    for name in ("summary.json", "timeseries.csv", "flows.csv"):
        assert (rerun / name).read_bytes() == (original / name).read_bytes(), name


def test_replicates_run_several_seeds_into_compact_files(runs):
    run_dir, result = runs["r"]
    assert result.returncode == 0, result.stderr
    assert "seeds 7, 8, 9" in result.stdout and "mean" in result.stdout
    assert json.loads((run_dir / "done.json").read_text())["seeds"] == [7, 8, 9]
    rows = read_csv(run_dir / "summary.csv")
    assert rows[0] == ["replicate", "seed", *SUMMARY_METRICS]
    assert [r[:2] for r in rows[1:]] == [["0", "7"], ["1", "8"], ["2", "9"]]
    single = json.loads((runs["a"][0] / "summary.json").read_text())
    assert float(rows[1][2]) == single["frontier_capability"], "replicate 0 is the single run"
    with gzip.open(run_dir / "timeseries.csv.gz", "rt") as handle:
        series = list(csv.reader(handle))
    assert series[0] == ["seed", "step", *TIMESERIES_METRICS]
    assert len(series) == 1 + 3 * STEPS
    assert not (run_dir / "summary.json").exists()


@pytest.mark.parametrize("override", list(BAD_INPUTS))
def test_bad_input_exits_before_simulating(runs, override):
    status, expected = BAD_INPUTS[override]
    run_dir, result = runs[override]
    assert result.returncode == status, result.stderr
    for text in expected:
        assert text in result.stderr, (text, result.stderr)
    if status == 2:
        assert result.stderr.startswith("error: ")
    assert not (run_dir / "summary.json").exists()
    assert not (run_dir / "timeseries.csv").exists()


def test_help_imports_neither_mesa_nor_matplotlib_nor_pandas(tmp_path):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "race_cli.main", "--help"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "race-sim" in result.stdout and "scenario: " in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "hydra" in imported and "sim.params" in imported
    for heavy in ("mesa", "matplotlib", "pandas"):
        assert heavy not in imported, f"--help imported {heavy}"
