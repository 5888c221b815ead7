"""Sampling designs of ``race-sim-sweep``: Latin hypercube and Sobol points, definitions, and
one end-to-end design sweep."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from race_cli.design import DefinitionError, parse_definition, points

ROOT = Path(__file__).resolve().parent.parent

LHS = {
    "name": "lhs8",
    "design": {"kind": "lhs", "samples": 8, "seed": 2024},
    "params": {
        "downstream.partner_share": [0.0, 1.0],
        "partnership.deal_size_valuation_share": {"lo": 0.1, "hi": 1.0, "scale": "log"},
        "scenario.n_labs": [2, 9],
    },
    "replicates": 2,
}


def test_latin_hypercube_is_reproducible_within_bounds_and_stratified(tmp_path):
    first = points(parse_definition(LHS, cwd=tmp_path))
    second = points(parse_definition(LHS, cwd=tmp_path))
    assert first == second
    assert len(first) == 8
    share, deal, labs = (np.array(column) for column in zip(*first, strict=True))
    assert ((share >= 0.0) & (share <= 1.0)).all()
    assert ((deal >= 0.1) & (deal <= 1.0)).all()
    assert all(isinstance(p[2], int) and 2 <= p[2] <= 9 for p in first)
    # one point in each eighth of every axis: the Latin hypercube property
    assert sorted(np.floor(share * 8).astype(int)) == list(range(8))
    assert sorted(np.floor(np.log(deal / 0.1) / np.log(10) * 8).astype(int)) == list(range(8))
    assert sorted(labs) == list(range(2, 10))
    other_seed = points(parse_definition({**LHS, "design": {**LHS["design"], "seed": 7}},
                                         cwd=tmp_path))
    assert other_seed != first


def test_sobol_design_and_its_power_of_two_rule(tmp_path):
    sobol = {**LHS, "design": {"kind": "sobol", "samples": 8, "seed": 1}}
    pts = points(parse_definition(sobol, cwd=tmp_path))
    assert pts == points(parse_definition(sobol, cwd=tmp_path))
    assert len(pts) == 8 and len({tuple(p) for p in pts}) == 8
    with pytest.raises(DefinitionError, match="power of 2"):
        parse_definition({**sobol, "design": {"kind": "sobol", "samples": 6, "seed": 1}})


def test_saltelli_layout_for_total_order_indices(tmp_path):
    spec = {**LHS, "design": {"kind": "sobol", "samples": 4, "seed": 3, "saltelli": True}}
    pts = np.array(points(parse_definition(spec, cwd=tmp_path)), dtype=float)
    n, d = 4, 3
    assert pts.shape == (n * (d + 2), d)
    a, b = pts[:n], pts[n:2 * n]
    for i in range(d):
        expected = a.copy()
        expected[:, i] = b[:, i]
        assert np.array_equal(pts[(2 + i) * n:(3 + i) * n], expected)
    with pytest.raises(DefinitionError, match="only with kind: sobol"):
        parse_definition({**LHS, "design": {**LHS["design"], "saltelli": True}})


def test_grid_definition_is_the_cartesian_product(tmp_path):
    defn = parse_definition({"params": {"governance": ["none", "antitrust"],
                                        "partnership.exclusivity": [True, False]}}, cwd=tmp_path)
    assert points(defn) == [["none", True], ["none", False], ["antitrust", True],
                            ["antitrust", False]]
    assert defn.groups == ["governance"]
    assert defn.sweep_dir == tmp_path / "multirun" / "sweep"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"params": {"downstream.partner_shares": [0, 1]}}, "unknown parameter"),
        ({"params": {"downstream.partner_share": [0.0, 1.5]}}, "above the parameter's allowed"),
        ({"params": {"scenario.n_labs": [1.5, 4]}}, "integer bounds"),
        ({"params": {"downstream.mode": ["share", "profit"]}}, "cannot be sampled"),
        ({"params": {"governance": ["none", "antitrust"]}}, "only be swept with kind: grid"),
        ({"design": {"kind": "lhs", "samples": 8}}, "explicit non-negative integer seed"),
        ({"design": {"kind": "halton", "samples": 8, "seed": 1}}, "allowed: grid, lhs, sobol"),
        ({"overrides": ["downstream.partner_share=0.5"]}, "swept by the design"),
        ({"replicates": 0}, "replicates=0"),
        ({"colour": "blue"}, "unknown field"),
    ],
)
def test_invalid_definitions_are_rejected_with_the_field_named(change, message):
    with pytest.raises(DefinitionError, match=message):
        parse_definition({**LHS, **change})


def race_sim_sweep(definition: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``race-sim-sweep`` from this checkout (python -m), in the definition's folder."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "race_cli.design", str(definition),
                           "--workers", "2", *args], cwd=definition.parent, env=env,
                          capture_output=True, text=True, timeout=300)


def test_design_sweep_end_to_end_resumes_and_refuses_another_design(tmp_path):
    definition = tmp_path / "lhs.yaml"
    spec = {**LHS, "design": {"kind": "lhs", "samples": 3, "seed": 5},
            "overrides": ["scenario=small", "steps=2"]}
    definition.write_text(OmegaConf.to_yaml(spec))
    result = race_sim_sweep(definition)
    assert result.returncode == 0, result.stderr
    sweep_dir = tmp_path / "multirun" / "lhs8"
    record = OmegaConf.to_container(OmegaConf.load(sweep_dir / "sweep.yaml"))
    expected = points(parse_definition(spec, cwd=tmp_path))
    assert record["design"]["points"] == expected
    assert record["design"]["seed"] == 5 and record["design"]["kind"] == "lhs"
    with open(sweep_dir / "runs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6
    assert [(int(r["job"]), int(r["seed"])) for r in rows] == [
        (j, s) for j in range(3) for s in (20151, 20152)]
    for row in rows:
        point = expected[int(row["job"])]
        assert float(row["downstream.partner_share"]) == point[0]
        assert float(row["partnership.deal_size_valuation_share"]) == point[1]
        assert int(row["scenario.n_labs"]) == point[2]
    # each point ran with its values on top of the small scenario (manifest = what ran)
    manifest = json.loads((sweep_dir / "manifest.json").read_text())
    assert manifest["points"][2]["downstream"]["partner_share"] == expected[2][0]
    assert manifest["points"][2]["scenario"]["n_labs"] == expected[2][2]
    assert manifest["points"][2]["scenario"]["n_researchers"] == 400
    assert manifest["points"][2]["steps"] == 2

    runs = (sweep_dir / "runs.parquet").read_bytes()
    again = race_sim_sweep(definition)
    assert again.returncode == 0, again.stderr
    assert "6 already finished, 0 run now" in again.stdout
    assert (sweep_dir / "runs.parquet").read_bytes() == runs

    spec["design"]["seed"] = 6
    definition.write_text(OmegaConf.to_yaml(spec))
    refused = race_sim_sweep(definition)
    assert refused.returncode == 2
    assert "holds a different sweep" in refused.stderr and "design.seed" in refused.stderr
