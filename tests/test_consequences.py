"""Decisions with consequences (model v2): each mechanism acts through its channel.

Paired runs on common seeds switch one mechanism at a time on the small
population (3,000 researchers, 60 startups); the number of seeds and the
tolerance are stated in each test.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.markets.race import capped_severity_mean, expected_value_safety, hazard
from sim.model import RaceModel
from sim.params import SimParams, replace
from sim.results import FLOW_KINDS


def _stepped(params: SimParams, seed: int, months: int) -> list[dict]:
    """Per month: each lab's revenue and valuation at the end of the month."""
    model = RaceModel(params, seed)
    out = []
    for _ in range(months):
        model.step()
        out.append({
            "revenue": np.array([lab.revenue_usd for lab in model.labs]),
            "valuation": model.orgs.valuation_usd[model.labs.org_ids].copy(),
            "incidents": list(model.incidents.log),
        })
    return out


# ------------------------------------------------------------------ pure rules
def test_expected_value_safety_closed_form():
    # 1 - s* = (M / (gamma K ln 10))^(1/gamma) with K = h(0) L.
    m, h, loss, gamma = np.array([2.0]), np.array([0.5]), np.array([4.0]), 2.0
    expected = 1.0 - np.sqrt(2.0 / (2.0 * 2.0 * np.log(10.0)))
    np.testing.assert_allclose(expected_value_safety(m, h, loss, gamma, np.zeros(1)), expected)
    # Nothing to lose: the floor; nothing to gain: full safety; the floor binds.
    np.testing.assert_allclose(
        expected_value_safety(np.array([1.0, 0.0, 1.0]), np.array([0.0, 0.1, 0.5]),
                              np.array([1.0, 1.0, 4.0]), 2.0, np.array([0.1, 0.0, 0.9])),
        [0.1, 1.0, 0.9])
    # More value of speed (race pressure) means less safety; more hazard means more.
    s = expected_value_safety(np.array([1.0, 2.0, 1.0]), np.array([1.0, 1.0, 2.0]),
                              np.ones(3), 2.0, np.zeros(3))
    assert s[1] < s[0] < s[2]


def test_capped_severity_mean():
    assert capped_severity_mean(2.0, 4.0) == pytest.approx((2.0 - 4.0 ** -1.0) / 1.0)
    assert capped_severity_mean(1.0, np.e ** 2) == pytest.approx(3.0)
    assert capped_severity_mean(1.5, 1.0) == pytest.approx(1.0)


def test_hazard_is_finite_for_any_capability():
    h = hazard(np.array([1e6, -1e6, 30.0]), np.array([0.0, 0.0, 1.0]), 0.01, 0.1, 22.0, 2.0)
    np.testing.assert_array_equal(h, [1.0, 0.0, 0.0])


# -------------------------------------------------------------------- incidents
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incidents_lower_the_affected_labs_revenue_and_valuation(small_params, seed):
    """Paired runs with and without consequences diverge first at the first incident.

    Labs follow the heuristic safety rule here, whose decision does not read the
    loss parameters, so up to the first incident month the two runs are
    identical; at its end the
    affected lab's valuation is lower with consequences, and its revenue the
    next month is lower (its customers' trust fell).
    """
    on = replace(small_params, incidents__h0=0.05, safety__mode="heuristic")
    off = replace(on, incidents__customer_loss_per_severity=0.0,
                  incidents__valuation_loss_per_severity=0.0)
    a, b = _stepped(on, seed, 60), _stepped(off, seed, 60)
    first = a[-1]["incidents"][0]
    t, lab = first[0], first[1]
    assert b[-1]["incidents"][0] == first
    if t:
        np.testing.assert_array_equal(a[t - 1]["revenue"], b[t - 1]["revenue"])
    assert a[t]["valuation"][lab] < b[t]["valuation"][lab]
    assert a[t + 1]["revenue"][lab] < b[t + 1]["revenue"][lab]


def test_major_incident_probability_is_neither_negligible_nor_certain():
    """P(at least one major incident over 120 months) in (0.05, 0.95) with defaults.

    Mean over 2 seeds of the full default run (the model's own probability,
    1 - prod(1 - h P(major)), not the realised count).
    """
    probs = [sim.run(SimParams(), seed).summary["major_incident_prob"] for seed in (21, 22)]
    assert 0.05 < float(np.mean(probs)) < 0.95, probs


def test_regulatory_response_raises_safety_after_a_major_incident(small_params):
    """Paths equal until the first major incident; then every lab sits at the floor.

    The floor (0.6) holds for at least ``incident_response_months`` (24), and the
    labs' mean safety in that window is well above the run without a response.
    """
    base = replace(small_params, steps=60, incidents__h0=0.2, incidents__major_severity=2.0)
    on = replace(base, governance__incident_safety_floor=0.6)
    a, b = sim.run(base, 4), sim.run(on, 4)
    assert b.summary["major_incidents"] > 0
    floored = np.flatnonzero(b.lab_safety.min(axis=1) >= 0.6 - 1e-12)
    assert floored.size >= 24, floored
    start = int(floored[0])
    np.testing.assert_array_equal(a.lab_safety[:start], b.lab_safety[:start])
    window = slice(start, start + 24)
    assert (b.lab_safety[window] >= 0.6 - 1e-12).all()
    assert b.lab_safety[window].mean() > a.lab_safety[window].mean() + 0.1


# ------------------------------------------------------------------------ deals
def test_deals_are_offered_and_declined_in_the_default_scenario(small_params):
    """Over 6 seeds of 120 months: offers happen, and both signing and declining happen."""
    runs = [sim.run(small_params, seed).summary for seed in range(6)]
    offers = sum(r["deal_offers"] for r in runs)
    signed = sum(r["upstream_deals"] for r in runs)
    assert offers > 0 and 0 < signed < offers, (offers, signed)


def test_antitrust_blocks_deals_in_the_default_scenario(small_params):
    """With `governance.antitrust` on at its default thresholds, at least one deal is blocked."""
    on = replace(small_params, governance__antitrust=True)
    blocked = [sim.run(on, seed).summary["deals_blocked"] for seed in range(4)]
    assert sum(blocked) > 0, blocked
    off = [sim.run(small_params, seed).summary["deals_blocked"] for seed in range(4)]
    assert sum(off) == 0


# ------------------------------------------------------------------- downstream
def test_early_access_lead_matters_when_every_startup_partners(small_params):
    """At partner share 1 a longer lead wins customers from the outside option.

    6 paired seeds, 60 months (measured on seeds 0-11: the outside share,
    0.29-0.34 without a lead, is 0.021-0.036 lower with 12 months; startups'
    sales are higher on 10 of 12 seeds, by 3-11%, and 0.1-3% lower on two).
    After the first year the mean share of the customers' budget left to the
    outside option is lower on every seed; startups' sales are higher on at
    least two thirds of the seeds and on average.
    """
    base = replace(small_params, steps=60, downstream__partner_share=1.0,
                   downstream__early_access_lead_months=0.0)
    lead = replace(base, downstream__early_access_lead_months=12.0)
    ratios = []
    for seed in range(6):
        a = sim.run(base, seed).timeseries
        b = sim.run(lead, seed).timeseries
        assert (b["outside_option_share"][12:].mean()
                < a["outside_option_share"][12:].mean() - 0.01), seed
        ratios.append(b["startup_revenue_usd_per_month"][12:].mean()
                      / a["startup_revenue_usd_per_month"][12:].mean())
    assert sum(r > 1.0 for r in ratios) >= 4 and np.mean(ratios) > 1.0, ratios


# ----------------------------------------------------------------------- talent
def test_noncompetes_lower_spinouts(small_params):
    """A non-compete restrains founding too: fewer spin-outs on 8 of 8 paired seeds."""
    strict = replace(small_params, governance__noncompete_penalty=2.0)
    for seed in range(8):
        free = sim.run(small_params, seed).summary["lab_spinouts"]
        held = sim.run(strict, seed).summary["lab_spinouts"]
        assert held < free, (seed, held, free)


def test_academic_output_falls_when_labs_publish_less(small_params):
    """Less openness widens the lag of the public stock, so academia produces less.

    8 paired seeds: mean academic output over the run lower on every seed.
    """
    closed = replace(small_params, labs__o_base_mean=0.1, labs__o_base_spread=0.0)
    open_ = replace(small_params, labs__o_base_mean=0.9, labs__o_base_spread=0.0)
    for seed in range(8):
        a = sim.run(open_, seed).timeseries["academic_output_oom"].mean()
        b = sim.run(closed, seed).timeseries["academic_output_oom"].mean()
        assert b < a, seed


# ------------------------------------------------------------ retention offers
def _lab_departures(cfg: dict, seed: int) -> tuple[int, int, int]:
    """Moves out of labs (to other employers, exits excluded) over the run, and counters."""
    lab, out = FLOW_KINDS.index("lab"), FLOW_KINDS.index("exit")
    model = RaceModel(sim.from_dict(cfg), seed)
    for _ in range(cfg["steps"]):
        model.step()
    flows = model.flows.by_year.sum(axis=0)
    moved = int(flows[lab].sum() - flows[lab, lab] - flows[lab, out])
    return moved, model.workforce.retention_offers, model.workforce.retained


def test_retention_offers_keep_staff_that_would_leave():
    base = {"steps": 24, "scenario": {"n_researchers": 2000, "n_startups": 40}}
    strong = {**base, "labs": {"retention_raise": 5.0, "retention_skill_min": 0.0}}
    for seed in range(4):
        moved_off, offers_off, kept_off = _lab_departures(base, seed)
        moved_on, offers_on, kept_on = _lab_departures(strong, seed)
        assert offers_off == kept_off == 0
        assert 0 < kept_on <= offers_on
        assert moved_on < 0.6 * moved_off, (seed, moved_on, moved_off)
