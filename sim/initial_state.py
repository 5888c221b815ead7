"""The initial state of a run, in 2015 levels (docs/model.md §5).

Builds the organisation table, the ledger with every organisation's initial
cash (from investors), the talent pools, clouds, labs, startups and the
researcher workforce. Draws come from the ``init`` stream (and the
``demography`` and ``downstream`` streams for researchers' traits and
startups' access modes), always in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.agents.cloud import Clouds, Hyperscaler
from sim.agents.lab import FrontierLab, Labs
from sim.agents.talent_pool import TalentPool, TalentPools
from sim.economy.exogenous import Exogenous
from sim.economy.ledger import INVESTORS, Ledger
from sim.knowledge import Knowledge
from sim.markets.capital import logit_shares
from sim.markets.compute import HOURS_PER_MONTH
from sim.orgs import ACADEMIA, HYPERSCALER, LAB, ORIGIN_OTHER, STARTUP, Orgs
from sim.params import SimParams
from sim.populations.startups import DownstreamPolicy, Startups, Suppliers
from sim.populations.workforce import K_ACAD, K_HYPER, K_LAB, FlowLog, Workforce


@dataclass
class World:
    """Everything a run's state consists of, as built at month 0.

    Attributes:
        orgs: Organisation table.
        ledger: Double-entry book.
        flows: Researcher moves.
        pools: Talent pools.
        clouds: Cloud providers.
        labs: Frontier labs.
        startups: Startup population.
        workforce: Researcher population.
        exo: Exogenous trends.
        knowledge: Public knowledge stock.
    """

    orgs: Orgs
    ledger: Ledger
    flows: FlowLog
    pools: TalentPools
    clouds: Clouds
    labs: Labs
    startups: Startups
    workforce: Workforce
    exo: Exogenous
    knowledge: Knowledge


def suppliers(labs: Labs, clouds: Clouds, knowledge: Knowledge, lead_months: float,
              logit_per_oom: float) -> Suppliers:
    """What startups choose among now: labs' capability and clouds, and the early-access lead.

    Args:
        labs: The frontier labs.
        clouds: The cloud providers.
        knowledge: The public knowledge stock (the frontier's recent growth).
        lead_months: Months of frontier growth that early access is ahead.
        logit_per_oom: Sensitivity of a startup's choice of lab to capability (1/OOM).
    """
    caps = labs.capabilities()
    big = np.array([h.provider for h in clouds.big], dtype=np.int64)
    alt = np.array([h.provider for h in clouds.members if not h.big], dtype=np.int64)
    cdf = logit_shares(caps, logit_per_oom).cumsum()
    cdf[-1] = max(cdf[-1], 1.0)
    return Suppliers(caps, labs.org_ids, labs.providers(), big, alt, clouds.org_ids,
                     lead_months * knowledge.frontier_growth_oom_per_month(), cdf,
                     float(caps.max()), np.array([alt.size, big.size]))


def build(model: mesa.Model, p: SimParams, rngs: dict[str, np.random.Generator],
          downstream_policy: DownstreamPolicy) -> World:
    """Build the state of month 0 (docs/model.md §5).

    Args:
        model: The Mesa model the agents belong to.
        p: Validated parameters.
        rngs: One generator per component (``init``, ``demography``, ``downstream`` used here).
        downstream_policy: Access-mode policy of startups.

    Returns:
        The world at month 0.
    """
    rng, sc, c, lp = rngs["init"], p.scenario, p.clouds, p.labs
    cap = sc.n_pools + sc.n_labs + sc.n_big_clouds + sc.n_alt_clouds + 2 * sc.n_startups + 16
    orgs = Orgs(cap)
    years = int(np.ceil(p.steps / 12)) + 1
    ledger = Ledger(cap, years)
    flows = FlowLog(years)

    weights = rng.dirichlet(np.full(sc.n_pools, sc.pool_weight_concentration))
    pool_ids = orgs.add(sc.n_pools, ACADEMIA, K_ACAD)
    pools = TalentPools([TalentPool(model, int(o), f"Academia-{i + 1}", float(w))
                         for i, (o, w) in enumerate(zip(pool_ids, weights, strict=True))], p)
    orgs.salary_usd[pool_ids] = p.talent.academic_salary_usd
    orgs.safety[pool_ids] = p.talent.academia_safety
    orgs.openness[pool_ids] = p.talent.academia_openness
    orgs.prestige[pool_ids] = p.talent.academia_prestige

    n_cloud = sc.n_big_clouds + sc.n_alt_clouds
    n_alt = sc.n_alt_clouds
    big_share = c.big_initial_market_share if n_alt else 1.0
    big_share = big_share if sc.n_big_clouds else 0.0
    members = []
    for k, org in enumerate(orgs.add(n_cloud, HYPERSCALER, K_HYPER)):
        big = k < sc.n_big_clouds
        size = (c.big_capacity_h100e if big else c.alt_capacity_h100e) * rng.uniform(
            1.0 - c.initial_capacity_spread, 1.0 + c.initial_capacity_spread)
        price = c.price_usd_per_h100e_hour * (1.0 if big else 1.0 + c.alt_price_premium)
        name = f"Cloud-{k + 1}" if big else f"AltCloud-{k - sc.n_big_clouds + 1}"
        share = big_share / sc.n_big_clouds if big else (1.0 - big_share) / n_alt
        h = Hyperscaler(model, int(org), k, name, big, size, price, c.capex_lag_months, share)
        h.pipeline_h100e[:] = size * c.initial_pipeline_share
        members.append(h)
        ledger.transfer(INVESTORS, int(org),
                        c.big_initial_cash_usd if big else c.alt_initial_cash_usd, "initial_cash")
    clouds = Clouds(members)

    n = sc.n_researchers
    people_per_row = sc.represented_researchers / n if sc.represented_researchers > 0 else 1.0
    n_acad = round(n * sc.academia_share_initial)
    exo = Exogenous(p, max(n_acad, 1) * people_per_row)
    lab_list = []
    for i, org in enumerate(orgs.add(sc.n_labs, LAB, K_LAB)):
        owner = clouds.big[i % len(clouds.big)] if i < sc.n_inhouse_labs else None
        lab = FrontierLab(
            model, int(org), f"{owner.name} AI" if owner is not None else f"Lab-{i + 1}",
            capability_oom=0.0, alg_eff_oom=-lp.initial_alg_spread_oom * rng.random(),
            s_base=float(np.clip(lp.s_base_mean + lp.s_base_spread * rng.uniform(-1, 1), 0, 1)),
            o_base=float(np.clip(lp.o_base_mean + lp.o_base_spread * rng.uniform(-1, 1), 0, 1)),
            enmity=float(np.clip(lp.enmity_mean + lp.enmity_spread * rng.uniform(-1, 1), 0, 1)),
            owner=owner)
        if owner is not None:
            orgs.flow_kind[org] = K_HYPER
        cash = lp.initial_cash_usd * rng.lognormal(0.0, lp.initial_cash_spread)
        ledger.transfer(INVESTORS, int(org), cash, "initial_cash")
        est = cash * lp.cash_burn_share * lp.compute_budget_share / (
            c.price_usd_per_h100e_hour * HOURS_PER_MONTH)
        lab.capability_oom = lab.alg_eff_oom + float(np.log10(max(exo.training_flop(0, est),
                                                                  1.0)))
        lab_list.append(lab)
    caps = np.array([lab.capability_oom for lab in lab_list])
    labs = Labs(lab_list, logit_shares(caps, p.capital.market_logit_per_oom))
    orgs.safety[labs.org_ids] = labs.array("safety")
    orgs.openness[labs.org_ids] = labs.array("openness")
    orgs.salary_usd[labs.org_ids] = lp.salary_usd
    orgs.prestige[labs.org_ids] = lp.prestige
    knowledge = Knowledge(p.knowledge,
                          max(lab.alg_eff_oom for lab in lab_list) - p.knowledge.public_lag_oom)

    startups = Startups(p, orgs, ledger, downstream_policy)
    startups.found(sc.n_startups, ORIGIN_OTHER, -1, True,
                   suppliers(labs, clouds, knowledge, p.downstream.early_access_lead_months,
                             p.capital.market_logit_per_oom),
                   rngs["downstream"])

    wf = Workforce(p, orgs, flows, n, people_per_row)
    n_lab = round(n * lp.initial_staff_share) if lab_list else 0
    n_start = n - n_acad - n_lab
    st = orgs.ids(STARTUP)
    employers = np.concatenate([
        rng.choice(pool_ids, n_acad, p=weights),
        rng.choice(labs.org_ids, n_lab) if n_lab else np.zeros(0, np.int64),
        np.zeros(0, np.int64) if n_start <= 0
        else rng.choice(pool_ids, n_start, p=weights) if st.size == 0
        else rng.choice(st, n_start),
    ])
    rows = wf.add(employers.astype(np.int64), rngs["demography"], p.talent.skill_sigma,
                  p.talent.pref_alpha, p.talent.pref_beta, graduate=False)
    wf.tenure_months[rows] = rng.uniform(0, p.talent.initial_tenure_max_months, rows.size)
    wf.count_staff()
    labs.set_pay(p, ledger, orgs, n * people_per_row)
    startups.set_pay(lp.salary_cash_elasticity, lp.salary_clip_min)
    pools.set_pay(orgs, exo.academic_budget_usd(0))
    wf.salary_usd[rows] = wf.pay(rows)
    industry = orgs.kind[wf.employer[rows]] != ACADEMIA
    wf.unvested_equity_usd[rows] = np.where(
        industry, wf.grant_years(wf.employer[rows]) * wf.salary_usd[rows]
        * rng.random(rows.size), 0.0)
    return World(orgs, ledger, flows, pools, clouds, labs, startups, wf, exo, knowledge)
