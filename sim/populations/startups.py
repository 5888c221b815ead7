"""Downstream startups: one vectorised population over rows of the organisation table.

Startups are many and alike, so they are not Mesa agents: their state is
columns of :class:`sim.orgs.Orgs` (cash in the ledger) and this class owns
their behaviour (the mesa-frames idea): found, choose an access mode and a
cloud, raise money, buy compute, sell, pay costs, exit and be acquired
(docs/model.md §7.7-7.9, §7.11, §7.16-7.18). Rows of dead startups stay with ``alive``
false so that organisation ids never change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.economy.demand import purchase_shares
from sim.economy.ledger import CUSTOMERS, HOUSEHOLDS, INVESTORS, SUPPLIERS, Ledger
from sim.markets.capital import allocate_capped
from sim.orgs import (
    ACADEMIA,
    API,
    OPEN,
    ORIGIN_ACADEMIA,
    ORIGIN_LAB,
    ORIGIN_OTHER,
    PARTNER,
    STARTUP,
    Orgs,
)
from sim.params import SimParams
from sim.policies.downstream import DownstreamInputs
from sim.populations.workforce import K_STARTUP, Workforce


@dataclass(frozen=True)
class Suppliers:
    """What startups choose among when they pick models and clouds.

    Attributes:
        capability_oom: Capability of each lab (OOM), in lab order.
        lab_org: Organisation id of each lab.
        lab_provider: Cloud provider tied to each lab (owner or deal partner), -1 if none.
        big_providers: Provider indices of the big hyperscalers.
        alt_providers: Provider indices of the alternative clouds.
        cloud_org: Organisation id of each provider.
        early_access_lead_oom: Quality lead of a partner's early access (OOM).
        lab_choice_cdf: Cumulative probability that a startup picks each lab (logit over
            capability, ``capital.market_logit_per_oom``), in lab order; the last entry
            is at least 1, so that every uniform draw in [0, 1) falls on a lab.
        frontier_oom: Frontier capability (OOM), ``max(capability_oom)``.
        own_cloud_bounds: Number of alternative then of big providers (the bounds of a
            startup's two uniform draws of its own cloud).
    """

    capability_oom: np.ndarray
    lab_org: np.ndarray
    lab_provider: np.ndarray
    big_providers: np.ndarray
    alt_providers: np.ndarray
    cloud_org: np.ndarray
    early_access_lead_oom: float
    lab_choice_cdf: np.ndarray
    frontier_oom: float
    own_cloud_bounds: np.ndarray


@dataclass(frozen=True)
class AppSales:
    """What the applications segment paid labs this month (USD/month).

    Attributes:
        paid_usd: Customers' spending on startups' products.
        fees_by_lab: Model fees (API and partner revenue shares) received by each lab.
        partner_fees_by_lab: The partner part of those fees.
        outside_share: Share of the segment's spend on the outside option.
    """

    paid_usd: float
    fees_by_lab: np.ndarray
    partner_fees_by_lab: np.ndarray
    outside_share: float


DownstreamPolicy = Callable[[int, DownstreamInputs, np.random.Generator], np.ndarray]


def weighted_index(p: np.ndarray, rng: np.random.Generator) -> int:
    """One index drawn with probabilities ``p``: ``rng.choice(p.size, p=p)`` without its checks.

    Same draw and same result as numpy's ``Generator.choice`` with ``p`` and no
    ``size`` (one uniform through the normalised cumulative distribution,
    ``side="right"``), without the validation of ``p`` (callers pass
    non-negative shares that sum to 1).

    Args:
        p: Probabilities, shape ``(N,)``.
        rng: Generator.
    """
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return int(cdf.searchsorted(rng.random(), side="right"))


def rows_employed_by(employer: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Rows whose employer is a member: ``flatnonzero(member[employer])``.

    When the members are exactly the first organisations (the talent pools
    are created first), ``employer < count`` selects the same rows without
    gathering ``member`` at every row.

    Args:
        employer: Employer id of each row (valid organisation ids, >= 0).
        member: Whether each organisation is a member, shape ``(organisations,)``.

    Returns:
        Row indices, ascending.
    """
    count = int(np.count_nonzero(member))
    if member[:count].all():
        return (employer < count).nonzero()[0]
    return member[employer].nonzero()[0]


def sample_without_replacement(p: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` distinct indices drawn with probabilities ``p``, in draw order.

    Same draws and same result as ``rng.choice(p.size, k, replace=False, p=p)``
    (numpy's ``Generator.choice``): draw the missing number of uniforms, map
    them through the normalised cumulative distribution of the entries not yet
    taken, keep each new index at its first occurrence, repeat until ``k`` are
    taken. Skips the validation of ``p`` (callers pass positive shares summing
    to 1), which costs several passes over a large population.

    Args:
        p: Probabilities, shape ``(N,)``; overwritten when a draw repeats.
        k: Number of indices (``<= N``).
        rng: Generator.

    Returns:
        Indices, shape ``(k,)``.

    Raises:
        ValueError: Fewer than ``k`` entries of ``p`` are positive.
    """
    taken: list[int] = []
    while len(taken) < k:
        if taken:
            p[taken] = 0.0
        cdf = p.cumsum()
        if not cdf[-1] > 0.0:
            raise ValueError("fewer positive probabilities than draws")
        cdf /= cdf[-1]
        new = cdf.searchsorted(rng.random(k - len(taken)), side="right").tolist()
        taken.extend(dict.fromkeys(new))
    return np.array(taken, dtype=np.int64)


class Startups:
    """The startup population and its behaviour.

    Args:
        params: Validated parameters.
        orgs: The organisation table.
        ledger: The double-entry book.
        policy: Downstream policy: access modes of deciding startups.

    Attributes:
        spinouts_total: Startups founded by lab staff so far (rows).
    """

    def __init__(self, params: SimParams, orgs: Orgs, ledger: Ledger,
                 policy: DownstreamPolicy) -> None:
        self.p = params
        self.orgs = orgs
        self.ledger = ledger
        self.policy = policy
        self.spinouts_total = 0
        self._alive: np.ndarray | None = None

    def ids(self) -> np.ndarray:
        """Organisation ids of the startups alive (cached until one is founded or closes)."""
        if self._alive is None:
            self._alive = self.orgs.ids(STARTUP)
        return self._alive

    def found(self, n: int, origin: int, born_step: int, initial: bool, sup: Suppliers,
              rng: np.random.Generator) -> np.ndarray:
        """Create ``n`` startups with seed funding and an access mode; return their ids.

        Args:
            n: Number of startups.
            origin: Founders' origin (``sim.orgs.ORIGIN_*``).
            born_step: Month of founding (-1 at the start).
            initial: Whether they exist at the start of the run.
            sup: Labs and clouds to choose among.
            rng: Generator of the downstream component.
        """
        if n <= 0:
            return np.zeros(0, np.int64)
        ids = self.orgs.add(n, STARTUP, K_STARTUP)
        self._alive = None
        self.ledger.grow(self.orgs.kind.size)
        o, sp, tp = self.orgs, self.p.startups, self.p.talent
        o.salary_usd[ids] = sp.salary_usd
        o.safety[ids] = tp.startup_safety
        o.openness[ids] = tp.startup_openness
        o.prestige[ids] = tp.startup_prestige
        o.initial[ids] = initial
        o.origin[ids] = origin
        o.born_step[ids] = born_step
        self.ledger.transfer(INVESTORS, ids, sp.initial_cash_usd, "seed_funding")
        o.valuation_usd[ids] = sp.initial_cash_usd * sp.valuation_cash_multiple
        self._assign_modes(ids, self._choose_modes(ids.size, sup, rng), sup, rng)
        return ids

    def _choose_modes(self, n: int, sup: Suppliers, rng: np.random.Generator) -> np.ndarray:
        """Access modes of ``n`` deciding startups from the downstream policy."""
        return self.policy(n, DownstreamInputs(self.p, sup.frontier_oom,
                                               sup.early_access_lead_oom), rng)

    def _assign_modes(self, ids: np.ndarray, modes: np.ndarray, sup: Suppliers,
                      rng: np.random.Generator) -> None:
        """Set access modes, partner/API labs and clouds of startups ``ids``."""
        o, n = self.orgs, ids.size
        lab_choice = sup.lab_choice_cdf.searchsorted(rng.random(n))
        lab_pick = sup.lab_org[lab_choice]
        partner = modes == PARTNER
        o.mode[ids] = modes
        o.api_lab[ids] = np.where(modes != OPEN, lab_pick, -1)
        o.partner_lab[ids] = np.where(partner, lab_pick, -1)
        big_prov, alt = sup.big_providers, sup.alt_providers
        n_big, n_alt = big_prov.size, alt.size
        pcloud = np.where(partner, sup.lab_provider[lab_choice], -1)
        pick_big = partner & (pcloud < 0)
        n_pick = int(np.count_nonzero(pick_big))
        if n_big and n_pick:
            # One draw is taken without a size: the same draw, without numpy's size handling.
            pick = rng.integers(0, n_big) if n_pick == 1 else rng.integers(0, n_big, n_pick)
            pcloud[pick_big] = big_prov[pick]
        o.partner_cloud[ids] = pcloud
        if n_alt and n_big:
            use_alt = rng.random(n) < self.p.downstream.alt_cloud_share
            # One call with a bound per draw gives the draws of ``integers(0, n_alt, n)``
            # then ``integers(0, n_big, n)`` (same generator calls in the same order).
            draw = rng.integers(0, sup.own_cloud_bounds.repeat(n))
            own = np.where(use_alt, alt[draw[:n]], big_prov[draw[n:]])
        elif n_alt:
            own = alt[rng.integers(0, n_alt, n)]
        else:
            own = big_prov[rng.integers(0, n_big, n)]
        o.cloud[ids] = np.where(pcloud >= 0, pcloud, own)

    def reconsider(self, sup: Suppliers, rng: np.random.Generator) -> None:
        """A share ``reconsider_rate_per_month`` of startups choose their access mode anew."""
        st = self.ids()
        if st.size:
            redo = st[rng.random(st.size) < self.p.downstream.reconsider_rate_per_month]
            if redo.size:
                self._assign_modes(redo, self._choose_modes(redo.size, sup, rng), sup, rng)

    def costs_usd(self, st: np.ndarray) -> np.ndarray:
        """Monthly costs of startups ``st``: salaries plus other costs per head (USD/month)."""
        o = self.orgs
        staff = o.staff[st]
        return (staff * o.salary_usd[st] / 12.0
                + np.maximum(staff, 1.0) * self.p.startups.other_cost_usd_per_head)

    def revalue(self) -> np.ndarray:
        """Set valuations from revenue (multiple) plus seed value; return the ids (§7.7)."""
        o, sp = self.orgs, self.p.startups
        st = self.ids()
        o.valuation_usd[st] = (sp.valuation_revenue_multiple * 12.0 * o.revenue_usd[st]
                               + sp.initial_cash_usd * sp.valuation_cash_multiple)
        return st

    def raise_funds(self, supply_usd: float, rng: np.random.Generator) -> None:
        """Startups short of runway raise from investors' supply (docs/model.md §7.8).

        Investors back a startup with a probability that rises with its quality
        rank; backed startups with less than ``runway_months`` of runway share
        ``supply_usd`` in proportion to valuation^exponent, each capped at
        ``raise_valuation_cap`` times its valuation.
        """
        o, sp, cp = self.orgs, self.p.startups, self.p.capital
        st = self.ids()
        if not st.size:
            return
        runway = self.ledger.cash_usd[st] / np.maximum(self.costs_usd(st), 1.0)
        rank = np.empty(st.size, np.int64)
        rank[o.quality_oom[st].argsort()] = np.arange(st.size)
        pct = (rank + 1.0) / st.size
        backed = rng.random(st.size) < sp.funding_success * 2 * pct
        val = o.valuation_usd[st]
        weights = np.where((runway < sp.runway_months) & backed,
                           val ** cp.valuation_weight_exponent, 0.0)
        money = allocate_capped(supply_usd, weights, sp.raise_valuation_cap * val)
        self.ledger.transfer(INVESTORS, st, money, "venture_capital")

    def compute_request(self, month_price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Compute each startup wants and can afford, and its cloud (H100e, provider)."""
        o, sp, led = self.orgs, self.p.startups, self.ledger
        st = self.ids()
        cloud = o.cloud[st]
        price = month_price[cloud]
        need = (sp.compute_h100e_per_head * np.maximum(o.staff[st], 1.0)
                + sp.compute_revenue_share * o.revenue_usd[st] / price)
        afford = np.maximum(led.cash_usd[st], 0.0) * sp.compute_cash_share / price
        return np.minimum(need, afford), cloud

    def sell(self, spend_usd: float, outside_q: float, sup: Suppliers) -> AppSales:
        """Customers buy startups' products; startups pay model fees and cross-selling cuts.

        Quality is the model's (open: one ``open_model_lag_oom`` behind the
        frontier; API: the lab's; partner: the lab's plus the early-access lead)
        plus the team's skill; customers share ``spend_usd`` by a logit with the
        outside option, partners reaching ``1 + cross_selling_share`` as many
        (docs/model.md §7.7).

        Args:
            spend_usd: Customers' spending on applications (USD/month).
            outside_q: Quality of the outside option (OOM).
            sup: Labs and clouds.
        """
        p, o, led = self.p, self.orgs, self.ledger
        cp, d = p.capital, p.downstream
        st = self.ids()
        n_labs = sup.lab_org.size
        if not st.size:
            return AppSales(0.0, np.zeros(n_labs), np.zeros(n_labs), 1.0)
        mode, api_lab = o.mode[st], o.api_lab[st]
        partner, api = mode == PARTNER, mode == API
        # Startups without a lab (api_lab -1) sort before every lab id and read lab 0's.
        lab_c = sup.capability_oom[sup.lab_org.searchsorted(api_lab)]
        model_q = np.where(mode == OPEN, sup.frontier_oom - cp.open_model_lag_oom, 0.0)
        model_q = np.where(api, lab_c, model_q)
        model_q = np.where(partner, lab_c + sup.early_access_lead_oom, model_q)
        q = model_q + p.startups.quality_skill_weight * np.log10(1.0 + o.skill_mass[st])
        o.quality_oom[st] = q
        reach = np.where(partner, 1.0 + d.cross_selling_share, 1.0)
        share, out_apps = purchase_shares(q, outside_q, cp.startup_logit_per_oom, reach)
        sales = spend_usd * share
        led.transfer(CUSTOMERS, st, sales, "product_revenue")
        o.revenue_usd[st] = sales
        extra = sales * (reach - 1.0) / reach
        p_cloud = o.partner_cloud[st]
        has_cloud = (partner & (p_cloud >= 0)).nonzero()[0]
        led.transfer(st[has_cloud], sup.cloud_org[p_cloud[has_cloud]],
                     d.hyperscaler_cut * extra[has_cloud], "cross_selling")
        base = sales - extra
        fee = np.where(partner, d.partner_revenue_share * base,
                       np.where(api, cp.api_fee_share * base, 0.0))
        pays = (fee > 0).nonzero()[0]
        payer_lab, paid = api_lab[pays], fee[pays]
        led.transfer(st[pays], payer_lab, paid, "model_fees")
        per_lab = np.bincount(payer_lab, weights=paid, minlength=o.size)
        partner_fee = np.bincount(api_lab[partner], weights=fee[partner],
                                  minlength=o.size)[sup.lab_org]
        return AppSales(float(sales.sum()), per_lab[sup.lab_org], partner_fee, out_apps)

    def pay_other_costs(self) -> None:
        """Pay non-salary costs per head to suppliers, as far as cash allows."""
        o, led = self.orgs, self.ledger
        st = self.ids()
        other = np.minimum(self.p.startups.other_cost_usd_per_head * np.maximum(o.staff[st], 1.0),
                           np.maximum(led.cash_usd[st], 0.0))
        led.transfer(st, SUPPLIERS, other, "startup_costs")

    def spin_out(self, founders: np.ndarray, wf: Workforce, t: int, sup: Suppliers,
                 rng: np.random.Generator) -> None:
        """Lab staff ``founders`` found one startup each and invest part of their wealth."""
        if founders.size == 0:
            return
        src = wf.employer[founders].copy()
        ids = self.found(founders.size, ORIGIN_LAB, t, False, sup, rng)
        stake = self.p.startups.founder_stake_share * wf.liquid_wealth_usd[founders]
        self.ledger.transfer(HOUSEHOLDS, ids, stake * wf.people_per_row, "founder_investment")
        wf.liquid_wealth_usd[founders] -= stake
        wf.move(founders, src, ids)
        self.spinouts_total += founders.size

    def acquisitions(self, wf: Workforce, lab_org: np.ndarray, rng: np.random.Generator) -> None:
        """Labs acquire startups at their valuation; staff equity is paid out (§7.17).

        A startup is a target with probability ``acquisition_rate_per_month``;
        its partner lab buys it, else a lab drawn in proportion to cash, if the
        buyer holds ``acquirer_cash_multiple`` times the price. Staff join the buyer.
        """
        o, led = self.orgs, self.ledger
        st = self.ids()
        if st.size == 0 or not lab_org.size:
            return
        hit = st[rng.random(st.size) < self.p.startups.acquisition_rate_per_month]
        if hit.size == 0:
            return
        lab_cash = np.maximum(led.cash_usd[lab_org], 0.0)
        cash_total = lab_cash.sum()
        staff_of = wf.staff_rows(hit)
        w = wf.people_per_row
        for org in hit:
            acq = o.partner_lab[org]
            if acq < 0:
                if cash_total <= 0:
                    continue
                acq = lab_org[weighted_index(lab_cash / cash_total, rng)]
            price = o.valuation_usd[org]
            if led.cash_usd[acq] < max(self.p.startups.acquirer_cash_multiple, 1.0) * price:
                continue
            led.transfer(acq, int(org), price, "acquisition")
            staff = staff_of[int(org)]
            equity = wf.vested_equity_usd[staff] + wf.unvested_equity_usd[staff]
            owed = equity.sum() * w
            payout = equity * min(1.0, max(led.cash_usd[org], 0.0) / max(owed, 1e-9))
            led.transfer(int(org), HOUSEHOLDS, payout.sum() * w, "acquisition_payout")
            wf.liquid_wealth_usd[staff] += payout
            wf.vested_equity_usd[staff] = 0.0
            wf.unvested_equity_usd[staff] = 0.0
            led.transfer(int(org), INVESTORS, max(led.cash_usd[org], 0.0), "acquisition_payout")
            wf.move(staff, np.full(staff.size, org), np.full(staff.size, acq))
            self._close(int(org))

    def exits(self) -> None:
        """Startups with less than ``exit_cash_months`` of costs in cash are liquidated."""
        led = self.ledger
        st = self.ids()
        if st.size == 0:
            return
        broke = st[led.cash_usd[st] < self.p.startups.exit_cash_months * self.costs_usd(st)]
        for org in broke:
            led.transfer(int(org), INVESTORS, max(led.cash_usd[org], 0.0), "liquidation")
            self._close(int(org))

    def _close(self, org: int) -> None:
        self._alive = None
        self.orgs.alive[org] = False
        self.orgs.vacancies[org] = 0.0

    def found_new(self, t: int, wf: Workforce, sup: Suppliers, rng: np.random.Generator,
                  rng_modes: np.random.Generator) -> None:
        """New startups arrive at ``founding_rate_per_month``; some take an academic founder.

        Args:
            t: Month.
            wf: The workforce (academic founders move to their startup).
            sup: Labs and clouds.
            rng: Generator of the accounting component (arrivals and founders).
            rng_modes: Generator of the downstream component (access modes).
        """
        n_new = int(rng.poisson(self.p.startups.founding_rate_per_month))
        if not n_new:
            return
        ids = self.found(n_new, ORIGIN_OTHER, t, False, sup, rng_modes)
        takes = ids[rng.random(ids.size) < self.p.startups.academic_founder_share]
        if takes.size == 0:
            return
        acad = rows_employed_by(wf.employer[: wf.size],
                                self.orgs.kind[: self.orgs.size] == ACADEMIA)
        if acad.size < takes.size:
            return
        skill = wf.skill[acad]
        founders = acad[sample_without_replacement(skill / skill.sum(), takes.size, rng)]
        src = wf.employer[founders].copy()
        wf.move(founders, src, takes)
        self.orgs.origin[takes] = ORIGIN_ACADEMIA

    def vacancies(self) -> tuple[np.ndarray, np.ndarray]:
        """Open positions of each startup, in people, and their ids (docs/model.md §7.13)."""
        o, sp = self.orgs, self.p.startups
        st = self.ids()
        per_head = o.salary_usd[st] / 12.0 + sp.other_cost_usd_per_head
        target = np.minimum(sp.max_headcount, np.maximum(self.ledger.cash_usd[st], 0.0)
                            * sp.hiring_cash_share / per_head)
        return st, np.clip(target - o.staff[st], 0.0, None)

    def set_pay(self, cash_elasticity: float, clip_min: float) -> None:
        """Salary levels rise with cash per head (USD/year; docs/model.md §7.14).

        Args:
            cash_elasticity: Elasticity of pay to cash per head (``labs.salary_cash_elasticity``).
            clip_min: Lowest pay relative to the base salary (``labs.salary_clip_min``).
        """
        o, sp = self.orgs, self.p.startups
        st = self.ids()
        cash = np.maximum(self.ledger.cash_usd[st], 0.0)
        head = np.maximum(o.staff[st], 1.0)
        ref_s = max(1.0, sp.initial_cash_usd / max(sp.initial_staff, 1))
        o.salary_usd[st] = sp.salary_usd * np.clip(
            (cash / head / ref_s) ** cash_elasticity, clip_min, sp.salary_clip_max)
