"""The compute price index (``clouds.price_index``) and the deal-offer stream
(``partnership.offer_stream``): exact values, invariants and what each option leaves
unchanged."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sim
from sim.agents.cloud import Clouds, sold_price_usd
from sim.markets.compute import HOURS_PER_MONTH
from sim.model import RaceModel
from sim.params import replace


def test_sold_price_weighs_each_h100e_at_its_billed_price():
    """Contract compute at the contract price, in-house and spot compute at the list price."""
    month_price = np.array([10.0, 20.0]) * HOURS_PER_MONTH
    # Buyers: a contract lab (priority 2 at provider 0, contract 5 USD/h), an in-house lab
    # (priority 1 at provider 1, no contract), a startup (spot 3 at provider 0, 1 at 1).
    priority = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    spot = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 1.0]])
    contract = np.array([5.0, 0.0]) * HOURS_PER_MONTH
    # (2 * 5 + 1 * 20 + 3 * 10 + 1 * 20) / 7 = 80 / 7 USD per H100e-hour.
    assert sold_price_usd(priority, spot, month_price, contract) == pytest.approx(80.0 / 7.0,
                                                                                 rel=1e-15)
    # A non-exclusive contract lab's spot compute is billed at the list price.
    spot_lab = spot.copy()
    spot_lab[0, 1] = 1.0
    assert sold_price_usd(priority, spot_lab, month_price, contract) == pytest.approx(
        100.0 / 8.0, rel=1e-15)


def test_sold_price_is_undefined_when_nothing_is_sold():
    zeros = np.zeros((2, 3))
    assert sold_price_usd(zeros, zeros, np.ones(3), np.zeros(1)) is None


def test_capacity_index_is_the_capacity_weighted_list_price(small_params):
    """The default index is what the price metric has always been: Clouds.mean_price_usd."""
    model = RaceModel(replace(small_params, steps=12), 3)
    for _ in range(12):
        model.step()
        assert model.market.compute_price_usd == model.clouds.mean_price_usd()


@pytest.mark.parametrize("deals", [False, True])
def test_sold_index_lies_between_the_prices_billed(small_params, deals):
    """A volume-weighted mean of billed prices: within the month's lowest and highest one."""
    params = replace(small_params, steps=36, clouds__price_index="sold",
                     partnership__enabled=deals)
    model = RaceModel(params, 5)
    for _ in range(params.steps):
        lists, hw = model.clouds.prices().copy(), model.exo.hw_cost_usd(model.t)
        model.step()
        # Deals sign and end in the capital phase, before compute is sold: the contracts
        # held after the step are those billed this month, at the list price at signing,
        # discounted and indexed to hardware cost.
        billed = [float(lists.min()), float(lists.max())] + [
            c.price_usd_per_hour * (1 - c.credit_discount) * hw / c.hw_cost_usd
            for c in (lab.contract for lab in model.labs.members) if c is not None]
        lo, hi = min(billed), max(billed)
        price = model.market.compute_price_usd
        assert np.isfinite(price) and lo * (1 - 1e-12) <= price <= hi * (1 + 1e-12), model.t


def test_sold_index_changes_the_price_series_but_not_month_zero(small_params):
    """Same seed: the price series differ; month 0's frontier, set before any price feeds
    back, does not."""
    base = sim.run(replace(small_params, steps=48), 11)
    sold = sim.run(replace(small_params, steps=48, clouds__price_index="sold"), 11)
    p_base = base.timeseries["compute_price_usd_per_h100e_hour"]
    p_sold = sold.timeseries["compute_price_usd_per_h100e_hour"]
    assert not np.array_equal(p_base, p_sold)
    # Month 0 is decided before any price feeds back: the capital phase and the first
    # allocation are the same, so the frontier of month 0 is too.
    assert base.timeseries["frontier_capability"][0] == sold.timeseries["frontier_capability"][0]


def test_deal_offers_draw_from_their_own_stream_when_asked(small_params, monkeypatch):
    seen = []
    original = Clouds.offer_deals

    def spy(self, *args, **kwargs):
        seen.append(args[-1])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Clouds, "offer_deals", spy)
    for stream in ("capital", "deals"):
        seen.clear()
        model = RaceModel(replace(small_params, steps=3, partnership__offer_stream=stream), 2)
        for _ in range(3):
            model.step()
        assert seen and all(rng is model.rngs[stream] for rng in seen)


def test_the_deals_stream_leaves_runs_without_deals_unchanged(small_params):
    """Adding the stream spawns one more child seed; the others and runs without deals stay."""
    params = replace(small_params, steps=24, partnership__enabled=False)
    a = sim.run(params, 4)
    b = sim.run(replace(params, partnership__offer_stream="deals"), 4)
    for name, series in a.timeseries.items():
        np.testing.assert_array_equal(series, b.timeseries[name], err_msg=name)
    assert a.summary == b.summary


def test_provider_choice_survives_weights_that_overflow(small_params):
    """At the bounds ``price^exponent`` overflows; the weights are then formed in logs.

    Before, every weight became 0, the draw's CDF NaN and every buyer silently
    preferred provider 0 (held-out random configuration 200527 at the bounds).
    """
    params = replace(small_params, clouds__provider_price_exponent=20.0)
    model = RaceModel(params, 1)
    clouds = model.clouds.members
    for k, h in enumerate(clouds):
        h.price_usd_per_hour = 1e20 * (1.0 + k)
    cheapest_last = len(clouds) - 1
    clouds[cheapest_last].price_usd_per_hour = 1e19
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pick = model.clouds.preferred(params, 10_000, np.random.default_rng(0))
    # Capacity^0.5 varies by a few times; a 10x lower price weighs 1e20 times more.
    assert (pick == cheapest_last).all()
