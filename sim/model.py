"""The race model: an orchestrator of the nine phases of a month.

Organisations are Mesa agents in ``AgentSet``s (:mod:`sim.agents`); startups
and researchers are vectorised populations (:mod:`sim.populations`). Each
phase decides on the state at its start and commits its decisions at once,
so results do not depend on agent order; phases hand their results to later
phases as explicit values. Every random draw comes from a generator spawned
from the run's seed with ``numpy.random.SeedSequence`` (one stream per
component). Money moves only through the double-entry ledger
(:mod:`sim.economy.ledger`); researcher moves are logged in the flow matrix.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import mesa
import numpy as np

from sim import metrics
from sim.agents.cloud import ComputeOrders, ComputeSale, DealBook, sell_compute
from sim.agents.lab import IncidentRecord
from sim.audit import Auditor
from sim.economy.accounts import MarketState
from sim.economy.capital import investor_supply_usd
from sim.economy.demand import adoption, purchase_shares
from sim.economy.ledger import CUSTOMERS
from sim.economy.settlement import payroll, saved_pay_usd, settle
from sim.initial_state import build, suppliers
from sim.markets.compute import HOURS_PER_MONTH
from sim.observation import month_state, results
from sim.params import SimParams
from sim.policies import DOWNSTREAM, SAFETY
from sim.populations.startups import Suppliers
from sim.results import Results

PHASES = ("demography", "capital", "compute", "talent", "labs", "downstream", "incidents",
          "accounting", "metrics")
T = TypeVar("T")
STREAMS = ("init", "demography", "capital", "compute", "talent", "downstream", "incidents",
           "accounting", "deals")


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
        children = np.random.SeedSequence(seed).spawn(len(STREAMS))
        self.rngs = {name: np.random.default_rng(s) for name, s in
                     zip(STREAMS, children, strict=True)}
        self.t = 0
        self.phase_seconds = dict.fromkeys(PHASES, 0.0)
        self.series = metrics.allocate_series(params.steps)
        self.lab_series = np.zeros((params.steps, 2, params.scenario.n_labs))
        w = build(self, params, self.rngs, DOWNSTREAM.get(params.downstream.mode))
        self.orgs, self.ledger, self.flows, self.exo = w.orgs, w.ledger, w.flows, w.exo
        self.pools, self.clouds, self.labs = w.pools, w.clouds, w.labs
        self.startups, self.workforce, self.knowledge = w.startups, w.workforce, w.knowledge
        cp = params.capital
        self.market = MarketState(
            self.labs.frontier_oom(),
            cp.ai_market_usd_per_month / (cp.ai_budget_gdp_share * self.exo.economy_usd(0)),
            ai_market_usd=cp.ai_market_usd_per_month, market_ref_usd=cp.ai_market_usd_per_month)
        self.deals = DealBook()
        self.incidents = IncidentRecord()
        self.auditor = Auditor(self) if audit else None
        self.audit = self.auditor.records if self.auditor is not None else []

    def suppliers(self) -> Suppliers:
        """Labs and clouds as startups see them now."""
        return suppliers(self.labs, self.clouds, self.knowledge,
                         self.p.downstream.early_access_lead_months,
                         self.p.capital.market_logit_per_oom)

    def step(self) -> None:
        """Advance one month: the nine phases of model-spec "Order of a step"."""
        self.ledger.start_step()
        self.ledger.year = self.t // 12
        self.flows.month[:] = 0
        if self.auditor is not None:
            self.auditor.before()
        run = self._timed
        run("demography", self._demography)
        run("capital", self._capital)
        sale = run("compute", self._compute)
        run("talent", self._talent, sale)
        train_flop = run("labs", self._labs)
        sup = run("downstream", self._downstream)
        n_incidents = run("incidents", self._incidents)
        run("accounting", self._accounting, sale, sup)
        run("metrics", self._metrics, train_flop, n_incidents)
        if self.auditor is not None:
            self.auditor.after(sale)
        self.t += 1

    def _timed(self, phase: str, fn: Callable[..., T], *args: object) -> T:
        """Run one phase, add its wall time to ``phase_seconds`` and return its result."""
        start = time.perf_counter()
        out = fn(*args)
        self.phase_seconds[phase] += time.perf_counter() - start
        return out

    def _demography(self) -> None:
        """1. Researchers retire; new PhDs join the talent pools."""
        self.workforce.demography(self.t, self.rngs["demography"], self.pools.org_ids,
                                  self.pools.weights)

    def _capital(self) -> None:
        """2. Valuations; investors fund labs, alternative clouds and startups; deals; buybacks."""
        p, led, cp, rng = self.p, self.ledger, self.p.capital, self.rngs["capital"]
        old = self.orgs.valuation_usd.copy()
        val = self.labs.revalue(p, self.orgs)
        st = self.startups.revalue()
        self.orgs.set_valuation_growth(np.concatenate([self.labs.org_ids, st]), old,
                                       cp.valuation_change_clip)
        supply = investor_supply_usd(
            cp.investor_usd_per_month, cp.investor_growth_per_year, self.t,
            self.market.ai_market_usd / self.market.market_ref_usd, cp.hype_elasticity,
            self.exo.economy_usd(self.t), cp.investor_max_gdp_share)
        self.market.capital_supply_usd = supply
        self.clouds.fund_alternatives(p, led, supply * cp.alt_cloud_capital_share,
                                      self.exo.hw_cost_usd(self.t))
        self.labs.raise_funds(p, led, val, supply * cp.lab_capital_share)
        self.startups.raise_funds(
            supply * (1.0 - cp.lab_capital_share - cp.alt_cloud_capital_share), rng)
        self.clouds.serve_cloud_market(p, led, self.exo.cloud_market_usd(self.t))
        self.labs.fund_inhouse(p, led)
        self.clouds.offer_deals(p, self.labs.members, val, self.t, led, self.deals,
                                self.exo.price_floor_usd(self.t), self.exo.hw_cost_usd(self.t),
                                self.rngs[p.partnership.offer_stream])
        self.labs.buy_back(p, self.t, led, self.orgs, self.workforce)

    def _compute(self) -> ComputeSale:
        """3. Capacity arrives; buyers order compute; the market clears; clouds order capex."""
        p, o, c, exo = self.p, self.orgs, self.p.clouds, self.exo
        self.clouds.receive_capacity(c.capacity_depreciation_per_year / 12.0)
        month_price = self.clouds.prices() * HOURS_PER_MONTH
        st = self.startups.ids()
        nl, npl = self.labs.org_ids.size, self.pools.org_ids.size
        pick = self.clouds.preferred(p, nl + npl + st.size, self.rngs["compute"])
        lab = self.labs.compute_orders(p, self.ledger, o, self.t, month_price, pick,
                                       exo.hw_cost_usd(self.t))
        salary_bill = self.workforce.salary_bill_usd()
        pool_spot, pool_public = self.pools.compute_request(
            o, exo.academic_budget_usd(self.t), salary_bill,
            month_price[pick[nl: nl + npl]], c.hw_cost_usd_per_h100e / exo.hw_cost_usd(self.t))
        st_spot, st_cloud = self.startups.compute_request(month_price)
        orders = ComputeOrders.assemble(
            self.labs.org_ids, lab, self.pools.org_ids, pool_spot, pick[nl: nl + npl], st,
            st_spot, st_cloud, o.partner_cloud[st], self.ledger.cash_usd,
            c.spot_allocation == "wtp")
        alloc_p, alloc_s = sell_compute(self.clouds, p, orders, exo.price_floor_usd(self.t))
        used = alloc_p.sum(axis=1) + alloc_s.sum(axis=1)
        o.compute_h100e[orders.buyers] = used
        self.labs.set_compute(used[:nl])
        self.market.compute_price_usd = self.clouds.price_index_usd(p, alloc_p, alloc_s,
                                                                    month_price, lab.credit_price)
        self.market.capex_usd = sum(h.order_capex(p, self.ledger, exo.hw_cost_usd(self.t),
                                                  exo.price_floor_usd(self.t))
                                    for h in self.clouds.members)
        return ComputeSale(orders.buyers, alloc_p, alloc_s, month_price, lab.credit_price,
                           lab.credit_h100e, pool_public, salary_bill)

    def _talent(self, sale: ComputeSale) -> None:
        """4. Employers set pay and post vacancies (pools: ``sale``'s salary bill); people move."""
        p, o, led, wf, exo = self.p, self.orgs, self.ledger, self.workforce, self.exo
        wf.count_staff()
        self.labs.set_pay(p, led, o, p.scenario.n_researchers * wf.people_per_row)
        self.startups.set_pay(p.labs.salary_cash_elasticity, p.labs.salary_clip_min)
        self.pools.set_pay(o, exo.academic_budget_usd(self.t))
        vac = np.zeros(o.size)
        vac[self.labs.org_ids] = self.labs.vacancies(p, led, o)
        st, st_vac = self.startups.vacancies()
        vac[st] = st_vac
        vac[self.pools.org_ids] = self.pools.vacancies(o, exo.academic_budget_usd(self.t),
                                                       sale.salary_bill_usd)
        o.vacancies[: o.size] = vac / wf.people_per_row
        founders = wf.search_and_move(self.t, self.rngs["talent"])
        self.startups.spin_out(founders, wf, self.t, self.suppliers(), self.rngs["downstream"])

    def _labs(self) -> np.ndarray:
        """5. Labs choose safety and openness, do research and train; academia publishes."""
        p, o, kn = self.p, self.orgs, self.knowledge
        response = self.t <= self.incidents.response_until
        research = self.labs.decide_and_train(
            p, o, self.t, self.exo, self.safety_policy, kn.public_oom,
            p.governance.incident_safety_floor if response else 0.0)
        lag = max(0.0, float(self.labs.array("alg_eff_oom").max()) - kn.public_oom)
        academic = self.pools.publish(o, lag)
        kn.add(self.labs.frontier_oom(), research.published_oom, academic, o,
               np.concatenate([self.labs.org_ids, self.pools.org_ids]))
        return research.train_flop

    def _downstream(self) -> Suppliers:
        """6. Customers spend their AI budget on labs' APIs and startups' products (§7.7).

        Spending is the customers' budget (a share of the economy) times adoption
        (logistic in frontier capability and compute price); it splits into the labs'
        direct segment and the applications segment, each shared by a logit over quality
        with an outside option (open-weight models ``open_model_lag_oom`` behind the
        frontier) whose spend stays with the customers. Returns the suppliers it used.
        """
        p, m, cp, sup = self.p, self.market, self.p.capital, self.suppliers()
        self.startups.reconsider(sup, self.rngs["downstream"])
        front, caps = sup.frontier_oom, sup.capability_oom
        m.ai_budget_usd = cp.ai_budget_gdp_share * self.exo.economy_usd(self.t)
        spend = m.ai_budget_usd * adoption(
            front - m.initial_frontier, m.initial_adoption, cp.market_elasticity,
            m.compute_price_usd / p.clouds.price_usd_per_h100e_hour,
            cp.adoption_price_elasticity)
        outside_q = front - cp.open_model_lag_oom
        lab_share, out_direct = purchase_shares(caps, outside_q, cp.market_logit_per_oom,
                                                self.labs.array("trust"))
        direct = cp.direct_market_share * spend * lab_share
        self.ledger.transfer(CUSTOMERS, self.labs.org_ids, direct, "product_revenue")
        apps = self.startups.sell((1.0 - cp.direct_market_share) * spend, outside_q, sup)
        m.outside_share = (cp.direct_market_share * out_direct + (1.0 - cp.direct_market_share)
                           - (1.0 - cp.direct_market_share) * (1.0 - apps.outside_share))
        m.ai_market_usd = float(direct.sum()) + apps.paid_usd
        if self.t == 0 and m.ai_market_usd > 0:
            m.market_ref_usd = m.ai_market_usd
        m.lab_partner_revenue_total += apps.partner_fees_by_lab.sum()
        m.lab_revenue_total += self.labs.book_revenue(direct, apps.fees_by_lab, lab_share,
                                                      self.orgs)
        return sup

    def _incidents(self) -> int:
        """7. Labs draw incidents; major ones can trigger a regulatory safety floor (§7.6)."""
        h, severity = self.labs.incidents(self.p, self.orgs, self.rngs["incidents"])
        return self.incidents.add(self.t, h, severity, self.p.incidents, self.p.governance)

    def _accounting(self, sale: ComputeSale, sup: Suppliers) -> None:
        """8. Pay salaries, compute, grants, shares; vest; buy-outs, exits, foundings (``sup``)."""
        p, o, led, wf = self.p, self.orgs, self.ledger, self.workforce
        alloc_p = sale.priority_h100e.copy()
        self.labs.draw_credits(alloc_p, sale.credit_h100e, sale.credit_price, sale.month_price)
        n, alive = wf.size, o.alive[: o.size]
        emp = wf.employer[:n]
        pay, salary_bill = payroll(emp, wf.salary_usd[:n], alive, wf.people_per_row)
        bills = (alloc_p + sale.spot_h100e) * sale.month_price[None, :]
        compute_bill = bills[self.labs.org_ids.size:][: self.pools.org_ids.size].sum(axis=1)
        self.pools.draw_grants(led, o, self.exo.academic_budget_usd(self.t), salary_bill,
                               compute_bill, sale.pool_public_share)
        sal_paid, paid = settle(led, sale.buyers, salary_bill[sale.buyers], bills,
                                self.clouds.org_ids)
        wf.liquid_wealth_usd[:n] += saved_pay_usd(pay, emp, sale.buyers, sal_paid, alive,
                                                  p.talent.savings_share)
        self.clouds.book_compute_revenue(paid)
        costs = salary_bill[sale.buyers] * sal_paid + paid.sum(axis=1)
        self.labs.pay_profit_shares(p, led, costs)
        self.clouds.service_debt_and_pay_out(p, led)
        self.startups.pay_other_costs()
        wf.vest_and_grow()
        self.startups.acquisitions(wf, self.labs.org_ids, self.rngs["accounting"])
        self.startups.exits()
        self.startups.found_new(self.t, wf, sup, self.rngs["accounting"], self.rngs["downstream"])

    def _metrics(self, train_flop: np.ndarray, n_incidents: int) -> None:
        """9. Count staff, close the month's flows and record the time series."""
        self.workforce.count_staff()
        self.flows.close_month(self.t)
        if self.t < self.p.steps:
            state = month_state(self, train_flop, n_incidents)
            for k, v in metrics.collect(state).items():
                self.series[k][self.t] = v
            self.lab_series[self.t] = state.lab_capability_oom, state.lab_safety


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
    return results(model)
