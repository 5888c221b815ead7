"""Stylized facts 1-6 of the model spec, each shown by paired runs with common random numbers.

Every fact compares two parameter points that differ only in one lever. Both
points run over the same seeds ``sim.replicate_seeds(0, N)`` (common random
numbers), at 72 months with 6,000 researchers and 100 initial startups; every
other parameter keeps its default. For each outcome ``y`` and seed the paired
difference is ``d = y(lever high) - y(lever low)``. An outcome shows the
expected effect when

* the mean of ``d`` has the expected sign and lies at least ``MIN_T = 2``
  standard errors from zero (paired t-statistic over the N seeds), and
* at least ``MIN_AGREE = 75%`` of the N seeds have a difference of the expected sign.

N is stated per fact: more seeds where the outcome is noisier. The choice was
made on 24 seeds measured when the tests were written (sim at 9b97f61); the
docstring of each test gives what was measured on its first N seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.params import SimParams, replace
from sim.results import FLOW_KINDS

MIN_T = 2.0
MIN_AGREE = 0.75

ACAD, LAB, STARTUP, HYPER = (FLOW_KINDS.index(k)
                             for k in ("academia", "lab", "startup", "hyperscaler"))


def lab_hires_per_year(flows: np.ndarray) -> float:
    """Researchers per year moving from academia or startups into labs (in-house ones included)."""
    return float(flows[:, [ACAD, STARTUP]][:, :, [LAB, HYPER]].sum() / flows.shape[0])


@pytest.fixture(scope="module")
def base() -> SimParams:
    return replace(SimParams(), steps=72, scenario__n_researchers=6000,
                   scenario__n_startups=100)


@pytest.fixture(scope="module")
def outcomes(base: SimParams):
    """Outcomes (summary plus lab hiring) of seeds ``0 .. n-1`` at a parameter point, cached."""
    cache: dict[SimParams, list[dict]] = {}

    def get(n: int, **changes) -> list[dict]:
        params = replace(base, **changes)
        done = cache.setdefault(params, [])
        for seed in sim.replicate_seeds(0, n)[len(done):]:
            res = sim.run(params, seed)
            done.append({**res.summary, "lab_hires_per_year": lab_hires_per_year(res.flows)})
        return done[:n]

    return get


def assert_effect(low: list[dict], high: list[dict], metric: str, sign: int) -> None:
    """Assert that ``metric`` moves in direction ``sign`` from ``low`` to ``high`` (see module)."""
    d = np.array([h[metric] - lo[metric] for lo, h in zip(low, high, strict=True)], dtype=float)
    n = d.size
    sd = d.std(ddof=1)
    t = d.mean() / (sd / math.sqrt(n)) if sd > 0 else math.copysign(math.inf, d.mean())
    agree = int(np.count_nonzero(sign * d > 0))
    detail = f"{metric}: differences {np.round(d, 4).tolist()}, t = {t:.2f}, agree {agree}/{n}"
    assert sign * t >= MIN_T, detail
    assert agree >= MIN_AGREE * n, detail


@pytest.fixture(scope="module")
def fact1(outcomes) -> tuple[list[dict], list[dict]]:
    """No upstream deals vs more and larger ones (deal size 1x valuation, offers 0.2/month)."""
    low = outcomes(12, partnership__enabled=False)
    high = outcomes(12, partnership__deal_size_valuation_share=1.0,
                    partnership__offer_prob_per_month=0.2)
    assert all(r["upstream_deals"] == 0 for r in low)
    assert all(r["upstream_deals"] > 0 for r in high)
    return low, high


def test_fact1_exclusive_upstream_deals_raise_compute_concentration(fact1):
    """12 seeds; measured: compute_hhi up in 12/12, t = 29."""
    assert_effect(*fact1, "compute_hhi", +1)


def test_fact1_upstream_deals_slow_the_frontier_in_model_v2(fact1):
    """12 seeds; frontier speed is the slope of frontier capability (OOM/year).

    The spec's hypothesis (deals raise frontier speed) does not hold in model v2:
    measured at the v2 economy, frontier speed down in 12/12 seeds by 0.03-0.14
    OOM/year (t = -8.8). Deals are now signed only when both sides gain value, so
    they go to compute-constrained labs and tie them to one cloud's capacity
    (docs/model.md §9). This test pins the v2 finding; it fails if the sign flips.
    """
    assert_effect(*fact1, "capability_growth_oom_per_year", -1)


def test_fact2_closer_races_lower_safety(outcomes):
    """12 seeds; initial capability spread 3 OOM vs 0 (the closer race), heuristic safety rule.

    Measured (v1): leader gap down 11/12 (t = -3.9), contenders up 12/12 (t = 13),
    safety share down 12/12 (t = -8.8). Under the v2 default (expected-value
    safety) labs choose a safety share near 0 while hazards are low, so over these
    72 months the closer race changes safety by less than 0.002 (t = 1.0, 6/12 seeds):
    the effect acts through race pressure, which the heuristic rule reads directly.
    """
    far = outcomes(12, labs__initial_alg_spread_oom=3.0, safety__mode="heuristic")
    close = outcomes(12, labs__initial_alg_spread_oom=0.0, safety__mode="heuristic")
    assert_effect(far, close, "leader_gap_oom", -1)
    assert_effect(far, close, "contenders", +1)
    assert_effect(far, close, "safety_share_mean", -1)


def test_fact3_commercial_pressure_lowers_openness_and_slows_followers(outcomes):
    """8 seeds; commercial pressure on openness ``safety.k_commercial`` 0 vs 4.

    Measured: openness down 8/8 (t = -51), followers' capability growth down 8/8
    (t = -11), public knowledge stock (fed by academia and publications) down 8/8 (t = -52).
    """
    low = outcomes(8, safety__k_commercial=0.0)
    high = outcomes(8, safety__k_commercial=4.0)
    assert_effect(low, high, "openness_mean", -1)
    assert_effect(low, high, "follower_capability_growth_oom_per_year", -1)
    assert_effect(low, high, "public_knowledge_oom", -1)


def test_fact4_partnered_startups_channel_revenue_and_staff_to_labs(outcomes):
    """16 seeds; share of partnered startups ``downstream.partner_share`` 0 vs 0.9.

    Measured: partner revenue share of labs up 16/16, lab hires from academia and
    startups up 16/16 (t = 6.7), startup-to-lab moves up 13/16 (t = 4.5).
    """
    low = outcomes(16, downstream__partner_share=0.0)
    high = outcomes(16, downstream__partner_share=0.9)
    assert_effect(low, high, "startup_partnered_share", +1)
    assert_effect(low, high, "lab_partner_revenue_share", +1)
    assert_effect(low, high, "lab_hires_per_year", +1)
    assert_effect(low, high, "moves_startup_to_lab", +1)


def test_fact5_buybacks_raise_spinouts(outcomes):
    """12 seeds; yearly buybacks ``governance.buyback_share`` 0 vs 0.8 of vested equity.

    Measured: lab spin-outs up 12/12 (t = 7.7).
    """
    low = outcomes(12, governance__buyback_share=0.0)
    high = outcomes(12, governance__buyback_share=0.8)
    assert_effect(low, high, "lab_spinouts", +1)


def test_fact6_public_compute_slows_the_academic_brain_drain(outcomes):
    """8 seeds; public compute ``governance.public_compute_h100e_per_academic`` 0 vs 5 H100e.

    Measured: academia-to-industry moves down 8/8 (t = -28), academia's share of
    the top decile up 8/8 (t = 11).
    """
    low = outcomes(8, governance__public_compute_h100e_per_academic=0.0)
    high = outcomes(8, governance__public_compute_h100e_per_academic=5.0)
    assert_effect(low, high, "moves_academia_to_industry", -1)
    assert_effect(low, high, "academia_share_top_decile", +1)
