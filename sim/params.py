"""Typed, frozen parameters of the race model, one dataclass per mechanism.

Every field carries metadata: its unit, its allowed range or choices and the
source of its default (see ``docs/model.md`` for the full parameter table and
``shared/design/calibration-targets.md`` for the figures). ``from_dict`` turns
a plain nested mapping (for example a resolved Hydra config) into a validated
:class:`SimParams`; bad input raises :class:`ParamError` naming the key, the
value and what is allowed, before anything is simulated.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ParamError(ValueError):
    """A parameter value that is not allowed; the message names key, value and rule."""


def p(
    default: Any,
    unit: str = "",
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    source: str = "",
    lo_open: bool = False,
) -> Any:
    """Declare a parameter field with its unit, bounds, choices and source.

    Args:
        default: Default value.
        unit: Unit of the value (``"USD"``, ``"months"``, ``"1"`` for dimensionless).
        lo: Smallest allowed value (inclusive unless ``lo_open``).
        hi: Largest allowed value (inclusive).
        choices: Allowed string values.
        source: Where the default comes from (paper, data set, or "assumption").
        lo_open: Whether ``lo`` itself is excluded.

    Returns:
        A ``dataclasses.field`` with the metadata attached.
    """
    meta = {"unit": unit, "lo": lo, "hi": hi, "choices": choices, "source": source,
            "lo_open": lo_open}
    if isinstance(default, tuple):
        return field(default_factory=lambda d=default: d, metadata=meta)
    return field(default=default, metadata=meta)


PROB = {"lo": 0.0, "hi": 1.0}


@dataclass(frozen=True)
class ScenarioParams:
    """Population sizes, start year and observation settings of a scenario."""

    name: str = p("default", source="label only")
    start_year: int = p(2015, "year", 1900, 2200, source="model-spec: history scenario")
    n_labs: int = p(8, "labs", 1, 1000, source="model-spec default population")
    n_inhouse_labs: int = p(2, "labs", 0, 1000, source="model-spec: 2 in-house labs")
    n_big_clouds: int = p(3, "firms", 0, 100, source="model-spec; Synergy big 3")
    n_alt_clouds: int = p(3, "firms", 0, 100, source="model-spec")
    n_startups: int = p(300, "firms", 0, 100_000, source="model-spec")
    n_pools: int = p(3, "pools", 1, 100, source="model-spec")
    n_researchers: int = p(20_000, "researchers", 1, 10_000_000,
                           source="model-spec; simulated rows (the resolution of the workforce); "
                                  "bound: memory (sim.params.MAX_WORKFORCE_ROWS)")
    represented_researchers: float = p(0.0, "researchers", 0.0, 1e9,
                                       source="resolution: each simulated researcher stands for "
                                              "represented_researchers / n_researchers people; "
                                              "0 = as many as simulated (~22,000 able to do "
                                              "serious AI research, Element AI 2017-18)")
    pool_weight_concentration: float = p(5.0, "1 (Dirichlet alpha)", 0.0, 1000.0, lo_open=True,
                                         source="assumption: talent pools' shares of academics "
                                                "and graduates ~ Dirichlet(alpha)")
    academia_share_initial: float = p(0.6, "1", **PROB,
                                      source="assumption; AI Index 2021 (2010 academia-heavy)")
    capability_threshold_oom: float = p(31.0, "log10 effective FLOP", 0.0, 100.0,
                                        source="assumption (about the 2023 frontier of the "
                                               "default run)")
    lead_window_oom: float = p(0.5, "OOM", 0.0, 10.0, lo_open=True,
                               source="model-spec: contenders within 0.5 OOM")


@dataclass(frozen=True)
class LabParams:
    """Frontier labs: compute use, research productivity and dispositions."""

    initial_alg_spread_oom: float = p(0.6, "OOM", 0.0, 10.0,
                                      source="assumption: spread of initial capability")
    initial_cash_usd: float = p(3.0e8, "USD", 0.0, source="assumption (OpenAI 2015 pledge ~1e9)")
    initial_cash_spread: float = p(0.5, "1 (lognormal sigma)", 0.0, 5.0, source="assumption")
    initial_staff_share: float = p(0.12, "1", **PROB,
                                   source="assumption; share of workforce at labs in 2015")
    train_share: float = p(0.5, "1", 0.0, 1.0, lo_open=True,
                           source="assumption; Epoch AI training vs inference split")
    run_months: float = p(1.5, "months", 0.0, 60.0, lo_open=True,
                          source="Epoch AI: training runs of 2015 lasted weeks")
    run_months_growth_per_year: float = p(0.26, "1/year", 0.0, 5.0,
                                          source="Epoch AI: run length grows ~1.26x/yr")
    flop_per_h100e_month: float = p(1.0e21, "FLOP", 0.0, lo_open=True,
                                    source="H100 989 TFLOP/s x 40% utilisation x 730 h")
    cash_burn_share: float = p(0.08, "1/month", 0.0, 1.0, lo_open=True,
                               source="assumption: labs spend ~1/12 of cash per month")
    compute_budget_share: float = p(0.8, "1", **PROB,
                                    source="assumption; compute dominates lab spending")
    alg_rate_oom_per_month: float = p(0.04, "OOM/month", 0.0, 1.0,
                                      source="Ho et al. 2024: algorithmic progress ~3x/yr")
    research_returns: float = p(0.25, "1 (elasticity)", 0.0, 1.0,
                                source="assumption: diminishing returns to research effort")
    research_ref_skill: float = p(1000.0, "skill units", 0.0, lo_open=True, source="assumption")
    absorb_half_skill: float = p(50.0, "skill units", 0.0, lo_open=True,
                                 source="Cohen & Levinthal 1990 absorptive capacity (form)")
    s_base_mean: float = p(0.25, "1", **PROB, source="assumption")
    s_base_spread: float = p(0.1, "1", 0.0, 1.0, source="assumption")
    o_base_mean: float = p(0.8, "1", **PROB, source="assumption; labs published most in 2015")
    o_base_spread: float = p(0.1, "1", 0.0, 1.0, source="assumption")
    enmity_mean: float = p(0.5, "1", **PROB, source="Armstrong et al. 2016 (e in [0,1])")
    enmity_spread: float = p(0.2, "1", 0.0, 1.0, source="assumption")
    salary_usd: float = p(3.0e5, "USD/year", 0.0, lo_open=True,
                          source="press (secondary): lab pay 2015 level")
    salary_cash_elasticity: float = p(0.15, "1", 0.0, 2.0, source="assumption")
    equity_grant_years: float = p(2.0, "years of salary", 0.0, 20.0,
                                  source="press (secondary): equity ~ half of lab pay")
    largest_run_share: float = p(5.0e-4, "1", 0.0, 1.0, lo_open=True,
                                 source="calibration-data §1: sets 2015's largest run to "
                                        "~4e20 FLOP (AlphaGo Fan 3.8e20) at 2015 lab budgets")
    largest_run_share_growth_per_year: float = p(0.6, "1/year", 0.0, 10.0,
                                                 source="assumption: the largest run takes a "
                                                        "growing share of lab compute "
                                                        "(scaling era), capped at 1")
    salary_clip_min: float = p(0.5, "1 (of base salary)", 0.0, 1.0, lo_open=True,
                               source="assumption: pay falls at most to half the base level")
    salary_clip_max: float = p(30.0, "1 (of base salary)", 1.0, 1000.0,
                               source="press (secondary): top lab pay $1M-$10M+ vs ~$0.3M")
    prestige: float = p(0.6, "1", **PROB, source="assumption: initial prestige of labs")
    hiring_step_share: float = p(0.2, "1/month (of headcount)", 0.0, 10.0,
                                 source="assumption: largest monthly hiring relative to staff")
    hiring_step_min: float = p(5.0, "researchers/month", 0.0, 1e6,
                               source="assumption: smallest hiring capacity of a lab")
    raise_valuation_cap: float = p(0.5, "1 (of valuation)", 0.0, 10.0,
                                   source="assumption: largest raise per month vs valuation")
    retention_raise: float = p(0.0, "1 (of salary)", 0.0, 5.0,
                               source="assumption: counter-offer raise to staff hired away "
                                      "(0 = labs make no retention offers)")
    retention_skill_min: float = p(1.5, "1 (skill, median 1)", 0.0, 100.0,
                                   source="assumption: labs counter only for staff at least "
                                          "this skilled (1.5 ~ top 25% at skill_sigma 0.6)")


@dataclass(frozen=True)
class CloudParams:
    """Hyperscalers (big) and alternative clouds: capacity, capex and price."""

    big_capacity_h100e: float = p(3000.0, "H100e", 0.0, source="assumption (2015 AI capacity)")
    alt_capacity_h100e: float = p(1500.0, "H100e", 0.0, source="assumption; Synergy shares")
    cloud_market_usd_per_year: float = p(2.0e10, "USD/year", 0.0,
                                         source="calibration-data §4: Synergy ~28e9 (TTM "
                                                "mid-2016), so ~2e10 in 2015")
    base_revenue_growth_per_year: float = p(0.3, "1/year", -0.99, 5.0,
                                            source="calibration-data §4: 28e9 (2016) -> "
                                                   "270e9 (2023) is ~38%/yr; 30% assumed")
    big_initial_market_share: float = p(0.54, "1", **PROB,
                                        source="calibration-data §4: AWS/Azure/GCP 34/14/6% "
                                               "of the cloud market in 2017 (Synergy)")
    market_switching_per_month: float = p(0.02, "1/month", **PROB,
                                          source="assumption: share of cloud customers who "
                                                 "reconsider their provider each month")
    market_scale_exponent: float = p(1.0, "1", 0.0, 5.0,
                                     source="assumption: switching customers choose providers "
                                            "in proportion to revenue^a (1 = constant returns "
                                            "to scale)")
    operating_margin: float = p(0.3, "1", **PROB,
                                source="assumption: AWS operating margin ~25-30% (10-K)")
    big_ai_budget_share: float = p(0.02, "1", **PROB,
                                   source="assumption: in-house lab funding share of the "
                                          "owner's cloud revenue")
    initial_capacity_spread: float = p(0.2, "1", 0.0, 0.99,
                                       source="assumption: capacity uniform within +-20%")
    initial_pipeline_share: float = p(0.03, "1/month (of capacity)", 0.0, 1.0,
                                      source="assumption: capacity on order at the start")
    cash_target_months: float = p(12.0, "months of revenue", 0.0, 600.0,
                                  source="assumption: cash kept before paying out")
    payout_rate_per_month: float = p(0.1, "1/month", **PROB,
                                     source="assumption: share of excess cash paid to "
                                            "shareholders each month")
    debt_revenue_years: float = p(1.0, "years of revenue", 0.0, 20.0,
                                  source="assumption: investment-grade leverage; bounds "
                                         "capex financed on capital markets")
    interest_rate_per_year: float = p(0.05, "1/year", 0.0, 1.0,
                                      source="assumption: corporate bond yield")
    debt_term_months: int = p(60, "months", 1, 600,
                              source="assumption: five-year amortisation")
    big_initial_cash_usd: float = p(2.0e10, "USD", 0.0, source="assumption")
    alt_initial_cash_usd: float = p(5.0e8, "USD", 0.0, source="assumption")
    hw_cost_usd_per_h100e: float = p(4.0e5, "USD per H100e", 0.0, lo_open=True,
                                     source="H100 ~$30k (2023) deflated by 1.4x/yr to 2015")
    hw_life_months: float = p(60.0, "months", 0.0, lo_open=True, source="assumption")
    price_usd_per_h100e_hour: float = p(25.0, "USD/(H100e h)", 0.0, lo_open=True,
                                        source="2024 H100 ~$2/h deflated by hardware trend")
    alt_price_premium: float = p(0.0, "1", -0.9, 5.0,
                                 source="assumption: alt clouds price-compete")
    hw_cost_decline_per_year: float = p(0.30, "1/year", 0.0, 0.99,
                                        source="Hobbhahn & Besiroglu 2022: FLOP/$ x1.4/yr")
    capex_lag_months: int = p(18, "months", 0, 120, source="model-spec: 12-24 months")
    capex_reinvest_share: float = p(0.6, "1", 0.0, 1.0,
                                    source="assumption; capex out of base plus compute revenue")
    capex_headroom: float = p(0.15, "1", 0.0, 5.0, source="assumption")
    capex_price_elasticity: float = p(0.0, "1", 0.0, 10.0,
                                      source="assumption: capacity built beyond forecast "
                                             "demand while price exceeds the floor")
    capex_external_share: float = p(0.0, "1", 0.0, 1.0,
                                    source="assumption: share of the capex order beyond the "
                                           "own budget raised on capital markets")
    capex_cash_share: float = p(0.05, "1/month", 0.0, 1.0,
                                source="assumption: at most this share of cash per month")
    price_step_max: float = p(0.05, "1/month", 0.0, 1.0, lo_open=True, source="assumption")
    price_sensitivity: float = p(0.3, "1", 0.0, 10.0, source="assumption")
    target_utilisation: float = p(0.85, "1", 0.0, 1.0, lo_open=True, source="assumption")
    margin_floor: float = p(0.3, "1", 0.0, 10.0,
                            source="assumption: price >= (1+margin) x hardware cost")
    provider_size_exponent: float = p(0.5, "1", 0.0, 5.0,
                                      source="assumption: buyers favour large providers")
    provider_price_exponent: float = p(4.0, "1", 0.0, 20.0,
                                       source="assumption: price elasticity of provider choice")
    price_index: str = p("capacity", choices=("capacity", "sold"),
                         source="v2 default: capacity-weighted mean list price; 'sold' "
                                "weighs each H100e sold at the price its buyer is billed "
                                "(docs/model.md §7.9, §10)")
    spot_allocation: str = p("proportional", choices=("proportional", "wtp"),
                             source="model-spec: proportional or by willingness to pay")
    capacity_depreciation_per_year: float = p(0.2, "1/year", 0.0, 1.0,
                                              source="assumption: ~5-year GPU life")


@dataclass(frozen=True)
class StartupParams:
    """Downstream startups: founding, funding, costs, exits."""

    funding_success: float = p(0.5, "1", **PROB,
                               source="assumption: mean chance that a round closes; "
                                      "rises linearly with quality rank")
    founding_rate_per_month: float = p(2.5, "startups/month", 0.0,
                                       source="assumption (base rate, not spin-outs)")
    initial_cash_usd: float = p(4.0e6, "USD", 0.0, source="assumption: seed rounds")
    initial_staff: int = p(4, "researchers", 0, 10_000, source="assumption")
    salary_usd: float = p(1.8e5, "USD/year", 0.0, lo_open=True, source="assumption")
    other_cost_usd_per_head: float = p(1.0e4, "USD/month", 0.0, source="assumption")
    compute_h100e_per_head: float = p(0.5, "H100e", 0.0, source="assumption")
    quality_skill_weight: float = p(0.5, "OOM per log skill", 0.0, 10.0, source="assumption")
    acquisition_rate_per_month: float = p(0.003, "1/month", **PROB, source="assumption")
    equity_grant_years: float = p(0.5, "years of salary", 0.0, 20.0, source="assumption")
    max_headcount: int = p(60, "researchers", 1, 100_000, source="assumption")
    compute_cash_share: float = p(0.1, "1/month", **PROB,
                                  source="assumption: largest share of cash spent on compute")
    compute_revenue_share: float = p(0.2, "1", 0.0, 10.0,
                                     source="assumption: compute cost per revenue (inference)")
    hiring_cash_share: float = p(0.1, "1/month", **PROB,
                                 source="assumption: cash committed to staff per month")
    runway_months: float = p(6.0, "months", 0.0, 120.0,
                             source="assumption: startups raise below this runway")
    exit_cash_months: float = p(0.5, "months of costs", 0.0, 120.0,
                                source="assumption: a startup closes below this cash")
    acquirer_cash_multiple: float = p(5.0, "1 (of price)", 0.0, 1000.0,
                                      source="assumption: acquirers keep cash >= 5x price")
    academic_founder_share: float = p(0.3, "1", **PROB,
                                      source="assumption; Gofman & Jin 2024 (academic "
                                             "founders)")
    founder_stake_share: float = p(0.2, "1", **PROB,
                                   source="assumption: share of founders' wealth invested")
    valuation_cash_multiple: float = p(3.0, "1 (of seed cash)", 0.0, 1000.0,
                                       source="assumption: post-money ~3x the seed round")
    valuation_revenue_multiple: float = p(12.5, "years of revenue", 0.0, 1000.0,
                                          source="assumption: half the lab multiple")
    salary_clip_max: float = p(10.0, "1 (of base salary)", 1.0, 1000.0,
                               source="assumption")
    raise_valuation_cap: float = p(0.5, "1 (of valuation)", 0.0, 10.0,
                                   source="assumption: largest raise per month vs valuation")


@dataclass(frozen=True)
class TalentParams:
    """Researcher workforce and the logit job market (model-spec talent market)."""

    skill_sigma: float = p(0.6, "1 (lognormal sigma)", 0.0, 5.0, source="model-spec")
    pref_alpha: float = p(2.0, "1 (Beta a)", 0.0, 100.0, lo_open=True, source="assumption")
    pref_beta: float = p(2.0, "1 (Beta b)", 0.0, 100.0, lo_open=True, source="assumption")
    graduate_rate_per_year: float = p(0.08, "1/year", 0.0, 5.0,
                                      source="model-spec (~15%/yr of workforce incl. students)")
    graduate_growth_per_year: float = p(0.08, "1/year", -1.0, 1.0,
                                        source="AI Index: AI PhD output growth; at most "
                                               "doubling a year (faster outgrows memory "
                                               "within a decade, sim.params.MAX_WORKFORCE_ROWS)")
    retirement_rate_per_year: float = p(0.03, "1/year", 0.0, 1.0, source="assumption")
    search_rate_per_month: float = p(0.02, "1/month", **PROB, source="assumption")
    search_tenure_months: float = p(24.0, "months", 0.0, lo_open=True, source="assumption")
    search_wealth_usd: float = p(2.0e6, "USD", 0.0, lo_open=True, source="assumption")
    candidates: int = p(8, "employers", 1, 1000, source="assumption (limited search)")
    b_wage: float = p(1.0, "utils per log USD", 0.0, 100.0, source="assumption")
    b_compute: float = p(0.15, "utils per log H100e", 0.0, 100.0, source="assumption")
    b_prestige: float = p(1.5, "utils", 0.0, 100.0, source="assumption")
    b_safety: float = p(1.0, "utils", 0.0, 100.0, source="assumption")
    b_openness: float = p(1.5, "utils", 0.0, 100.0, source="assumption")
    switching_cost: float = p(1.0, "utils", 0.0, 100.0, source="assumption")
    equity_cost_per_salary_year: float = p(0.5, "utils per salary-year", 0.0, 100.0,
                                           source="assumption: forfeited unvested equity")
    partner_switch_discount: float = p(0.6, "1", **PROB,
                                       source="assumption: partnership talent channel")
    academic_salary_usd: float = p(9.0e4, "USD/year", 0.0, lo_open=True,
                                   source="assumption: faculty/postdoc pay")
    academic_compute_h100e_per_head: float = p(0.05, "H100e (2015 prices)", 0.0,
                                               source="assumption (2015 academic GPUs); "
                                                      "grows as hardware gets cheaper")
    academic_hiring_share: float = p(0.25, "1/year", 0.0, 5.0,
                                     source="assumption: academic posts per head per year")
    academia_safety: float = p(0.5, "1", **PROB, source="assumption: safety culture of academia")
    academia_openness: float = p(1.0, "1", **PROB, source="academia publishes")
    startup_safety: float = p(0.2, "1", **PROB, source="assumption")
    startup_openness: float = p(0.4, "1", **PROB, source="assumption")
    startup_prestige: float = p(0.2, "1", **PROB, source="assumption")
    skill_salary_elasticity: float = p(0.7, "1", 0.0, 5.0, source="assumption")
    vesting_months: int = p(48, "months", 1, 600, source="industry practice: 4-year vesting")
    savings_share: float = p(0.3, "1", **PROB, source="assumption")
    spinout_rate_per_month: float = p(0.0005, "1/month", **PROB,
                                      source="assumption; Gofman & Jin 2024 (founding)")
    spinout_wealth_usd: float = p(1.0e6, "USD", 0.0, lo_open=True, source="assumption")
    partner_visibility: float = p(0.5, "1", **PROB,
                                  source="assumption: chance that a partnered startup's "
                                         "partner lab is among a searcher's candidates")
    academia_prestige: float = p(0.8, "1", **PROB, source="assumption")
    initial_tenure_max_months: float = p(60.0, "months", 0.0, 600.0,
                                         source="assumption: tenure uniform at the start")
    academic_budget_usd_per_head_year: float = p(1.2e5, "USD/year per initial academic", 0.0,
                                                 source="assumption: salary plus compute "
                                                        "and overhead per academic (2015)")
    academic_budget_growth_per_year: float = p(0.05, "1/year", -0.99, 5.0,
                                               source="assumption: research budgets grow "
                                                      "~5%/yr nominal")


@dataclass(frozen=True)
class CapitalParams:
    """Investor money, the AI product market and valuations."""

    investor_usd_per_month: float = p(4.0e8, "USD/month", 0.0,
                                      source="assumption; AI VC ~$5B/yr in 2015 (CB Insights)")
    investor_growth_per_year: float = p(0.15, "1/year", -0.99, 5.0, source="assumption")
    hype_elasticity: float = p(0.5, "OOM per OOM", 0.0, 5.0,
                               source="assumption: investor supply follows realised AI "
                                      "revenue (expected returns)")
    investor_max_gdp_share: float = p(0.005, "1", 0.0, 1.0,
                                      source="assumption: global VC peaked ~0.6% of world "
                                             "GDP (2021)")
    gdp_usd_per_year: float = p(7.5e13, "USD/year", 0.0, lo_open=True,
                                source="World Bank: world GDP 2015 ~7.5e13 USD")
    gdp_growth_per_year: float = p(0.035, "1/year", -0.5, 1.0,
                                   source="IMF: world nominal growth ~3-5%/yr")
    ai_budget_gdp_share: float = p(0.02, "1", 0.0, 1.0, lo_open=True,
                                   source="assumption: ceiling of AI spending; world IT "
                                          "spending ~4-5% of GDP (Gartner)")
    adoption_price_elasticity: float = p(0.3, "1", 0.0, 5.0,
                                         source="assumption: cheaper compute widens adoption")
    valuation_change_clip: float = p(0.1, "1/month", 0.0, 10.0,
                                     source="assumption: staff equity moves at most 10%/month")
    alt_cloud_spare_share: float = p(0.1, "1 (of capacity)", 0.0, 10.0,
                                     source="assumption: spare capacity alt clouds raise for")
    lab_capital_share: float = p(0.6, "1", **PROB, source="assumption")
    alt_cloud_capital_share: float = p(0.15, "1", **PROB,
                                       source="assumption; CoreWeave-type neocloud financing")
    valuation_weight_exponent: float = p(0.5, "1", 0.0, 5.0,
                                         source="assumption: investors spread bets")
    ai_market_usd_per_month: float = p(2.5e7, "USD/month", 0.0, lo_open=True,
                                       source="calibration-data §3: labs' revenue ~1e8/yr in "
                                              "2015-16 (DeepMind GBP 40M in 2016) at the "
                                              "direct share; startups' sales the rest")
    market_elasticity: float = p(0.15, "OOM per OOM", 0.0, 5.0,
                                 source="assumption: AI spending grows with frontier "
                                        "capability below saturation")
    market_logit_per_oom: float = p(1.0, "1/OOM", 0.0, 100.0, source="assumption")
    direct_market_share: float = p(0.6, "1", **PROB,
                                   source="assumption: labs' own products vs downstream")
    api_fee_share: float = p(0.3, "1", **PROB, source="assumption: API cost share")
    valuation_revenue_multiple: float = p(25.0, "years of revenue", 0.0,
                                          source="press: OpenAI $157B on ~$4B (2024)")
    valuation_rank_premium_usd: float = p(2.0e9, "USD", 0.0, source="assumption")
    startup_logit_per_oom: float = p(2.0, "1/OOM", 0.0, 100.0, source="assumption")
    open_model_lag_oom: float = p(1.0, "OOM", 0.0, 10.0,
                                  source="Epoch AI: open models ~1 year behind")


@dataclass(frozen=True)
class SafetyParams:
    """Race pressure, safety share and openness of labs (model-spec equations)."""

    mode: str = p("expected_value", choices=("expected_value", "heuristic", "best_response"),
                  source="model v2: labs weigh the value of speed against expected "
                         "incident losses; heuristic and best_response as named modes")
    value_pressure_weight: float = p(1.0, "1", 0.0, 10.0,
                                     source="assumption: race pressure raises the value a "
                                            "lab puts on speed by (1 + w pressure)")
    k_pressure: float = p(0.7, "1", 0.0, 10.0, source="assumption")
    gap_scale_oom: float = p(0.3, "OOM", 0.0, 10.0, lo_open=True,
                             source="model-spec: rivals within a few tenths of an OOM")
    w_gap: float = p(0.5, "1", 0.0, 10.0, source="assumption")
    w_contenders: float = p(0.2, "1", 0.0, 10.0, source="assumption")
    w_enmity: float = p(0.2, "1", 0.0, 10.0, source="assumption")
    w_investor: float = p(0.4, "1", 0.0, 10.0, source="assumption")
    k_openness: float = p(1.0, "1", 0.0, 10.0, source="assumption (secrecy mechanism)")
    k_commercial: float = p(1.5, "1", 0.0, 10.0, source="assumption")
    adjust_rate: float = p(0.3, "1/month", 0.0, 1.0, lo_open=True,
                           source="assumption: partial adjustment of s and o")
    br_mu: float = p(1.0, "capability units", 0.0, 100.0, lo_open=True,
                     source="Armstrong et al. 2016: capability ~ U[0, mu]")
    br_safety_cost: float = p(1.0, "capability units", 0.0, 100.0,
                              source="Armstrong et al. 2016: score c - s")
    br_information: str = p("public", choices=("none", "public"),
                            source="Armstrong et al. 2016 information cases")
    br_capability_scale: float = p(1.0, "capability units per OOM", 0.0, 100.0,
                                   source="assumption")
    br_grid: int = p(201, "points", 11, 100_001, source="numerical")


@dataclass(frozen=True)
class IncidentParams:
    """Incident hazard ``h = h0 10^(eta (C - C_ref)) (1 - s)^gamma`` per lab-month."""

    h0: float = p(0.01, "1/month", 0.0, 1.0,
                  source="calibration-data §11 (assumption): AI Incident Database ~35 "
                         "entries/yr 2014-19, a share of them from frontier labs")
    eta: float = p(0.1, "1/OOM", 0.0, 10.0,
                   source="calibration-data §11 (assumption): entries x3.5 from 2014-19 to "
                          "2023 while the frontier grew ~5-6 OOM")
    c_ref_oom: float = p(22.0, "log10 effective FLOP", 0.0, 100.0,
                         source="about the 2015 frontier (largest run ~4e20 FLOP plus "
                                "algorithmic efficiency)")
    gamma: float = p(2.0, "1", 0.0, 10.0, source="assumption")
    severity_alpha: float = p(1.5, "1 (Pareto tail index)", 0.1, 10.0, lo_open=True,
                              source="assumption: heavy-tailed incident severity")
    major_severity: float = p(20.0, "severity units", 1.0, 1e6,
                              source="assumption: major if severity >= 20 (about 1% of "
                                     "incidents at alpha 1.5); none by 2024")
    customer_loss_per_severity: float = p(0.02, "1 per severity unit", 0.0, 1.0,
                                          source="assumption: share of a lab's customers "
                                                 "lost per unit of severity (capped at 1)")
    valuation_loss_per_severity: float = p(0.01, "1 per severity unit", 0.0, 1.0,
                                           source="assumption: immediate valuation loss")
    trust_recovery_per_month: float = p(0.05, "1/month", 0.0, 1.0,
                                        source="assumption: customers return slowly")


@dataclass(frozen=True)
class KnowledgeParams:
    """Public knowledge stock: published lab progress plus academic output."""

    publish_spillover: float = p(0.3, "1", 0.0, 1.0,
                                 source="assumption: share of labs' published progress (summed "
                                        "over labs) that enters the public stock")
    academic_rate_oom_per_month: float = p(0.01, "OOM/month", 0.0, 1.0,
                                           source="assumption (v1 set it so that frontier "
                                                  "effective compute grew ~1.1 OOM/yr)")
    academic_public_elasticity: float = p(0.5, "1/OOM", 0.0, 5.0,
                                          source="assumption: academic output falls 10^-k "
                                                 "per OOM that the public stock lags labs")
    academic_ref_compute_h100e: float = p(1000.0, "H100e-skill", 0.0, lo_open=True,
                                          source="assumption")
    academic_returns: float = p(0.4, "1", 0.0, 1.0, source="assumption")
    public_lag_oom: float = p(0.5, "OOM", 0.0, 10.0,
                              source="assumption: initial public stock behind labs")
    prestige_smoothing: float = p(0.1, "1/month", 0.0, 1.0, lo_open=True, source="assumption")


@dataclass(frozen=True)
class PartnershipParams:
    """Upstream deals: hyperscaler capital and compute credits for lab equity."""

    enabled: bool = p(True, source="model-spec")
    deal_size_valuation_share: float = p(0.25, "1 (of lab valuation)", 0.0, 10.0,
                                         source="MSFT-OpenAI $10B on ~$29B (2023)")
    equity_share: float = p(0.2, "1", **PROB, source="Google-Anthropic ~10% for $300M")
    credit_share: float = p(0.5, "1", **PROB,
                            source="press: large parts of deals are cloud credits")
    credit_discount: float = p(0.2, "1", 0.0, 0.99, source="assumption")
    exclusivity: bool = p(True, source="MSFT-OpenAI 2019 (Azure exclusive)")
    deal_length_months: int = p(48, "months", 1, 1200, source="Google-Anthropic: 4 years")
    offer_top_k: int = p(4, "labs", 1, 1000, source="assumption: offers go to top labs")
    offer_prob_per_month: float = p(0.25, "1/month", **PROB,
                                    source="assumption: clouds review deals about quarterly")
    max_labs_per_hyperscaler: int = p(1, "labs", 1, 100, source="assumption")
    need_ratio: float = p(2.0, "1 (of frontier compute)", 0.0, 100.0,
                          source="assumption: labs aim at twice the frontier's compute")
    hurdle_rate: float = p(0.1, "1", 0.0, 10.0,
                           source="assumption: return over cost a hyperscaler requires")
    valuation_noise: float = p(0.3, "1 (lognormal sigma)", 0.0, 5.0,
                               source="assumption: disagreement on the lab's value")
    compute_premium: float = p(0.5, "1", 0.0, 10.0,
                               source="assumption: value of scarce compute above face value "
                                      "to a compute-constrained lab")
    exclusivity_cost: float = p(0.05, "1 (of lab value)", 0.0, 1.0,
                                source="assumption: value a lab loses to cloud lock-in")
    offer_cooldown_months: int = p(12, "months", 0, 1200,
                                   source="assumption: wait after a declined offer")
    cash_cap_share: float = p(0.2, "1 (of investor cash)", 0.0, 1.0,
                              source="assumption: largest deal cash vs the cloud's cash")
    nonexclusive_spend_share: float = p(0.5, "1", **PROB,
                                        source="assumption: share of a non-exclusive partner "
                                               "lab's compute spend the investing cloud expects")
    profit_share: float = p(0.2, "1", **PROB,
                            source="calibration-data §6: MSFT took 75% of OpenAI profits "
                                   "until recouped; 20% assumed for the typical deal")
    offer_stream: str = p("capital", choices=("capital", "deals"),
                          source="numerical: offers draw from the capital stream after "
                                 "startups' funding draws (v2); 'deals' gives them a stream "
                                 "of their own, so contrasts of other levers share offer draws "
                                 "(docs/model.md §3.3)")


@dataclass(frozen=True)
class DownstreamParams:
    """Downstream partnerships of startups with labs/hyperscalers (model-spec)."""

    mode: str = p("share", choices=("share", "profit"), source="model-spec")
    partner_share: float = p(0.3, "1", **PROB, source="main sweep lever (assumption)")
    early_access_lead_months: float = p(6.0, "months", 0.0, 120.0,
                                        source="model-spec: a few months of frontier progress")
    cross_selling_share: float = p(0.15, "1", 0.0, 10.0,
                                   source="assumption: extra revenue via partner's customers")
    partner_revenue_share: float = p(0.4, "1", **PROB,
                                     source="assumption: revenue routed to partner lab")
    hyperscaler_cut: float = p(0.3, "1", **PROB, source="assumption: cut of cross-selling")
    alt_cloud_share: float = p(0.3, "1", **PROB,
                               source="assumption: independents on alternative clouds")
    api_share: float = p(0.5, "1", **PROB,
                         source="assumption: independents buying a lab API vs open models")
    reconsider_rate_per_month: float = p(0.02, "1/month", **PROB, source="assumption")


@dataclass(frozen=True)
class GovernanceParams:
    """Policy levers: antitrust, exclusivity, safety floors, public compute, etc."""

    antitrust_share_threshold: float = p(1.0, "1 (compute share)", **PROB,
                                         source="policy lever; 1 = no share test")
    antitrust: bool = p(False, source="policy lever: merger-style review of upstream deals")
    antitrust_hhi_threshold: float = p(0.18, "1 (HHI)", **PROB,
                                       source="US Merger Guidelines 2023: HHI > 1,800 is "
                                              "highly concentrated")
    antitrust_hhi_delta: float = p(0.01, "1 (HHI)", **PROB,
                                   source="US Merger Guidelines 2023: change > 100")
    incident_safety_floor: float = p(0.0, "1", **PROB,
                                     source="policy lever: floor imposed after a major "
                                            "incident (0 = no response)")
    incident_response_months: int = p(24, "months", 1, 1200,
                                      source="assumption: duration of the response")
    buyback_cash_share: float = p(0.25, "1 (of cash)", **PROB,
                                  source="assumption: largest buyback vs the lab's cash")
    exclusivity_ban: bool = p(False, source="policy lever")
    safety_floor: float = p(0.0, "1", **PROB, source="policy lever")
    safety_floor_compute_h100e: float = p(0.0, "H100e", 0.0,
                                          source="policy lever: floor above this compute")
    public_compute_h100e_per_academic: float = p(0.0, "H100e", 0.0,
                                                 source="policy lever (e.g. NAIRR)")
    noncompete_penalty: float = p(0.0, "utils", 0.0, 100.0, source="policy lever")
    buyback_share: float = p(0.1, "1 (of vested equity)", **PROB,
                             source="OpenAI tender offer 2024 (secondary)")
    buyback_interval_months: int = p(12, "months", 1, 1200, source="assumption")
    buyback_min_valuation_usd: float = p(1.0e9, "USD", 0.0, source="assumption")


@dataclass(frozen=True)
class SimParams:
    """All parameters of one simulation run.

    ``seed`` is the root of every random stream; ``steps`` the horizon in months.
    """

    seed: int = p(20151, "1", 0, 2**63 - 1, source="fixed default seed")
    steps: int = p(120, "months", 1, 100_000, source="model-spec: 10 years")
    scenario: ScenarioParams = field(default_factory=ScenarioParams)
    labs: LabParams = field(default_factory=LabParams)
    clouds: CloudParams = field(default_factory=CloudParams)
    startups: StartupParams = field(default_factory=StartupParams)
    talent: TalentParams = field(default_factory=TalentParams)
    capital: CapitalParams = field(default_factory=CapitalParams)
    safety: SafetyParams = field(default_factory=SafetyParams)
    incidents: IncidentParams = field(default_factory=IncidentParams)
    knowledge: KnowledgeParams = field(default_factory=KnowledgeParams)
    partnership: PartnershipParams = field(default_factory=PartnershipParams)
    downstream: DownstreamParams = field(default_factory=DownstreamParams)
    governance: GovernanceParams = field(default_factory=GovernanceParams)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _check_value(key: str, value: Any, tp: Any, meta: Mapping[str, Any]) -> Any:
    """Coerce and check one leaf value; raise ParamError naming ``key`` on failure."""
    if tp is bool:
        if not isinstance(value, bool):
            raise ParamError(f"{key}={value!r}: expected a boolean (true/false)")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ParamError(f"{key}={value!r}: expected an integer")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(f"{key}={value!r}: expected a number")
        value = float(value)
        if not math.isfinite(value):
            raise ParamError(f"{key}={value!r}: expected a finite number")
    elif tp is str:
        if not isinstance(value, str):
            raise ParamError(f"{key}={value!r}: expected a string")
    lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices")
    if choices is not None and value not in choices:
        raise ParamError(f"{key}={value!r}: unknown name; allowed: {', '.join(choices)}")
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        rel = ">" if meta.get("lo_open") else ">="
        bound = f"{rel} {lo}" + (f" and <= {hi}" if hi is not None else "")
        raise ParamError(f"{key}={value!r}: must be {bound}")
    if hi is not None and value > hi:
        bound = f"<= {hi}" + (f" and >= {lo}" if lo is not None else "")
        raise ParamError(f"{key}={value!r}: must be {bound}")
    return value


def _build(cls: type, data: Mapping[str, Any], prefix: str) -> Any:
    if not isinstance(data, Mapping):
        raise ParamError(f"{prefix or 'config'}={data!r}: expected a mapping of parameters")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        where = prefix or "top level"
        raise ParamError(
            f"{prefix + '.' if prefix else ''}{unknown[0]}={data[unknown[0]]!r}: unknown key in "
            f"{where}; allowed: {', '.join(sorted(known))}"
        )
    kwargs = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        tp = hints[name]
        if dataclasses.is_dataclass(tp):
            kwargs[name] = _build(tp, value, key)
        else:
            kwargs[name] = _check_value(key, value, tp, known[name].metadata)
    obj = cls(**kwargs)
    for f in dataclasses.fields(cls):
        if f.name not in data and not dataclasses.is_dataclass(hints[f.name]):
            key = f"{prefix}.{f.name}" if prefix else f.name
            _check_value(key, getattr(obj, f.name), hints[f.name], f.metadata)
    return obj


#: Largest workforce, in simulated researchers (rows), that a run may reach: the
#: upper bound of ``scenario.n_researchers``. A row takes about 200 bytes of memory,
#: and up to about 500 in months when most rows search (the talent market's option
#: arrays), so the bound keeps a run within a few GB.
MAX_WORKFORCE_ROWS = 10_000_000
#: Largest talent market, in (researcher, option) pairs: rows times ``talent.candidates
#: + 1`` (the current employer). Each pair takes about 40 bytes in the month's option
#: arrays when every row searches; the bound is the default's 9 options at the row bound.
MAX_MARKET_OPTIONS = 9 * MAX_WORKFORCE_ROWS


def projected_workforce_rows(params: SimParams) -> tuple[float, int]:
    """Expected simulated researchers at their peak over the run, and the month of the peak.

    Rows follow ``rows(t+1) = rows(t) (1 - retirement / 12) + graduates(t)`` with
    ``graduates(t) = graduate_rate / 12 * n_researchers * (1 + graduate_growth)^(t / 12)``,
    the expectation of the demography of docs/model.md §7.12. The loop stops early
    once the bound :data:`MAX_WORKFORCE_ROWS` is passed.

    Args:
        params: Parameters (the scenario, talent and horizon are read).

    Returns:
        The peak (rows; may be ``inf``) and its month.
    """
    tp, n = params.talent, float(params.scenario.n_researchers)
    keep = 1.0 - tp.retirement_rate_per_year / 12.0
    monthly_growth = (1.0 + tp.graduate_growth_per_year) ** (1.0 / 12.0)
    rows, grads, peak, peak_t = n, tp.graduate_rate_per_year / 12.0 * n, n, 0
    for t in range(params.steps):
        rows = rows * keep + grads
        grads *= monthly_growth
        if rows > peak:
            peak, peak_t = rows, t + 1
            if peak > MAX_WORKFORCE_ROWS:
                break
    return peak, peak_t


def _cross_check(params: SimParams) -> None:
    sc, cp, tp = params.scenario, params.capital, params.talent
    rows, month = projected_workforce_rows(params)
    if rows > MAX_WORKFORCE_ROWS:
        raise ParamError(
            f"talent.graduate_growth_per_year={tp.graduate_growth_per_year}: with "
            f"talent.graduate_rate_per_year={tp.graduate_rate_per_year}, "
            f"talent.retirement_rate_per_year={tp.retirement_rate_per_year}, "
            f"scenario.n_researchers={sc.n_researchers} and steps={params.steps} the workforce "
            f"would reach about {rows:.3g} simulated researchers by month {month}; allowed: at "
            f"most {MAX_WORKFORCE_ROWS:,} (lower the growth, the horizon or n_researchers)")
    if rows * (tp.candidates + 1) > MAX_MARKET_OPTIONS:
        raise ParamError(
            f"talent.candidates={tp.candidates}: with about {rows:.3g} simulated researchers "
            f"at the workforce's peak (month {month}) the talent market would weigh "
            f"{rows * (tp.candidates + 1):.3g} options; allowed: at most {MAX_MARKET_OPTIONS:,} "
            "(fewer candidates or simulated researchers)")
    if cp.lab_capital_share + cp.alt_cloud_capital_share > 1.0:
        raise ParamError(
            f"capital.lab_capital_share={cp.lab_capital_share} + capital.alt_cloud_capital_share="
            f"{cp.alt_cloud_capital_share}: must sum to <= 1 (startups get the rest)")
    if sc.n_inhouse_labs > sc.n_labs:
        raise ParamError(
            f"scenario.n_inhouse_labs={sc.n_inhouse_labs}: must be <= scenario.n_labs={sc.n_labs}"
        )
    if sc.n_inhouse_labs > 0 and sc.n_big_clouds == 0:
        raise ParamError(
            f"scenario.n_inhouse_labs={sc.n_inhouse_labs}: in-house labs need an owner; "
            "allowed: 0 when scenario.n_big_clouds=0"
        )
    if sc.n_big_clouds + sc.n_alt_clouds == 0:
        raise ParamError("scenario.n_big_clouds=0 and scenario.n_alt_clouds=0: "
                         "at least one cloud is required")


def from_dict(data: Mapping[str, Any]) -> SimParams:
    """Build validated :class:`SimParams` from a nested mapping.

    Missing keys take their defaults; unknown keys, wrong types, values outside
    their range and unknown choice names raise :class:`ParamError`.

    Args:
        data: Nested mapping, e.g. ``{"seed": 7, "talent": {"candidates": 12}}``.

    Returns:
        The validated, frozen parameters.

    Raises:
        ParamError: The first offending key, with its value and what is allowed.
    """
    params = _build(SimParams, data, "")
    _cross_check(params)
    return params


def to_dict(params: Any) -> dict[str, Any]:
    """Return parameters as a plain nested dict (tuples as lists)."""
    return dataclasses.asdict(params)


def replace(params: SimParams, **changes: Any) -> SimParams:
    """Return a copy with dotted-key changes applied and validated.

    Args:
        params: Base parameters.
        **changes: Keys with ``__`` for nesting, e.g. ``downstream__partner_share=0.5``.

    Returns:
        New validated parameters.
    """
    data = to_dict(params)
    for dotted, value in changes.items():
        parts = dotted.split("__")
        node = data
        for part in parts[:-1]:
            if part not in node or not isinstance(node[part], dict):
                raise ParamError(f"{'.'.join(parts)}: unknown key")
            node = node[part]
        if parts[-1] not in node:
            allowed = ", ".join(sorted(node))
            raise ParamError(f"{'.'.join(parts)}={value!r}: unknown key; allowed: {allowed}")
        node[parts[-1]] = value
    return from_dict(data)


def iter_fields(cls: type = SimParams, prefix: str = "") -> typing.Iterator[tuple[str, Any, dict]]:
    """Yield ``(dotted_key, default, metadata)`` for every leaf parameter.

    Args:
        cls: Dataclass to walk.
        prefix: Dotted prefix for nested classes.

    Yields:
        One tuple per leaf parameter.
    """
    hints = typing.get_type_hints(cls)
    default = cls()
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        if dataclasses.is_dataclass(hints[f.name]):
            yield from iter_fields(hints[f.name], key)
        else:
            yield key, getattr(default, f.name), dict(f.metadata)


__all__ = [
    "CapitalParams", "CloudParams", "DownstreamParams", "GovernanceParams", "IncidentParams",
    "KnowledgeParams", "LabParams", "ParamError", "PartnershipParams", "SafetyParams",
    "ScenarioParams", "SimParams", "StartupParams", "TalentParams", "from_dict", "iter_fields",
    "replace", "to_dict",
]
