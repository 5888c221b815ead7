"""The closed economy (model v2): pure rules of each outside account, and runs that obey them.

Pure functions are checked against hand-computed values. Whole runs step the
model month by month and difference the ledger's category totals, so every
outside account's payments are compared with the rule that bounds them; each
rule is also pushed to bind (a budget set far below what the model would
otherwise pay) to show that the account cannot be overdrawn.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.economy.capital import (
    bloc_hhi,
    cloud_deal_value_usd,
    debt_service_usd,
    investor_supply_usd,
    lab_accepts_deal,
)
from sim.economy.demand import adoption, economy_usd_per_month, provider_shares, purchase_shares
from sim.economy.ledger import CUSTOMERS, EXTERNAL, INVESTORS, Ledger
from sim.model import RaceModel
from sim.params import SimParams, replace
from sim.results import MONEY_ACCOUNTS


# ------------------------------------------------------------------ pure rules
def test_economy_grows_at_its_rate():
    assert economy_usd_per_month(1.2e14, 0.05, 0) == pytest.approx(1e13)
    assert economy_usd_per_month(1.2e14, 0.05, 24) == pytest.approx(1e13 * 1.05 ** 2)


def test_adoption_is_logistic_in_capability_and_price():
    assert adoption(0.0, 0.01, 0.2, 1.0, 0.5) == pytest.approx(0.01)
    x = math.log(0.01 / 0.99) + math.log(10) * 0.2 * 3.0 - 0.5 * math.log(0.5)
    assert adoption(3.0, 0.01, 0.2, 0.5, 0.5) == pytest.approx(1 / (1 + math.exp(-x)))
    # Far below saturation: 0.2 OOM of spending per OOM of capability.
    low = adoption(1.0, 1e-6, 0.2, 1.0, 0.0) / 1e-6
    assert low == pytest.approx(10 ** 0.2, rel=1e-5)
    # Saturates at the whole budget, never beyond; finite for absurd inputs.
    assert adoption(1e6, 0.01, 1.0, 1.0, 0.0) == 1.0
    assert 0.0 <= adoption(-1e6, 0.01, 1.0, 1.0, 0.0) < 1e-300
    assert adoption(0.0, 0.01, 0.2, 2.0, 0.5) < 0.01 < adoption(0.0, 0.01, 0.2, 0.5, 0.5)


def test_purchase_shares_with_an_outside_option():
    shares, outside = purchase_shares(np.array([1.0, 1.0]), 1.0, 1.0)
    # Two equal sellers as good as the outside option: half buy, split evenly.
    np.testing.assert_allclose(shares, [0.25, 0.25])
    assert outside == pytest.approx(0.5)
    shares, outside = purchase_shares(np.array([2.0, 0.0]), 0.0, 1.0)
    inside = (math.e ** 2 + 1) / 2
    buy = inside / (inside + 1)
    np.testing.assert_allclose(shares, buy * np.array([math.e ** 2, 1]) / (math.e ** 2 + 1))
    assert shares.sum() + outside == pytest.approx(1.0)
    # A quality lead raises demand against the outside option even when all sellers share it.
    _, out_lead = purchase_shares(np.array([1.5, 1.5]), 1.0, 1.0)
    assert out_lead < 0.5
    # Reach scales a seller's weight (trust lost, cross-selling gained).
    shares, _ = purchase_shares(np.array([1.0, 1.0]), 1.0, 1.0, np.array([0.5, 1.0]))
    assert shares[0] == pytest.approx(shares[1] / 2)
    empty, out = purchase_shares(np.zeros(0), 0.0, 1.0)
    assert empty.size == 0 and out == 1.0


def test_provider_shares_follow_size_and_price():
    shares = provider_shares(np.array([4.0, 1.0]), np.array([1.0, 1.0]), 0.5, 2.0)
    np.testing.assert_allclose(shares, [2 / 3, 1 / 3])
    shares = provider_shares(np.array([1.0, 1.0]), np.array([1.0, 2.0]), 0.5, 2.0)
    np.testing.assert_allclose(shares, [0.8, 0.2])
    np.testing.assert_allclose(provider_shares(np.array([0.0, 5.0]), np.ones(2), 0.5, 1.0),
                               [0.0, 1.0])
    np.testing.assert_allclose(provider_shares(np.zeros(2), np.ones(2), 0.5, 1.0), [0.5, 0.5])


def test_investor_supply_follows_revenue_and_is_bounded_by_the_economy():
    assert investor_supply_usd(1e8, 0.0, 0, 1.0, 0.5, 1e12, 0.01) == pytest.approx(1e8)
    assert investor_supply_usd(1e8, 0.21, 24, 100.0, 0.5, 1e12, 0.01) == pytest.approx(
        1e8 * 1.21 ** 2 * 10.0)
    assert investor_supply_usd(1e8, 0.0, 0, 1e300, 5.0, 1e12, 0.01) == pytest.approx(1e10)


def test_cloud_deal_value():
    value = cloud_deal_value_usd(0.2, 100.0, 25.0, 0.5, 0.6, 4.0, 0.1)
    assert value == pytest.approx(0.2 * 125 + 4.0 - 25.0 * (0.5 + 0.5 * 0.6) * 1.1)


@pytest.mark.parametrize(("constrained", "exclusive", "value", "accept"), [
    (False, False, 100.0, True),    # 0.8 * 125 = 100 >= 100: a fairly priced deal
    (False, True, 100.0, False),    # exclusivity costs 5%
    (True, True, 100.0, True),      # scarce compute is worth a premium
    (True, True, 200.0, False),     # a lab that values itself higher declines
])
def test_lab_accepts_deal(constrained, exclusive, value, accept):
    assert lab_accepts_deal(0.2, value, 25.0, constrained, 0.5, exclusive, 0.05) is accept


def test_bloc_hhi_and_debt_service():
    assert bloc_hhi(np.array([1.0, 1.0, 2.0]), np.array([-1, -2, -3])) == pytest.approx(
        0.25 ** 2 * 2 + 0.5 ** 2)
    assert bloc_hhi(np.array([1.0, 1.0, 2.0]), np.array([7, 7, -3])) == pytest.approx(0.5)
    assert bloc_hhi(np.zeros(3), np.arange(3)) == 0.0
    assert debt_service_usd(1200.0, 0.1, 60) == pytest.approx((10.0, 20.0))


def test_money_flows_are_booked_by_year_and_account():
    led = Ledger(2, years=2)
    led.transfer(INVESTORS, 0, 5.0, "x")
    led.transfer(np.array([CUSTOMERS, CUSTOMERS]), np.array([0, 1]), np.array([1.0, 2.0]), "y")
    led.year = 1
    led.transfer(0, INVESTORS, 4.0, "z")
    inv, cust = EXTERNAL.index("investors"), EXTERNAL.index("customers")
    assert led.external_out_usd[0, inv] == 5.0 and led.external_out_usd[0, cust] == 3.0
    assert led.external_in_usd[1, inv] == 4.0 and led.external_in_usd[0].sum() == 0.0
    np.testing.assert_allclose(led.external_usd, led.external_in_usd.sum(0)
                               - led.external_out_usd.sum(0))
    assert tuple(EXTERNAL) == MONEY_ACCOUNTS


# ------------------------------------------------------------ rules in a run
def _monthly(params: SimParams, seed: int) -> tuple[RaceModel, list[dict]]:
    """Step a model and record each month's category flows and the rules' bounds."""
    model = RaceModel(params, seed)
    months = []
    years = params.clouds.debt_revenue_years * 12.0
    for _ in range(params.steps):
        before = dict(model.ledger.by_category_usd)
        bounds = {
            "cloud_market": model.exo.cloud_market_usd(model.t),
            "academic_budget": model.exo.academic_budget_usd(model.t),
            "economy": model.exo.economy_usd(model.t),
        }
        debt_before = np.array([h.debt_usd for h in model.clouds])
        compute_before = np.array([h.compute_revenue_usd for h in model.clouds])
        model.step()
        after = model.ledger.by_category_usd
        # Capex borrows up to the cap at this month's market and last month's compute revenue.
        cap = years * (np.array([h.market_revenue_usd for h in model.clouds]) + compute_before)
        months.append({
            "flow": {k: v - before.get(k, 0.0) for k, v in after.items()},
            "ai_budget": model.market.ai_budget_usd,
            "supply": model.market.capital_supply_usd,
            "debt": np.array([h.debt_usd for h in model.clouds]),
            "debt_bound": np.maximum(debt_before, cap),
            **bounds,
        })
    return model, months


#: Rules pushed to bind: name -> parameter changes.
BINDING = {
    "default": {},
    "customers": {"capital__ai_budget_gdp_share": 1e-6, "capital__ai_market_usd_per_month": 1.0,
                  "capital__market_elasticity": 3.0},
    "investors": {"capital__investor_max_gdp_share": 1e-6, "capital__hype_elasticity": 5.0},
    "government": {"talent__academic_budget_usd_per_head_year": 1e3},
    "capex-debt": {"clouds__capex_external_share": 1.0, "clouds__capex_price_elasticity": 3.0,
                   "clouds__debt_revenue_years": 0.5},
}


@pytest.fixture(scope="module", params=list(BINDING))
def monthly(request, small_params):
    params = replace(small_params, steps=48, **BINDING[request.param])
    return request.param, params, *_monthly(params, 11)


def test_customers_pay_within_their_budgets(monthly):
    name, _, _, months = monthly
    for m in months:
        ai = m["flow"].get("product_revenue", 0.0)
        assert ai <= m["ai_budget"] * (1 + 1e-9)
        assert m["flow"]["cloud_revenue"] == pytest.approx(m["cloud_market"], rel=1e-9)
    if name == "customers":
        assert all(m["flow"].get("product_revenue", 0.0) <= 1e-6 * m["economy"] * (1 + 1e-9)
                   for m in months)


def test_investors_pay_within_their_supply_and_debt_within_its_bound(monthly):
    name, params, _, months = monthly
    for m in months:
        assert m["flow"].get("venture_capital", 0.0) <= m["supply"] * (1 + 1e-9) + 1e-6
        assert m["supply"] <= params.capital.investor_max_gdp_share * m["economy"] * (1 + 1e-9)
        assert np.all(m["debt"] <= m["debt_bound"] * (1 + 1e-9) + 1e-3)
    if name == "capex-debt":
        assert sum(m["flow"].get("capex_debt", 0.0) for m in months) > 0
    if name == "default":
        assert sum(m["flow"].get("capex_debt", 0.0) for m in months) == 0


def test_government_pays_within_the_academic_budget(monthly):
    name, _, model, months = monthly
    for m in months:
        assert m["flow"].get("academic_funding", 0.0) <= m["academic_budget"] * (1 + 1e-9)
        assert m["flow"].get("public_compute", 0.0) == 0.0
    if name == "government":
        pools = [pool.org_id for pool in model.pools]
        assert model.orgs.salary_usd[pools].max() < model.p.talent.academic_salary_usd


def test_money_flows_close_with_the_external_balances(small_params):
    res = sim.run(replace(small_params, steps=30), 3)
    assert res.money_flows.shape == (3, len(MONEY_ACCOUNTS), 2)
    assert (res.money_flows >= 0).all()
    rows = res.money_flow_rows()
    assert len(rows) == 3 * len(MONEY_ACCOUNTS)
    customers = [r for r in rows if r[1] == "customers"]
    assert all(r[2] == 0.0 and r[3] > 0 for r in customers)


def test_default_economy_stays_within_ten_times_real_2023_levels():
    """calibration-data.md 2023 levels x 10 are upper bounds for 2024 with default parameters.

    Bounds: largest run 5e25 FLOP; OpenAI revenue 1.6e9/yr; OpenAI valuation 2.9e10;
    DeepMind staff 1,200; OpenAI compute ~1e5 H100e; big-3 capex 1.27e11/yr (2022);
    cloud market 2.7e11/yr; private AI investment 1.03e11/yr (2022, revised); the broad
    generative-AI market 4e10/yr (2022). Seeds 5 and 6 of the full default run.
    """
    for seed in (5, 6):
        model = RaceModel(SimParams(), seed)
        for _ in range(120):
            model.step()
        lab = model.labs.org_ids
        assert model.series["frontier_training_compute_log10_flop"].max() <= np.log10(5e26)
        assert max(x.revenue_usd for x in model.labs) * 12 <= 1.6e10
        assert model.orgs.valuation_usd[lab].max() <= 2.9e11
        assert model.orgs.headcount[lab].max() <= 12_000
        assert max(x.compute_h100e for x in model.labs) <= 1e6
        assert model.series["cloud_capex_usd_per_month"][-12:].sum() <= 1.27e12
        assert sum(h.revenue_usd for h in model.clouds) * 12 <= 2.7e12
        assert model.market.capital_supply_usd * 12 <= 1.03e12
        assert model.market.ai_market_usd * 12 <= 4e11


def test_workforce_resolution_does_not_change_the_economy():
    """Each simulated researcher stands for ``represented / n_researchers`` people.

    The same 20,000-person world (``scenario.represented_researchers``) at 2,000
    and at 20,000 simulated researchers
    (36 months, seed 8): lab staff in people, labs' salary bills and the frontier
    agree within stated tolerances, and every lab trains in every month.
    """
    out = {}
    for rows in (2_000, 20_000):
        params = replace(SimParams(), steps=36, scenario__n_researchers=rows,
                         scenario__n_startups=300, scenario__represented_researchers=20_000.0)
        model = RaceModel(params, 8)
        trained = 0
        for _ in range(36):
            model.step()
            trained += all(lab.compute_h100e > 0 for lab in model.labs)
        out[rows] = (float(model.orgs.staff[model.labs.org_ids].sum()), model.labs.frontier_oom(),
                     trained, model.workforce.people_per_row)
    (staff_c, front_c, trained_c, w_c), (staff_f, front_f, trained_f, w_f) = out.values()
    assert (w_c, w_f) == (10.0, 1.0)
    assert trained_c == trained_f == 36
    assert abs(staff_c / staff_f - 1.0) < 0.3, (staff_c, staff_f)
    assert abs(front_c - front_f) < 0.5, (front_c, front_f)
