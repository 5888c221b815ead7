"""Experiments (``experiments/<name>/``, ``race-experiment``): specs, end-to-end runs, findings.

Every shipped experiment runs in its quick variant at a tiny horizon (3 months,
2 seeds per point) through the same code path as the command; rerunning from
the recorded ``experiment.yaml`` reproduces identical outputs; and the numbers
the headline experiment's README states for its quick variant are re-derived
by running that variant (about a minute on 2 cores).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from race_cli import experiment as ex

TINY_STEPS = 3
TINY_REPLICATES = 2
HEADLINE = "downstream_partnerships"
EXPECTED = {"downstream_partnerships", "upstream_deals", "alternative_clouds",
            "buybacks_spinouts", "secrecy", "governance", "sensitivity", "history_2015",
            "validation_armstrong2016", "validation_dsair2020", "deal_cycle",
            "price_index"}


def tiny_spec(name: str) -> dict:
    """The quick variant of an experiment at a tiny horizon with 2 seeds per point."""
    kind = ex.load_spec(ex.available()[name]).get("kind", "sweep")
    extra = [] if kind == "dsair" else [f"steps={TINY_STEPS}"]
    spec = ex.resolve(ex.load_spec(ex.available()[name]), quick=True, extra=extra)
    if kind != "dsair":
        spec["sweep"]["replicates"] = min(spec["sweep"].get("replicates", 1), TINY_REPLICATES)
    spec["analysis"]["n_resamples"] = 199
    return spec


def test_all_issue_experiments_are_shipped():
    assert EXPECTED <= set(ex.available())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_specs_validate_in_both_variants(name, tmp_path, capsys):
    for variant in ([], ["--quick"]):
        assert ex.main([name, *variant, "--dry-run", "--out", str(tmp_path / "o")]) == 0
    assert "Experiment " + name in capsys.readouterr().out
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Run every experiment's tiny quick variant once; name -> output folder."""
    root = tmp_path_factory.mktemp("experiments")
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            out = root / name
            ex.run(tiny_spec(name), out)
            cache[name] = out
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_experiment_runs_quick_at_tiny_horizon(name, tiny_runs):
    out = tiny_runs(name)
    assert (out / "report" / "index.html").is_file()
    findings = json.loads((out / "findings.json").read_text())
    assert findings["experiment"] == name and findings["variant"] == "quick"
    text = (out / "findings.md").read_text()
    assert text.startswith("Findings of ")
    for figure in findings["figures"]:
        assert (out / figure).is_file()
    recorded = ex.load_spec(out / ex.SPEC_FILE)
    assert recorded["variant"] == "quick" and "quick" not in recorded
    if recorded["kind"] != "dsair":
        runs = pd.read_csv(out / "runs.csv")
        jobs = len(pd.read_csv(out / "report" / "tables" / "points.csv"))
        assert len(runs) == jobs * recorded["sweep"]["replicates"] <= jobs * TINY_REPLICATES
        assert f"steps={TINY_STEPS}" in recorded["sweep"]["overrides"]


def test_rerun_from_recorded_config_reproduces_outputs(tiny_runs, tmp_path):
    first = tiny_runs(HEADLINE)
    again = tmp_path / "again"
    assert ex.main([str(first / ex.SPEC_FILE), "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(first / "runs.csv"),
                                  pd.read_csv(again / "runs.csv"))
    assert (json.loads((first / "findings.json").read_text())["sections"]
            == json.loads((again / "findings.json").read_text())["sections"])
    assert (first / "findings.md").read_text() == (again / "findings.md").read_text()


def test_rerun_into_same_folder_resumes_and_other_experiment_is_refused(tiny_runs, capsys):
    out = tiny_runs(HEADLINE)
    before = (out / "runs.csv").read_text()
    assert ex.main([str(out / ex.SPEC_FILE), "--out", str(out)]) == 0
    assert (out / "runs.csv").read_text() == before
    capsys.readouterr()
    assert ex.main(["governance", "--quick", "--out", str(out)]) == 2
    assert "holds a different experiment" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bogus": 1}, "bogus: unknown field"),
        ({"kind": "magic"}, "kind='magic': allowed: sweep, calibration, dsair"),
        ({"analysis": {"metrics": ["no_such_metric"]}}, "no_such_metric"),
        ({"analysis": {"baseline": "downstream.partner_share=0.42"}}, "analysis.baseline"),
        ({"analysis": {"extras": ["nope"]}}, "unknown extra 'nope'"),
        ({"sweep": {"design": {"kind": "grid"},
                    "params": {"downstream.partner_share": [0.0, 2.0]}}},
         "downstream.partner_share"),
    ],
)
def test_bad_specs_fail_before_running(change, message, tmp_path, capsys):
    spec = ex.load_spec(ex.available()[HEADLINE])
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(spec))
    out = tmp_path / "out"
    status = ex.main([str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and message in err, err
    assert not out.exists()


def test_unknown_experiment_lists_the_shipped_ones(capsys):
    assert ex.main(["no_such_experiment"]) == 2
    err = capsys.readouterr().err
    assert "shipped:" in err and HEADLINE in err


def _numbers(text: str) -> list[float]:
    """Every number of a findings table block, in order."""
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?", text)]


def _block(readme: str, variant: str) -> str:
    begin = ex.BEGIN.format(variant=variant)
    return readme.split(begin, 1)[1].split(ex.END.format(variant=variant), 1)[0]


def test_headline_readme_numbers_come_from_its_quick_variant(tmp_path):
    """Run the headline quick variant and compare every number of its README block.

    The block holds 3-significant-digit values; each must equal the rerun's
    value to within one unit of its last digit (guards against float noise
    across platforms, not against a different result).
    """
    spec_path = ex.available()[HEADLINE]
    readme = (spec_path.parent / "README.md").read_text()
    stated = _block(readme, "quick")
    spec = ex.resolve(ex.load_spec(spec_path), quick=True)
    out = tmp_path / "quick"
    ex.run(spec, out)
    derived = (out / "findings.md").read_text()
    stated_rows = [r for r in stated.splitlines() if r.startswith("| ") and "---" not in r]
    derived_rows = [r for r in derived.splitlines() if r.startswith("| ") and "---" not in r]
    stated_left_out = [r for r in stated.splitlines() if r.startswith("- Not shown:")]
    derived_left_out = [r for r in derived.splitlines() if r.startswith("- Not shown:")]
    assert stated_left_out == derived_left_out
    # A header, then one row per metric of the spec that is not left out (one line each).
    metrics = spec["analysis"]["metrics"]
    assert len(stated_rows) == len(derived_rows) == 1 + len(metrics) - len(derived_left_out)
    assert len(derived_rows) >= 5
    for a, b in zip(stated_rows, derived_rows, strict=True):
        assert a.split("|")[1] == b.split("|")[1]
        xs, ys = _numbers(a.split("|", 2)[2]), _numbers(b.split("|", 2)[2])
        assert len(xs) == len(ys), (a, b)
        for x, y in zip(xs, ys, strict=True):
            assert abs(x - y) <= 1.01 * 10 ** _ulp(y), (a, b)
    assert _prose_numbers_present(readme, json.loads((out / "findings.json").read_text()))


def _ulp(value: float) -> float:
    """Exponent of one unit in the third significant digit of ``value``."""
    import math

    return math.floor(math.log10(abs(value))) - 2 if value else -12


def _prose_numbers_present(readme: str, findings: dict) -> bool:
    """The README's prose (before the findings blocks) quotes the quick variant's effect."""
    prose = readme.split(ex.BEGIN.format(variant="full"), 1)[0]
    contrasts = findings["sections"]["Paired effects"]["contrasts"]
    effect = contrasts["all startups partner"]["metrics"]["moves_startup_to_lab"]["effect"]
    return f"+{effect:.3g}" in prose


def test_readme_block_and_figures_are_replaced_and_unlinked_figures_removed(tmp_path):
    """``--readme`` rewrites only its block, copies its figures, drops those no longer linked."""
    folder = tmp_path / "experiments" / "demo"
    (folder / "figures").mkdir(parents=True)
    spec_path = folder / "experiment.yaml"
    spec_path.write_text("name: demo\n")
    begin, end = ex.BEGIN.format(variant="full"), ex.END.format(variant="full")
    (folder / "README.md").write_text(
        f"# Demo\n\nProse links ![kept](figures/hand.png).\n\n{begin}\nold block\n{end}\n"
        "## After\n")
    for name in ("hand.png", "old_run.png"):
        (folder / "figures" / name).write_bytes(b"png")
    out = tmp_path / "out"
    (out / "report" / "figures").mkdir(parents=True)
    (out / "report" / "figures" / "key_x.png").write_bytes(b"new")
    (out / "findings.md").write_text("New findings.\n\n![key_x](report/figures/key_x.png)\n")
    (out / "findings.json").write_text(json.dumps({"figures": ["report/figures/key_x.png"]}))
    readme = ex.write_readme(spec_path, {"variant": "full"}, out)
    text = readme.read_text()
    assert "old block" not in text and "New findings." in text
    assert "![key_x](figures/key_x.png)" in text and text.endswith(f"{end}\n## After\n")
    assert sorted(p.name for p in (folder / "figures").iterdir()) == ["hand.png", "key_x.png"]
    assert (folder / "figures" / "key_x.png").read_bytes() == b"new"
    (folder / "README.md").write_text("# Demo without markers\n")
    with pytest.raises(ex.ExperimentError, match="no '<!-- BEGIN findings:full"):
        ex.write_readme(spec_path, {"variant": "full"}, out)
