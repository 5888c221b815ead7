"""The explorer's settings, validation, runs and exports, without a browser."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hydra import compose, initialize_config_module
from matplotlib.collections import LineCollection

import sim
from race_cli import schema
from race_cli.experiment import load_spec, resolve, validate
from race_cli.explorer import cli, plots, state
from sim.params import ParamError

#: A tiny population so that a run takes a fraction of a second.
SMALL = {"scenario.n_researchers": 400, "scenario.n_startups": 10, "steps": 12}


def test_lever_ranges_are_the_declared_ones_narrowed_only_by_the_view():
    for lever in state.LEVERS:
        meta = lever.meta
        if lever.kind == "bool":
            assert isinstance(lever.model_default, bool)
            continue
        lo, hi = lever.bounds()
        declared_lo = meta["lo"] + (lever.step if meta.get("lo_open") else 0)
        assert lo == (declared_lo if lever.view_lo is None else max(declared_lo, lever.view_lo))
        assert hi == (meta["hi"] if lever.view_hi is None
                      else min(lever.view_hi, meta["hi"] if meta["hi"] is not None else math.inf))
        assert lo <= lever.initial <= hi, lever.key
    assert state.LEVER_BY_KEY["downstream.partner_share"].bounds() == (0.0, 1.0)
    assert state.LEVER_BY_KEY["scenario.n_labs"].bounds() == (1, 16)
    assert state.LEVER_BY_KEY["steps"].bounds() == (12, 240)


def test_defaults_are_valid_and_the_model_defaults_except_the_horizon():
    params = state.to_params(state.default_settings())
    assert params == sim.from_dict({"steps": state.DEFAULT_HORIZON_MONTHS})
    assert state.changed(state.default_settings()) == {"steps": state.DEFAULT_HORIZON_MONTHS}


@pytest.fixture(scope="module")
def registered():
    schema.register()


def test_override_line_round_trips_through_the_command_line(registered):
    settings = {**state.default_settings(), "downstream.partner_share": 0.55,
                "partnership.exclusivity": False, "governance.antitrust": True,
                "scenario.n_labs": 5, "governance.noncompete_penalty": 1.5, "steps": 36}
    line = state.override_line(settings, replicates=3, seed=7)
    assert line == ("race-sim downstream.partner_share=0.55 partnership.exclusivity=false "
                    "governance.antitrust=true governance.noncompete_penalty=1.5 "
                    "scenario.n_labs=5 steps=36 seed=7 replicates=3")
    with initialize_config_module(config_module="configs", version_base="1.3"):
        cfg = compose("config", overrides=line.split()[1:])
    params, cli_keys = schema.to_params(cfg)
    assert params == state.to_params({**settings, "seed": 7})
    assert cli_keys == {"replicates": 3}


def test_experiment_export_loads_with_the_safe_loader_and_validates(tmp_path):
    current = {**state.default_settings(), "downstream.partner_share": 0.8,
               "governance.safety_floor": 0.2, "governance.buyback_share": 0.5}
    baseline = {**state.default_settings(), "governance.buyback_share": 0.5, "steps": 120}
    path = tmp_path / "explorer_settings.yaml"
    state.write_atomic(path, state.experiment_yaml(current, baseline, replicates=4, seed=11))
    assert [p.name for p in tmp_path.iterdir()] == ["explorer_settings.yaml"]
    spec = resolve(load_spec(path), quick=False)
    sweep = spec["sweep"]
    assert sweep["params"] == {"downstream.partner_share": [0.3, 0.8],
                               "governance.safety_floor": [0.0, 0.2]}
    # The horizon is shared: the baseline's own 120 months are not used.
    assert sweep["overrides"] == ["governance.buyback_share=0.5", "steps=60"]
    assert (sweep["replicates"], sweep["seed"]) == (4, 11)
    assert spec["analysis"]["baseline"] == ("downstream.partner_share=0.3,"
                                            "governance.safety_floor=0.0")
    assert spec["analysis"]["contrasts"] == {
        "explorer settings": "downstream.partner_share=0.8,governance.safety_floor=0.2"}
    validate(spec, tmp_path / "out")


def test_experiment_export_of_identical_settings_is_a_single_point(tmp_path):
    path = tmp_path / "same.yaml"
    settings = state.default_settings()
    state.write_atomic(path, state.experiment_yaml(settings, settings))
    spec = resolve(load_spec(path), quick=False)
    assert spec["sweep"]["params"] == {"steps": [60]}
    assert "contrasts" not in spec["analysis"]
    validate(spec, tmp_path / "out")


@pytest.mark.parametrize(("settings", "message"), [
    ({"scenario.n_labs": 1}, "scenario.n_inhouse_labs=2: must be <= scenario.n_labs=1"),
    ({"downstream.partner_share": 1.5}, "downstream.partner_share=1.5: must be <= 1.0 and >= 0.0"),
    ({"talent.candidate": 3}, "talent.candidate=3: unknown key in talent; allowed:"),
    ({"governance.antitrust": 1}, "governance.antitrust=1: expected a boolean (true/false)"),
])
def test_invalid_setting_is_one_line_naming_key_and_rule(settings, message):
    with pytest.raises(ParamError) as info:
        state.to_params({**state.default_settings(), **settings})
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_parse_overrides_reads_scalars_like_the_command_line():
    assert state.parse_overrides(" talent.candidates=12  governance.antitrust=true "
                                 "safety.mode=heuristic downstream.partner_share=0.5") == {
        "talent.candidates": 12, "governance.antitrust": True, "safety.mode": "heuristic",
        "downstream.partner_share": 0.5}
    for bad, message in [("talent", "'talent': expected key=value"),
                         ("a..b=1", "'a..b=1': expected key=value"),
                         ("talent.candidates=[1,2]", "talent.candidates='[1,2]': expected a")]:
        with pytest.raises(ParamError, match=r"^" + message.replace("[", r"\[")):
            state.parse_overrides(bad)


def test_compare_rejects_bad_replicates():
    with pytest.raises(ParamError, match=r"^replicates=0: must be an integer in \[1, 10\]$"):
        state.compare(state.Runner(workers=1), SMALL, SMALL, replicates=0)


@pytest.fixture(scope="module")
def comparison():
    runner = state.Runner(workers=1)
    current = {**SMALL, "downstream.partner_share": 1.0, "governance.safety_floor": 0.3}
    first = state.compare(runner, current, SMALL, replicates=2, seed=5)
    again = state.compare(runner, current, SMALL, replicates=2, seed=5)
    fresh = state.compare(state.Runner(workers=1), current, SMALL, replicates=2, seed=5)
    return first, again, fresh


def test_same_seeds_give_identical_numbers_and_the_cache_is_used(comparison):
    first, again, fresh = comparison
    assert first.seeds == [5, 6] and first.simulated == 4
    assert again.simulated == 0
    assert fresh.simulated == 4
    assert [r.seed for r in first.current] == [r.seed for r in first.baseline] == [5, 6]
    assert state.headline(first) == state.headline(fresh)
    for a, b in zip(first.current, fresh.current, strict=True):
        np.testing.assert_array_equal(a.lab_capability, b.lab_capability)
    # Same settings on both sides: the baseline is the current run, difference 0.
    runner = state.Runner(workers=1)
    same = state.compare(runner, SMALL, SMALL, replicates=1, seed=5)
    assert same.simulated == 1
    for row in state.headline(same):
        assert row.current == row.baseline or math.isnan(row.current)
        assert row.difference == 0.0 or math.isnan(row.difference)


def test_headline_difference_is_the_median_paired_difference(comparison):
    first = comparison[0]
    rows = {row.metric: row for row in state.headline(first)}
    assert list(rows) == list(state.HEADLINE_METRICS)
    cur = [r.summary["safety_share_mean"] for r in first.current]
    base = [r.summary["safety_share_mean"] for r in first.baseline]
    row = rows["safety_share_mean"]
    assert row.current == pytest.approx(np.median(cur))
    assert row.baseline == pytest.approx(np.median(base))
    assert row.difference == pytest.approx(np.median(np.subtract(cur, base)))
    # A safety floor of 0.3 on every lab raises the safety share in every seed.
    assert (row.higher, row.lower, row.seeds) == (2, 0, 2)
    assert row.unit == "share"


def test_figures_show_both_settings_over_calendar_years(comparison):
    first = comparison[0]
    figures = plots.all_figures(first)
    assert list(figures) == ["capability", "safety", "concentration", "flows", "money"]
    ax = figures["safety"].axes[0]
    assert ax.get_xlabel() == "Year"
    lines = {line.get_label(): line for line in ax.get_lines()}
    x = lines["current"].get_xdata()
    assert x[0] == 2015.0 and x[-1] == pytest.approx(2015 + 11 / 12)
    assert lines["current"].get_ydata() == pytest.approx(
        np.median([r.timeseries["safety_share_mean"] for r in first.current], axis=0))
    money = plots.money_rates(first.current)
    assert money.shape == (6,) and money[0] > 0
    flows = plots.flow_rates(first.baseline)
    assert flows.sum() == pytest.approx(np.mean([r.flows.sum() for r in first.baseline]))


def test_figures_updated_in_place_equal_newly_built_ones(comparison):
    """The page reuses its figures: after any earlier comparison they show exactly the new one."""
    import matplotlib

    first = comparison[0]
    one_seed = state.compare(state.Runner(workers=1), SMALL, SMALL, replicates=1, seed=5)
    reused = plots.Panels()
    with matplotlib.rc_context({"svg.hashsalt": "test"}):
        before = reused.svg(first)
        again = reused.svg(one_seed)
        assert again == plots.Panels().svg(one_seed)
    assert all(before[name] != again[name] for name in plots.NAMES)
    assert list(again) == list(plots.NAMES)
    assert all(svg.startswith(b"<?xml") and b"<text" in svg for svg in again.values())
    ax = reused.figures["capability"].axes[0]
    labs = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(labs) == 2
    assert len(labs[1].get_segments()) == one_seed.current[0].lab_capability.shape[1]
    flows = reused.figures["flows"].axes[0]
    shown = [bar for bar in flows.patches if bar.get_visible()]
    names, current, baseline = plots.flow_values(one_seed)
    assert 0 < len(names) <= plots.MAX_FLOW_PAIRS and len(shown) == 2 * len(names)
    assert [bar.get_width() for bar in shown] == [
        v for pair in zip(baseline, current, strict=True) for v in pair]
    assert [t.get_text() for t in flows.get_yticklabels()] == names


def test_cli_binds_to_localhost_by_default_and_checks_arguments(capsys):
    args = cli.parse_args([])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 8765, None)
    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    assert "default 127.0.0.1" in capsys.readouterr().out.replace("\n", " ").replace("  ", " ")
    with pytest.raises(SystemExit):
        cli.parse_args(["--horizon", "0"])
    assert "--horizon: steps=0: must be >= 1" in capsys.readouterr().err


def test_page_logic_skips_superseded_settings_and_shows_one_line_errors():
    from race_cli.explorer import app

    snapshot = (tuple(SMALL.items()), tuple(SMALL.items()), 1, 5, "talent.candidates=0")
    assert app.compute(snapshot, [("newer",)]) is None
    outcome = app.compute(snapshot, [snapshot])
    assert outcome.comparison is None and outcome.figures == {} and outcome.rows == []
    assert outcome.error == "talent.candidates=0: must be >= 1 and <= 1000"
    row = state.HeadlineRow("capability_growth_oom_per_year", "Growth", "OOM/yr",
                            6e-15, 0.79, -0.79, 0, 1, 1)
    table = app.headline_html([row], seeds=1)
    assert ("<td class='current'>0</td><td class='baseline'>0.79</td>"
            "<td class='difference'>-0.79</td>") in table
    assert "Seeds higher" not in table and "Seeds higher" in app.headline_html([row], seeds=2)
