"""History scenario: the committed calibration meets the history targets; the calibration
step of ``race-experiment`` validates, fits, records and reuses; the history section."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import sim
from analysis.history import CHECKS, FIGURE, SCALE_CHECKS, history_section
from analysis.load import load_sweep
from analysis.synthetic import LEVELS, write_synthetic_sweep
from race_cli import experiment as ex
from race_cli.calibrate import FIT_FILE, model_overrides, run_calibration

HISTORY = "history_2015"

#: Seeds of the committed-config check: the 20 validation seeds of the experiment's full
#: variant (root seed 20151, 20 replicates), none of which the fit used (seeds 1-6).
CHECK_SEEDS = tuple(range(20151, 20171))


def _spec(**calibration) -> dict:
    """The full history_2015 spec, with calibration fields replaced (no start values when
    the free parameters are replaced)."""
    spec = ex.resolve(ex.load_spec(ex.available()[HISTORY]), quick=False)
    if "free" in calibration:
        calibration = {"start": {}, **calibration}
    spec["calibration"] = {**spec["calibration"], **calibration}
    return spec


@pytest.fixture()
def no_simulation(monkeypatch):
    """Make any model run fail, to show that a code path simulates nothing."""
    def refuse(*args, **kwargs):
        raise AssertionError("simulated although it should not")

    monkeypatch.setattr(sim, "run", refuse)


@pytest.mark.parametrize(("change", "message"), [
    ({"tolerance": 1e-3}, r"calibration\.tolerance: unknown field"),
    ({"free": {"talent.b_wage": {"lo": 2.0, "hi": 1.0}}}, r"talent\.b_wage=\[2\.0, 1\.0\]"),
    ({"free": {"talent.b_wage": {"lo": 0.5, "hi": 1.0, "step": 1}}}, r"b_wage\.step"),
    ({"free": {"talent.nope": {"lo": 0.0, "hi": 1.0}}}, r"talent\.nope: unknown parameter"),
    ({"free": {"talent.b_wage": {"lo": -1.0, "hi": 1.0}}}, r"lo=-1\.0: below"),
    ({"free": {"talent.candidates": {"lo": 1, "hi": 9}}}, r"int parameter cannot be fitted"),
    ({"start": {"talent.b_wage": 3.0}}, r"start\.talent\.b_wage=3\.0: outside"),
    ({"start": {"talent.b_prestige": 1.0}}, r"b_prestige: not a free parameter"),
    ({"targets": {"nope": {"value": 1, "scale": 1, "band": [0, 2]}}}, r"unknown summary"),
    ({"targets": {"big3_cloud_share": {"value": 0.6, "scale": 0, "band": [0.5, 0.7]}}},
     r"scale=0\.0: must be > 0"),
    ({"targets": {"big3_cloud_share": {"value": 0.6, "scale": 0.1, "band": [0.7, 0.8]}}},
     r"must contain the value"),
    ({"seeds": []}, r"calibration\.seeds=\[\]"),
    ({"seeds": [1, 1]}, r"distinct"),
    ({"max_evaluations": 0}, r"max_evaluations=0"),
    ({"screen": {"points": -1}}, r"screen\.points=-1"),
    ({"screen": {"size": 4}}, r"screen\.size: unknown field"),
])
def test_invalid_calibration_raises_before_simulating(change, message, tmp_path,
                                                      no_simulation):
    with pytest.raises(ex.ExperimentError, match=message):
        run_calibration(_spec(**change), tmp_path, workers=1)
    assert not (tmp_path / FIT_FILE).exists()


def test_invalid_sweep_for_calibration_raises_before_simulating(tmp_path, no_simulation):
    spec = _spec()
    spec["sweep"]["params"] = {"scenario": ["history_2015", "default"]}
    with pytest.raises(ex.ExperimentError, match="has 2 points, expected 1"):
        run_calibration(spec, tmp_path, workers=1)
    spec = _spec()
    spec["sweep"]["overrides"] = [*spec["sweep"]["overrides"], "talent.b_wag=1.0"]
    with pytest.raises(ex.ExperimentError, match=r"talent\.b_wag=1\.0: unknown key"):
        run_calibration(spec, tmp_path, workers=1)
    spec["sweep"]["overrides"][-1] = "talent.b_wage=-1.0"
    with pytest.raises(ex.ExperimentError, match=r"b_wage"):
        run_calibration(spec, tmp_path, workers=1)


def _tiny_spec() -> dict:
    """A calibration of 1 free parameter at a 3-month horizon on 1 seed: the start, 2 screen
    points and 2 Powell evaluations."""
    spec = _spec(seeds=[7], max_evaluations=2, screen={"points": 2, "seed": 1},
                 free={"talent.b_wage": {"lo": 0.5, "hi": 1.5}}, start={"talent.b_wage": 1.0},
                 targets={"big3_cloud_share": {"value": 0.65, "scale": 0.05,
                                               "band": [0.55, 0.75], "source": "test"}})
    spec["sweep"]["overrides"] = [*spec["sweep"]["overrides"], "steps=3"]
    return spec


def test_fit_is_recorded_and_reused_without_refitting(tmp_path, monkeypatch):
    spec = _tiny_spec()
    section, fitted = run_calibration(spec, tmp_path, workers=1)
    record = json.loads((tmp_path / FIT_FILE).read_text())
    assert record["overrides"] == model_overrides(spec, tmp_path)
    assert record["overrides"][:1] == ["scenario=history_2015"]
    assert record["seeds"] == [7] and record["evaluations"] == len(record["history"]) == 5
    assert [h["stage"] for h in record["history"]] == ["screen"] * 3 + ["powell"] * 2
    assert set(record["free"]) == {"talent.b_wage"} == set(fitted)
    assert record["free"]["talent.b_wage"]["start"] == 1.0
    assert 0.5 <= fitted["talent.b_wage"] <= 1.5
    best = min(record["history"], key=lambda h: h["objective"])
    assert record["objective"]["fit"] == best["objective"] <= record["objective"]["start"]
    assert record["free"]["talent.b_wage"]["optimum"] == best["values"]["talent.b_wage"]
    assert record["targets"]["big3_cloud_share"]["fit"] == best["moments"]["big3_cloud_share"]
    assert section.title == "Calibration fit" and "talent.b_wage" in section.text
    assert "big3_cloud_share" in section.text

    def refuse(*args, **kwargs):
        raise AssertionError("refitted although fit.json matches")

    monkeypatch.setattr(sim, "run", refuse)
    again, fitted_again = run_calibration(copy.deepcopy(spec), tmp_path, workers=1)
    assert fitted_again == fitted and again.text == section.text


def test_a_different_calibration_refits(tmp_path):
    spec = _tiny_spec()
    run_calibration(spec, tmp_path, workers=1)
    spec["calibration"]["seeds"] = [8]
    run_calibration(spec, tmp_path, workers=1)
    assert json.loads((tmp_path / FIT_FILE).read_text())["seeds"] == [8]


def _synthetic(path: Path, levels: dict[str, float]) -> Path:
    """A one-point synthetic sweep whose targeted metrics sit at ``levels``."""
    effects = {m: {"level": v - LEVELS.get(m, 1.0)} for m, v in levels.items()}
    return write_synthetic_sweep(path, [{"level": 1.0}], [1, 2, 3, 4, 5], effects,
                                 crn_sd=0.0, noise_sd=1e-4, steps=24)


def test_history_section_states_numbers_and_draws_the_figure(tmp_path):
    levels = {"training_compute_growth_per_year": 4.2, "industry_share_new_phds_start": 0.45,
              "industry_share_new_phds_end": 0.9, "big3_cloud_share": 0.65,
              "training_cost_growth_per_year": 2.5, "compute_price_usd_per_h100e_hour": 0.6}
    sweep = load_sweep(_synthetic(tmp_path / "sweep", levels))
    section = history_section(sweep, tmp_path, {})
    assert section.figures == [FIGURE] and (tmp_path / FIGURE).stat().st_size > 10_000
    checks = section.data["checks"]
    for check in CHECKS:
        assert checks[check.metric]["median"] == pytest.approx(levels[check.metric], abs=1e-3)
    assert [checks[c.metric]["pass"] for c in CHECKS] == [True, True, False, True, True]
    scale = section.data["scale_checks"]["compute_price_usd_per_h100e_hour"]
    assert [c.metric for c in SCALE_CHECKS] == ["compute_price_usd_per_h100e_hour"]
    assert scale["median"] == pytest.approx(0.6, abs=1e-3) and scale["band"] == [1.0, 4.0]
    assert scale["pass"] is False and scale["share_in_band"] == 0.0
    assert "| 4.2 |" in section.text and "| 0.9 |" in section.text and "| 2.5 |" in section.text
    assert "4 of 5 history targets pass; 0 of 1 scale checks pass." in section.text
    assert "Implausible" not in section.text
    levels["ai_market_usd_per_month"] = 1e16
    implausible = history_section(load_sweep(_synthetic(tmp_path / "big", levels)), tmp_path, {})
    assert "Implausible scale: the simulated AI market" in implausible.text
    with pytest.raises(ValueError, match="unknown option"):
        history_section(sweep, tmp_path, {"year": 2015})
