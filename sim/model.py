"""The race model: organisations as Mesa agents, researchers as arrays.

``RaceModel.step`` runs the nine phases of model-spec "Order of a step" in
order. Each phase decides on the state at its start and commits all decisions
at once, so results do not depend on agent order. Every random draw comes
from a generator spawned from the run's seed with ``numpy.random.SeedSequence``
(one stream per component). Money moves only through the double-entry
:class:`sim.ledger.Ledger`; researcher moves are logged in the flow matrix.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import mesa
import numpy as np

from sim import metrics
from sim.agents import Contract, FrontierLab, Hyperscaler, Startup, TalentPool
from sim.agents.startup import API, ORIGIN_ACADEMIA, ORIGIN_LAB, ORIGIN_OTHER, PARTNER
from sim.economy.capital import (
    bloc_hhi,
    cloud_deal_value_usd,
    debt_service_usd,
    investor_supply_usd,
    lab_accepts_deal,
)
from sim.economy.demand import adoption, economy_usd_per_month, provider_shares, purchase_shares
from sim.ledger import CUSTOMERS, GOVERNMENT, HARDWARE, HOUSEHOLDS, INVESTORS, SUPPLIERS, Ledger
from sim.markets.capital import allocate_capped, logit_shares, valuation_usd
from sim.markets.compute import HOURS_PER_MONTH, clear_compute, update_price
from sim.markets.race import (
    capped_severity_mean,
    hazard,
    incident_severity,
    openness,
    race_pressure,
)
from sim.markets.talent import (
    accept_applicants,
    choose_employer,
    sample_candidates,
    search_probability,
)
from sim.orgs import ACADEMIA, HYPERSCALER, LAB, STARTUP, Orgs
from sim.params import SimParams
from sim.policies import DOWNSTREAM, SAFETY
from sim.policies.downstream import DownstreamInputs
from sim.policies.safety import SafetyInputs
from sim.results import FLOW_KINDS, Results
from sim.workforce import Workforce

PHASES = ("demography", "capital", "compute", "talent", "labs", "downstream", "incidents",
          "accounting", "metrics")
STREAMS = ("init", "demography", "capital", "compute", "talent", "downstream", "incidents",
           "accounting")
K_ACAD, K_LAB, K_STARTUP, K_HYPER, K_ENTRY, K_EXIT = range(len(FLOW_KINDS))


class RaceModel(mesa.Model):
    """AI-industry race with upstream/downstream partnerships and a talent market.

    Args:
        params: Validated parameters.
        seed: Root seed; one child generator per component is spawned from it.
        audit: Record per-step accounting snapshots in ``self.audit`` (for tests).
    """

    def __init__(self, params: SimParams, seed: int, audit: bool = False) -> None:
        super().__init__(rng=seed)
        self.p = params
        self.seed_value = seed
        self.safety_policy = SAFETY.get(params.safety.mode)
        self.downstream_policy = DOWNSTREAM.get(params.downstream.mode)
        children = np.random.SeedSequence(seed).spawn(len(STREAMS))
        self.rngs = {name: np.random.default_rng(s) for name, s in
                     zip(STREAMS, children, strict=True)}
        self.t = 0
        self.audit_enabled = audit
        self.audit: list[dict] = []
        self.phase_seconds = dict.fromkeys(PHASES, 0.0)
        self.series = metrics.allocate_series(params.steps)
        self.lab_series = np.zeros((params.steps, 2, params.scenario.n_labs))
        self._init_state()

    # ------------------------------------------------------------------ setup
    def _init_state(self) -> None:
        p, rng = self.p, self.rngs["init"]
        sc = p.scenario
        cap = sc.n_pools + sc.n_labs + sc.n_big_clouds + sc.n_alt_clouds + 2 * sc.n_startups + 16
        self.orgs = Orgs(cap)
        self.ledger = Ledger(cap, int(np.ceil(p.steps / 12)) + 1)
        self.flows = np.zeros((int(np.ceil(p.steps / 12)) + 1, len(FLOW_KINDS),
                               len(FLOW_KINDS)), dtype=np.int64)
        self.step_flows = np.zeros((len(FLOW_KINDS), len(FLOW_KINDS)), dtype=np.int64)
        self.public_oom = 0.0
        self.log_no_incident = 0.0
        self.spinouts_total = 0
        self.deals_signed = 0
        self.grad_history = np.zeros((12, 2))
        self.frontier_history: list[float] = []
        self.lab_revenue_total = 0.0
        self.lab_partner_revenue_total = 0.0
        self.capital_supply_usd = 0.0
        self.ai_market_usd = p.capital.ai_market_usd_per_month
        self.market_ref_usd = p.capital.ai_market_usd_per_month
        self.ai_budget_usd = 0.0
        self.major_incidents = 0
        self.log_no_major = 0.0
        self.response_until = -1
        self.deal_offers = 0
        self.deals_declined = 0
        self.deals_blocked = 0
        self.cooldown: dict[tuple[int, int], int] = {}
        self.incident_log: list[tuple[int, int, float]] = []
        self.outside_share = 1.0
        self.capex_usd = 0.0

        weights = rng.dirichlet(np.full(sc.n_pools, sc.pool_weight_concentration))
        pool_ids = self.orgs.add(sc.n_pools, ACADEMIA, K_ACAD)
        self.pools = [TalentPool(self, int(o), f"Academia-{i + 1}", float(w))
                      for i, (o, w) in enumerate(zip(pool_ids, weights, strict=True))]
        self.orgs.salary_usd[pool_ids] = p.talent.academic_salary_usd
        self.orgs.safety[pool_ids] = p.talent.academia_safety
        self.orgs.openness[pool_ids] = p.talent.academia_openness
        self.orgs.prestige[pool_ids] = p.talent.academia_prestige

        c = p.clouds
        self.clouds: list[Hyperscaler] = []
        n_cloud = sc.n_big_clouds + sc.n_alt_clouds
        cloud_ids = self.orgs.add(n_cloud, HYPERSCALER, K_HYPER)
        for k, org in enumerate(cloud_ids):
            big = k < sc.n_big_clouds
            size = (c.big_capacity_h100e if big else c.alt_capacity_h100e) * rng.uniform(
                1.0 - c.initial_capacity_spread, 1.0 + c.initial_capacity_spread)
            price = c.price_usd_per_h100e_hour * (1.0 if big else 1.0 + c.alt_price_premium)
            name = f"Cloud-{k + 1}" if big else f"AltCloud-{k - sc.n_big_clouds + 1}"
            h = Hyperscaler(self, int(org), k, name, big, size, price, c.capex_lag_months)
            h.pipeline_h100e[:] = size * c.initial_pipeline_share
            self.clouds.append(h)
            self.ledger.transfer(INVESTORS, int(org),
                                 c.big_initial_cash_usd if big else c.alt_initial_cash_usd,
                                 "initial_cash")
        self.big_clouds = [h for h in self.clouds if h.big]
        n_alt = n_cloud - sc.n_big_clouds
        big_share = c.big_initial_market_share if n_alt else 1.0
        big_share = big_share if sc.n_big_clouds else 0.0
        self.cloud_share = np.array([big_share / sc.n_big_clouds if h.big
                                     else (1.0 - big_share) / n_alt for h in self.clouds])

        lp = p.labs
        lab_ids = self.orgs.add(sc.n_labs, LAB, K_LAB)
        self.labs: list[FrontierLab] = []
        for i, org in enumerate(lab_ids):
            owner = self.big_clouds[i % len(self.big_clouds)] if i < sc.n_inhouse_labs else None
            name = f"{owner.name} AI" if owner is not None else f"Lab-{i + 1}"
            lab = FrontierLab(
                self, int(org), name, capability_oom=0.0,
                alg_eff_oom=-lp.initial_alg_spread_oom * rng.random(),
                s_base=float(np.clip(lp.s_base_mean + lp.s_base_spread * rng.uniform(-1, 1),
                                     0, 1)),
                o_base=float(np.clip(lp.o_base_mean + lp.o_base_spread * rng.uniform(-1, 1),
                                     0, 1)),
                enmity=float(np.clip(lp.enmity_mean + lp.enmity_spread * rng.uniform(-1, 1),
                                     0, 1)),
                owner=owner)
            if owner is not None:
                self.orgs.flow_kind[org] = K_HYPER
            cash = lp.initial_cash_usd * rng.lognormal(0.0, lp.initial_cash_spread)
            self.ledger.transfer(INVESTORS, int(org), cash, "initial_cash")
            est = cash * lp.cash_burn_share * lp.compute_budget_share / (
                c.price_usd_per_h100e_hour * HOURS_PER_MONTH)
            lab.capability_oom = lab.alg_eff_oom + self._log_training_flop(est)
            self.labs.append(lab)
        self.lab_org = np.array([lab.org_id for lab in self.labs], dtype=np.int64)
        self.lab_index = {lab.org_id: i for i, lab in enumerate(self.labs)}
        self.orgs.safety[self.lab_org] = [lab.safety for lab in self.labs]
        self.orgs.openness[self.lab_org] = [lab.openness for lab in self.labs]
        self.orgs.salary_usd[self.lab_org] = lp.salary_usd
        self.orgs.prestige[self.lab_org] = lp.prestige
        self.public_oom = max(lab.alg_eff_oom for lab in self.labs) - p.knowledge.public_lag_oom
        self.initial_frontier = self.frontier_oom()
        self.market_share = logit_shares(self.capabilities(), p.capital.market_logit_per_oom)
        self.initial_adoption = p.capital.ai_market_usd_per_month / (
            p.capital.ai_budget_gdp_share * self.economy_usd())
        self.public_compute_share = np.zeros(sc.n_pools)

        self.startups: dict[int, Startup] = {}
        self._found_startups(sc.n_startups, ORIGIN_OTHER, born_step=-1, initial=True)

        self.workforce = Workforce(int(sc.n_researchers * 1.2) + 16)
        n = sc.n_researchers
        self.people_per_row = (sc.represented_researchers / n
                               if sc.represented_researchers > 0 else 1.0)
        n_acad = round(n * sc.academia_share_initial)
        n_lab = round(n * lp.initial_staff_share) if self.labs else 0
        n_start = n - n_acad - n_lab
        self.initial_academics = max(n_acad, 1) * self.people_per_row
        employers = np.concatenate([
            rng.choice(pool_ids, n_acad, p=weights),
            rng.choice(self.lab_org, n_lab) if n_lab else np.zeros(0, np.int64),
            self._startup_employers(n_start, rng, pool_ids, weights),
        ])
        rows = self.workforce.add(employers.astype(np.int64), self.rngs["demography"],
                                  p.talent.skill_sigma, p.talent.pref_alpha, p.talent.pref_beta,
                                  graduate=False)
        self.workforce.tenure_months[rows] = rng.uniform(0, p.talent.initial_tenure_max_months,
                                                         rows.size)
        self._refresh_headcount()
        self._set_salaries()
        wf = self.workforce
        wf.salary_usd[rows] = self._pay(rows)
        industry = self.orgs.kind[wf.employer[rows]] != ACADEMIA
        wf.unvested_equity_usd[rows] = np.where(
            industry, self._grant_years(wf.employer[rows]) * wf.salary_usd[rows]
            * rng.random(rows.size), 0.0)
        self.initial_researchers = n

    def _startup_employers(self, n: int, rng: np.random.Generator, pool_ids: np.ndarray,
                           weights: np.ndarray) -> np.ndarray:
        ids = self.orgs.ids(STARTUP)
        if n <= 0:
            return np.zeros(0, np.int64)
        if ids.size == 0:
            return rng.choice(pool_ids, n, p=weights)
        return rng.choice(ids, n)

    def run_months(self) -> float:
        """Length of a frontier training run this month (months; grows per Epoch AI)."""
        lp = self.p.labs
        return lp.run_months * (1.0 + lp.run_months_growth_per_year) ** (self.t / 12.0)

    def largest_run_share(self) -> float:
        """Share of a lab's training compute used by its largest run this month (<= 1)."""
        lp = self.p.labs
        return min(1.0, lp.largest_run_share
                   * (1.0 + lp.largest_run_share_growth_per_year) ** (self.t / 12.0))

    def _log_training_flop(self, compute_h100e: float) -> float:
        lp = self.p.labs
        return float(np.log10(max(lp.train_share * self.largest_run_share() * compute_h100e
                                  * self.run_months() * lp.flop_per_h100e_month, 1.0)))

    # ------------------------------------------------------------ accessors
    def frontier_oom(self) -> float:
        """Frontier capability ``max C`` (log10 effective FLOP)."""
        return max(lab.capability_oom for lab in self.labs)

    def capabilities(self) -> np.ndarray:
        """Capability of each lab (OOM), in lab order."""
        return np.array([lab.capability_oom for lab in self.labs])

    def frontier_growth_oom_per_month(self) -> float:
        """Frontier growth over the last 12 months (OOM/month, >= 0)."""
        h = self.frontier_history
        if len(h) < 2:
            return 0.0
        k = min(12, len(h) - 1)
        return max(0.0, (h[-1] - h[-1 - k]) / k)

    def early_access_lead_oom(self) -> float:
        """Quality lead of partnered startups: lead months times frontier growth (OOM)."""
        return self.p.downstream.early_access_lead_months * self.frontier_growth_oom_per_month()

    def cloud_market_usd(self) -> float:
        """Spending on non-AI cloud services this month, growing at a trend (USD/month)."""
        c = self.p.clouds
        return c.cloud_market_usd_per_year / 12.0 * (
            1.0 + c.base_revenue_growth_per_year) ** (self.t / 12.0)

    def economy_usd(self) -> float:
        """Output of the exogenous economy this month (USD/month)."""
        cp = self.p.capital
        return economy_usd_per_month(cp.gdp_usd_per_year, cp.gdp_growth_per_year, self.t)

    def academic_budget_usd(self) -> float:
        """Government budget for academic salaries and compute this month (USD/month)."""
        tp = self.p.talent
        return (tp.academic_budget_usd_per_head_year * self.initial_academics / 12.0
                * (1.0 + tp.academic_budget_growth_per_year) ** (self.t / 12.0))

    def hw_cost_usd(self) -> float:
        """Purchase cost of one H100e of capacity this month (USD)."""
        c = self.p.clouds
        return c.hw_cost_usd_per_h100e * (1.0 - c.hw_cost_decline_per_year) ** (self.t / 12.0)

    def mean_price_usd(self) -> float:
        """Capacity-weighted mean spot price of compute (USD per H100e-hour)."""
        cap = np.array([h.capacity_h100e for h in self.clouds])
        price = np.array([h.price_usd_per_hour for h in self.clouds])
        return float(np.average(price, weights=np.maximum(cap, 1e-9)))

    def price_floor_usd(self) -> float:
        """Price floor this month: hardware rental cost plus margin (USD per H100e-hour)."""
        c = self.p.clouds
        return self.hw_cost_usd() / c.hw_life_months / HOURS_PER_MONTH * (1.0 + c.margin_floor)

    def _grant_years(self, employer: np.ndarray) -> np.ndarray:
        kind = self.orgs.kind[employer]
        return np.select([kind == LAB, kind == STARTUP],
                         [self.p.labs.equity_grant_years, self.p.startups.equity_grant_years], 0.0)

    def _pay(self, rows: np.ndarray) -> np.ndarray:
        el = self.p.talent.skill_salary_elasticity
        norm = np.exp(0.5 * (el * self.p.talent.skill_sigma) ** 2)
        return self.orgs.salary_usd[self.workforce.employer[rows]] * (
            self.workforce.skill[rows] ** el) / norm

    def _refresh_headcount(self) -> None:
        wf, o = self.workforce, self.orgs
        rows = wf.active_rows()
        o.headcount[: o.size] = np.bincount(wf.employer[rows], minlength=o.size)[: o.size]
        o.skill_sum[: o.size] = np.bincount(wf.employer[rows], weights=wf.skill[rows],
                                            minlength=o.size)[: o.size]
        o.staff[: o.size] = o.headcount[: o.size] * self.people_per_row
        o.skill_mass[: o.size] = o.skill_sum[: o.size] * self.people_per_row

    def _log_moves(self, src_kind: np.ndarray, dst_kind: np.ndarray) -> None:
        np.add.at(self.step_flows, (src_kind, dst_kind), 1)

    def _set_salaries(self) -> None:
        """Salary levels: lab and startup pay rises with cash per head (USD/year)."""
        o, lp, sp = self.orgs, self.p.labs, self.p.startups
        cash = np.maximum(self.ledger.cash_usd[: o.size], 0.0)
        head = np.maximum(o.staff[: o.size], 1.0)
        people = self.p.scenario.n_researchers * self.people_per_row
        ref = max(1.0, lp.initial_cash_usd / max(1.0, people * lp.initial_staff_share
                                                 / max(1, len(self.labs))))
        labs = self.lab_org
        o.salary_usd[labs] = lp.salary_usd * np.clip(
            (cash[labs] / head[labs] / ref) ** lp.salary_cash_elasticity, lp.salary_clip_min,
            lp.salary_clip_max)
        st = self.orgs.ids(STARTUP)
        ref_s = max(1.0, sp.initial_cash_usd / max(sp.initial_staff, 1))
        o.salary_usd[st] = sp.salary_usd * np.clip(
            (cash[st] / head[st] / ref_s) ** lp.salary_cash_elasticity, lp.salary_clip_min,
            sp.salary_clip_max)
        pools = np.array([x.org_id for x in self.pools])
        per_head = self.academic_budget_usd() * 12.0 / max(int(head[pools].sum()), 1)
        o.salary_usd[pools] = min(self.p.talent.academic_salary_usd, per_head)

    # ------------------------------------------------------------- startups
    def _found_startups(self, n: int, origin: int, born_step: int, initial: bool) -> np.ndarray:
        if n <= 0:
            return np.zeros(0, np.int64)
        ids = self.orgs.add(n, STARTUP, K_STARTUP)
        self.ledger.grow(self.orgs.kind.size)
        o, sp, tp = self.orgs, self.p.startups, self.p.talent
        o.salary_usd[ids] = sp.salary_usd
        o.safety[ids] = tp.startup_safety
        o.openness[ids] = tp.startup_openness
        o.prestige[ids] = tp.startup_prestige
        o.initial[ids] = initial
        self.ledger.transfer(INVESTORS, ids, sp.initial_cash_usd, "seed_funding")
        o.valuation_usd[ids] = sp.initial_cash_usd * sp.valuation_cash_multiple
        self._assign_modes(ids, self._choose_modes(ids.size))
        for org in ids:
            self.startups[int(org)] = Startup(self, int(org), origin, born_step)
        return ids

    def _choose_modes(self, n: int) -> np.ndarray:
        """Access modes of ``n`` deciding startups from the downstream policy."""
        inputs = DownstreamInputs(self.p, self.frontier_oom(), self.early_access_lead_oom())
        return self.downstream_policy(n, inputs, self.rngs["downstream"])

    def _assign_modes(self, ids: np.ndarray, modes: np.ndarray) -> None:
        """Set access modes, partner/API labs and clouds of startups ``ids``."""
        o, rng, d = self.orgs, self.rngs["downstream"], self.p.downstream
        shares = logit_shares(self.capabilities(), self.p.capital.market_logit_per_oom)
        lab_choice = np.minimum(np.searchsorted(np.cumsum(shares), rng.random(ids.size)),
                                len(self.labs) - 1)
        lab_pick = self.lab_org[lab_choice]
        o.mode[ids] = modes
        o.api_lab[ids] = np.where(modes == API, lab_pick, -1)
        o.partner_lab[ids] = np.where(modes == PARTNER, lab_pick, -1)
        o.api_lab[ids] = np.where(modes == PARTNER, lab_pick, o.api_lab[ids])
        n_big = len(self.big_clouds)
        alt = [h.provider for h in self.clouds if not h.big]
        big_prov = np.array([h.provider for h in self.big_clouds], dtype=np.int64)
        lab_cloud = np.array([lab.owner.provider if lab.owner is not None
                              else lab.contract.cloud.provider if lab.contract is not None
                              else -1 for lab in self.labs], dtype=np.int64)
        pcloud = np.where(modes == PARTNER, lab_cloud[lab_choice], -1)
        pick_big = (modes == PARTNER) & (pcloud < 0)
        if n_big and pick_big.any():
            pcloud[pick_big] = big_prov[rng.integers(0, n_big, int(pick_big.sum()))]
        o.partner_cloud[ids] = pcloud
        if alt and n_big:
            own = np.where(rng.random(ids.size) < d.alt_cloud_share, rng.choice(alt, ids.size),
                           big_prov[rng.integers(0, n_big, ids.size)])
        elif alt:
            own = rng.choice(alt, ids.size)
        else:
            own = big_prov[rng.integers(0, n_big, ids.size)]
        o.cloud[ids] = np.where(pcloud >= 0, pcloud, own)

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """Advance one month: the nine phases of model-spec "Order of a step"."""
        self.ledger.start_step()
        self.ledger.year = self.t // 12
        self.step_flows[:] = 0
        snap = self._snapshot() if self.audit_enabled else None
        phases: tuple[Callable[[], None], ...] = (
            self._demography, self._capital, self._compute, self._talent, self._labs_decide,
            self._downstream, self._incidents, self._accounting, self._metrics)
        for name, fn in zip(PHASES, phases, strict=True):
            t0 = time.perf_counter()
            fn()
            self.phase_seconds[name] += time.perf_counter() - t0
        if snap is not None:
            self._record_audit(snap)
        self.t += 1

    # 1. demography --------------------------------------------------------
    def _demography(self) -> None:
        p, wf, rng = self.p.talent, self.workforce, self.rngs["demography"]
        wf.graduate[: wf.size] = False
        rows = wf.active_rows()
        retire = rows[rng.random(rows.size) < p.retirement_rate_per_year / 12.0]
        if retire.size:
            wf.retire(retire)
            self._log_moves(self.orgs.flow_kind[wf.employer[retire]],
                            np.full(retire.size, K_EXIT))
        rate = (p.graduate_rate_per_year / 12.0 * self.initial_researchers
                * (1.0 + p.graduate_growth_per_year) ** (self.t / 12.0))
        n_grad = int(rng.poisson(rate))
        if n_grad:
            weights = np.array([pool.weight for pool in self.pools])
            pools = np.array([pool.org_id for pool in self.pools])
            emp = rng.choice(pools, n_grad, p=weights / weights.sum())
            new = wf.add(emp, rng, p.skill_sigma, p.pref_alpha, p.pref_beta, graduate=True)
            wf.salary_usd[new] = self._pay(new)
            self._log_moves(np.full(n_grad, K_ENTRY), np.full(n_grad, K_ACAD))
        if self.t % 12 == 11:
            wf.compact()

    # 2. capital -----------------------------------------------------------
    def _capital(self) -> None:
        p, o, led = self.p, self.orgs, self.ledger
        cp = p.capital
        caps = self.capabilities()
        rank = np.argsort(np.argsort(-caps))
        lab_rev = np.array([lab.revenue_usd for lab in self.labs])
        trust = np.array([lab.trust * lab.standing for lab in self.labs])
        new_val = trust * valuation_usd(lab_rev, rank, cp.valuation_revenue_multiple,
                                        cp.valuation_rank_premium_usd)
        st = o.ids(STARTUP)
        sp = p.startups
        st_val = (sp.valuation_revenue_multiple * 12.0 * o.revenue_usd[st]
                  + sp.initial_cash_usd * sp.valuation_cash_multiple)
        old = o.valuation_usd.copy()
        o.valuation_usd[self.lab_org] = new_val
        o.valuation_usd[st] = st_val
        ids = np.concatenate([self.lab_org, st])
        o.valuation_growth[: o.size] = 1.0
        o.valuation_growth[ids] = np.clip(
            np.divide(o.valuation_usd[ids], old[ids], out=np.ones(ids.size),
                      where=old[ids] > 0), 1.0 - cp.valuation_change_clip,
            1.0 + cp.valuation_change_clip)

        self.capital_supply_usd = investor_supply_usd(
            cp.investor_usd_per_month, cp.investor_growth_per_year, self.t,
            self.ai_market_usd / self.market_ref_usd, cp.hype_elasticity,
            self.economy_usd(), cp.investor_max_gdp_share)
        indep = np.array([lab.independent for lab in self.labs])
        lab_need = np.where(indep, new_val ** cp.valuation_weight_exponent, 0.0)
        lab_caps = np.where(indep, p.labs.raise_valuation_cap * new_val, 0.0)
        alt = [h for h in self.clouds if not h.big]
        if alt:
            need = np.array([max(h.demand_h100e - h.capacity_h100e, 0.0)
                             + cp.alt_cloud_spare_share * h.capacity_h100e
                             for h in alt]) * self.hw_cost_usd()
            money = allocate_capped(self.capital_supply_usd * cp.alt_cloud_capital_share, need,
                                    need)
            led.transfer(INVESTORS, np.array([h.org_id for h in alt]), money, "venture_capital")
        lab_money = allocate_capped(self.capital_supply_usd * cp.lab_capital_share,
                                    lab_need, lab_caps)
        led.transfer(INVESTORS, self.lab_org, lab_money, "venture_capital")
        if st.size:
            runway = led.cash_usd[st] / np.maximum(self._startup_costs(st), 1.0)
            pct = (np.argsort(np.argsort(o.quality_oom[st])) + 1.0) / st.size
            backed = self.rngs["capital"].random(st.size) < sp.funding_success * 2 * pct
            weights = np.where((runway < sp.runway_months) & backed,
                               o.valuation_usd[st] ** cp.valuation_weight_exponent, 0.0)
            startup_share = 1.0 - cp.lab_capital_share - cp.alt_cloud_capital_share
            st_money = allocate_capped(self.capital_supply_usd * startup_share,
                                       weights, sp.raise_valuation_cap * o.valuation_usd[st])
            led.transfer(INVESTORS, st, st_money, "venture_capital")
        self._cloud_market()
        for lab in self.labs:
            if lab.owner is not None:
                budget = p.clouds.big_ai_budget_share * lab.owner.revenue_usd
                led.transfer(lab.owner.org_id, lab.org_id,
                             min(budget, max(led.cash_usd[lab.owner.org_id], 0.0)),
                             "inhouse_funding")
        self._upstream_deals(caps, new_val)
        self._buybacks()

    def _cloud_market(self) -> None:
        """Non-AI cloud customers spend the market's budget at providers by scale and price.

        The market (USD/month) grows at a trend. Customers stay with their
        provider except a share ``market_switching_per_month`` who choose anew
        in proportion to providers' revenue to the power
        ``market_scale_exponent`` (scale and breadth of services; AI compute
        sales count), so the big-3 share moves from its 2017 level by
        competition. Each provider pays its operating
        costs (``1 - operating_margin`` of that revenue) to suppliers.
        """
        c, led = self.p.clouds, self.ledger
        scale = np.array([max(h.revenue_usd, 1e-9) for h in self.clouds])
        attraction = provider_shares(scale, np.ones(scale.size), c.market_scale_exponent, 0.0)
        self.cloud_share += c.market_switching_per_month * (attraction - self.cloud_share)
        revenue = self.cloud_market_usd() * self.cloud_share
        orgs = np.array([h.org_id for h in self.clouds])
        led.transfer(CUSTOMERS, orgs, revenue, "cloud_revenue")
        led.transfer(orgs, SUPPLIERS, (1.0 - c.operating_margin) * revenue, "cloud_operating_costs")
        for h, r in zip(self.clouds, revenue, strict=True):
            h.market_revenue_usd = float(r)

    def _upstream_deals(self, caps: np.ndarray, val: np.ndarray) -> None:
        pp, gov, rng = self.p.partnership, self.p.governance, self.rngs["capital"]
        for lab in self.labs:
            if lab.contract is not None and lab.contract.end_step <= self.t:
                lab.contract.cloud.partners.remove(lab.org_id)
                lab.contract = None
        if not pp.enabled or not self.big_clouds:
            return
        order = np.argsort(-caps)
        top = [self.labs[i] for i in order[: pp.offer_top_k]]
        lab_compute = np.array([lab.compute_h100e for lab in self.labs])
        total_compute = max(lab_compute.sum(), 1e-9)
        exclusive = pp.exclusivity and not gov.exclusivity_ban
        decided: set[int] = set()
        for k in rng.permutation(len(self.big_clouds)):
            h = self.big_clouds[k]
            if len(h.partners) >= pp.max_labs_per_hyperscaler:
                continue
            if rng.random() >= pp.offer_prob_per_month:
                continue
            cands = [lab for lab in top if lab.independent and lab.contract is None
                     and lab.org_id not in decided
                     and self.cooldown.get((h.org_id, lab.org_id), -1) <= self.t]
            if not cands:
                continue
            lab = cands[0]
            decided.add(lab.org_id)
            i = self.lab_index[lab.org_id]
            size = pp.deal_size_valuation_share * val[i]
            if size <= 0:
                continue
            price_month = h.price_usd_per_hour * HOURS_PER_MONTH
            budget = self.ledger.cash_usd[lab.org_id] * self.p.labs.cash_burn_share
            constrained = pp.need_ratio * max(lab_compute.max(), 1.0) > budget / price_month
            spend = (budget * self.p.labs.compute_budget_share + pp.credit_share * size
                     / pp.deal_length_months) * pp.deal_length_months
            margin = 1.0 - self.price_floor_usd() / (1.0 + self.p.clouds.margin_floor) / (
                h.price_usd_per_hour)
            cloud_view = val[i] * rng.lognormal(0.0, pp.valuation_noise)
            lab_view = val[i] * rng.lognormal(0.0, pp.valuation_noise)
            offer = cloud_deal_value_usd(
                pp.equity_share, cloud_view, size, pp.credit_share, 1.0 - margin,
                max(margin, 0.0) * spend * (1.0 if exclusive else pp.nonexclusive_spend_share),
                pp.hurdle_rate) > 0
            if not offer:
                continue
            self.deal_offers += 1
            if self._antitrust_blocks(h, i, lab_compute, total_compute):
                self.deals_blocked += 1
                self.cooldown[(h.org_id, lab.org_id)] = self.t + pp.offer_cooldown_months
                continue
            if not lab_accepts_deal(pp.equity_share, lab_view, size, constrained,
                                    pp.compute_premium, exclusive, pp.exclusivity_cost):
                self.deals_declined += 1
                self.cooldown[(h.org_id, lab.org_id)] = self.t + pp.offer_cooldown_months
                continue
            cash_part = min((1 - pp.credit_share) * size,
                            max(self.ledger.cash_usd[h.org_id], 0.0) * pp.cash_cap_share)
            self.ledger.transfer(h.org_id, lab.org_id, cash_part, "upstream_investment")
            lab.contract = Contract(lab.org_id, h, self.t, self.t + pp.deal_length_months,
                                    pp.credit_share * size, pp.credit_discount,
                                    exclusive, pp.equity_share,
                                    h.price_usd_per_hour, self.hw_cost_usd())
            lab.partner_equity = 1.0 - (1.0 - lab.partner_equity) * (1.0 - pp.equity_share)
            h.partners.append(lab.org_id)
            self.deals_signed += 1

    def _antitrust_blocks(self, cloud: Hyperscaler, i: int, lab_compute: np.ndarray,
                          total_compute: float) -> bool:
        """Whether antitrust review blocks a deal between ``cloud`` and lab ``i``.

        Two tests: the pair's compute share above
        ``governance.antitrust_share_threshold``, and, when ``governance.antitrust``
        is on, the merger-guidelines test on the Herfindahl index of compute over
        blocs (a cloud with its in-house and partner labs): post-deal HHI above
        ``antitrust_hhi_threshold`` with an increase above ``antitrust_hhi_delta``.
        """
        gov = self.p.governance
        bloc = np.array([lab.owner.org_id if lab.owner is not None
                         else lab.contract.cloud.org_id if lab.contract is not None
                         else -1 - j for j, lab in enumerate(self.labs)])
        tied = lab_compute[(bloc == cloud.org_id) | (np.arange(bloc.size) == i)].sum()
        if tied / total_compute > gov.antitrust_share_threshold:
            return True
        if not gov.antitrust:
            return False
        after = bloc.copy()
        after[i] = cloud.org_id
        pre, post = bloc_hhi(lab_compute, bloc), bloc_hhi(lab_compute, after)
        return post > gov.antitrust_hhi_threshold and post - pre > gov.antitrust_hhi_delta

    def _buybacks(self) -> None:
        g, wf, led = self.p.governance, self.workforce, self.ledger
        due = self.t % g.buyback_interval_months == g.buyback_interval_months - 1
        if g.buyback_share <= 0 or not due:
            return
        rows = wf.active_rows()
        emp = wf.employer[rows]
        for lab in self.labs:
            if self.orgs.valuation_usd[lab.org_id] < g.buyback_min_valuation_usd:
                continue
            staff = rows[emp == lab.org_id]
            offer = g.buyback_share * wf.vested_equity_usd[staff]
            total = offer.sum() * self.people_per_row
            budget = g.buyback_cash_share * max(led.cash_usd[lab.org_id], 0.0)
            if total <= 0 or budget <= 0:
                continue
            offer *= min(1.0, budget / total)
            led.transfer(lab.org_id, HOUSEHOLDS, offer.sum() * self.people_per_row, "buyback")
            wf.vested_equity_usd[staff] -= offer
            wf.liquid_wealth_usd[staff] += offer

    # 3. compute -----------------------------------------------------------
    def _compute(self) -> None:
        p, o, led = self.p, self.orgs, self.ledger
        c = p.clouds
        for h in self.clouds:
            h.receive_capacity(c.capacity_depreciation_per_year / 12.0)
        n_p = len(self.clouds)
        price = np.array([h.price_usd_per_hour for h in self.clouds])
        big = np.array([h.big for h in self.clouds])
        month_price = price * HOURS_PER_MONTH
        labs, pools, st = self.lab_org, np.array([x.org_id for x in self.pools]), o.ids(STARTUP)
        buyers = np.concatenate([labs, pools, st])
        nl, npl = labs.size, pools.size
        n_b = buyers.size
        prio = np.zeros(n_b)
        prio_prov = np.full(n_b, -1, np.int64)
        spot = np.zeros(n_b)
        pref = np.full(n_b, -1, np.int64)
        allowed = np.ones((n_b, n_p), dtype=bool)
        self.credit_price = np.zeros(n_b)
        self.credit_h100e = np.zeros(n_b)
        cap = np.array([h.capacity_h100e for h in self.clouds])
        attract = (np.maximum(cap, 1e-9) ** c.provider_size_exponent
                   / price ** c.provider_price_exponent)
        pick = self.rngs["compute"].choice(n_p, n_b, p=attract / attract.sum())
        salary_bill = o.staff[buyers] * o.salary_usd[buyers] / 12.0
        for i, lab in enumerate(self.labs):
            budget = max(0.0, led.cash_usd[lab.org_id] * p.labs.cash_burn_share - salary_bill[i])
            if lab.owner is not None:
                prov = lab.owner.provider
                prio[i], prio_prov[i] = budget / month_price[prov], prov
                allowed[i] = False
                allowed[i, prov] = True
                continue
            ct = lab.contract
            if ct is not None:
                prov = ct.cloud.provider
                months_left = max(1, ct.end_step - self.t)
                use = ct.credits_usd / months_left
                self.credit_price[i] = (ct.price_usd_per_hour * HOURS_PER_MONTH
                                        * (1 - ct.credit_discount)
                                        * self.hw_cost_usd() / ct.hw_cost_usd)
                self.credit_h100e[i] = use / self.credit_price[i]
                prio[i], prio_prov[i] = self.credit_h100e[i], prov
                if ct.exclusive:
                    prio[i] += budget / self.credit_price[i]
                    allowed[i] = False
                    allowed[i, prov] = True
                    continue
            pref[i] = pick[i]
            spot[i] = budget / month_price[pick[i]]
        cheaper = c.hw_cost_usd_per_h100e / self.hw_cost_usd()
        wf = self.workforce
        rows = wf.active_rows()
        acad_bill = np.bincount(wf.employer[rows], weights=wf.salary_usd[rows],
                                minlength=o.size)[pools] * (self.people_per_row / 12.0)
        share = o.headcount[pools] / max(int(o.headcount[pools].sum()), 1)
        affordable = np.maximum(self.academic_budget_usd() * share - acad_bill, 0.0) / (
            month_price[pick[nl: nl + npl]])
        base = np.minimum(o.staff[pools] * p.talent.academic_compute_h100e_per_head
                          * cheaper, affordable)
        public = o.staff[pools] * p.governance.public_compute_h100e_per_academic
        self.public_compute_share = np.divide(public, base + public, out=np.zeros(npl),
                                              where=base + public > 0)
        spot[nl: nl + npl] = base + public
        pref[nl: nl + npl] = pick[nl: nl + npl]
        sp = p.startups
        need = (sp.compute_h100e_per_head * np.maximum(o.staff[st], 1.0)
                + sp.compute_revenue_share * o.revenue_usd[st] / month_price[o.cloud[st]])
        afford = (np.maximum(led.cash_usd[st], 0.0) * sp.compute_cash_share
                  / month_price[o.cloud[st]])
        spot[nl + npl:] = np.minimum(need, afford)
        pref[nl + npl:] = o.cloud[st]
        locked = o.partner_cloud[st] >= 0
        rows_locked = nl + npl + np.flatnonzero(locked)
        allowed[rows_locked] = False
        allowed[rows_locked, o.partner_cloud[st][locked]] = True
        wtp = None
        if c.spot_allocation == "wtp":
            wtp = np.maximum(led.cash_usd[buyers], 0.0) / np.maximum(prio + spot, 1e-9)
            wtp[nl: nl + npl] = 0.0
        alloc_p, alloc_s = clear_compute(cap, prio, prio_prov, spot, pref, allowed, wtp)
        self.compute_alloc = (buyers, alloc_p, alloc_s)
        demand = np.zeros(n_p)
        np.add.at(demand, prio_prov[prio_prov >= 0], prio[prio_prov >= 0])
        np.add.at(demand, pref[pref >= 0], spot[pref >= 0])
        for k, h in enumerate(self.clouds):
            h.demand_h100e = demand[k]
            h.demand_history[:-1] = h.demand_history[1:]
            h.demand_history[-1] = max(demand[k], 1e-9)
        used = alloc_p.sum(axis=1) + alloc_s.sum(axis=1)
        o.compute_h100e[buyers] = used
        for i, lab in enumerate(self.labs):
            lab.compute_h100e = float(used[i])
        floor = self.price_floor_usd()
        spot_demand = np.zeros(n_p)
        np.add.at(spot_demand, pref[pref >= 0], spot[pref >= 0])
        spot_capacity = np.maximum(cap - alloc_p.sum(axis=0), 1e-9 * np.maximum(cap, 1.0))
        new_price = update_price(price, spot_demand, spot_capacity, np.full(n_p, floor),
                                 c.target_utilisation,
                                 c.price_sensitivity, c.price_step_max)
        self.month_price = month_price
        for k, h in enumerate(self.clouds):
            h.price_usd_per_hour = float(new_price[k])
        self._capex(big)

    def _capex(self, big: np.ndarray) -> None:
        c, led = self.p.clouds, self.ledger
        cost = self.hw_cost_usd()
        floor = self.price_floor_usd()
        lag = c.capex_lag_months
        self.capex_usd = 0.0
        for h in self.clouds:
            response = np.exp(c.capex_price_elasticity * np.log(h.price_usd_per_hour / floor))
            want = h.capex_order_h100e(c.capex_headroom, lag, response)
            profit = h.compute_revenue_usd + c.operating_margin * h.market_revenue_usd
            budget = max(0.0, led.cash_usd[h.org_id]) * c.capex_cash_share + \
                c.capex_reinvest_share * profit
            budget = min(budget, max(0.0, led.cash_usd[h.org_id]))
            units = min(want, budget / cost)
            room = max(0.0, c.debt_revenue_years * 12.0 * h.revenue_usd - h.debt_usd)
            financed = min(c.capex_external_share * (want - units) * cost, room)
            if financed > 0:
                led.transfer(INVESTORS, h.org_id, financed, "capex_debt")
                h.debt_usd += financed
                units += financed / cost
            if units <= 0:
                continue
            led.transfer(h.org_id, HARDWARE, units * cost, "capex")
            self.capex_usd += units * cost
            h.pipeline_h100e[lag] += units

    # 4. talent ------------------------------------------------------------
    def _talent(self) -> None:
        p, o, wf, rng = self.p.talent, self.orgs, self.workforce, self.rngs["talent"]
        gov = self.p.governance
        self._refresh_headcount()
        self._set_salaries()
        self._post_vacancies()
        rows = wf.active_rows()
        emp = wf.employer[rows]
        fit = 1.0 - 0.5 * (np.abs(wf.safety_pref[rows] - o.safety[emp])
                           + np.abs(wf.openness_pref[rows] - o.openness[emp]))
        prob = search_probability(p.search_rate_per_month, wf.tenure_months[rows],
                                  p.search_tenure_months, wf.liquid_wealth_usd[rows],
                                  p.search_wealth_usd, fit)
        forced = wf.graduate[rows] | ~o.alive[emp]
        search = forced | (rng.random(rows.size) < prob)
        s_rows = rows[search]
        cur = wf.employer[s_rows]
        vac = np.where(o.alive[: o.size], o.vacancies[: o.size], 0.0)
        cand = sample_candidates(vac, s_rows.size, p.candidates, rng)
        partner_of_cur = o.partner_lab[cur]
        known = ((partner_of_cur >= 0) & (vac[np.maximum(partner_of_cur, 0)] > 0)
                 & (rng.random(s_rows.size) < p.partner_visibility))
        cand[known, -1] = partner_of_cur[known]
        options = np.concatenate([cur[:, None], cand], axis=1)
        valid = options >= 0
        opt = np.where(valid, options, 0)
        comp = np.maximum(o.compute_h100e[opt], 1e-6) / np.maximum(o.staff[opt], 1.0)
        util = (p.b_wage * np.log(np.maximum(o.salary_usd[opt], 1.0))
                + p.b_compute * np.log(comp + 1e-3)
                + p.b_prestige * o.prestige[opt]
                + p.b_safety * wf.safety_pref[s_rows, None] * o.safety[opt]
                + p.b_openness * wf.openness_pref[s_rows, None] * o.openness[opt])
        moving = opt != cur[:, None]
        switch = p.switching_cost + p.equity_cost_per_salary_year * (
            wf.unvested_equity_usd[s_rows] / np.maximum(wf.salary_usd[s_rows], 1.0))[:, None]
        channel = (partner_of_cur[:, None] == opt) & (partner_of_cur[:, None] >= 0)
        switch = np.where(channel, switch * (1.0 - p.partner_switch_discount), switch)
        util -= np.where(moving, switch, 0.0)
        if gov.noncompete_penalty > 0:
            from_lab = (o.kind[cur] == LAB)[:, None]
            to_rival = (o.kind[opt] == LAB) | (o.kind[opt] == STARTUP)
            util -= np.where(moving & from_lab & to_rival, gov.noncompete_penalty, 0.0)
        util[~valid] = -np.inf
        util[~o.alive[cur], 0] = -np.inf
        pick = choose_employer(util, rng)
        choice = opt[np.arange(s_rows.size), pick]
        has_option = np.isfinite(util[np.arange(s_rows.size), pick])
        applying = (choice != cur) & has_option
        accepted = accept_applicants(np.where(applying, choice, -1), wf.skill[s_rows],
                                     np.floor(vac))
        movers = s_rows[accepted]
        src = wf.employer[movers].copy()
        dst = choice[accepted]
        grads = s_rows[wf.graduate[s_rows]]
        self.grad_history[self.t % 12] = (grads.size,
                                          np.count_nonzero(accepted & wf.graduate[s_rows]
                                                           & (o.kind[choice] != ACADEMIA)))
        founders = self._spinout_founders(rows, movers)
        self._move(movers, src, dst)
        self._spin_out(founders)

    def _post_vacancies(self) -> None:
        """Open positions, planned in people and posted in workforce rows (docs/model.md §7.13)."""
        o, led, p = self.orgs, self.ledger, self.p
        vac = np.zeros(o.size)
        labs = self.lab_org
        staff_budget = led.cash_usd[labs] * p.labs.cash_burn_share * (
            1 - p.labs.compute_budget_share) * 12.0
        target = staff_budget / o.salary_usd[labs]
        vac[labs] = np.clip(target - o.staff[labs], 0.0,
                            np.maximum(p.labs.hiring_step_min,
                                       p.labs.hiring_step_share * o.staff[labs]))
        st = o.ids(STARTUP)
        sp = p.startups
        per_head = o.salary_usd[st] / 12.0 + sp.other_cost_usd_per_head
        target_s = np.minimum(sp.max_headcount, np.maximum(led.cash_usd[st], 0.0)
                              * sp.hiring_cash_share / per_head)
        vac[st] = np.clip(target_s - o.staff[st], 0.0, None)
        pools = np.array([x.org_id for x in self.pools])
        wf = self.workforce
        rows = wf.active_rows()
        bill = np.bincount(wf.employer[rows], weights=wf.salary_usd[rows],
                           minlength=o.size)[pools] * (self.people_per_row / 12.0)
        share = o.headcount[pools] / max(int(o.headcount[pools].sum()), 1)
        room = np.divide(np.maximum(self.academic_budget_usd() * share - bill, 0.0),
                         o.salary_usd[pools] / 12.0, out=np.zeros(pools.size),
                         where=o.salary_usd[pools] > 0)
        vac[pools] = np.minimum(p.talent.academic_hiring_share / 12.0 * o.staff[pools] + 1.0,
                                room)
        o.vacancies[: o.size] = vac / self.people_per_row

    def _move(self, movers: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
        """Commit job moves: forfeit unvested equity, new pay, new grant, log the flow."""
        if movers.size == 0:
            return
        wf, o = self.workforce, self.orgs
        self._log_moves(o.flow_kind[src], o.flow_kind[dst])
        wf.employer[movers] = dst
        wf.tenure_months[movers] = 0.0
        wf.salary_usd[movers] = self._pay(movers)
        wf.unvested_equity_usd[movers] = self._grant_years(dst) * wf.salary_usd[movers]

    def _spinout_founders(self, rows: np.ndarray, movers: np.ndarray) -> np.ndarray:
        p, wf, o, rng = self.p.talent, self.workforce, self.orgs, self.rngs["talent"]
        moved = np.zeros(wf.size, dtype=bool)
        moved[movers] = True
        at_lab = rows[(o.kind[wf.employer[rows]] == LAB) & ~moved[rows]]
        restrained = np.exp(-self.p.governance.noncompete_penalty)
        prob = np.minimum(1.0, p.spinout_rate_per_month * restrained * self.people_per_row
                          * (1.0 + wf.liquid_wealth_usd[at_lab] / p.spinout_wealth_usd))
        return at_lab[rng.random(at_lab.size) < prob]

    def _spin_out(self, founders: np.ndarray) -> None:
        if founders.size == 0:
            return
        wf = self.workforce
        src = wf.employer[founders].copy()
        ids = self._found_startups(founders.size, ORIGIN_LAB, self.t, initial=False)
        stake = self.p.startups.founder_stake_share * wf.liquid_wealth_usd[founders]
        self.ledger.transfer(HOUSEHOLDS, ids, stake * self.people_per_row, "founder_investment")
        wf.liquid_wealth_usd[founders] -= stake
        self._move(founders, src, ids)
        self.spinouts_total += founders.size

    # 5. labs ----------------------------------------------------------------
    def _labs_decide(self) -> None:
        p, o = self.p, self.orgs
        sp, lp, kp = p.safety, p.labs, p.knowledge
        caps = self.capabilities()
        s_now = np.array([lab.safety for lab in self.labs])
        investor = np.array([lab.investor_pressure for lab in self.labs])
        enmity = np.array([lab.enmity for lab in self.labs])
        pressure = race_pressure(caps, enmity, investor, p.scenario.lead_window_oom,
                                 sp.gap_scale_oom, sp.w_gap, sp.w_contenders, sp.w_enmity,
                                 sp.w_investor)
        compute = np.array([lab.compute_h100e for lab in self.labs])
        gov = p.governance
        floor = np.where(compute >= gov.safety_floor_compute_h100e, gov.safety_floor, 0.0)
        if self.t <= self.response_until:
            floor = np.maximum(floor, gov.incident_safety_floor)
        target = self.safety_policy(self._safety_inputs(caps, s_now, pressure, enmity, floor), sp)
        s_new = np.maximum(s_now + sp.adjust_rate * (target - s_now), floor)
        commercial = np.array([lab.commercial for lab in self.labs])
        o_base = np.array([lab.o_base for lab in self.labs])
        o_now = np.array([lab.openness for lab in self.labs])
        o_target = openness(o_base, pressure, commercial, sp.k_openness, sp.k_commercial)
        o_new = o_now + sp.adjust_rate * (o_target - o_now)
        skill = o.skill_mass[self.lab_org]
        effort = skill * (1.0 - s_new)
        d_alg = lp.alg_rate_oom_per_month * (effort / lp.research_ref_skill) ** lp.research_returns
        absorb = np.log10(np.maximum(effort, 1e-9) / (effort + lp.absorb_half_skill))
        alg = np.array([lab.alg_eff_oom for lab in self.labs]) + d_alg
        alg = np.maximum(alg, self.public_oom + absorb)
        train = ((1.0 - s_new) * lp.train_share * self.largest_run_share() * compute
                 * self.run_months() * lp.flop_per_h100e_month)
        cap_new = np.maximum(caps, np.log10(np.maximum(train, 1.0)) + alg)
        for i, lab in enumerate(self.labs):
            lab.safety, lab.openness, lab.pressure = float(s_new[i]), float(o_new[i]), pressure[i]
            lab.alg_eff_oom, lab.capability_oom = float(alg[i]), float(cap_new[i])
        o.safety[self.lab_org] = s_new
        o.openness[self.lab_org] = o_new
        pools = np.array([x.org_id for x in self.pools])
        acad_input = o.skill_mass[pools] * (o.compute_h100e[pools] / np.maximum(
            o.staff[pools], 1.0) + 1e-3)
        lag = max(0.0, float(alg.max()) - self.public_oom)
        acad_out = (kp.academic_rate_oom_per_month * (acad_input / kp.academic_ref_compute_h100e)
                    ** kp.academic_returns * 10.0 ** (-kp.academic_public_elasticity * lag))
        for pool, out in zip(self.pools, acad_out, strict=True):
            pool.output_oom = float(out)
        published = o_new * d_alg
        self.public_oom += kp.publish_spillover * published.sum() + acad_out.sum()
        self.train_flop = train
        self.frontier_history.append(float(cap_new.max()))
        output = np.concatenate([published, acad_out])
        ids = np.concatenate([self.lab_org, pools])
        rel = output / max(output.max(), 1e-12)
        o.prestige[ids] += kp.prestige_smoothing * (rel - o.prestige[ids])

    def _safety_inputs(self, caps: np.ndarray, s_now: np.ndarray, pressure: np.ndarray,
                       enmity: np.ndarray, floor: np.ndarray) -> SafetyInputs:
        """What the labs' safety decision depends on (docs/model.md §7.4).

        The value of speed is the revenue one OOM of capability brings per
        month in the labs' logit market, ``beta (1 - share) (R + V / (12 m))``
        (revenue, plus the valuation's rank premium as a monthly flow); the
        expected loss per incident is the capped mean severity times the lost
        revenue over the recovery and the valuation loss per unit severity.
        """
        ip, cp = self.p.incidents, self.p.capital
        rev = np.array([lab.revenue_usd for lab in self.labs])
        val = self.orgs.valuation_usd[self.lab_org]
        flow = rev + val / (12.0 * max(cp.valuation_revenue_multiple, 1e-9))
        speed = cp.market_logit_per_oom * (1.0 - self.market_share) * flow
        months = min(1.0 / max(ip.trust_recovery_per_month, 1e-12), float(self.p.steps))
        c, v = ip.customer_loss_per_severity, ip.valuation_loss_per_severity
        loss = (capped_severity_mean(ip.severity_alpha, 1.0 / max(c, 1e-12)) * c * rev * months
                + capped_severity_mean(ip.severity_alpha, 1.0 / max(v, 1e-12)) * v * val)
        h0 = hazard(caps, np.zeros(caps.size), ip.h0, ip.eta, ip.c_ref_oom, ip.gamma)
        s_base = np.array([lab.s_base for lab in self.labs])
        return SafetyInputs(caps, s_now, pressure, floor, s_base, enmity, speed, h0, loss,
                            ip.gamma)

    # 6. downstream ----------------------------------------------------------
    def _downstream(self) -> None:
        """Customers spend their AI budget on labs' APIs and startups' products.

        Spending is the customers' budget (a share of the economy) times
        adoption (logistic in frontier capability and compute price); it splits
        into the labs' direct segment and the applications segment, each shared
        by a logit over quality with an outside option (open-weight models one
        ``open_model_lag_oom`` behind the frontier) whose spend stays with the
        customers (docs/model.md §7.7).
        """
        p, o, led, rng = self.p, self.orgs, self.ledger, self.rngs["downstream"]
        cp, d = p.capital, p.downstream
        st = o.ids(STARTUP)
        if st.size:
            redo = st[rng.random(st.size) < d.reconsider_rate_per_month]
            if redo.size:
                self._assign_modes(redo, self._choose_modes(redo.size))
        front = self.frontier_oom()
        caps = self.capabilities()
        self.ai_budget_usd = cp.ai_budget_gdp_share * self.economy_usd()
        spend = self.ai_budget_usd * adoption(
            front - self.initial_frontier, self.initial_adoption, cp.market_elasticity,
            self.mean_price_usd() / self.p.clouds.price_usd_per_h100e_hour,
            cp.adoption_price_elasticity)
        outside_q = front - cp.open_model_lag_oom
        trust = np.array([lab.trust for lab in self.labs])
        lab_share, out_direct = purchase_shares(caps, outside_q, cp.market_logit_per_oom, trust)
        self.outside_share = cp.direct_market_share * out_direct + (1.0 - cp.direct_market_share)
        direct = cp.direct_market_share * spend * lab_share
        led.transfer(CUSTOMERS, self.lab_org, direct, "product_revenue")
        revenue = direct.copy()
        downstream_rev = np.zeros(len(self.labs))
        paid = float(direct.sum())
        if st.size:
            model_q = np.where(o.mode[st] == 0, front - cp.open_model_lag_oom, 0.0)
            src_lab = np.where(o.api_lab[st] >= 0, o.api_lab[st], self.lab_org[0])
            lab_c = caps[np.searchsorted(self.lab_org, src_lab)]
            model_q = np.where(o.mode[st] == API, lab_c, model_q)
            model_q = np.where(o.mode[st] == PARTNER, lab_c + self.early_access_lead_oom(),
                               model_q)
            q = model_q + p.startups.quality_skill_weight * np.log10(1.0 + o.skill_mass[st])
            o.quality_oom[st] = q
            partner = o.mode[st] == PARTNER
            reach = np.where(partner, 1.0 + d.cross_selling_share, 1.0)
            share, out_apps = purchase_shares(q, outside_q, cp.startup_logit_per_oom, reach)
            self.outside_share -= (1.0 - cp.direct_market_share) * (1.0 - out_apps)
            sales = (1.0 - cp.direct_market_share) * spend * share
            led.transfer(CUSTOMERS, st, sales, "product_revenue")
            paid += float(sales.sum())
            o.revenue_usd[st] = sales
            extra = sales * (reach - 1.0) / reach
            has_cloud = partner & (o.partner_cloud[st] >= 0)
            cloud_org = np.array([h.org_id for h in self.clouds])
            led.transfer(st[has_cloud], cloud_org[o.partner_cloud[st][has_cloud]],
                         d.hyperscaler_cut * extra[has_cloud], "cross_selling")
            base = sales - extra
            fee = np.where(partner, d.partner_revenue_share * base,
                           np.where(o.mode[st] == API, cp.api_fee_share * base, 0.0))
            pays = fee > 0
            led.transfer(st[pays], o.api_lab[st][pays], fee[pays], "model_fees")
            per_lab = np.bincount(o.api_lab[st][pays], weights=fee[pays], minlength=o.size)
            downstream_rev = per_lab[self.lab_org]
            revenue += downstream_rev
            partner_fee = np.bincount(o.api_lab[st][partner], weights=fee[partner],
                                      minlength=o.size)[self.lab_org]
            self.lab_partner_revenue_total += partner_fee.sum()
        self.ai_market_usd = paid
        if self.t == 0 and paid > 0:
            self.market_ref_usd = paid
        self.lab_revenue_total += revenue.sum()
        o.revenue_usd[self.lab_org] = revenue
        for i, lab in enumerate(self.labs):
            lab.revenue_usd = float(revenue[i])
            lab.downstream_revenue_usd = float(downstream_rev[i])
        total = lab_share.sum()
        self.market_share = lab_share / total if total > 0 else np.full(caps.size, 1 / caps.size)

    # 7. incidents -----------------------------------------------------------
    def _incidents(self) -> None:
        """Each lab draws incidents from its hazard; incidents cost customers and value.

        An incident of severity ``x`` (Pareto, scale 1) takes a share
        ``min(1, c x)`` of the lab's customers (its trust) and ``min(1, v x)``
        of its investors' standing (a factor on its valuation); both recover at
        ``trust_recovery_per_month``. A major incident (``x >= major_severity``)
        can trigger a regulatory safety floor (docs/model.md §7.4, §7.6).
        """
        ip, gov, rng = self.p.incidents, self.p.governance, self.rngs["incidents"]
        caps = self.capabilities()
        s = np.array([lab.safety for lab in self.labs])
        h = hazard(caps, s, ip.h0, ip.eta, ip.c_ref_oom, ip.gamma)
        draws = rng.random(h.size) < h
        severity = np.zeros(h.size)
        severity[draws] = incident_severity(int(draws.sum()), ip.severity_alpha, rng)
        major = severity >= ip.major_severity
        self.incidents_month = int(draws.sum())
        self.major_incidents += int(major.sum())
        self.log_no_incident += float(np.log1p(-np.minimum(h, 1.0 - 1e-15)).sum())
        p_major = np.minimum(h * ip.major_severity ** -ip.severity_alpha, 1.0 - 1e-15)
        self.log_no_major += float(np.log1p(-p_major).sum())
        val = self.orgs.valuation_usd
        for i, lab in enumerate(self.labs):
            lab.trust += ip.trust_recovery_per_month * (1.0 - lab.trust)
            lab.standing += ip.trust_recovery_per_month * (1.0 - lab.standing)
            if draws[i]:
                self.incident_log.append((self.t, i, float(severity[i])))
                lab.trust *= 1.0 - min(1.0, ip.customer_loss_per_severity * severity[i])
                cut = 1.0 - min(1.0, ip.valuation_loss_per_severity * severity[i])
                lab.standing *= cut
                val[lab.org_id] *= cut
        if major.any() and gov.incident_safety_floor > 0:
            self.response_until = self.t + gov.incident_response_months

    # 8. accounting ----------------------------------------------------------
    def _accounting(self) -> None:
        p, o, led, wf = self.p, self.orgs, self.ledger, self.workforce
        buyers, alloc_p, alloc_s = self.compute_alloc
        alloc_p = alloc_p.copy()
        cloud_org = np.array([h.org_id for h in self.clouds])
        for h in self.clouds:
            h.compute_revenue_usd = 0.0
        for i, lab in enumerate(self.labs):
            ct = lab.contract
            got = alloc_p[i].sum()
            if ct is not None and lab.owner is None and got > 0:
                on_credit = min(got, self.credit_h100e[i])
                ct.credits_usd = max(0.0, ct.credits_usd - on_credit * self.credit_price[i])
                alloc_p[i] *= (got - on_credit) / got
                if ct.exclusive:
                    alloc_p[i] *= self.credit_price[i] / self.month_price[ct.cloud.provider]
        pools = np.array([x.org_id for x in self.pools])
        rows = wf.active_rows()
        emp = wf.employer[rows]
        pay = np.where(o.alive[emp], wf.salary_usd[rows] / 12.0, 0.0)
        salary_bill = np.bincount(emp, weights=pay, minlength=o.size) * self.people_per_row
        bills = (alloc_p + alloc_s) * self.month_price[None, :]
        pool_rows = np.isin(buyers, pools)
        compute_bill = bills[pool_rows].sum(axis=1)
        public = self.public_compute_share * compute_bill
        share = o.headcount[pools] / max(int(o.headcount[pools].sum()), 1)
        grant = np.minimum(salary_bill[pools] + compute_bill - public,
                           self.academic_budget_usd() * share)
        led.transfer(GOVERNMENT, pools, grant, "academic_funding")
        led.transfer(GOVERNMENT, pools, public, "public_compute")
        cash = led.cash_usd[buyers]
        sal = salary_bill[buyers]
        sal_paid_share = np.divide(np.minimum(sal, np.maximum(cash, 0.0)), sal,
                                   out=np.ones_like(sal), where=sal > 0)
        led.transfer(buyers, HOUSEHOLDS, sal * sal_paid_share, "salaries")
        paid_by_org = np.ones(o.size)
        paid_by_org[buyers] = sal_paid_share
        wf.liquid_wealth_usd[rows] += p.talent.savings_share * pay * paid_by_org[emp]
        left = np.maximum(led.cash_usd[buyers], 0.0)
        due = bills.sum(axis=1)
        paid_share = np.divide(np.minimum(due, left), due, out=np.ones_like(due), where=due > 0)
        paid = bills * paid_share[:, None]
        nz = paid > 0
        b_idx, p_idx = np.nonzero(nz)
        led.transfer(buyers[b_idx], cloud_org[p_idx], paid[nz], "compute")
        for k, h in enumerate(self.clouds):
            h.compute_revenue_usd = float(paid[:, k].sum())
        costs = sal * sal_paid_share + paid.sum(axis=1)
        for i, lab in enumerate(self.labs):
            lab.costs_usd = float(costs[i])
        self._partner_payouts()
        st = o.ids(STARTUP)
        other = np.minimum(p.startups.other_cost_usd_per_head * np.maximum(o.staff[st], 1.0),
                           np.maximum(led.cash_usd[st], 0.0))
        led.transfer(st, SUPPLIERS, other, "startup_costs")
        self._vest_and_grow()
        self._acquisitions()
        self._exits()
        n_new = int(self.rngs["accounting"].poisson(p.startups.founding_rate_per_month))
        if n_new:
            ids = self._found_startups(n_new, ORIGIN_OTHER, self.t, initial=False)
            self._academic_founders(ids)

    def _partner_payouts(self) -> None:
        """Labs share profits with deal partners; clouds service debt and pay out excess cash.

        A lab with an active deal pays ``partnership.profit_share`` of a positive
        monthly profit (revenue minus salaries and compute) to its partner. A
        cloud pays interest and principal on its capex debt (as far as its cash
        allows) and pays ``payout_rate_per_month`` of the cash above
        ``cash_target_months`` of revenue to its shareholders (investors).
        """
        c, pp, led = self.p.clouds, self.p.partnership, self.ledger
        for lab in self.labs:
            if lab.contract is not None and lab.owner is None:
                profit = lab.revenue_usd - lab.costs_usd
                if profit > 0:
                    led.transfer(lab.org_id, lab.contract.cloud.org_id,
                                 min(pp.profit_share * profit,
                                     max(led.cash_usd[lab.org_id], 0.0)), "profit_share")
        for h in self.clouds:
            cash = max(led.cash_usd[h.org_id], 0.0)
            if h.debt_usd > 0:
                interest, principal = debt_service_usd(h.debt_usd, c.interest_rate_per_year,
                                                       c.debt_term_months)
                due = interest + principal
                paid = min(due, cash)
                led.transfer(h.org_id, INVESTORS, paid, "debt_service")
                h.debt_usd -= principal * paid / due
                cash -= paid
            excess = cash - c.cash_target_months * h.revenue_usd
            if excess > 0:
                led.transfer(h.org_id, INVESTORS, c.payout_rate_per_month * excess, "dividends")

    def _startup_costs(self, st: np.ndarray) -> np.ndarray:
        o = self.orgs
        return (o.staff[st] * o.salary_usd[st] / 12.0
                + np.maximum(o.staff[st], 1.0) * self.p.startups.other_cost_usd_per_head)

    def _vest_and_grow(self) -> None:
        """Grow staff equity with the employer's valuation, vest it linearly, add tenure.

        Works on whole-array views (retired rows are updated too, harmlessly:
        they are never read again), which avoids gathers over the workforce.
        """
        wf, o = self.workforce, self.orgs
        n = wf.size
        g = o.valuation_growth[wf.employer[:n]]
        unvested, vested, tenure = (wf.unvested_equity_usd[:n], wf.vested_equity_usd[:n],
                                    wf.tenure_months[:n])
        unvested *= g
        vested *= g
        months = self.p.talent.vesting_months
        vest = np.where(tenure < months, unvested / np.maximum(1.0, months - tenure), unvested)
        unvested -= vest
        vested += vest
        tenure += 1.0

    def _acquisitions(self) -> None:
        o, led, rng, wf = self.orgs, self.ledger, self.rngs["accounting"], self.workforce
        st = o.ids(STARTUP)
        if st.size == 0 or not self.labs:
            return
        hit = st[rng.random(st.size) < self.p.startups.acquisition_rate_per_month]
        if hit.size == 0:
            return
        lab_cash = np.maximum(led.cash_usd[self.lab_org], 0.0)
        rows = wf.active_rows()
        emp = wf.employer[rows]
        staff_of = {int(org): rows[emp == org] for org in hit}
        for org in hit:
            acq = o.partner_lab[org]
            if acq < 0:
                if lab_cash.sum() <= 0:
                    continue
                acq = self.lab_org[rng.choice(len(self.labs), p=lab_cash / lab_cash.sum())]
            price = o.valuation_usd[org]
            if led.cash_usd[acq] < max(self.p.startups.acquirer_cash_multiple, 1.0) * price:
                continue
            led.transfer(acq, int(org), price, "acquisition")
            staff = staff_of[int(org)]
            equity = wf.vested_equity_usd[staff] + wf.unvested_equity_usd[staff]
            owed = equity.sum() * self.people_per_row
            payout = equity * min(1.0, max(led.cash_usd[org], 0.0) / max(owed, 1e-9))
            led.transfer(int(org), HOUSEHOLDS, payout.sum() * self.people_per_row,
                         "acquisition_payout")
            wf.liquid_wealth_usd[staff] += payout
            wf.vested_equity_usd[staff] = 0.0
            wf.unvested_equity_usd[staff] = 0.0
            led.transfer(int(org), INVESTORS, max(led.cash_usd[org], 0.0), "acquisition_payout")
            self._move(staff, np.full(staff.size, org), np.full(staff.size, acq))
            self._close_startup(int(org))

    def _exits(self) -> None:
        o, led = self.orgs, self.ledger
        st = o.ids(STARTUP)
        if st.size == 0:
            return
        broke = st[led.cash_usd[st] < self.p.startups.exit_cash_months * self._startup_costs(st)]
        for org in broke:
            led.transfer(int(org), INVESTORS, max(led.cash_usd[org], 0.0), "liquidation")
            self._close_startup(int(org))

    def _close_startup(self, org: int) -> None:
        self.orgs.alive[org] = False
        self.orgs.vacancies[org] = 0.0
        agent = self.startups.pop(org)
        agent.remove()

    def _academic_founders(self, ids: np.ndarray) -> None:
        rng, wf, o = self.rngs["accounting"], self.workforce, self.orgs
        takes = ids[rng.random(ids.size) < self.p.startups.academic_founder_share]
        if takes.size == 0:
            return
        rows = wf.active_rows()
        acad = rows[o.kind[wf.employer[rows]] == ACADEMIA]
        if acad.size < takes.size:
            return
        founders = rng.choice(acad, takes.size, replace=False,
                              p=wf.skill[acad] / wf.skill[acad].sum())
        src = wf.employer[founders].copy()
        self._move(founders, src, takes)
        for org in takes:
            self.startups[int(org)].origin = ORIGIN_ACADEMIA

    # 9. metrics -------------------------------------------------------------
    def _metrics(self) -> None:
        self._refresh_headcount()
        year = min(self.t // 12, self.flows.shape[0] - 1)
        self.flows[year] += self.step_flows
        if self.t < self.p.steps:
            for k, v in metrics.collect(self).items():
                self.series[k][self.t] = v
            self.lab_series[self.t, 0] = self.capabilities()
            self.lab_series[self.t, 1] = [lab.safety for lab in self.labs]

    # ------------------------------------------------------------ auditing
    def _snapshot(self) -> dict:
        wf = self.workforce
        rows = wf.active_rows()
        return {
            "cash": self.ledger.cash_usd[: self.orgs.size].copy(),
            "total": self.ledger.total_usd(),
            "headcount_by_kind": np.bincount(self.orgs.flow_kind[wf.employer[rows]],
                                             minlength=len(FLOW_KINDS)),
            "active": rows.size,
        }

    def _record_audit(self, before: dict) -> None:
        wf = self.workforce
        rows = wf.active_rows()
        n = before["cash"].size
        self.audit.append({
            "step": self.t,
            "cash_before": before["cash"],
            "cash_after": self.ledger.cash_usd[: self.orgs.size].copy(),
            "inflow": self.ledger.inflow_usd[: self.orgs.size].copy(),
            "outflow": self.ledger.outflow_usd[: self.orgs.size].copy(),
            "n_before": n,
            "total_before": before["total"],
            "total_after": self.ledger.total_usd(),
            "external_after": self.ledger.external_usd.copy(),
            "headcount_before": before["headcount_by_kind"],
            "headcount_after": np.bincount(self.orgs.flow_kind[wf.employer[rows]],
                                           minlength=len(FLOW_KINDS)),
            "flows": self.step_flows.copy(),
            "active_before": before["active"],
            "active_after": rows.size,
            "capacity": np.array([h.capacity_h100e for h in self.clouds]),
            "allocated": (self.compute_alloc[1] + self.compute_alloc[2]).sum(axis=0),
        })


def simulate(params: SimParams, seed: int, audit: bool = False) -> Results:
    """Run the model for ``params.steps`` months and collect its results.

    Args:
        params: Validated parameters.
        seed: Root seed.
        audit: Keep per-step accounting snapshots (returned on the model only).

    Returns:
        The run's :class:`sim.results.Results`.
    """
    model = RaceModel(params, seed, audit=audit)
    for _ in range(params.steps):
        model.step()
    return metrics.results(model)
