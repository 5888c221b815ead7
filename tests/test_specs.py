"""Typed spec models (sweeps/specs.py): sweep, experiment and calibration files.

Each model refuses unknown keys at every level, Hydra settings and
instantiation keys anywhere, and names that would leave the output root; every
refusal is one line naming the key, the value and what is allowed. The shipped
experiments and documented sweep designs parse, and ``--dry-run`` refuses
exactly what a real run refuses. Everything here is validation only (no model
runs).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from race_cli import design
from race_cli import experiment as ex
from sweeps import specs

ROOT = Path(__file__).resolve().parents[1]

SWEEP = {
    "name": "ok",
    "design": {"kind": "lhs", "samples": 4, "seed": 3},
    "params": {"downstream.partner_share": {"lo": 0.0, "hi": 1.0},
               "scenario.n_labs": [2, 5]},
    "replicates": 2,
    "seed": 11,
    "overrides": ["scenario=small", "steps=1"],
}

CALIBRATION = {
    "seeds": [1, 2],
    "screen": {"points": 2, "seed": 5},
    "max_evaluations": 3,
    "start": {"talent.b_wage": 1.0},
    "free": {"talent.b_wage": {"lo": 0.5, "hi": 1.5}},
    "targets": {"big3_cloud_share": {"value": 0.6, "scale": 0.1, "band": [0.5, 0.7]}},
}


def _experiment() -> dict:
    return specs.load_yaml(ex.available()["downstream_partnerships"])


def _refusal(model: type, data: dict, prefix: str = "") -> str:
    with pytest.raises(specs.SpecError) as caught:
        specs.validate(model, data, prefix)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def _set(data: dict, dotted: str, value) -> dict:
    data = yaml.safe_load(yaml.safe_dump(data))
    *parents, leaf = dotted.split("/")
    node = data
    for part in parents:
        node = node[part]
    node[leaf] = value
    return data


def test_valid_sweep_parses_into_typed_fields():
    spec = specs.validate(specs.SweepSpec, SWEEP)
    assert spec.design.kind == "lhs" and spec.design.samples == 4 and spec.design.seed == 3
    assert spec.ranges == [specs.Range("downstream.partner_share", 0.0, 1.0),
                           specs.Range("scenario.n_labs", 2.0, 5.0, integer=True)]
    assert spec.count() == 4 and spec.groups == []
    assert specs.validate(specs.SweepSpec, {"params": {"governance": ["none"]}}).groups == [
        "governance"]


@pytest.mark.parametrize(("model", "data", "dotted", "message"), [
    (specs.SweepSpec, SWEEP, "colour",
     "colour: unknown field; allowed: name, dir, design, params, replicates, seed, launcher, "
     "overrides"),
    (specs.SweepSpec, SWEEP, "design/colour",
     "design.colour: unknown field; allowed: kind, samples, seed, saltelli"),
    (specs.SweepSpec, SWEEP, "params/downstream.partner_share/colour",
     "params.downstream.partner_share.colour: unknown field; allowed: lo, hi, scale"),
    (specs.CalibrationSpec, CALIBRATION, "colour",
     "calibration.colour: unknown field; allowed: seeds, screen, max_evaluations, start, free, "
     "targets"),
    (specs.CalibrationSpec, CALIBRATION, "screen/colour",
     "calibration.screen.colour: unknown field; allowed: points, seed"),
    (specs.CalibrationSpec, CALIBRATION, "targets/big3_cloud_share/colour",
     "calibration.targets.big3_cloud_share.colour: unknown field; allowed: value, scale, band, "
     "source"),
])
def test_unknown_keys_are_refused_at_every_level(model, data, dotted, message):
    prefix = "calibration" if model is specs.CalibrationSpec else ""
    assert _refusal(model, _set(data, dotted, 1), prefix) == message


@pytest.mark.parametrize(("dotted", "message"), [
    ("colour", "colour: unknown field; allowed: name, title, question, kind, variant, sweep, "
               "analysis, calibration, dsair, quick"),
    ("sweep/colour", "sweep.colour: unknown field; allowed: name, dir, design, params, "
                     "replicates, seed, launcher, overrides"),
    ("analysis/colour", "analysis.colour: unknown field; allowed: metrics, baseline, contrasts, "
                        "extras, options, n_resamples, figures, key_figures"),
    ("analysis/key_figures/colour", "analysis.key_figures.colour: unknown field; allowed: "
                                    "lever, by, metrics"),
    ("quick/colour", "quick.colour: unknown field; allowed: sweep, analysis, calibration, dsair"),
    ("quick/sweep/colour", "quick.sweep.colour: unknown field; allowed: name, dir, design, "
                           "params, replicates, seed, launcher, overrides"),
])
def test_experiment_refuses_unknown_keys_at_every_level(dotted, message):
    assert _refusal(specs.ExperimentSpec, _set(_experiment(), dotted, 1)) == message


@pytest.mark.parametrize(("dotted", "value", "start"), [
    ("overrides", ["+hydra.callbacks.x._target_=builtins.dict"],
     "overrides: '+hydra.callbacks.x._target_=builtins.dict': _target_ is not allowed"),
    ("overrides", ["hydra.callbacks.sweep.verbose=true"],
     "overrides: 'hydra.callbacks.sweep.verbose=true': Hydra settings "
     "(hydra.callbacks.sweep.verbose) are not allowed in a spec file; allowed: model keys"),
    ("overrides", ["scenario.name=_target_"], "overrides: 'scenario.name=_target_': _target_"),
    ("overrides", ["x._partial_=true"], "overrides: 'x._partial_=true': _partial_ is not"),
    ("params", {"downstream.partner_share": {"lo": 0.0, "hi": 1.0, "_target_": "os.system"}},
     "params.downstream.partner_share._target_: key not allowed in a spec"),
    ("params", {"hydra.callbacks.x": [1]}, "params.hydra.callbacks.x: key not allowed"),
    ("name", "/tmp/outside", "name='/tmp/outside': a name is 1-100 letters"),
    ("name", "../outside", "name='../outside': a name is 1-100 letters"),
    ("name", "a/b", "name='a/b': a name is 1-100 letters"),
    ("dir", "/tmp/outside", "dir='/tmp/outside': a spec may only name a folder below"),
    ("dir", "runs/../../x", "dir='runs/../../x': a spec may only name a folder below"),
])
def test_code_keys_and_escaping_names_are_refused_in_one_line(dotted, value, start):
    assert _refusal(specs.SweepSpec, _set(SWEEP, dotted, value)).startswith(start)


def test_experiment_refuses_code_keys_nested_anywhere_and_escaping_names():
    cases = [
        ("sweep/overrides", ["+hydra.callbacks.x._target_=os.system"],
         "sweep.overrides: '+hydra.callbacks.x._target_=os.system': _target_ is not allowed"),
        ("quick/sweep/design", {"kind": "grid", "_target_": "os.system"},
         "quick.sweep.design._target_: key not allowed in a spec"),
        ("analysis/options", {"hydra": {"run": 1}}, "analysis.options.hydra: key not allowed"),
        ("analysis/figures", ["../../etc/passwd"], "analysis.figures[0]='../../etc/passwd': a "
                                                   "name is"),
        ("name", "/abs", "name='/abs': a name is"),
        ("sweep/name", "x", "sweep.name: set by the experiment (its name and --out)"),
    ]
    for dotted, value, start in cases:
        assert _refusal(specs.ExperimentSpec, _set(_experiment(), dotted, value)).startswith(
            start), dotted


@pytest.mark.parametrize(("dotted", "value", "message"), [
    ("seeds", [1, 1], "calibration.seeds=[1, 1]: expected distinct seeds"),
    ("seeds", [1, 2**63], f"calibration.seeds[1]={2**63}: input should be less than or equal "
                          f"to {2**63 - 1}"),
    ("max_evaluations", True, "calibration.max_evaluations=True: input should be a valid "
                              "integer"),
    ("free", {"talent.candidates": {"lo": 1, "hi": 9}},
     "calibration.free.talent.candidates: a int parameter cannot be fitted; free parameters "
     "are real-valued"),
    ("free", {"talent.b_wage": {"lo": -1.0, "hi": 1.0}},
     "calibration.free.talent.b_wage.lo=-1.0: below the parameter's allowed range (>= 0.0)"),
    ("start", {"talent.b_wage": 2.0},
     "calibration.start.talent.b_wage=2.0: outside the bounds [0.5, 1.5]"),
    ("targets", {"big3_cloud_share": {"value": 0.6, "scale": 0, "band": [0.5, 0.7]}},
     "calibration.targets.big3_cloud_share.scale=0.0: must be > 0"),
])
def test_calibration_rules_name_key_value_and_allowed(dotted, value, message):
    assert _refusal(specs.CalibrationSpec, _set(CALIBRATION, dotted, value),
                    "calibration") == message


def test_sweep_rules_name_key_value_and_allowed():
    cases = [
        ("seed", 2**63 - 1, f"seed={2**63 - 1}: expected an integer in [0, {2**63 - 2}] (seeds "
                            "run up to seed + 1)"),
        ("replicates", 10**9, "replicates=1000000000: input should be less than or equal to "
                              "100000"),
        ("launcher", "evil", "launcher='evil': allowed: basic, parallel, slurm, slurm_local"),
        ("design/kind", "halton", "design.kind='halton': allowed: grid, lhs, sobol"),
        ("design/samples", "4", "design.samples='4': input should be a valid integer"),
        ("params", {"downstream.partner_share": [0.0, 2.0]},
         "params.downstream.partner_share.hi=2.0: above the parameter's allowed range (<= 1.0)"),
    ]
    for dotted, value, message in cases:
        assert _refusal(specs.SweepSpec, _set(SWEEP, dotted, value)) == message, dotted


@pytest.mark.parametrize("name", sorted(ex.available()))
def test_shipped_experiments_parse_in_both_variants(name):
    spec = specs.load_experiment(ex.available()[name])
    assert spec.name == name
    for quick in (False, True):
        resolved = ex.resolve(spec, quick)
        assert resolved["variant"] == ("quick" if quick else "full")
        again = specs.validate(specs.ExperimentSpec, resolved)
        assert again.kind == spec.kind
        if again.sweep is not None:
            assert again.sweep.count() >= 1


def _documented_designs() -> list[str]:
    blocks = []
    for doc in ("README.md", "docs/cli.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        blocks += re.findall(r"```yaml\n(# designs/.*?)```", text, flags=re.S)
    return blocks


def test_documented_sweep_designs_parse(tmp_path):
    blocks = _documented_designs()
    assert len(blocks) >= 2
    for index, block in enumerate(blocks):
        path = tmp_path / f"d{index}.yaml"
        path.write_text(block, encoding="utf-8")
        spec = specs.load_sweep(path)
        assert spec.count() >= 1 and spec.name


def test_loaders_give_file_line_and_column_in_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("params:\n  downstream.partner_share: [0.0]\nparams: {}\n")
    with pytest.raises(specs.SpecError, match=re.escape(f"{path}:3:1: duplicate key 'params'")):
        specs.load_sweep(path)
    path.write_text("params: {downstream.partner_share: [0.0]}\nreplicates: 0\n")
    with pytest.raises(specs.SpecError) as caught:
        specs.load_sweep(path)
    assert str(caught.value) == f"{path}: replicates=0: input should be greater than or equal to 1"
    path.write_text("name: x\nsweep: &s {replicates: 2}\n")
    with pytest.raises(specs.SpecError, match=re.escape(f"{path}:2:8: YAML anchor &s")):
        specs.load_experiment(path)


def _bad_sweeps() -> list[tuple[dict, tuple[str, ...], str]]:
    base = {"name": "s", "params": {"downstream.partner_share": [0.0]},
            "overrides": ["scenario=small", "steps=1"]}
    return [
        ({**base, "overrides": ["hydra.callbacks.x._target_=os.system"]}, (), "_target_"),
        (base, ("governance.bogus=1",), "governance.bogus=1: unknown key"),
        ({**base, "seed": 2**63 - 1, "replicates": 3}, (), "seeds run up to seed + 2"),
    ]


def test_dry_run_and_real_run_refuse_the_same_sweeps(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "spec.yaml"
    for data, extra, fragment in _bad_sweeps():
        path.write_text(yaml.safe_dump(data))
        lines = []
        for mode in (["--dry-run"], []):
            assert design.main([str(path), *extra, *mode]) == 2
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1 and fragment in err, err
            lines.append(err)
        assert lines[0] == lines[1]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_dry_run_and_real_run_refuse_the_same_experiments(tmp_path, capsys):
    path = tmp_path / ex.SPEC_FILE
    out = tmp_path / "out"
    cases = [
        (_set(_experiment(), "analysis/options", {"bogus": 1}), (),
         "analysis.options.bogus: unknown option"),
        (_set(_experiment(), "quick/analysis", {"n_resamples": 0}), (),
         "analysis.n_resamples=0: input should be greater than or equal to 1"),
        (_experiment(), ("+hydra.run.dir=/tmp/x",), "hydra.run.dir"),
    ]
    for data, extra, fragment in cases:
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        lines = []
        for mode in (["--dry-run"], []):
            assert ex.main([str(path), "--quick", "--out", str(out), *extra, *mode]) == 2
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1 and fragment in err, err
            lines.append(err)
        assert lines[0] == lines[1]
        assert not out.exists()


def test_schema_of_the_docs_matches_the_models():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    models = (specs.SweepSpec, specs.Design, specs.ExperimentSpec, specs.AnalysisSpec,
              specs.KeyFigures, specs.CalibrationSpec, specs.Target, specs.Screen)
    for model in models:
        fields = ", ".join(model.model_json_schema()["properties"])
        assert f"- `{model.__name__}`: {fields}\n" in text, model.__name__
    assert specs.SweepSpec.model_json_schema()["properties"]["replicates"] == {
        "default": 1, "maximum": specs.MAX_REPLICATES, "minimum": 1, "title": "Replicates",
        "type": "integer"}


def test_a_misspelt_key_is_reported_before_the_key_it_leaves_missing():
    data = _set(_experiment(), "analysis/key_figures", {"lever": "x", "metric": ["a"]})
    assert _refusal(specs.ExperimentSpec, data) == (
        "analysis.key_figures.metric: unknown field; allowed: lever, by, metrics")
