"""Pure market and metric functions: exact small cases, edge cases and properties.

Covers ``sim.markets.compute``, ``sim.markets.talent``, ``sim.markets.capital``,
``sim.markets.race`` and the pure functions of ``sim.metrics``. Expected values
are worked out by hand from the documented equations; statistical checks use a
seeded generator and tolerances of many standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.economy.accounts import MarketState
from sim.markets.capital import allocate_capped, logit_shares, valuation_usd
from sim.markets.compute import clear_compute, update_price
from sim.markets.race import (
    best_response_safety,
    hazard,
    heuristic_safety,
    nearest_rival_gap,
    openness,
    race_pressure,
    win_probability,
)
from sim.markets.sampling import categorical
from sim.markets.talent import (
    accept_applicants,
    choose_employer,
    retained,
    sample_candidates,
    search_probability,
    search_probability_bound,
)
from sim.metrics import (
    MonthState,
    capability_weighted_mean,
    collect,
    contenders,
    first_crossing,
    hhi,
    leader_gap,
    slope_per_year,
    top_decile_mask,
    training_cost_growth,
)
from sim.results import TIMESERIES_METRICS


def _clear(cap, prio=(), prio_prov=(), spot=(), pref=(), allowed=None, wtp=None):
    """Call ``clear_compute`` with plain lists; every buyer may use every provider by default."""
    cap = np.asarray(cap, dtype=float)
    n_b = max(len(prio), len(spot))
    prio = np.asarray(prio if len(prio) else np.zeros(n_b), dtype=float)
    prio_prov = np.asarray(prio_prov if len(prio_prov) else np.full(n_b, -1), dtype=np.int64)
    spot = np.asarray(spot if len(spot) else np.zeros(n_b), dtype=float)
    pref = np.asarray(pref if len(pref) else np.full(n_b, -1), dtype=np.int64)
    allowed = (np.ones((n_b, cap.size), dtype=bool) if allowed is None
               else np.asarray(allowed, dtype=bool))
    wtp = None if wtp is None else np.asarray(wtp, dtype=float)
    return clear_compute(cap, prio, prio_prov, spot, pref, allowed, wtp)


# --------------------------------------------------------------- compute market
def test_compute_priority_is_served_before_spot():
    prio, spot = _clear([10.0], prio=[8.0, 0.0], prio_prov=[0, -1], spot=[0.0, 8.0], pref=[-1, 0])
    np.testing.assert_allclose(prio, [[8.0], [0.0]])
    np.testing.assert_allclose(spot, [[0.0], [2.0]])


def test_compute_priority_over_capacity_is_rationed_and_leaves_nothing_for_spot():
    prio, spot = _clear([6.0], prio=[4.0, 8.0, 0.0], prio_prov=[0, 0, -1],
                        spot=[0.0, 0.0, 5.0], pref=[-1, -1, 0])
    np.testing.assert_allclose(prio[:, 0], [2.0, 4.0, 0.0])
    np.testing.assert_allclose(spot, 0.0)


def test_compute_demand_below_capacity_is_served_in_full():
    prio, spot = _clear([100.0, 50.0], prio=[10.0, 0.0, 0.0], prio_prov=[1, -1, -1],
                        spot=[5.0, 20.0, 30.0], pref=[0, 0, 1])
    np.testing.assert_allclose(prio, [[0.0, 10.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(spot, [[5.0, 0.0], [20.0, 0.0], [0.0, 30.0]])


def test_compute_unmet_spot_spills_over_in_proportion_to_spare_capacity():
    # Preferred provider 0 is full: 8 unmet H100e go to providers 1 and 2 as 4 : 12.
    _, spot = _clear([0.0, 4.0, 12.0], spot=[8.0], pref=[0])
    np.testing.assert_allclose(spot, [[0.0, 2.0, 6.0]])


def test_compute_spill_over_respects_allowed_providers():
    _, spot = _clear([5.0, 10.0], spot=[8.0], pref=[0], allowed=[[True, False]])
    np.testing.assert_allclose(spot, [[5.0, 0.0]])
    _, spot = _clear([5.0, 10.0], spot=[8.0], pref=[0], allowed=[[True, True]])
    np.testing.assert_allclose(spot, [[5.0, 3.0]])


def test_compute_proportional_rationing():
    _, spot = _clear([6.0], spot=[4.0, 8.0], pref=[0, 0])
    np.testing.assert_allclose(spot[:, 0], [2.0, 4.0])


def test_compute_rationing_by_willingness_to_pay():
    _, spot = _clear([6.0], spot=[4.0, 8.0], pref=[0, 0], wtp=[1.0, 2.0])
    np.testing.assert_allclose(spot[:, 0], [0.0, 6.0])
    _, spot = _clear([6.0], spot=[4.0, 8.0], pref=[0, 0], wtp=[2.0, 1.0])
    np.testing.assert_allclose(spot[:, 0], [4.0, 2.0])


def test_compute_equal_buyers_share_equally():
    for wtp in (None, [3.0, 3.0, 3.0]):
        _, spot = _clear([6.0], spot=[4.0, 4.0, 4.0], pref=[0, 0, 0], wtp=wtp)
        np.testing.assert_allclose(spot[:, 0], [2.0, 2.0, 2.0])


def test_compute_zero_capacity_allocates_nothing():
    for wtp in (None, [1.0, 2.0]):
        prio, spot = _clear([0.0, 0.0], prio=[3.0, 0.0], prio_prov=[0, -1], spot=[1.0, 5.0],
                            pref=[1, 0], wtp=wtp)
        assert not prio.any()
        assert not spot.any()


def test_compute_no_buyers_and_no_providers():
    prio, spot = _clear([10.0, 5.0])
    assert prio.shape == spot.shape == (0, 2)
    prio, spot = _clear(np.zeros(0), spot=[3.0], pref=[-1], allowed=np.zeros((1, 0)))
    assert prio.shape == spot.shape == (1, 0)


@pytest.mark.parametrize("use_wtp", [False, True])
def test_compute_random_markets_never_exceed_capacity_or_demand(use_wtp):
    gen = np.random.default_rng(7)
    for _ in range(200):
        n_b, n_p = int(gen.integers(1, 12)), int(gen.integers(1, 5))
        cap = gen.uniform(0, 20, n_p) * (gen.random(n_p) < 0.8)
        prio_dem = gen.uniform(0, 10, n_b) * (gen.random(n_b) < 0.4)
        prio_prov = np.where(prio_dem > 0, gen.integers(0, n_p, n_b), -1)
        spot_dem = gen.uniform(0, 15, n_b)
        pref = gen.integers(-1, n_p, n_b)
        allowed = gen.random((n_b, n_p)) < 0.7
        wtp = gen.integers(1, 4, n_b).astype(float) if use_wtp else None
        prio, spot = clear_compute(cap, prio_dem, prio_prov, spot_dem, pref, allowed, wtp)
        assert (prio >= 0).all() and (spot >= 0).all()
        assert np.all(prio.sum(axis=0) + spot.sum(axis=0) <= cap * (1 + 1e-12) + 1e-12)
        assert np.all(prio.sum(axis=1) <= prio_dem * (1 + 1e-12) + 1e-12)
        assert np.all(spot.sum(axis=1) <= spot_dem * (1 + 1e-12) + 1e-12)
        own = np.zeros_like(prio, dtype=bool)
        has = prio_prov >= 0
        own[np.flatnonzero(has), prio_prov[has]] = True
        assert not prio[~own].any()
        assert not spot[~allowed].any()


def test_update_price_exact_step():
    new = update_price(np.array([10.0]), np.array([90.0]), np.array([100.0]), np.array([1.0]),
                       target_utilisation=0.85, sensitivity=0.3, max_step=0.05)
    np.testing.assert_allclose(new, [10.0 * (1 + 0.3 * 0.05)])


def test_update_price_step_is_bounded():
    price = np.array([10.0, 10.0])
    new = update_price(price, np.array([1e9, 0.0]), np.array([100.0, 100.0]), np.zeros(2),
                       target_utilisation=0.85, sensitivity=5.0, max_step=0.05)
    np.testing.assert_allclose(new, [10.5, 9.5])


def test_update_price_respects_floor():
    new = update_price(np.array([10.0, 10.0]), np.array([0.0, 0.0]), np.array([100.0, 100.0]),
                       np.array([9.8, 12.0]), target_utilisation=0.85, sensitivity=0.3,
                       max_step=0.05)
    np.testing.assert_allclose(new, [9.8, 12.0])


def test_update_price_zero_capacity_keeps_price_above_floor():
    new = update_price(np.array([10.0, 10.0]), np.array([50.0, 50.0]), np.array([0.0, 0.0]),
                       np.array([1.0, 11.0]), target_utilisation=0.85, sensitivity=0.3,
                       max_step=0.05)
    np.testing.assert_allclose(new, [10.0, 11.0])


def test_update_price_empty():
    empty = np.zeros(0)
    assert update_price(empty, empty, empty, empty, 0.85, 0.3, 0.05).shape == (0,)


# --------------------------------------------------------------- talent market
def test_sample_candidates_follow_vacancy_weights(rng):
    vac = np.array([0.0, 1.0, 0.0, 0.0, 3.0, 0.0])
    cand = sample_candidates(vac, 20_000, 8, rng)
    assert cand.shape == (20_000, 8)
    freq = np.bincount(cand.ravel(), minlength=vac.size) / cand.size
    # 160,000 draws: the standard error of a frequency is about 0.001.
    np.testing.assert_allclose(freq, vac / vac.sum(), atol=0.01)
    assert set(np.unique(cand)) == {1, 4}


def test_sample_candidates_never_pick_zero_vacancy_employers(rng):
    for _ in range(50):
        vac = rng.integers(0, 3, 30).astype(float)
        if vac.sum() == 0:
            continue
        cand = sample_candidates(vac, 500, 5, rng)
        assert (vac[cand] > 0).all()


def test_sample_candidates_without_vacancies_are_minus_one(rng):
    np.testing.assert_array_equal(sample_candidates(np.zeros(4), 3, 2, rng), -np.ones((3, 2)))
    np.testing.assert_array_equal(sample_candidates(np.zeros(0), 2, 3, rng), -np.ones((2, 3)))
    assert sample_candidates(np.ones(4), 0, 5, rng).shape == (0, 5)


def test_accept_applicants_by_skill_up_to_floor_of_vacancies():
    choice = np.array([0, 0, 1, -1, 0, 1])
    skill = np.array([1.0, 3.0, 2.0, 9.0, 2.0, 1.0])
    accepted = accept_applicants(choice, skill, np.array([2.0, 1.7]))
    np.testing.assert_array_equal(accepted, [False, True, True, False, True, False])


def test_accept_applicants_edge_cases():
    assert accept_applicants(np.zeros(0, np.int64), np.zeros(0), np.ones(3)).shape == (0,)
    assert not accept_applicants(np.full(4, -1), np.ones(4), np.full(2, 5.0)).any()
    assert not accept_applicants(np.array([0, 1, 1]), np.ones(3), np.array([0.0, 0.9])).any()
    # All-equal skill: exactly floor(vacancies) of the applicants are taken.
    accepted = accept_applicants(np.zeros(10, np.int64), np.ones(10), np.array([3.5]))
    assert accepted.sum() == 3


def test_choose_employer_never_picks_unavailable_options(rng):
    util = np.tile([-np.inf, 0.0, -np.inf, 2.0], (5000, 1))
    pick, _ = choose_employer(util, rng)
    assert set(np.unique(pick)) <= {1, 3}


def test_choose_employer_huge_utility_gap_always_wins(rng):
    util = np.tile([0.0, 60.0, 0.0], (10_000, 1))
    np.testing.assert_array_equal(choose_employer(util, rng)[0], np.ones(10_000))


def test_choose_employer_is_a_multinomial_logit(rng):
    # Gumbel-max gives P(1) = 3 / (1 + 3) for utilities 0 and log 3 (McFadden 1974).
    pick, _ = choose_employer(np.tile([0.0, math.log(3.0)], (100_000, 1)), rng)
    assert abs(pick.mean() - 0.75) < 0.01


def test_choose_employer_empty(rng):
    assert choose_employer(np.zeros((0, 3)), rng)[0].shape == (0,)


def test_search_probability_exact_bounds_and_monotonicity():
    one = np.array([0.0])
    assert search_probability(0.02, one, 24.0, one, 2e6, np.array([1.0]))[0] == pytest.approx(
        0.02)
    assert search_probability(0.02, one, 24.0, one, 2e6, np.array([0.0]))[0] == pytest.approx(
        0.04)
    tenure = np.linspace(0, 240, 50)
    p_t = search_probability(0.02, tenure, 24.0, np.zeros(50), 2e6, np.full(50, 0.5))
    assert np.all(np.diff(p_t) < 0)
    wealth = np.linspace(0, 1e7, 50)
    p_w = search_probability(0.02, np.full(50, 12.0), 24.0, wealth, 2e6, np.full(50, 0.5))
    assert np.all(np.diff(p_w) > 0)
    fit = np.linspace(0, 1, 50)
    p_f = search_probability(0.02, np.full(50, 12.0), 24.0, np.zeros(50), 2e6, fit)
    assert np.all(np.diff(p_f) < 0)
    huge = search_probability(0.5, np.zeros(3), 24.0, np.full(3, 1e12), 2e6, np.zeros(3))
    np.testing.assert_array_equal(huge, 1.0)
    gen = np.random.default_rng(3)
    p = search_probability(gen.random(), gen.uniform(0, 600, 1000), 24.0,
                           gen.lognormal(13, 3, 1000), 2e6, gen.random(1000))
    assert ((p >= 0) & (p <= 1)).all()


def test_search_probability_bound_holds_exactly_and_is_tight():
    assert search_probability_bound(0.02, np.array([0.0, 2e6]), 2e6).tolist() == [0.04, 0.08]
    gen = np.random.default_rng(11)
    for _ in range(50):
        n, base = 2000, gen.uniform(0.0, 0.5)
        wealth = np.where(gen.random(n) < 0.5, 0.0, gen.lognormal(13, 3, n))
        tenure = np.where(gen.random(n) < 0.2, 0.0, gen.uniform(0, 600, n))
        fit = np.where(gen.random(n) < 0.2, 0.0, gen.random(n))
        p = search_probability(base, tenure, 24.0, wealth, 2e6, fit)
        bound = search_probability_bound(base, wealth, 2e6)
        assert (p <= bound).all()
        tight = (tenure == 0.0) & (fit == 0.0) & (bound < 1.0)
        np.testing.assert_array_equal(p[tight], bound[tight])


def test_categorical_makes_the_draws_of_generator_choice():
    for seed in range(100):
        gen = np.random.default_rng(seed)
        k = int(gen.integers(1, 12))
        w = gen.random(k) * gen.choice([1e-9, 1.0, 1e9])
        w[gen.random(k) < 0.3] = 0.0
        if w.sum() == 0.0:
            w[0] = 1.0
        n = int(gen.integers(0, 40))
        a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
        np.testing.assert_array_equal(categorical(w, n, a), b.choice(k, n, p=w / w.sum()))
        assert a.random() == b.random()
    draws = categorical(np.array([0.0, 3.0, 1.0]), 40_000, np.random.default_rng(0))
    assert 0 not in draws
    assert np.mean(draws == 1) == pytest.approx(0.75, abs=0.01)


# -------------------------------------------------------------- capital market
def test_logit_shares():
    np.testing.assert_allclose(logit_shares(np.array([0.0, math.log(3.0)]), 1.0), [0.25, 0.75])
    np.testing.assert_allclose(logit_shares(np.array([1000.0, 1000.0 + math.log(3.0)]), 1.0),
                               [0.25, 0.75])
    np.testing.assert_allclose(logit_shares(np.full(4, 2.5), 7.0), 0.25)
    np.testing.assert_allclose(logit_shares(np.array([1.0, 9.0, 4.0]), 0.0), 1 / 3)
    assert logit_shares(np.zeros(0), 1.0).shape == (0,)
    shares = logit_shares(np.random.default_rng(1).normal(0, 30, 50), 2.0)
    assert shares.sum() == pytest.approx(1.0)
    assert (shares >= 0).all()


def test_valuation_usd_exact():
    val = valuation_usd(np.array([1e6, 0.0, 2e6]), np.array([0, 2, 1]), 25.0, 2e9)
    np.testing.assert_allclose(val, [25 * 12 * 1e6 + 2e9, 0.25 * 2e9, 25 * 12 * 2e6 + 1e9])


@pytest.mark.parametrize(
    ("total", "weights", "caps", "expected"),
    [
        (100.0, [1, 3], [1000, 1000], [25, 75]),
        (100.0, [1, 1, 2], [10, 100, 100], [10, 30, 60]),
        (90.0, [1, 1, 1], [5, 20, 100], [5, 20, 65]),
        (100.0, [1, 1], [10, 20], [10, 20]),
        (100.0, [0, 1, 1], [50, 30, 100], [0, 30, 70]),
        (100.0, [1, 1, 1], [0, 100, 100], [0, 50, 50]),
        (60.0, [2, 2, 2], [30, 30, 30], [20, 20, 20]),
        (0.0, [1, 2], [5, 5], [0, 0]),
    ],
)
def test_allocate_capped_water_filling(total, weights, caps, expected):
    out = allocate_capped(total, np.array(weights, float), np.array(caps, float))
    np.testing.assert_allclose(out, expected)


def test_allocate_capped_empty():
    assert allocate_capped(10.0, np.zeros(0), np.zeros(0)).shape == (0,)


def test_allocate_capped_random_cases_conserve_and_respect_caps():
    gen = np.random.default_rng(11)
    for _ in range(300):
        n = int(gen.integers(1, 20))
        w = gen.exponential(1.0, n) * (gen.random(n) < 0.8)
        caps = gen.exponential(10.0, n) * (gen.random(n) < 0.9)
        total = float(gen.exponential(50.0))
        out = allocate_capped(total, w, caps)
        assert (out >= 0).all()
        assert np.all(out <= caps * (1 + 1e-12))
        assert not out[w == 0].any()
        eligible = caps[(w > 0) & (caps > 0)].sum()
        assert out.sum() == pytest.approx(min(total, eligible), rel=1e-9, abs=1e-9)


# ------------------------------------------------------------------------ race
def test_nearest_rival_gap():
    np.testing.assert_allclose(nearest_rival_gap(np.array([0.0, 0.5, 2.0])), [0.5, 0.5, 1.5])
    np.testing.assert_array_equal(nearest_rival_gap(np.array([3.0])), [np.inf])
    assert nearest_rival_gap(np.zeros(0)).shape == (0,)
    np.testing.assert_array_equal(nearest_rival_gap(np.full(3, 1.0)), 0.0)


def test_race_pressure_exact_small_case():
    caps = np.array([2.0, 2.0, 1.0])
    enmity = np.array([0.5, 0.0, 1.0])
    investor = np.array([0.0, 1.0, 0.5])
    pressure = race_pressure(caps, enmity, investor, lead_window_oom=0.5, gap_scale_oom=0.5,
                             w_gap=0.5, w_contenders=0.2, w_enmity=0.2, w_investor=0.4)
    # Gaps 0, 0, 1 OOM; two contenders among three labs give (2 - 1) / (3 - 1) = 0.5.
    crowd = 0.2 * 0.5
    expected = [0.5 * 1.0 + crowd + 0.2 * 0.5,
                0.5 * 1.0 + crowd + 0.4 * 1.0,
                0.5 * math.exp(-2.0) + crowd + 0.2 * 1.0 + 0.4 * 0.5]
    np.testing.assert_allclose(pressure, expected)


def test_race_pressure_single_lab_has_no_rival_terms():
    pressure = race_pressure(np.array([5.0]), np.array([0.5]), np.array([0.25]), 0.5, 0.3,
                             w_gap=0.5, w_contenders=0.2, w_enmity=0.2, w_investor=0.4)
    np.testing.assert_allclose(pressure, [0.2 * 0.5 + 0.4 * 0.25])


def test_heuristic_safety_clipping():
    s = heuristic_safety(np.array([0.5, 0.5, 0.5, 0.8]), np.array([0.0, 1.0, 10.0, -1.0]),
                         k=0.7, s_floor=np.full(4, 0.1))
    np.testing.assert_allclose(s, [0.5, 0.15, 0.1, 1.0])
    s0 = heuristic_safety(np.array([0.5]), np.array([10.0]), k=0.7, s_floor=np.zeros(1))
    np.testing.assert_array_equal(s0, [0.0])


def test_openness_exact_and_bounded():
    o = openness(np.array([0.8, 1.0]), np.array([0.0, 0.5]), np.array([0.0, 0.2]), k_o=1.0,
                 k_commercial=1.5)
    np.testing.assert_allclose(o, [0.8, math.exp(-(0.5 + 1.5 * 0.2))])
    high = openness(np.array([1.0]), np.array([-5.0]), np.array([0.0]), 1.0, 1.5)
    np.testing.assert_array_equal(high, [1.0])
    more = openness(np.full(3, 0.8), np.full(3, 0.4), np.array([0.0, 0.5, 1.0]), 1.0, 1.5)
    assert np.all(np.diff(more) < 0)


def test_hazard_exact_value_and_bounds():
    h = hazard(np.array([28.0, 27.0, 27.0, 60.0]), np.array([0.5, 0.0, 1.0, 0.0]), h0=0.002,
               eta=0.25, c_ref=27.0, gamma=2.0)
    np.testing.assert_allclose(h, [0.002 * 10 ** 0.25 * 0.25, 0.002, 0.0, 1.0])


@pytest.mark.parametrize("n", [2, 3, 5])
def test_win_probability_symmetric_case_is_one_over_n(n):
    p = win_probability(np.array([0.3]), np.full(n - 1, 0.3), np.zeros(n - 1), mu=1.0, kappa=1.0)
    assert p[0] == pytest.approx(1.0 / n, abs=1e-5)


def test_win_probability_two_teams_exact():
    # c_own - c_rival > d with both U[0, 1]: P = (1 - d)^2 / 2 for a safety handicap d in [0, 1].
    p = win_probability(np.array([0.5, 0.75, 1.0]), np.array([0.0]), np.zeros(1), 1.0, 1.0)
    np.testing.assert_allclose(p, [0.125, 0.03125, 0.0], atol=1e-9)
    assert win_probability(np.array([0.2, 0.9]), np.zeros(0), np.zeros(0), 1.0, 1.0).tolist() == [
        1.0, 1.0]


def test_win_probability_falls_with_own_safety_and_rises_with_a_lead():
    grid = np.linspace(0, 1, 21)
    p = win_probability(grid, np.full(2, 0.5), np.zeros(2), 1.0, 1.0)
    assert np.all(np.diff(p) <= 0) and p[0] > p[-1]
    lead = win_probability(np.array([0.5]), np.full(2, 0.5), np.full(2, 0.3), 1.0, 1.0)
    assert lead[0] > 1 / 3


@pytest.mark.parametrize(("n", "mu", "e"), [(2, 0.5, 1.0), (3, 1.0, 0.5), (4, 0.6, 0.8)])
def test_best_response_to_the_equilibrium_is_the_equilibrium(n, mu, e):
    s_star = min(1.0, mu / (n * e))
    grid = np.linspace(0, 1, 201)
    br = best_response_safety(np.full(n - 1, s_star), np.zeros(n - 1), e, mu, 1.0, grid)
    assert br == pytest.approx(s_star, abs=0.01)


def test_best_response_without_rivals_or_enmity():
    grid = np.linspace(0, 1, 101)
    assert best_response_safety(np.zeros(0), np.zeros(0), 1.0, 1.0, 1.0, grid) == 1.0
    # A cap that binds: mu / (n e) = 1 / (2 * 0.4) > 1, so full safety is the best response.
    assert best_response_safety(np.array([1.0]), np.zeros(1), 0.4, 1.0, 1.0, grid) == 1.0


# --------------------------------------------------------------------- metrics
def test_hhi():
    assert hhi(np.ones(4)) == pytest.approx(0.25)
    assert hhi(np.array([5.0])) == 1.0
    assert hhi(np.array([1.0, 3.0])) == pytest.approx(0.625)
    assert hhi(np.zeros(0)) == 0.0
    assert hhi(np.zeros(3)) == 0.0


def test_leader_gap():
    assert leader_gap(np.array([1.0, 3.0, 2.5])) == pytest.approx(0.5)
    assert leader_gap(np.full(3, 2.0)) == 0.0
    assert math.isnan(leader_gap(np.array([4.0])))
    assert math.isnan(leader_gap(np.zeros(0)))


def test_contenders():
    assert contenders(np.array([1.0, 3.0, 2.6, 2.5]), 0.5) == 3
    assert contenders(np.full(5, 1.0), 0.5) == 5
    assert contenders(np.array([7.0]), 0.5) == 1


def test_capability_weighted_mean():
    assert capability_weighted_mean(np.array([1.0, 0.0]), np.array([2.0, 1.0])) == (
        pytest.approx(1 / 1.1))
    assert capability_weighted_mean(np.array([0.2, 0.4, 0.9]), np.full(3, 5.0)) == (
        pytest.approx(0.5))


def test_slope_per_year_exact_on_a_line():
    months = np.arange(24, dtype=float)
    assert slope_per_year(3.0 + 0.1 * months) == pytest.approx(1.2)
    with_gaps = 3.0 + 0.1 * months
    with_gaps[[2, 7]] = np.nan
    assert slope_per_year(with_gaps) == pytest.approx(1.2)
    assert slope_per_year(np.full(10, 4.0)) == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(slope_per_year(np.array([1.0])))
    assert math.isnan(slope_per_year(np.array([np.nan, 2.0, np.nan])))


def test_training_cost_growth_exact():
    """Compute x4/year at a price falling 1.6x/year costs 2.5x/year more each year."""
    months = np.arange(36, dtype=float)
    log_flop = 22.0 + np.log10(4.0) * months / 12.0
    price = 25.0 * 1.6 ** (-months / 12.0)
    assert training_cost_growth(log_flop, price) == pytest.approx(2.5)
    assert training_cost_growth(log_flop, np.full(36, 3.0)) == pytest.approx(4.0)
    assert math.isnan(training_cost_growth(log_flop[:1], price[:1]))
    assert math.isnan(training_cost_growth(log_flop, np.where(months == 5, 0.0, price)))


def test_first_crossing():
    assert first_crossing(np.array([1.0, 2.0, 3.0, 2.0, 4.0]), 2.5) == 2
    assert first_crossing(np.array([1.0, 2.0, 3.0]), 2.0) == 1
    assert first_crossing(np.array([1.0, 2.0]), 5.0) is None
    assert first_crossing(np.zeros(0), 0.0) is None


def test_top_decile_mask():
    mask = top_decile_mask(np.arange(100, dtype=float))
    assert mask.sum() == 10 and mask[90:].all()
    assert top_decile_mask(np.zeros(0)).shape == (0,)


def test_choose_employer_returns_the_random_utilities_it_maximised(rng):
    util = np.array([[0.0, 1.0, -np.inf], [2.0, 0.0, 0.5]])
    pick, noisy = choose_employer(util, rng)
    np.testing.assert_array_equal(pick, np.argmax(noisy, axis=1))
    assert np.isneginf(noisy[0, 2])


def test_retained_compares_staying_plus_raise_with_the_chosen_option():
    noisy = np.array([[1.0, 1.5, 0.0], [1.0, 3.0, 0.0], [1.0, 1.2, 0.0], [0.0, 9.0, 0.0]])
    pick = np.array([1, 1, 1, 1])
    eligible = np.array([True, True, False, True])
    np.testing.assert_array_equal(retained(noisy, pick, eligible, 0.5),
                                  [True, False, False, False])
    np.testing.assert_array_equal(retained(noisy, pick, eligible, 0.0), [False] * 4)


def test_collect_is_a_pure_function_of_a_month_state():
    kinds = np.array([0, 1, 1, 2])  # academia, two labs, a startup
    flows = np.zeros((6, 6), dtype=np.int64)
    flows[0, 1], flows[2, 1] = 3, 2  # academia -> lab, startup -> lab (rows)
    state = MonthState(
        lab_capability_oom=np.array([25.0, 24.5]), lab_safety=np.array([0.2, 0.0]),
        lab_openness=np.array([0.5, 0.5]), lab_compute_h100e=np.array([3.0, 1.0]),
        lab_market_share=np.array([0.5, 0.5]), lab_revenue_usd=7.0, upstream_deals_active=1,
        train_flop=np.array([1e24, 1e22]), employer=np.array([0, 0, 1, 3] * 5),
        skill=np.arange(20.0), people_per_row=2.0, flows_month=flows,
        grad_history=np.array([[10.0, 4.0]] + [[0.0, 0.0]] * 11), org_kind=kinds,
        startup_mode=np.array([2]), startup_revenue_usd=5.0, startups_alive=1,
        academic_salary_usd=1e5, academic_output_oom=0.01, cloud_big=np.array([True, False]),
        cloud_revenue_usd=np.array([3.0, 1.0]), compute_price_usd_per_h100e_hour=2.0,
        n_incidents=1, log_no_incident=np.log(0.5), log_no_major=0.0, lab_spinouts=4,
        public_knowledge_oom=1.5, lead_window_oom=1.0,
        market=MarketState(20.0, 0.1, ai_budget_usd=9.0, ai_market_usd=6.0))
    out = collect(state)
    assert set(out) == set(TIMESERIES_METRICS)
    assert out["frontier_capability"] == 25.0 and out["leader_gap_oom"] == 0.5
    assert out["contenders"] == 2
    assert out["compute_hhi"] == pytest.approx(0.75 ** 2 + 0.25 ** 2)
    assert out["safety_share_mean"] == pytest.approx(capability_weighted_mean(
        np.array([0.2, 0.0]), np.array([25.0, 24.5])))
    # Top decile: skills 18 and 19, rows 18 (employer 1, a lab) and 19 (employer 3, a startup).
    assert out["academia_share_top_decile"] == 0.0
    assert out["talent_hhi_top_decile"] == pytest.approx(0.5)
    assert out["moves_academia_to_industry"] == 12.0 * 2.0 * 3
    assert out["moves_startup_to_lab"] == 12.0 * 2.0 * 2
    assert out["incident_prob"] == pytest.approx(0.5) and out["major_incident_prob"] == 0.0
    assert out["industry_share_new_phds"] == 0.4 and out["big3_cloud_share"] == 0.75
    assert out["researchers_active"] == 40.0 and out["startup_partnered_share"] == 1.0
    assert out["frontier_training_compute_log10_flop"] == 24.0
