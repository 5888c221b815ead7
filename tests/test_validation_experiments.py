"""The validation experiments: Armstrong, Bostrom & Shulman (2016) and Han et al. (2020) DSAIR.

DSAIR (``experiments/validation_dsair2020``, the analytic model of
:mod:`sim.dsair` with b = 4, c = 1, B = 10^4, W = 100, Z = 100, beta = 0.01):
the always-unsafe (AU) frequency is at least 0.95 for every p_r up to 0.70 at
s = 1.5 and up to 0.85 at s = 3 -- below the society threshold 1 - 1/s (0.333,
0.667) and through about 82% of the dilemma zone up to the risk-dominance
threshold 1 - 1/(3s) (0.778, 0.889) -- and at most 0.01 from p_r = 0.85 at
s = 1.5 and from 0.95 at s = 3. :mod:`sim.dsair` gives 0.9999 at the upper
ends of the unsafe ranges, 0.9606 at p_r = 0.75 and 0.0756 at 0.80 for
s = 1.5, 0.0838 at 0.90 for s = 3, and at most 3e-4 in the safe ranges.

Armstrong (``experiments/validation_armstrong2016``): a small sweep with the
experiment's overrides (best response without information, no deals, no
startups, identical enmity, 40 months) over n in {2, 3}, mu in {0.5, 1},
e in {0.4, 1}: at least five settings with s* < 1 within 0.03 of
``s* = min(1, mu / (n e))``, and the paper's comparative statics.
"""

from __future__ import annotations

import copy
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.errors import SweepError
from analysis.load import load_sweep
from analysis.validation import (
    DsairSpecError,
    armstrong_section,
    dsair_section,
    exact_thresholds,
    s_star,
)
from race_cli.experiment import load_spec, locate, main, resolve
from sim import dsair

PNG = b"\x89PNG\r\n\x1a\n"


def shipped(name: str, quick: bool) -> dict:
    """The resolved spec of a shipped experiment."""
    return resolve(load_spec(locate(name)), quick)


@pytest.fixture(scope="module")
def dsair_quick():
    """The shipped quick DSAIR spec (p_r in steps of 0.05, 300 Monte Carlo trials)."""
    return shipped("validation_dsair2020", quick=True)["dsair"]


@pytest.fixture(scope="module")
def dsair_run(dsair_quick, tmp_path_factory):
    out = tmp_path_factory.mktemp("dsair")
    section = dsair_section(dsair_quick, out)
    return section, out, pd.read_csv(out / "dsair.csv")


@pytest.mark.parametrize(
    ("speed", "unsafe_up_to", "safe_from", "society", "dominance"),
    [(1.5, 0.70, 0.85, 1 / 3, 7 / 9), (3.0, 0.85, 0.95, 2 / 3, 8 / 9)],
)
def test_dsair_unsafe_below_risk_dominance_safe_above(dsair_run, speed, unsafe_up_to,
                                                       safe_from, society, dominance):
    section, _, table = dsair_run
    rows = table[table["s"] == speed]
    unsafe = rows[rows["p_r"] <= unsafe_up_to + 1e-9]
    dilemma = unsafe[unsafe["p_r"] > society]
    safe = rows[rows["p_r"] >= safe_from - 1e-9]
    assert len(dilemma) >= 3, "the unsafe range must reach into the dilemma zone"
    assert (dilemma["zone"] == "dilemma").all()
    assert unsafe["au_frequency"].min() >= 0.95
    assert len(safe) >= 2 and safe["p_r"].min() > dominance
    assert safe["au_frequency"].max() <= 0.01
    result = section.data["speeds"][f"{speed:g}"]
    assert result["society_threshold"] == pytest.approx(society)
    assert result["risk_dominance_threshold"] == pytest.approx(dominance)
    assert result["unsafe_holds"] and result["safe_holds"]


def test_dsair_known_values(dsair_run):
    """Regression values of the closed form at the transitions (known from sim.dsair)."""
    section, out, table = dsair_run
    value = {(r.s, round(r.p_r, 2)): r.au_frequency for r in table.itertuples()}
    assert value[(1.5, 0.75)] == pytest.approx(0.9606, abs=1e-3)
    assert value[(1.5, 0.80)] == pytest.approx(0.0756, abs=1e-3)
    assert value[(3.0, 0.85)] == pytest.approx(0.9999, abs=1e-3)
    assert value[(3.0, 0.90)] == pytest.approx(0.0838, abs=1e-3)
    # The frequency falls with the risk (more risk never favours unsafe play).
    for _, rows in table.groupby("s"):
        assert np.all(np.diff(rows.sort_values("p_r")["au_frequency"]) <= 1e-12)
    assert section.data["passes"] is True
    assert all(r["agrees"] for r in section.data["monte_carlo"])
    assert section.figures == ["figures/dsair_unsafe_frequency.png"]
    assert (out / section.figures[0]).read_bytes().startswith(PNG)
    assert "0.9606 (dilemma zone)" in section.text


def test_exact_thresholds_balance_the_payoffs():
    society, dominance = exact_thresholds(4.0, 1.0, 1e4, 100.0, 1.5)
    at_society = dsair.payoff_matrix(4.0, 1.0, 1e4, 100.0, 1.5, society)
    assert at_society[0, 0] == pytest.approx(at_society[1, 1])
    at_dominance = dsair.payoff_matrix(4.0, 1.0, 1e4, 100.0, 1.5, dominance)
    assert at_dominance[0].sum() == pytest.approx(at_dominance[1].sum())
    # Close to the paper's approximations 1 - 1/s and 1 - 1/(3 s) for B/W >> b, c.
    assert (society, dominance) == pytest.approx(dsair.thresholds(1.5), abs=0.01)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"beta": -1}, "dsair.beta=-1: a number >= 0"),
        ({"Z": 1}, "dsair.Z=1: an integer >= 2"),
        ({"Z": 50.5}, "dsair.Z=50.5: an integer"),
        ({"B": "big"}, "dsair.B='big': a number > 0"),
        ({"s": [1.5, 0.8]}, "dsair.s[1]=0.8: a number > 1"),
        ({"p_r": {"start": 0.0, "stop": 1.0, "step": 0.3}}, "whole number of steps"),
        ({"p_r": {"start": 0.0, "stop": 1.0}}, "dsair.p_r: missing key 'step'"),
        ({"gamma": 2}, "dsair.gamma: unknown field"),
        ({"tolerances": {"unsafe_min": 0.95}}, "dsair.tolerances: missing key 'safe_max'"),
        ({"checks": [{"s": 1.5, "unsafe_up_to": 0.2, "safe_from": 0.85},
                     {"s": 3.0, "unsafe_up_to": 0.85, "safe_from": 0.95}]},
         "dsair.checks[0].unsafe_up_to=0.2: must lie in the dilemma zone (0.333, 0.778)"),
        ({"checks": [{"s": 1.5, "unsafe_up_to": 0.7, "safe_from": 0.75}]},
         "dsair.checks[0].safe_from=0.75: must lie above the risk-dominance threshold 0.778"),
        ({"checks": [{"s": 1.5, "unsafe_up_to": 0.7, "safe_from": 0.85}]},
         "dsair.checks: no check for s=3"),
        ({"monte_carlo": {"trials": 0, "seed": 1, "p_r": [0.5]}},
         "dsair.monte_carlo.trials=0: an integer >= 1"),
        ({"table_p_r": [0.5, 1.5]}, "dsair.table_p_r[1]=1.5"),
    ],
)
def test_dsair_invalid_spec(dsair_quick, tmp_path, change, message):
    spec = {**copy.deepcopy(dsair_quick), **change}
    out = tmp_path / "out"
    with pytest.raises(DsairSpecError) as info:
        dsair_section(spec, out)
    assert message in str(info.value)
    assert not out.exists(), "nothing is written before the spec is valid"


def test_dsair_missing_field(dsair_quick, tmp_path):
    spec = {k: v for k, v in dsair_quick.items() if k != "W"}
    with pytest.raises(DsairSpecError, match=r"dsair\.W: required"):
        dsair_section(spec, tmp_path)


def test_race_experiment_rejects_an_invalid_dsair_spec(tmp_path, capsys):
    spec = shipped("validation_dsair2020", quick=False)
    del spec["variant"]
    spec["dsair"]["beta"] = -0.5
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert main([str(path), "--out", str(tmp_path / "out")]) == 2
    assert "dsair.beta=-0.5" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("n", "mu", "e", "expected"),
    [(2, 0.5, 1.0, 0.25), (4, 0.6, 0.8, 0.1875), (2, 1.0, 0.4, 1.0), (3, 1.0, 0.0, 1.0)],
)
def test_s_star(n, mu, e, expected):
    assert s_star(n, mu, e) == pytest.approx(expected)


ABS_GRID = {"scenario.n_labs": [2, 3], "safety.br_mu": [0.5, 1.0],
            "labs.enmity_mean": [0.4, 1.0]}


@pytest.fixture(scope="module")
def abs_run(tmp_path_factory):
    """The Armstrong experiment's overrides on a 2x2x2 grid, one seed, run serially."""
    root = tmp_path_factory.mktemp("abs")
    spec = load_spec(locate("validation_armstrong2016"))
    spec.pop("quick")
    spec["sweep"].update(params=ABS_GRID, replicates=1, launcher="basic")
    spec["analysis"].update(metrics=["safety_share_mean"], n_resamples=99)
    path = root / "experiment.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = root / "out"
    assert main([str(path), "--out", str(out)]) == 0
    return out


def test_armstrong_equilibrium_matches_theory(abs_run):
    """Recomputed from the sweep's own time series, independently of the section."""
    series = pd.read_csv(abs_run / "timeseries.csv")
    runs = pd.read_csv(abs_run / "runs.csv")
    points = runs[["job", "seed", *ABS_GRID]]
    final = series[series["step"] == series["step"].max()].merge(points, on=["job", "seed"])
    theory = [s_star(*p) for p in zip(final["scenario.n_labs"], final["safety.br_mu"],
                                      final["labs.enmity_mean"], strict=True)]
    error = np.abs(final["safety_share_mean"].to_numpy() - np.array(theory))
    interior = np.array(theory) < 1
    assert len(final) == 8 and interior.sum() == 7
    assert np.all(error <= 0.03)
    assert (error[interior] <= 0.03).sum() >= 5


def test_armstrong_section_findings(abs_run):
    findings = json.loads((abs_run / "findings.json").read_text(encoding="utf-8"))
    data = findings["sections"]["Armstrong, Bostrom & Shulman (2016): no-information equilibrium"]
    assert data["interior_within"] == data["interior_total"] == 7
    assert data["capped_within"] == data["capped_total"] == 1
    assert data["max_error"] <= 0.03
    assert data["max_tail_range"] <= 0.01
    statics = data["comparative_statics"]
    # Neighbours with s* < 1: more teams 3 pairs, more enmity 3, larger mu 3.
    assert {k: v["pairs"] for k, v in statics.items()} == {"n": 3, "e": 3, "mu": 3}
    assert all(v["agree"] == v["pairs"] for v in statics.values())
    assert data["passes"] is True
    assert "figures/armstrong_equilibrium.png" in findings["figures"]
    assert (abs_run / "figures" / "armstrong_equilibrium.png").read_bytes().startswith(PNG)
    text = (abs_run / "findings.md").read_text(encoding="utf-8")
    assert "**7 of 7 settings with s* < 1**" in text


def test_armstrong_section_rejects_bad_options(abs_run, tmp_path):
    sweep = load_sweep(abs_run)
    with pytest.raises(SweepError, match=r"analysis\.options\.tolerence: unknown option"):
        armstrong_section(sweep, tmp_path, {"tolerence": 0.03})
    with pytest.raises(SweepError, match=r"analysis\.options\.tolerance=2: a number in \(0, 1\)"):
        armstrong_section(sweep, tmp_path, {"tolerance": 2})


def test_armstrong_section_rejects_points_outside_the_limiting_case(abs_run, tmp_path):
    copy_dir = tmp_path / "sweep"
    shutil.copytree(abs_run, copy_dir)
    # the runner records each point's parameters in the store's manifest
    manifest = copy_dir / "manifest.json"
    record = json.loads(manifest.read_text(encoding="utf-8"))
    record["points"][0].setdefault("safety", {})["mode"] = "heuristic"
    manifest.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(SweepError, match=r"job 0 has safety\.mode='heuristic'"):
        armstrong_section(load_sweep(copy_dir), tmp_path, {})
