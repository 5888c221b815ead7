"""Conservation, bounds and finiteness at every step of whole 120-month runs.

Each configuration below runs once per module with ``RaceModel(..., audit=True)``;
the model then keeps, for every step, the cash of every organisation before
and after, the ledger's recorded inflows and outflows, the ledger total,
researcher headcounts by kind, the step's flow matrix, and compute allocated
and capacity per provider. The population is reduced (3,000 researchers, 60
startups; see ``conftest.small_params``) to keep the runs fast; all mechanisms
stay on. The configurations cover several seeds of the default model, the
non-default policy branches (willingness-to-pay rationing, profit-based
downstream choice, best-response safety, the governance levers, capex that
answers the price margin and is financed on capital markets) and the edge
populations the model spec requires: 1 lab, 0 startups, 0 alternative clouds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

import sim
from sim import observation
from sim.model import RaceModel
from sim.params import SimParams, replace
from sim.results import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS, Results

ENTRY, EXIT = FLOW_KINDS.index("entry"), FLOW_KINDS.index("exit")
N_ORG_KINDS = ENTRY

#: Name -> (parameter changes on top of the small default, seed).
CONFIGS: dict[str, tuple[dict, int]] = {
    "default-seed0": ({}, 0),
    "default-seed1": ({}, 1),
    "default-seed2": ({}, 2),
    "policy-levers": ({
        "clouds__spot_allocation": "wtp",
        "downstream__mode": "profit",
        "partnership__exclusivity": False,
        "governance__antitrust_share_threshold": 0.5,
        "governance__buyback_share": 0.8,
        "governance__noncompete_penalty": 1.0,
        "governance__safety_floor": 0.1,
        "governance__public_compute_h100e_per_academic": 1.0,
    }, 3),
    "best-response": ({
        "safety__mode": "best_response",
        "safety__br_grid": 51,
        "scenario__n_labs": 3,
        "scenario__n_inhouse_labs": 1,
    }, 4),
    "one-lab": ({"scenario__n_labs": 1, "scenario__n_inhouse_labs": 0}, 5),
    "no-initial-startups": ({"scenario__n_startups": 0}, 6),
    "no-startups-ever": ({
        "scenario__n_startups": 0,
        "startups__founding_rate_per_month": 0.0,
        "talent__spinout_rate_per_month": 0.0,
    }, 7),
    "no-alt-clouds": ({"scenario__n_alt_clouds": 0}, 8),
    "elastic-supply": ({
        "clouds__capex_price_elasticity": 2.0,
        "clouds__capex_external_share": 1.0,
        "capital__market_elasticity": 0.3,
    }, 10),
    "only-alt-clouds": ({"scenario__n_big_clouds": 0, "scenario__n_inhouse_labs": 0}, 9),
}

#: Time-series metrics that are shares or probabilities, hence in [0, 1].
SHARE_SERIES = (
    "safety_share_mean", "incident_prob", "compute_hhi", "capability_share_hhi",
    "talent_hhi_top_decile", "academia_share_top_decile", "openness_mean",
    "startup_partnered_share", "industry_share_new_phds", "big3_cloud_share",
)
#: Summary metrics that are shares or probabilities (when defined).
SHARE_SUMMARY = (
    "safety_share_mean", "incident_prob", "compute_hhi", "capability_share_hhi",
    "talent_hhi_top_decile", "academia_share_top_decile", "openness_mean",
    "startup_partnered_share", "industry_share_new_phds_start", "industry_share_new_phds_end",
    "big3_cloud_share", "startup_survival", "lab_partner_revenue_share",
)
#: Counts and sizes that can never be negative.
NONNEGATIVE_SERIES = (
    "contenders", "incident_count", "moves_academia_to_industry", "moves_startup_to_lab",
    "lab_spinouts", "startups_alive", "compute_price_usd_per_h100e_hour", "researchers_active",
    "upstream_deals_active", "ai_market_usd_per_month", "capital_supply_usd_per_month",
)


@dataclass
class AuditedRun:
    """A finished run with its per-step audit records."""

    params: SimParams
    seed: int
    audit: list[dict]
    results: Results


@pytest.fixture(scope="module")
def run_cache() -> dict[str, AuditedRun]:
    """Runs of this module by configuration name, each simulated at most once."""
    return {}


def _audited(cache: dict[str, AuditedRun], base: SimParams, name: str) -> AuditedRun:
    if name not in cache:
        changes, seed = CONFIGS[name]
        params = replace(base, **changes)
        model = RaceModel(params, seed, audit=True)
        for _ in range(params.steps):
            model.step()
        cache[name] = AuditedRun(params, seed, model.audit, observation.results(model))
    return cache[name]


@pytest.fixture(scope="module", params=list(CONFIGS))
def run(request: pytest.FixtureRequest, run_cache: dict[str, AuditedRun],
        small_params: SimParams) -> AuditedRun:
    return _audited(run_cache, small_params, request.param)


@pytest.fixture(scope="module")
def named(run_cache: dict[str, AuditedRun], small_params: SimParams):
    return lambda name: _audited(run_cache, small_params, name)


# ------------------------------------------------------------------ accounting
def test_every_step_is_audited(run: AuditedRun):
    assert [a["step"] for a in run.audit] == list(range(run.params.steps)) == list(
        range(120))


def test_cash_change_equals_recorded_inflow_minus_outflow(run: AuditedRun):
    for a in run.audit:
        n = a["n_before"]
        change = a["cash_after"][:n] - a["cash_before"]
        net = a["inflow"][:n] - a["outflow"][:n]
        scale = np.abs(a["cash_before"]) + a["inflow"][:n] + a["outflow"][:n]
        np.testing.assert_allclose(change, net, rtol=0, atol=1e-12 * scale.max() + 1e-6,
                                   err_msg=f"step {a['step']}")
        # Organisations founded during the step start from zero cash.
        np.testing.assert_allclose(a["cash_after"][n:], a["inflow"][n:] - a["outflow"][n:],
                                   rtol=0, atol=1e-6, err_msg=f"step {a['step']}")


def test_ledger_total_stays_zero(run: AuditedRun):
    """Initial cash comes from the investors account, so organisations plus outside sum to 0."""
    for a in run.audit:
        gross = np.abs(a["cash_after"]).sum() + a["inflow"].sum() + a["outflow"].sum()
        tol = 1e-12 * gross + 1e-6
        assert abs(a["total_before"]) <= tol, a["step"]
        assert abs(a["total_after"]) <= tol, a["step"]


def test_cash_never_negative(run: AuditedRun):
    for a in run.audit:
        n = a["n_before"]
        scale = np.zeros(a["cash_after"].size)
        scale[:n] = np.abs(a["cash_before"])
        scale += a["inflow"] + a["outflow"]
        assert np.all(a["cash_after"] >= -(1e-12 * scale + 1e-6)), a["step"]


# ------------------------------------------------------------------ researchers
def test_headcounts_by_kind_reconcile_with_the_flow_matrix(run: AuditedRun):
    for a in run.audit:
        flows = a["flows"]
        assert (flows >= 0).all()
        inflow = flows.sum(axis=0)[:N_ORG_KINDS]
        outflow = flows.sum(axis=1)[:N_ORG_KINDS]
        expected = a["headcount_before"][:N_ORG_KINDS] + inflow - outflow
        np.testing.assert_array_equal(a["headcount_after"][:N_ORG_KINDS], expected,
                                      err_msg=f"step {a['step']}")
        # Nobody is employed by the entry or exit rows; nobody enters into exit or exits entry.
        assert not a["headcount_after"][N_ORG_KINDS:].any()
        assert flows[:, ENTRY].sum() == 0 and flows[EXIT].sum() == 0
        assert flows[ENTRY, EXIT] == 0


def test_active_researchers_reconcile_with_entries_and_retirements(run: AuditedRun):
    for a in run.audit:
        entries = a["flows"][ENTRY].sum()
        retirements = a["flows"][:, EXIT].sum()
        assert a["active_after"] == a["active_before"] + entries - retirements, a["step"]
        assert a["active_after"] == a["headcount_after"].sum()
    # researchers_active counts people: each simulated researcher stands for w of them.
    sc = run.params.scenario
    w = sc.represented_researchers / sc.n_researchers if sc.represented_researchers else 1.0
    active = run.results.timeseries["researchers_active"]
    np.testing.assert_array_equal(active, [a["active_after"] * w for a in run.audit])


def test_yearly_flows_are_the_sum_of_monthly_flows(run: AuditedRun):
    monthly = np.array([a["flows"] for a in run.audit])
    yearly = run.results.flows
    assert yearly.shape == (10, len(FLOW_KINDS), len(FLOW_KINDS))
    for year in range(10):
        np.testing.assert_array_equal(yearly[year], monthly[12 * year: 12 * (year + 1)].sum(0))


# ---------------------------------------------------------------------- compute
def test_compute_allocated_never_exceeds_capacity(run: AuditedRun):
    for a in run.audit:
        assert (a["capacity"] >= 0).all()
        assert np.all(a["allocated"] <= a["capacity"] * (1 + 1e-12) + 1e-9), a["step"]


# ---------------------------------------------------------------------- outputs
def test_results_follow_the_contract(run: AuditedRun):
    res = run.results
    assert res.seed == run.seed
    assert tuple(res.timeseries) == TIMESERIES_METRICS
    assert tuple(res.summary) == SUMMARY_METRICS
    n_labs = run.params.scenario.n_labs
    for series in res.timeseries.values():
        assert series.shape == (120,)
    assert res.lab_capability.shape == res.lab_safety.shape == (120, n_labs)
    assert len(res.lab_names) == n_labs
    assert set(res.phase_seconds) == {"demography", "capital", "compute", "talent", "labs",
                                      "downstream", "incidents", "accounting", "metrics"}


def test_time_series_are_finite(run: AuditedRun):
    one_lab = run.params.scenario.n_labs == 1
    for name, series in run.results.timeseries.items():
        if name == "leader_gap_oom" and one_lab:
            assert np.isnan(series).all()
            continue
        assert np.isfinite(series).all(), name
    assert np.isfinite(run.results.lab_capability).all()
    assert np.isfinite(run.results.lab_safety).all()


def test_summary_values_are_finite_numbers_or_none(run: AuditedRun):
    for name, value in run.results.summary.items():
        if value is not None:
            assert isinstance(value, int | float) and math.isfinite(value), name


def test_shares_are_in_the_unit_interval(run: AuditedRun):
    ts = run.results.timeseries
    for name in SHARE_SERIES:
        assert ((ts[name] >= 0) & (ts[name] <= 1)).all(), name
    for name in SHARE_SUMMARY:
        value = run.results.summary[name]
        assert value is None or 0 <= value <= 1, name
    safety = run.results.lab_safety
    assert ((safety >= 0) & (safety <= 1)).all()
    for name in NONNEGATIVE_SERIES:
        assert (ts[name] >= 0).all(), name


def test_cumulative_quantities_never_decrease(run: AuditedRun):
    ts = run.results.timeseries
    for name in ("incident_prob", "lab_spinouts", "frontier_capability"):
        assert np.all(np.diff(ts[name]) >= 0), name
    # Capability is the log of the largest effective run so far (model spec).
    assert np.all(np.diff(run.results.lab_capability, axis=0) >= 0)


# ------------------------------------------------------------ edge populations
def test_one_lab_has_undefined_gap_and_full_concentration(named):
    res = named("one-lab").results
    assert res.summary["leader_gap_oom"] is None
    assert res.summary["follower_capability_growth_oom_per_year"] is None
    assert res.summary["contenders"] == 1.0
    np.testing.assert_array_equal(res.timeseries["capability_share_hhi"], 1.0)
    np.testing.assert_array_equal(res.timeseries["safety_share_mean"], res.lab_safety[:, 0])
    assert res.summary["capability_growth_oom_per_year"] is not None


def test_several_labs_define_every_summary_but_the_threshold(named):
    res = named("default-seed0").results
    undefined = {k for k, v in res.summary.items() if v is None}
    assert undefined <= {"time_to_threshold_months"}


def test_no_startups_ever(named):
    res = named("no-startups-ever").results
    np.testing.assert_array_equal(res.timeseries["startups_alive"], 0)
    np.testing.assert_array_equal(res.timeseries["startup_partnered_share"], 0)
    np.testing.assert_array_equal(res.timeseries["moves_startup_to_lab"], 0)
    assert res.summary["startup_survival"] is None
    assert res.summary["lab_partner_revenue_share"] == 0.0
    startup = FLOW_KINDS.index("startup")
    assert res.flows[:, startup, :].sum() == 0 and res.flows[:, :, startup].sum() == 0


def test_no_initial_startups_still_founds_startups(named):
    res = named("no-initial-startups").results
    assert res.timeseries["startups_alive"][-1] > 0
    assert res.summary["startup_survival"] is None


def test_cloud_mix_edge_cases(named):
    no_alt = named("no-alt-clouds").results
    np.testing.assert_array_equal(no_alt.timeseries["big3_cloud_share"], 1.0)
    only_alt = named("only-alt-clouds").results
    np.testing.assert_array_equal(only_alt.timeseries["big3_cloud_share"], 0.0)
    assert only_alt.summary["upstream_deals"] == 0


def test_audit_does_not_change_the_run(named):
    audited = named("default-seed0")
    plain = sim.run(audited.params, audited.seed)
    assert plain.summary == audited.results.summary
    for name, series in plain.timeseries.items():
        np.testing.assert_array_equal(series, audited.results.timeseries[name])


@pytest.mark.parametrize("key", ["labs__initial_cash_usd", "startups__initial_cash_usd"])
def test_zero_initial_cash_passes_validation_and_simulates(small_params: SimParams, key: str):
    """Both keys allow 0 (``lo=0``, inclusive), so a run with 0 must complete with finite output.

    Salary levels scale with cash per head relative to the initial cash per
    head, a reference that is 0 here.
    """
    params = replace(small_params, steps=12, **{key: 0.0})
    res = sim.run(params, 0)
    for name, series in res.timeseries.items():
        assert np.isfinite(series).all(), name
