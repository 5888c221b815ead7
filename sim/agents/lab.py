"""Frontier labs: weigh deals, bid for compute, choose safety and openness, train, hire.

A :class:`FrontierLab` owns its per-lab decisions (weigh a deal, order
compute, share profit with a partner, absorb an incident); :class:`Labs` is
the Mesa ``AgentSet`` of all labs with the decisions they take together on
arrays: valuation and fund-raising, pay and vacancies, buybacks, and the
monthly strategy step (safety through the configured policy, openness,
research and training). See docs/model.md §7.1-7.10, §7.13-7.15.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np
from mesa.agent import AgentSet

from sim.economy.capital import lab_accepts_deal
from sim.economy.ledger import HOUSEHOLDS, INVESTORS, Ledger
from sim.markets.capital import allocate_capped, valuation_usd
from sim.markets.compute import HOURS_PER_MONTH
from sim.markets.race import (
    capped_severity_mean,
    hazard,
    incident_severity,
    openness,
    race_pressure,
)
from sim.orgs import Orgs
from sim.params import GovernanceParams, IncidentParams, SafetyParams, SimParams
from sim.policies.safety import SafetyInputs

if TYPE_CHECKING:
    from collections.abc import Callable

    from sim.agents.cloud import Contract, Hyperscaler
    from sim.economy.exogenous import Exogenous
    from sim.populations.workforce import Workforce


class FrontierLab(mesa.Agent):
    """A frontier AI lab, independent or the in-house lab of a hyperscaler.

    Attributes:
        org_id: Organisation id (row of the model's organisation table and ledger).
        name: Display name.
        capability_oom: Capability ``C``: log10 of the largest effective training run (FLOP).
        alg_eff_oom: Algorithmic efficiency ``log10 A``.
        compute_h100e: Compute used this month (H100e).
        safety: Safety share ``s`` in [0, 1] (the organisation table mirrors it for researchers).
        openness: Openness ``o`` in [0, 1] (mirrored likewise).
        s_base: Base safety orientation.
        o_base: Base openness.
        enmity: Enmity ``e`` toward rivals in [0, 1].
        owner: Owning hyperscaler for in-house labs, else None.
        contract: Active upstream deal, or None.
        partner_equity: Equity share held by hyperscaler partners in [0, 1].
        revenue_usd: Revenue this month (USD/month), and its downstream part.
        pressure: Race pressure of the last decision.
        trust: Customers' trust in [0, 1]: the share of its customers a lab keeps
            after incidents; it recovers over time.
        standing: Investors' standing in [0, 1]: a factor on the lab's valuation
            that incidents cut; it recovers at the rate of trust.
        costs_usd: Salaries and compute paid this month (USD/month).
    """

    def __init__(self, model: mesa.Model, org_id: int, name: str, capability_oom: float,
                 alg_eff_oom: float, s_base: float, o_base: float, enmity: float,
                 owner: Hyperscaler | None) -> None:
        super().__init__(model)
        self.org_id = org_id
        self.name = name
        self.capability_oom = capability_oom
        self.alg_eff_oom = alg_eff_oom
        self.compute_h100e = 0.0
        self.s_base = s_base
        self.o_base = o_base
        self.safety = s_base
        self.openness = o_base
        self.enmity = enmity
        self.owner = owner
        self.contract: Contract | None = None
        self.partner_equity = 0.0
        self.revenue_usd = 0.0
        self.downstream_revenue_usd = 0.0
        self.pressure = 0.0
        self.trust = 1.0
        self.standing = 1.0
        self.costs_usd = 0.0

    @property
    def independent(self) -> bool:
        """Whether the lab is not a hyperscaler's in-house lab."""
        return self.owner is None

    @property
    def commercial(self) -> float:
        """Share of this month's revenue that comes from downstream partners and API users."""
        if self.revenue_usd <= 0.0:
            return 0.0
        return min(1.0, self.downstream_revenue_usd / self.revenue_usd)

    @property
    def investor_pressure(self) -> float:
        """Investor pressure in [0, 1]: mean of partner equity share and commercial dependence."""
        return 0.5 * (self.partner_equity + self.commercial)

    @property
    def provider(self) -> int:
        """Cloud provider the lab is tied to (owner or deal partner), -1 if none."""
        if self.owner is not None:
            return self.owner.provider
        return self.contract.cloud.provider if self.contract is not None else -1

    def bloc(self, index: int) -> int:
        """Antitrust bloc: the owning or partner cloud's id, else ``-1 - index`` (its own)."""
        if self.owner is not None:
            return self.owner.org_id
        return self.contract.cloud.org_id if self.contract is not None else -1 - index

    def end_deal(self, t: int) -> None:
        """End the deal when its term is over."""
        if self.contract is not None and self.contract.end_step <= t:
            self.contract.cloud.partners.remove(self.org_id)
            self.contract = None

    def weigh_deal(self, p: SimParams, value_usd: float, size_usd: float, constrained: bool,
                   exclusive: bool) -> bool:
        """Accept a deal when it raises the owners' stake (docs/model.md §7.10)."""
        pp = p.partnership
        return lab_accepts_deal(pp.equity_share, value_usd, size_usd, constrained,
                                pp.compute_premium, exclusive, pp.exclusivity_cost)

    def sign(self, contract: Contract) -> None:
        """Take a deal: the partner's equity dilutes the owners; the cloud counts a partner."""
        self.contract = contract
        self.partner_equity = 1.0 - (1.0 - self.partner_equity) * (1.0 - contract.equity_share)
        contract.cloud.partners.append(self.org_id)

    def pay_profit_share(self, p: SimParams, ledger: Ledger) -> None:
        """Pay ``partnership.profit_share`` of a positive monthly profit to the deal partner."""
        if self.contract is not None and self.owner is None:
            profit = self.revenue_usd - self.costs_usd
            if profit > 0:
                ledger.transfer(self.org_id, self.contract.cloud.org_id,
                                min(p.partnership.profit_share * profit,
                                    max(ledger.cash_usd[self.org_id], 0.0)), "profit_share")

    def recover_and_absorb(self, recovery: float, customer_loss: float, value_loss: float,
                           valuation_usd: np.ndarray) -> None:
        """Trust and standing recover by ``recovery``; then an incident's losses (severity > 0).

        Args:
            recovery: Share of the gap to 1 recovered this month.
            customer_loss: Share of customers lost, ``min(1, c x)`` (0 without incident).
            value_loss: Share of valuation lost, ``min(1, v x)`` (0 without incident).
            valuation_usd: Valuation column of the organisation table (cut in place).
        """
        self.trust += recovery * (1.0 - self.trust)
        self.standing += recovery * (1.0 - self.standing)
        if customer_loss or value_loss:
            self.trust *= 1.0 - customer_loss
            self.standing *= 1.0 - value_loss
            valuation_usd[self.org_id] *= 1.0 - value_loss


@dataclass(frozen=True)
class LabOrders:
    """Compute the labs ask for this month, in lab order (docs/model.md §7.9).

    Attributes:
        prio: Priority demand (in-house capacity, deal credits, exclusive budget; H100e).
        prio_provider: Provider of the priority demand (-1 if none).
        spot: Spot demand (H100e).
        spot_provider: Provider of the spot demand (-1 if none).
        allowed: Providers each lab may buy from, shape ``(labs, providers)``.
        credit_price: Monthly price of one H100e on deal credits (USD; 0 without a deal).
        credit_h100e: Compute on deal credits this month (H100e).
    """

    prio: np.ndarray
    prio_provider: np.ndarray
    spot: np.ndarray
    spot_provider: np.ndarray
    allowed: np.ndarray
    credit_price: np.ndarray
    credit_h100e: np.ndarray


@dataclass(frozen=True)
class Research:
    """What the labs' strategy step produced this month, in lab order.

    Attributes:
        d_alg_oom: Algorithmic progress made (OOM).
        published_oom: Progress made public (openness times progress; OOM).
        train_flop: FLOP of each lab's largest run.
    """

    d_alg_oom: np.ndarray
    published_oom: np.ndarray
    train_flop: np.ndarray


class LabState(NamedTuple):
    """The labs' state at the start of their strategy step, arrays in lab order.

    Attributes:
        capability_oom: Capability ``C`` (OOM).
        safety: Safety share.
        openness: Openness.
        alg_eff_oom: Algorithmic efficiency ``log10 A``.
        compute_h100e: Compute used this month (H100e).
        revenue_usd: Revenue this month (USD/month).
        s_base: Base safety orientation.
        o_base: Base openness.
        enmity: Enmity toward rivals.
        investor_pressure: Investor pressure in [0, 1].
        commercial: Share of revenue from downstream partners and API users.
    """

    capability_oom: np.ndarray
    safety: np.ndarray
    openness: np.ndarray
    alg_eff_oom: np.ndarray
    compute_h100e: np.ndarray
    revenue_usd: np.ndarray
    s_base: np.ndarray
    o_base: np.ndarray
    enmity: np.ndarray
    investor_pressure: np.ndarray
    commercial: np.ndarray


class Labs(AgentSet):
    """The frontier labs, in lab order (a Mesa ``AgentSet``).

    Attributes:
        members: Labs in lab order.
        org_ids: Organisation id of each lab.
        market_share: Share of the labs' direct market each lab holds (logit over capability).
    """

    def __init__(self, labs: list[FrontierLab], market_share: np.ndarray) -> None:
        super().__init__(labs)
        self.members = list(labs)
        self.org_ids = np.array([lab.org_id for lab in labs], dtype=np.int64)
        self.market_share = market_share

    def array(self, attr: str) -> np.ndarray:
        """An attribute of every lab as an array, in lab order."""
        return np.array([getattr(lab, attr) for lab in self.members])

    def columns(self, *attrs: str) -> np.ndarray:
        """Two or more attributes of every lab read in one pass: row ``k`` holds ``attrs[k]``.

        The rows are contiguous arrays in lab order, equal to ``array(attrs[k])``
        for numeric attributes.
        """
        return np.ascontiguousarray(np.array(list(map(attrgetter(*attrs), self.members))).T)

    def state(self) -> LabState:
        """The labs' state for their strategy step (:class:`LabState`), read in one pass."""
        return LabState._make(self.columns(*LabState._fields))

    def capabilities(self) -> np.ndarray:
        """Capability of each lab (OOM), in lab order."""
        return self.array("capability_oom")

    def frontier_oom(self) -> float:
        """Frontier capability ``max C`` (log10 effective FLOP)."""
        return max(lab.capability_oom for lab in self.members)

    def providers(self) -> np.ndarray:
        """Cloud provider tied to each lab, -1 if none."""
        return np.array([lab.provider for lab in self.members], dtype=np.int64)

    def revalue(self, p: SimParams, orgs: Orgs) -> np.ndarray:
        """Valuations from revenue and capability rank, times investors' standing (§7.7)."""
        cp = p.capital
        caps, revenue, trust, standing = self.columns("capability_oom", "revenue_usd", "trust",
                                                      "standing")
        rank = (-caps).argsort().argsort()
        val = trust * standing * valuation_usd(revenue, rank, cp.valuation_revenue_multiple,
                                               cp.valuation_rank_premium_usd)
        orgs.valuation_usd[self.org_ids] = val
        return val

    def raise_funds(self, p: SimParams, ledger: Ledger, valuation: np.ndarray,
                    supply_usd: float) -> None:
        """Independent labs share investors' supply by valuation^exponent, capped (§7.8)."""
        cp = p.capital
        indep = np.array([lab.independent for lab in self.members])
        need = np.where(indep, valuation ** cp.valuation_weight_exponent, 0.0)
        caps = np.where(indep, p.labs.raise_valuation_cap * valuation, 0.0)
        money = allocate_capped(supply_usd, need, caps)
        ledger.transfer(INVESTORS, self.org_ids, money, "venture_capital")

    def fund_inhouse(self, p: SimParams, ledger: Ledger) -> None:
        """Owners fund their in-house labs with ``big_ai_budget_share`` of revenue, within cash."""
        for lab in self.members:
            if lab.owner is not None:
                budget = p.clouds.big_ai_budget_share * lab.owner.revenue_usd
                ledger.transfer(lab.owner.org_id, lab.org_id,
                                min(budget, max(ledger.cash_usd[lab.owner.org_id], 0.0)),
                                "inhouse_funding")

    def buy_back(self, p: SimParams, t: int, ledger: Ledger, orgs: Orgs, wf: Workforce) -> None:
        """Every ``buyback_interval_months`` labs buy back vested staff equity (§7.15).

        A lab valued at least ``buyback_min_valuation_usd`` offers to buy
        ``buyback_share`` of each employee's vested equity, scaled down to
        ``buyback_cash_share`` of its cash; proceeds become liquid wealth.
        """
        g = p.governance
        due = t % g.buyback_interval_months == g.buyback_interval_months - 1
        if g.buyback_share <= 0 or not due:
            return
        staff_of = wf.staff_rows(self.org_ids)
        for lab in self.members:
            if orgs.valuation_usd[lab.org_id] < g.buyback_min_valuation_usd:
                continue
            staff = staff_of[lab.org_id]
            offer = g.buyback_share * wf.vested_equity_usd[staff]
            total = offer.sum() * wf.people_per_row
            budget = g.buyback_cash_share * max(ledger.cash_usd[lab.org_id], 0.0)
            if total <= 0 or budget <= 0:
                continue
            offer *= min(1.0, budget / total)
            ledger.transfer(lab.org_id, HOUSEHOLDS, offer.sum() * wf.people_per_row, "buyback")
            wf.vested_equity_usd[staff] -= offer
            wf.liquid_wealth_usd[staff] += offer

    def compute_orders(self, p: SimParams, ledger: Ledger, orgs: Orgs, t: int,
                       month_price: np.ndarray, pick: np.ndarray, hw_cost_usd: float) -> LabOrders:
        """Each lab's compute order from its burn budget net of salaries (§7.9).

        In-house labs buy from their owner; labs with a deal draw their credits
        at the contract price (indexed to hardware cost) and, if exclusive,
        spend their budget there too; others buy on the spot market at the
        provider ``pick``.
        """
        n, n_p = len(self.members), month_price.size
        prio, spot = np.zeros(n), np.zeros(n)
        prov, pref = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
        allowed = np.ones((n, n_p), dtype=bool)
        credit_price, credit_h100e = np.zeros(n), np.zeros(n)
        bill = orgs.staff[self.org_ids] * orgs.salary_usd[self.org_ids] / 12.0
        for i, lab in enumerate(self.members):
            budget = max(0.0, ledger.cash_usd[lab.org_id] * p.labs.cash_burn_share - bill[i])
            if lab.owner is not None:
                k = lab.owner.provider
                prio[i], prov[i] = budget / month_price[k], k
                allowed[i] = False
                allowed[i, k] = True
                continue
            ct = lab.contract
            if ct is not None:
                k = ct.cloud.provider
                use = ct.credits_usd / max(1, ct.end_step - t)
                credit_price[i] = (ct.price_usd_per_hour * HOURS_PER_MONTH
                                   * (1 - ct.credit_discount) * hw_cost_usd / ct.hw_cost_usd)
                credit_h100e[i] = use / credit_price[i]
                prio[i], prov[i] = credit_h100e[i], k
                if ct.exclusive:
                    prio[i] += budget / credit_price[i]
                    allowed[i] = False
                    allowed[i, k] = True
                    continue
            pref[i] = pick[i]
            spot[i] = budget / month_price[pick[i]]
        return LabOrders(prio, prov, spot, pref, allowed, credit_price, credit_h100e)

    def draw_credits(self, priority_h100e: np.ndarray, credit_h100e: np.ndarray,
                     credit_price: np.ndarray, month_price: np.ndarray) -> None:
        """Labs with a deal pay part of their priority compute with credits (§7.9-7.10).

        The credited part leaves the bill (``priority_h100e`` rows are scaled in
        place); an exclusive lab pays the rest at the contract price, not the
        list price.

        Args:
            priority_h100e: Priority allocation of the buyers (labs first), modified in place.
            credit_h100e: Compute each lab may draw on credits (H100e).
            credit_price: Monthly contract price of an H100e per lab (USD).
            month_price: List price at each provider (USD per H100e-month).
        """
        got_all = priority_h100e[: len(self.members)].sum(axis=1).tolist()
        for i, (lab, got) in enumerate(zip(self.members, got_all, strict=True)):
            ct = lab.contract
            if ct is not None and lab.owner is None and got > 0:
                on_credit = min(got, credit_h100e[i])
                ct.credits_usd = max(0.0, ct.credits_usd - on_credit * credit_price[i])
                priority_h100e[i] *= (got - on_credit) / got
                if ct.exclusive:
                    priority_h100e[i] *= credit_price[i] / month_price[ct.cloud.provider]

    def pay_profit_shares(self, p: SimParams, ledger: Ledger, costs_usd: np.ndarray) -> None:
        """Record costs (USD/month; labs first in ``costs_usd``) and pay partners a profit share."""
        for lab, cost in zip(self.members, costs_usd[: len(self.members)].tolist(), strict=True):
            lab.costs_usd = cost
            lab.pay_profit_share(p, ledger)

    def book_revenue(self, direct_usd: np.ndarray, fees_usd: np.ndarray, share: np.ndarray,
                     orgs: Orgs) -> float:
        """Record this month's revenue (direct sales plus model fees) and market shares.

        Args:
            direct_usd: Direct sales to customers (USD/month).
            fees_usd: Model fees from startups (USD/month).
            share: Each lab's share of direct customers (the outside option excluded).
            orgs: The organisation table.

        Returns:
            The labs' total revenue this month (USD/month).
        """
        revenue = direct_usd + fees_usd
        orgs.revenue_usd[self.org_ids] = revenue
        for i, lab in enumerate(self.members):
            lab.revenue_usd = float(revenue[i])
            lab.downstream_revenue_usd = float(fees_usd[i])
        total = share.sum()
        self.market_share = share / total if total > 0 else np.full(share.size, 1 / share.size)
        return revenue.sum()

    def set_compute(self, used: np.ndarray) -> None:
        """Record the compute each lab got this month (H100e)."""
        for lab, u in zip(self.members, used, strict=True):
            lab.compute_h100e = float(u)

    def set_pay(self, p: SimParams, ledger: Ledger, orgs: Orgs, people: float) -> None:
        """Salary levels rise with cash per head (USD/year; docs/model.md §7.14).

        Args:
            p: Parameters.
            ledger: The book.
            orgs: The organisation table (``salary_usd`` is set).
            people: Researchers in the world (people), for the reference cash per head.
        """
        lp, labs = p.labs, self.org_ids
        cash = np.maximum(ledger.cash_usd[labs], 0.0)
        head = np.maximum(orgs.staff[labs], 1.0)
        ref = max(1.0, lp.initial_cash_usd / max(1.0, people * lp.initial_staff_share
                                                 / max(1, len(self.members))))
        orgs.salary_usd[labs] = lp.salary_usd * np.clip(
            (cash / head / ref) ** lp.salary_cash_elasticity, lp.salary_clip_min,
            lp.salary_clip_max)

    def vacancies(self, p: SimParams, ledger: Ledger, orgs: Orgs) -> np.ndarray:
        """Open positions in people: the staff budget's headcount less staff, stepped (§7.13)."""
        labs = self.org_ids
        staff_budget = ledger.cash_usd[labs] * p.labs.cash_burn_share * (
            1 - p.labs.compute_budget_share) * 12.0
        target = staff_budget / orgs.salary_usd[labs]
        return np.clip(target - orgs.staff[labs], 0.0,
                       np.maximum(p.labs.hiring_step_min, p.labs.hiring_step_share
                                  * orgs.staff[labs]))

    def safety_inputs(self, p: SimParams, orgs: Orgs, now: LabState, pressure: np.ndarray,
                      floor: np.ndarray) -> SafetyInputs:
        """What the labs' safety decision depends on (docs/model.md §7.4).

        The value of speed is the revenue one OOM of capability brings per
        month in the labs' logit market, ``beta (1 - share) (R + V / (12 m))``
        (revenue, plus the valuation's rank premium as a monthly flow); the
        expected loss per incident is the capped mean severity times the lost
        revenue over the recovery and the valuation loss per unit severity.

        Args:
            p: Parameters.
            orgs: The organisation table (valuations).
            now: The labs' state (:meth:`state`).
            pressure: Race pressure of each lab.
            floor: Regulatory safety floor of each lab.
        """
        ip, cp = p.incidents, p.capital
        caps, rev = now.capability_oom, now.revenue_usd
        val = orgs.valuation_usd[self.org_ids]
        flow = rev + val / (12.0 * max(cp.valuation_revenue_multiple, 1e-9))
        speed = cp.market_logit_per_oom * (1.0 - self.market_share) * flow
        months = min(1.0 / max(ip.trust_recovery_per_month, 1e-12), float(p.steps))
        c, v = ip.customer_loss_per_severity, ip.valuation_loss_per_severity
        loss = (capped_severity_mean(ip.severity_alpha, 1.0 / max(c, 1e-12)) * c * rev * months
                + capped_severity_mean(ip.severity_alpha, 1.0 / max(v, 1e-12)) * v * val)
        h0 = hazard(caps, None, ip.h0, ip.eta, ip.c_ref_oom, ip.gamma)
        return SafetyInputs(caps, now.safety, pressure, floor, now.s_base, now.enmity, speed, h0,
                            loss, ip.gamma)

    def decide_and_train(self, p: SimParams, orgs: Orgs, t: int, exo: Exogenous,
                         policy: Callable[[SafetyInputs, SafetyParams], np.ndarray],
                         public_oom: float, extra_floor: float) -> Research:
        """The labs' strategy step: safety, openness, research and training (§7.1-7.5).

        Safety moves by ``adjust_rate`` toward the policy's target, never below
        the regulatory floor (the compute-threshold floor, raised to
        ``extra_floor`` while an incident response lasts); openness toward its
        target under pressure and commercial dependence. The first month's
        decision (``t == 0``) sets both to their targets: there is no earlier
        choice to adjust from (the dispositions ``s_base``, ``o_base`` stand
        for the labs before it). Effort not spent on
        safety makes algorithmic progress (at least what absorbing the public
        stock gives) and trains the largest run; capability never falls.

        Args:
            p: Parameters.
            orgs: The organisation table (safety and openness are mirrored for researchers).
            t: Month.
            exo: Exogenous trends (training-run length and share).
            policy: Safety policy (``sim.policies.SAFETY``).
            public_oom: Public knowledge stock (OOM).
            extra_floor: Safety floor of an incident response (0 if none).

        Returns:
            Research and training of the month.
        """
        sp, lp, gov = p.safety, p.labs, p.governance
        now = self.state()
        caps, s_now, compute = now.capability_oom, now.safety, now.compute_h100e
        pressure = race_pressure(caps, now.enmity, now.investor_pressure,
                                 p.scenario.lead_window_oom, sp.gap_scale_oom, sp.w_gap,
                                 sp.w_contenders, sp.w_enmity, sp.w_investor)
        floor = np.where(compute >= gov.safety_floor_compute_h100e, gov.safety_floor, 0.0)
        if extra_floor > 0:
            floor = np.maximum(floor, extra_floor)
        target = policy(self.safety_inputs(p, orgs, now, pressure, floor), sp)
        rate = 1.0 if t == 0 else sp.adjust_rate
        s_new = np.maximum(s_now + rate * (target - s_now), floor)
        o_now = now.openness
        o_target = openness(now.o_base, pressure, now.commercial, sp.k_openness,
                            sp.k_commercial)
        o_new = o_now + rate * (o_target - o_now)
        effort = orgs.skill_mass[self.org_ids] * (1.0 - s_new)
        d_alg = lp.alg_rate_oom_per_month * (effort / lp.research_ref_skill) ** lp.research_returns
        absorb = np.log10(np.maximum(effort, 1e-9) / (effort + lp.absorb_half_skill))
        alg = np.maximum(now.alg_eff_oom + d_alg, public_oom + absorb)
        train = exo.training_flop(t, compute, 1.0 - s_new)
        cap_new = np.maximum(caps, np.log10(np.maximum(train, 1.0)) + alg)
        for lab, s_i, o_i, pr_i, alg_i, cap_i in zip(
                self.members, s_new.tolist(), o_new.tolist(), pressure, alg.tolist(),
                cap_new.tolist(), strict=True):
            lab.safety, lab.openness, lab.pressure = s_i, o_i, pr_i
            lab.alg_eff_oom, lab.capability_oom = alg_i, cap_i
        orgs.safety[self.org_ids] = s_new
        orgs.openness[self.org_ids] = o_new
        return Research(d_alg, o_new * d_alg, train)

    def incidents(self, p: SimParams, orgs: Orgs,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Each lab draws incidents from its hazard and absorbs their losses (§7.6).

        An incident of severity ``x`` (Pareto, scale 1) takes a share
        ``min(1, c x)`` of the lab's customers (its trust) and ``min(1, v x)``
        of its investors' standing (a factor on its valuation); both recover at
        ``trust_recovery_per_month``.

        Returns:
            Hazard (1/month) and severity (0 without incident) of each lab.
        """
        ip = p.incidents
        h = hazard(*self.columns("capability_oom", "safety"), ip.h0, ip.eta, ip.c_ref_oom,
                   ip.gamma)
        draws = rng.random(h.size) < h
        severity = np.zeros(h.size)
        severity[draws] = incident_severity(int(draws.sum()), ip.severity_alpha, rng)
        for i, lab in enumerate(self.members):
            hit = bool(draws[i])
            lab.recover_and_absorb(
                ip.trust_recovery_per_month,
                min(1.0, ip.customer_loss_per_severity * severity[i]) if hit else 0.0,
                min(1.0, ip.valuation_loss_per_severity * severity[i]) if hit else 0.0,
                orgs.valuation_usd)
        return h, severity


@dataclass
class IncidentRecord:
    """Incidents over the run (docs/model.md §7.6).

    Attributes:
        log_no_incident: log P(no incident so far) over all labs.
        log_no_major: log P(no major incident so far).
        major_incidents: Major incidents drawn so far.
        log: (month, lab index, severity) of each incident.
        response_until: Last month of the regulatory response to a major incident (-1: none).
    """

    log_no_incident: float = 0.0
    log_no_major: float = 0.0
    major_incidents: int = 0
    log: list[tuple[int, int, float]] = field(default_factory=list)
    response_until: int = -1

    def add(self, t: int, hazard_per_month: np.ndarray, severity: np.ndarray,
            ip: IncidentParams, gov: GovernanceParams) -> int:
        """Record a month's incidents; a major one starts the regulatory response if set.

        Args:
            t: Month.
            hazard_per_month: Each lab's hazard (1/month).
            severity: Each lab's incident severity (0 without incident).
            ip: Incident parameters.
            gov: Governance parameters (``incident_safety_floor``, ``incident_response_months``).

        Returns:
            Incidents this month.
        """
        major = severity >= ip.major_severity
        self.major_incidents += int(major.sum())
        self.log_no_incident += float(np.log1p(-np.minimum(hazard_per_month, 1.0 - 1e-15)).sum())
        p_major = np.minimum(hazard_per_month * ip.major_severity ** -ip.severity_alpha,
                             1.0 - 1e-15)
        self.log_no_major += float(np.log1p(-p_major).sum())
        hit = np.flatnonzero(severity > 0)
        self.log.extend((t, int(i), float(severity[i])) for i in hit)
        if major.any() and gov.incident_safety_floor > 0:
            self.response_until = t + gov.incident_response_months
        return int(hit.size)
