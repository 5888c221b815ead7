"""Specs are data: bad, hostile or malformed sweep and experiment files are refused up front.

Every refusal is exit status 2 with one ``error: ...`` line naming the
offending field or position, no traceback, and nothing written. Cases run at
dry-run cost (validation only; no model runs).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from race_cli import design
from race_cli import experiment as ex
from sweeps import specs as spec_io

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = "downstream_partnerships"

SWEEP = {
    "name": "safe",
    "design": {"kind": "grid"},
    "params": {"downstream.partner_share": [0.0, 0.5]},
    "replicates": 2,
    "overrides": ["scenario=small", "steps=1"],
}

ANCHOR_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(97 + i)}: &{chr(97 + i)} [{','.join(['*' + chr(96 + i)] * 9)}]"
       for i in range(1, 10)]) + "\n"

#: Malformed files: (id, bytes, fragment of the message).
MALFORMED = [
    ("syntax", b"name: x\n  params: [\n", ":2:"),
    ("tab", b"name: x\nparams:\n\tdownstream.partner_share: [0.0]\n", ":3:1: invalid YAML"),
    ("duplicate", b"name: x\nname: y\n", ":2:1: duplicate key 'name'"),
    ("python_tag", b"name: !!python/object/apply:os.system ['echo pwned']\n",
     "python/object/apply:os.system"),
    ("non_utf8", b"name: caf\xe9\n", ":1:10: not UTF-8"),
    ("interpolation", b"name: x\ntitle: ${oc.env:HOME}\n", ":2:8: interpolation"),
    ("anchor_bomb", ANCHOR_BOMB.encode(), ":1:4: YAML anchor &a"),
    ("oversize", b"# " + b"x" * (1 << 20) + b"\n", "larger than 1048576 bytes"),
    ("not_a_mapping", b"- a\n- b\n", "expected a YAML mapping"),
]


def _refused(status: int, out: str, err: str, fragment: str) -> str:
    text = (out + err).strip()
    assert status == 2, text
    assert "Traceback" not in text
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0], lines[0]
    return lines[0]


def _nothing_written(folder: Path, spec_file: Path) -> None:
    assert [p for p in folder.iterdir() if p != spec_file] == []


@pytest.fixture
def sweep_cli(tmp_path, monkeypatch, capsys):
    """Write a sweep file into an empty folder and run ``race-sim-sweep`` there in-process."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "spec.yaml"

    def run(content, *args):
        if isinstance(content, dict):
            content = yaml.safe_dump(content, sort_keys=False)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        start = time.perf_counter()
        status = design.main([str(path), *args])
        seconds = time.perf_counter() - start
        out, err = capsys.readouterr()
        return status, out, err, seconds

    run.path = path
    run.folder = tmp_path
    return run


@pytest.fixture
def experiment_cli(tmp_path, capsys):
    """Write an experiment file and run ``race-experiment FILE --out OUT`` in-process."""
    folder = tmp_path / "spec"
    folder.mkdir()
    path = folder / ex.SPEC_FILE
    out_dir = tmp_path / "out"

    def run(content, *args):
        if isinstance(content, dict):
            content = yaml.safe_dump(content, sort_keys=False)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        start = time.perf_counter()
        status = ex.main([str(path), "--out", str(out_dir), *args])
        seconds = time.perf_counter() - start
        out, err = capsys.readouterr()
        return status, out, err, seconds

    run.path = path
    run.out_dir = out_dir
    return run


def _headline() -> dict:
    return spec_io.load_yaml(ex.available()[HEADLINE])


def _with(base: dict, **changes) -> dict:
    spec = yaml.safe_load(yaml.safe_dump(base))
    for dotted, value in changes.items():
        node = spec
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return spec


@pytest.mark.parametrize(("content", "fragment"), [c[1:] for c in MALFORMED],
                         ids=[c[0] for c in MALFORMED])
def test_malformed_sweep_file_is_one_line_error(sweep_cli, content, fragment):
    status, out, err, seconds = sweep_cli(content)
    line = _refused(status, out, err, fragment)
    assert str(sweep_cli.path) in line
    assert seconds < 2.0
    _nothing_written(sweep_cli.folder, sweep_cli.path)


@pytest.mark.parametrize(("content", "fragment"), [c[1:] for c in MALFORMED],
                         ids=[c[0] for c in MALFORMED])
def test_malformed_experiment_file_is_one_line_error(experiment_cli, content, fragment):
    status, out, err, seconds = experiment_cli(content)
    line = _refused(status, out, err, fragment)
    assert str(experiment_cli.path) in line
    assert seconds < 2.0
    assert not experiment_cli.out_dir.exists()


SWEEP_CASES = [
    ("callback_target", {"overrides": ["+hydra.callbacks.x._target_=builtins.dict"]},
     (), "_target_ is not allowed"),
    ("hydra_callbacks", {"overrides": ["hydra.callbacks.sweep.verbose=true"]}, (),
     "Hydra settings (hydra.callbacks.sweep.verbose) are not allowed in a spec file"),
    ("hydra_run_dir", {"overrides": ["+hydra.run.dir=/tmp/x"]}, (), "hydra.run.dir"),
    ("hydra_launcher_in_file", {"overrides": ["hydra.launcher.partition=cpu"]}, (),
     "not allowed in a spec file"),
    ("hydra_delete", {"overrides": ["~hydra.callbacks.sweep"]}, (), "hydra.callbacks.sweep"),
    ("target_in_params_key", {"params": {"downstream._target_": [1]}}, (),
     "params.downstream._target_: key not allowed"),
    ("target_nested_in_bounds",
     {"design": {"kind": "lhs", "samples": 4, "seed": 1},
      "params": {"downstream.partner_share": {"lo": 0.0, "hi": 1.0,
                                              "_target_": "builtins.dict"}}},
     (), "params.downstream.partner_share._target_"),
    ("target_nested_in_grid_value", {"params": {"governance": [{"_target_": "builtins.dict"}]}},
     (), "params.governance[0]._target_"),
    ("hydra_key_in_params", {"params": {"hydra.job.chdir": [True]}}, (), "params.hydra.job.chdir"),
    ("absolute_name", {"name": "/tmp/outside"}, (), "name='/tmp/outside'"),
    ("dotdot_name", {"name": "../../outside"}, (), "name='../../outside'"),
    ("absolute_dir", {"dir": "/tmp/outside"}, (), "dir='/tmp/outside'"),
    ("dotdot_dir", {"dir": "runs/../../outside"}, (), "dir='runs/../../outside'"),
    ("unknown_launcher", {"launcher": "evil"}, (), "launcher='evil'"),
    ("seed_too_large", {"seed": 2**63}, (), f"seed={2**63}"),
    ("seed_range_overflows", {"seed": 2**63 - 1}, (), "seeds run up to seed + 1"),
    ("replicates_unbounded", {"replicates": 10**9}, (), "replicates=1000000000"),
    ("bad_grid_value", {"params": {"downstream.partner_share": [0.0, 1.5]}}, (),
     "downstream.partner_share=1.5: must be"),
    ("rule_between_point_and_base",
     {"params": {"capital.lab_capital_share": [0.5, 0.99]},
      "overrides": ["scenario=small", "capital.alt_cloud_capital_share=0.2"]},
     (), "params (point 1): capital.lab_capital_share=0.99 + capital.alt_cloud_capital_share"),
    ("bad_group_option", {"params": {"governance": ["none", "nope"]}}, (),
     "governance='nope': unknown option"),
    ("bad_base_override", {"overrides": ["scenario=small", "steps=0"]}, (), "steps=0: must be"),
    ("unknown_base_key", {"overrides": ["governance.bogus=1"]}, (), "governance.bogus=1"),
    ("dry_run_unknown_extra_key", {}, ("--dry-run", "governance.bogus=1"), "governance.bogus=1"),
    ("bad_extra_value", {}, ("talent.candidates=many",), "talent.candidates=many"),
    ("extra_hydra_callback", {}, ("hydra.callbacks.x._target_=builtins.dict",), "_target_"),
    ("extra_plus_hydra", {}, ("--dry-run", "+hydra.run.dir=/tmp/x"), "hydra.run.dir"),
    ("extra_interpolation", {}, ("steps=${oc.env:HOME}",), "interpolations"),
]


@pytest.mark.parametrize(("change", "args", "fragment"), [c[1:] for c in SWEEP_CASES],
                         ids=[c[0] for c in SWEEP_CASES])
def test_unsafe_or_invalid_sweep_is_refused_before_writing(sweep_cli, change, args, fragment):
    status, out, err, _ = sweep_cli({**SWEEP, **change}, *args)
    _refused(status, out, err, fragment)
    _nothing_written(sweep_cli.folder, sweep_cli.path)


EXPERIMENT_CASES = [
    ("callback_target", {"sweep__overrides": ["+hydra.callbacks.x._target_=builtins.dict"]},
     (), "_target_ is not allowed"),
    ("hydra_override", {"sweep__overrides": ["hydra.job.chdir=true"]}, (), "hydra.job.chdir"),
    ("hydra_run_dir", {"sweep__overrides": ["+hydra.run.dir=/tmp/x"]}, (), "hydra.run.dir"),
    ("target_in_params_key", {"sweep__params": {"downstream._target_": [1.0]}}, (),
     "sweep.params.downstream._target_"),
    ("target_nested", {"quick__sweep__design": {"kind": "grid", "_target_": "os.system"}},
     (), "quick.sweep.design._target_"),
    ("absolute_name", {"name": "/tmp/outside"}, (), "name='/tmp/outside'"),
    ("dotdot_name", {"name": "../outside"}, (), "name='../outside'"),
    ("seed_too_large", {"sweep__seed": 2**63}, (), f"seed={2**63}"),
    ("replicates_unbounded", {"sweep__replicates": 10**9}, (), "replicates=1000000000"),
    ("unknown_analysis_key", {"analysis__colour": "blue"}, (), "analysis.colour: unknown"),
    ("unknown_analysis_option", {"analysis__options": {"bogus": 1}}, (),
     "analysis.options.bogus"),
    ("figure_path", {"analysis__figures": ["../../etc/passwd"]}, (), "analysis.figures"),
    ("bad_grid_value", {"sweep__params": {"downstream.partner_share": [0.0, 1.5]}}, (),
     "downstream.partner_share=1.5"),
    ("dry_run_unknown_extra_key", {}, ("--dry-run", "governance.bogus=1"), "governance.bogus=1"),
    ("extra_hydra_callback", {}, ("hydra.callbacks.x._target_=builtins.dict",), "_target_"),
    ("extra_sweep_dir", {}, ("hydra.sweep.dir=/tmp/x",), "hydra.sweep.dir"),
]


@pytest.mark.parametrize(("change", "args", "fragment"), [c[1:] for c in EXPERIMENT_CASES],
                         ids=[c[0] for c in EXPERIMENT_CASES])
def test_unsafe_or_invalid_experiment_is_refused_before_writing(experiment_cli, change, args,
                                                                 fragment):
    status, out, err, _ = experiment_cli(_with(_headline(), **change), *args)
    _refused(status, out, err, fragment)
    assert not experiment_cli.out_dir.exists()


@pytest.mark.parametrize(("field", "value"), [("seeds", [1, 2**63]), ("max_evaluations", 10**9),
                                              ("screen", {"points": 10**9, "seed": 1})])
def test_calibration_counts_and_seeds_are_bounded(experiment_cli, field, value):
    spec = _with(spec_io.load_yaml(ex.available()["history_2015"]),
                 **{f"calibration__{field}": value})
    status, out, err, _ = experiment_cli(spec, "--dry-run")
    _refused(status, out, err, f"calibration.{field}")
    assert not experiment_cli.out_dir.exists()


def test_default_output_folder_of_a_bad_name_is_never_created(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_with(_headline(), name="..")))
    assert ex.main([str(path)]) == 2
    _refused(2, *capsys.readouterr(), "name='..'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_recorded_experiment_rerun_goes_through_the_safe_loader(tmp_path, monkeypatch, capsys):
    recorded = tmp_path / "results" / ex.SPEC_FILE
    recorded.parent.mkdir()
    spec = ex.resolve(_headline(), quick=True)
    recorded.write_text(yaml.safe_dump(spec, sort_keys=False))
    seen = []
    load = spec_io.load_yaml

    def spy(path, *args, **kwargs):
        seen.append(Path(path))
        return load(path, *args, **kwargs)

    monkeypatch.setattr(spec_io, "load_yaml", spy)
    assert ex.main([str(recorded), "--dry-run", "--out", str(tmp_path / "again")]) == 0
    assert seen == [recorded]
    capsys.readouterr()

    recorded.write_text("sweep: &s {replicates: 2}\nquick: *s\n" + recorded.read_text())
    assert ex.main([str(recorded), "--out", str(tmp_path / "again")]) == 2
    _refused(2, *capsys.readouterr(), f"{recorded}:1:8: YAML anchor &s")
    assert not (tmp_path / "again").exists()


@pytest.mark.parametrize("name", sorted(ex.available()))
def test_shipped_experiments_validate(name, tmp_path, capsys):
    assert ex.main([name, "--dry-run", "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().out.startswith(f"Experiment {name} ")
    assert not (tmp_path / "o").exists()


def test_launcher_settings_on_the_command_line_validate_and_are_not_recorded(tmp_path, capsys):
    extra = ["hydra/launcher=slurm", "hydra.launcher.partition=cpu", "steps=3"]
    assert ex.main([HEADLINE, "--quick", "--dry-run", "--out", str(tmp_path / "o"), *extra]) == 0
    model, launcher = ex.split_extra(extra)
    assert model == ["steps=3"] and launcher == extra[:2]
    spec = ex.resolve(_headline(), quick=True, extra=model)
    assert spec["sweep"]["overrides"][-1] == "steps=3"
    assert not any("hydra" in o for o in spec["sweep"]["overrides"])
    assert "Experiment " in capsys.readouterr().out


def _yaml_block(doc: Path, marker: str) -> str:
    text = doc.read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(" + re.escape(marker) + r".*?)```", text, flags=re.S)
    assert match, f"no yaml block starting with {marker!r} in {doc}"
    return match.group(1)


@pytest.mark.parametrize("doc", ["README.md", "docs/cli.md"])
def test_documented_sweep_example_validates_with_documented_command_lines(doc, sweep_cli):
    text = _yaml_block(ROOT / doc, "# designs/partner_lhs.yaml")
    slurm = ["hydra/launcher=slurm", "hydra.launcher.partition=cpu",
             "hydra.launcher.account=myproject", "hydra.launcher.timeout_min=120",
             "hydra.launcher.array_parallelism=100",
             'hydra.launcher.setup=["module load python/3.11","source ~/venvs/race/bin/activate"]']
    runner_slurm = ["--executor", "submitit", "--workers", "100", "--max-array-size", "1000",
                    "--chunk-size", "20", "--slurm", "slurm_partition=cpu",
                    "--slurm", "timeout_min=120", "--slurm", "mem_gb=2",
                    "--slurm", 'slurm_setup=["module load python/3.11", "source x"]']
    dask = ["--executor", "dask", "--scheduler", "tcp://10.0.0.5:8786"]
    for args in ([], ["steps=60", "hydra.sweep.dir=multirun/lhs_60"], slurm, runner_slurm, dask):
        status, out, err, _ = sweep_cli(text, "--dry-run", *args)
        assert status == 0, err
        command = out.strip().splitlines()[-1]
        assert all(a in command for a in args if a.startswith("hydra") and "sweep" not in a)
        if "hydra.sweep.dir=multirun/lhs_60" in args:
            assert f"hydra.sweep.dir='{sweep_cli.folder / 'multirun' / 'lhs_60'}'" in command
    _nothing_written(sweep_cli.folder, sweep_cli.path)


def test_check_override_policy():
    assert spec_io.check_override("steps=3", "x") == "steps=3"
    assert spec_io.check_override("governance=antitrust", "x") == "governance=antitrust"
    assert spec_io.check_override("hydra/launcher=parallel", "x", command_line=True)
    assert spec_io.check_override("hydra/launcher=slurm", "spec") == "hydra/launcher=slurm"
    for bad in ["hydra/launcher=evil", "+hydra/launcher=basic", "hydra.launcher.n_jobs=2",
                "+hydra.x=1", "++hydra.run.dir=/tmp", "~hydra", "steps._partial_=1", "a.b=_args_",
                "x._recursive_=false", "x._convert_=all"]:
        with pytest.raises(spec_io.SpecError):
            spec_io.check_override(bad, "spec")
    for bad in ["hydra.sweep.dir=/tmp", "hydra.callbacks.x=1", "+hydra.launcher.x=1",
                "hydra.launcher._target_=os.system", "hydra/launcher=evil"]:
        with pytest.raises(spec_io.SpecError):
            spec_io.check_override(bad, "command line", command_line=True)


def test_output_paths_are_checked_against_their_root(tmp_path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "link").symlink_to(tmp_path)
    assert spec_io.inside(root / "a" / "b", root, "x") == (root / "a" / "b").resolve()
    for escape in (root / ".." / "x", root / "link" / "x", Path("/tmp")):
        with pytest.raises(spec_io.SpecError, match="outside the output root"):
            spec_io.inside(escape, root, "x")
