"""The double-entry ledger and the researcher workforce (struct of arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.economy.ledger import CUSTOMERS, EXTERNAL, HOUSEHOLDS, INVESTORS, Ledger
from sim.populations.workforce import ResearcherTable


# ------------------------------------------------------------------------ ledger
def test_ledger_total_is_constant_under_random_transfers(rng):
    led = Ledger(4)
    led.transfer(INVESTORS, np.arange(4), 1e6, "initial_cash")
    assert led.total_usd() == pytest.approx(0.0, abs=1e-6)
    accounts = np.arange(-len(EXTERNAL), 12)
    led.grow(12)
    for _ in range(300):
        if rng.random() < 0.5:
            src, dst = (int(x) for x in rng.choice(accounts, 2))
            led.transfer(src, dst, float(rng.exponential(1e5)), "scalar")
        else:
            n = int(rng.integers(0, 20))
            led.transfer(rng.choice(accounts, n), rng.choice(accounts, n),
                         rng.exponential(1e5, n), "vector")
        gross = np.abs(led.cash_usd).sum() + np.abs(led.external_usd).sum()
        assert abs(led.total_usd()) <= 1e-12 * gross + 1e-6
    assert led.cash_usd.sum() == pytest.approx(-led.external_usd.sum())


def test_ledger_repeated_ids_in_one_vector_transfer_all_count():
    led = Ledger(3)
    led.transfer(np.array([0, 0, 1]), np.array([2, 2, 2]), np.array([1.0, 2.0, 4.0]), "x")
    np.testing.assert_allclose(led.cash_usd, [-3.0, -4.0, 7.0])
    np.testing.assert_allclose(led.inflow_usd, [0.0, 0.0, 7.0])
    np.testing.assert_allclose(led.outflow_usd, [3.0, 4.0, 0.0])


def test_ledger_broadcasts_a_scalar_source_and_amount():
    led = Ledger(3)
    led.transfer(INVESTORS, np.array([0, 2]), 5.0, "seed")
    np.testing.assert_allclose(led.cash_usd, [5.0, 0.0, 5.0])
    assert led.external_usd[-INVESTORS - 1] == -10.0
    assert led.by_category_usd == {"seed": 10.0}


@pytest.mark.parametrize("amount", [-1.0, np.nan, np.inf])
def test_ledger_rejects_negative_and_non_finite_amounts(amount):
    led = Ledger(2)
    with pytest.raises(ValueError, match="amounts must be finite and >= 0"):
        led.transfer(0, 1, amount, "bad")
    with pytest.raises(ValueError, match="amounts must be finite and >= 0"):
        led.transfer(np.array([0, 1]), np.array([1, 0]), np.array([1.0, amount]), "bad")
    np.testing.assert_array_equal(led.cash_usd, 0.0)
    assert led.total_usd() == 0.0


def test_ledger_records_inflows_and_outflows_per_step():
    led = Ledger(3)
    led.transfer(INVESTORS, 0, 100.0, "vc")
    led.transfer(0, 1, 30.0, "pay")
    led.transfer(np.array([1, 2]), HOUSEHOLDS, np.array([10.0, 0.0]), "salaries")
    led.transfer(CUSTOMERS, 2, 7.0, "revenue")
    np.testing.assert_allclose(led.inflow_usd, [100.0, 30.0, 7.0])
    np.testing.assert_allclose(led.outflow_usd, [30.0, 10.0, 0.0])
    np.testing.assert_allclose(led.cash_usd, led.inflow_usd - led.outflow_usd)
    before = led.cash_usd.copy()
    led.start_step()
    assert not led.inflow_usd.any() and not led.outflow_usd.any()
    np.testing.assert_array_equal(led.cash_usd, before)
    led.transfer(2, 0, 5.0, "fee")
    np.testing.assert_allclose(led.cash_usd - before, led.inflow_usd - led.outflow_usd)
    assert led.by_category_usd["salaries"] == 10.0


def test_ledger_grow_keeps_balances_and_flows():
    led = Ledger(2)
    led.transfer(INVESTORS, 1, 9.0, "vc")
    led.grow(5)
    led.grow(3)
    assert led.cash_usd.size == 5
    np.testing.assert_allclose(led.cash_usd, [0.0, 9.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(led.inflow_usd, [0.0, 9.0, 0.0, 0.0, 0.0])
    led.transfer(1, 4, 4.0, "pay")
    assert led.total_usd() == pytest.approx(0.0)


# --------------------------------------------------------------------- workforce
def _add(wf: ResearcherTable, employers, rng, graduate=False) -> np.ndarray:
    return wf.add(np.asarray(employers, dtype=np.int64), rng, skill_sigma=0.6, pref_alpha=2.0,
                  pref_beta=2.0, graduate=graduate)


def test_workforce_add_grows_beyond_capacity_and_sets_fields(rng):
    wf = ResearcherTable(2)
    first = _add(wf, [3, 4, 5], rng)
    second = _add(wf, [7] * 4, rng, graduate=True)
    np.testing.assert_array_equal(first, [0, 1, 2])
    np.testing.assert_array_equal(second, [3, 4, 5, 6])
    assert wf.size == 7 and wf.skill.size >= 7
    np.testing.assert_array_equal(wf.employer[:7], [3, 4, 5, 7, 7, 7, 7])
    np.testing.assert_array_equal(wf.graduate[:7], [False] * 3 + [True] * 4)
    assert (wf.skill[:7] > 0).all()
    for prefs in (wf.safety_pref[:7], wf.openness_pref[:7]):
        assert ((prefs >= 0) & (prefs <= 1)).all()
    for money in (wf.salary_usd, wf.liquid_wealth_usd, wf.unvested_equity_usd,
                  wf.vested_equity_usd, wf.tenure_months):
        assert not money[:7].any()


def test_workforce_skill_is_lognormal_with_median_one(rng):
    wf = ResearcherTable(10)
    _add(wf, np.zeros(50_000), rng)
    log_skill = np.log(wf.skill[: wf.size])
    assert abs(np.median(log_skill)) < 0.02
    assert log_skill.std() == pytest.approx(0.6, rel=0.02)


def test_workforce_retire_removes_rows_and_keeps_the_order_of_the_rest(rng):
    wf = ResearcherTable(8)
    _add(wf, np.arange(10), rng)
    wf.salary_usd[: wf.size] = np.arange(10) * 1000.0
    skill = wf.skill[: wf.size].copy()
    keep = np.array([1, 4, 8])
    wf.retire(np.setdiff1d(np.arange(10), keep))
    assert wf.size == 3
    np.testing.assert_array_equal(wf.employer[:3], keep)
    np.testing.assert_array_equal(wf.skill[:3], skill[keep])
    np.testing.assert_array_equal(wf.salary_usd[:3], keep * 1000.0)
    new = _add(wf, [42], rng)
    np.testing.assert_array_equal(new, [3])
    np.testing.assert_array_equal(wf.employer[:4], [1, 4, 8, 42])


def test_workforce_retire_nobody_changes_nothing(rng):
    wf = ResearcherTable(4)
    _add(wf, np.arange(6), rng)
    before = {k: getattr(wf, k)[:6].copy() for k in ("skill", "employer", "safety_pref")}
    wf.retire(np.zeros(0, np.int64))
    assert wf.size == 6
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(wf, k)[:6], v)
