"""Cloud providers: big hyperscalers (with strategic deals) and alternative clouds.

A :class:`Hyperscaler` prices its capacity, plans and finances capex, services
its debt, pays out excess cash and offers upstream deals; :class:`Clouds` is
the Mesa ``AgentSet`` of all providers, with the decisions that involve them
together (the non-AI cloud market, a round of deal offers). See
docs/model.md §7.8-7.10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.agent import AgentSet

from sim.economy.capital import antitrust_blocks, cloud_deal_value_usd, debt_service_usd
from sim.economy.demand import provider_shares
from sim.economy.ledger import CUSTOMERS, HARDWARE, INVESTORS, SUPPLIERS, Ledger
from sim.markets.capital import allocate_capped
from sim.markets.compute import HOURS_PER_MONTH, clear_compute, update_price
from sim.markets.sampling import categorical
from sim.params import SimParams

if TYPE_CHECKING:
    from sim.agents.lab import FrontierLab, LabOrders


@dataclass
class Contract:
    """An upstream deal between a big hyperscaler and a lab.

    Attributes:
        lab_org: Organisation id of the lab.
        cloud: The hyperscaler.
        start_step: Month the deal was signed.
        end_step: First month after the deal.
        credits_usd: Remaining compute credits (USD), drawn down at the discounted price.
        credit_discount: Discount of credits on the list price.
        exclusive: Whether the lab must buy all compute from the partner.
        equity_share: Equity acquired by the hyperscaler.
        price_usd_per_hour: List price at signing (USD per H100e-hour); contract compute
            costs this times ``1 - credit_discount``, falling with hardware costs.
        hw_cost_usd: Hardware cost per H100e at signing (USD), to index the contract price.
    """

    lab_org: int
    cloud: Hyperscaler
    start_step: int
    end_step: int
    credits_usd: float
    credit_discount: float
    exclusive: bool
    equity_share: float
    price_usd_per_hour: float
    hw_cost_usd: float


class Hyperscaler(mesa.Agent):
    """A cloud provider: capacity with a capex pipeline, a spot price, cash.

    Attributes:
        org_id: Organisation id in the ledger.
        provider: Index among providers in the compute market.
        name: Display name.
        big: True for big hyperscalers, False for alternative clouds.
        capacity_h100e: Installed capacity (H100e).
        pipeline_h100e: Capacity on order, by months until arrival.
        price_usd_per_hour: Spot price (USD per H100e-hour).
        market_revenue_usd: Revenue from the non-AI cloud market this month (USD/month).
        partners: Organisation ids of labs with an active deal.
        demand_h100e: Demand addressed last month (served or not).
        demand_history: Demand of the last 12 months, oldest first.
        compute_revenue_usd: Compute revenue received last month.
        debt_usd: Outstanding debt raised to finance capex (USD).
        market_share: Share of the non-AI cloud market it serves.
    """

    def __init__(self, model: mesa.Model, org_id: int, provider: int, name: str, big: bool,
                 capacity_h100e: float, price_usd_per_hour: float, lag_months: int,
                 market_share: float = 0.0) -> None:
        super().__init__(model)
        self.org_id = org_id
        self.provider = provider
        self.name = name
        self.big = big
        self.capacity_h100e = capacity_h100e
        self.pipeline_h100e = np.zeros(lag_months + 1)
        self.price_usd_per_hour = price_usd_per_hour
        self.market_revenue_usd = 0.0
        self.debt_usd = 0.0
        self.partners: list[int] = []
        self.demand_h100e = capacity_h100e
        self.demand_history = np.full(12, capacity_h100e)
        self.compute_revenue_usd = 0.0
        self.market_share = market_share

    @property
    def revenue_usd(self) -> float:
        """Revenue this month: non-AI cloud market plus AI compute (USD/month)."""
        return self.market_revenue_usd + self.compute_revenue_usd

    def receive_capacity(self, depreciation_per_month: float) -> None:
        """Depreciate installed capacity and add what arrives from the pipeline this month."""
        self.capacity_h100e = self.capacity_h100e * (1.0 - depreciation_per_month)
        self.capacity_h100e += self.pipeline_h100e[0]
        self.pipeline_h100e[:-1] = self.pipeline_h100e[1:]
        self.pipeline_h100e[-1] = 0.0

    def capex_order_h100e(self, headroom: float, lag_months: int,
                          margin_response: float = 1.0) -> float:
        """Capacity to order now so that capacity meets expected demand after the lag.

        Expected demand extrapolates recent demand growth over the lag, plus a
        safety headroom, times a response to the price margin. Growth compares
        the means of the first and last three of the last 12 months (9 months
        apart), annualised and clipped to [1, 4].

        Args:
            headroom: Relative spare capacity aimed for.
            lag_months: Months until ordered capacity arrives.
            margin_response: Factor on the capacity aimed for, ``(price /
                floor)^clouds.capex_price_elasticity`` (docs/model.md §7.9);
                1 builds for demand alone.

        Returns:
            Capacity to order (H100e, >= 0) before the budget limit.
        """
        hist = self.demand_history.tolist()
        old, new = (hist[0] + hist[1] + hist[2]) / 3, (hist[-3] + hist[-2] + hist[-1]) / 3
        ratio = new / old if old > 0 else 1.0
        growth = min(max(ratio ** (12.0 / 9.0), 1.0), 4.0)
        expected = new * growth ** (lag_months / 12.0) * (1.0 + headroom) * margin_response
        return max(0.0, expected - self.capacity_h100e - self.pipeline_h100e.sum())

    def record_demand(self, demand_h100e: float) -> None:
        """Remember demand addressed this month (served or not) for capex planning."""
        self.demand_h100e = demand_h100e
        self.demand_history[:-1] = self.demand_history[1:]
        self.demand_history[-1] = max(demand_h100e, 1e-9)

    def order_capex(self, p: SimParams, ledger: Ledger, cost_usd: float, floor_usd: float) -> float:
        """Order capacity for expected demand within a budget; borrow the rest within limits.

        The budget is ``capex_cash_share`` of cash plus ``capex_reinvest_share``
        of this month's profit, capped by cash; a share ``capex_external_share``
        of what it cannot pay is financed by debt, up to ``debt_revenue_years``
        of revenue (docs/model.md §7.9).

        Args:
            p: Parameters.
            ledger: The book (capex is paid to the hardware vendors).
            cost_usd: Cost of one H100e this month (USD).
            floor_usd: Price floor this month (USD per H100e-hour).

        Returns:
            Capex spent this month (USD).
        """
        c = p.clouds
        lag = c.capex_lag_months
        response = np.exp(c.capex_price_elasticity * np.log(self.price_usd_per_hour / floor_usd))
        want = self.capex_order_h100e(c.capex_headroom, lag, response)
        profit = self.compute_revenue_usd + c.operating_margin * self.market_revenue_usd
        budget = max(0.0, ledger.cash_usd[self.org_id]) * c.capex_cash_share + \
            c.capex_reinvest_share * profit
        budget = min(budget, max(0.0, ledger.cash_usd[self.org_id]))
        units = min(want, budget / cost_usd)
        room = max(0.0, c.debt_revenue_years * 12.0 * self.revenue_usd - self.debt_usd)
        financed = min(c.capex_external_share * (want - units) * cost_usd, room)
        if financed > 0:
            ledger.transfer(INVESTORS, self.org_id, financed, "capex_debt")
            self.debt_usd += financed
            units += financed / cost_usd
        if units <= 0:
            return 0.0
        ledger.transfer(self.org_id, HARDWARE, units * cost_usd, "capex")
        self.pipeline_h100e[lag] += units
        return units * cost_usd

    def service_debt_and_pay_out(self, p: SimParams, ledger: Ledger) -> None:
        """Pay interest and principal as far as cash allows, then pay out excess cash.

        Pays ``payout_rate_per_month`` of cash above ``cash_target_months`` of
        revenue to its shareholders (investors; docs/model.md §7.9).
        """
        c = p.clouds
        cash = max(ledger.cash_usd[self.org_id], 0.0)
        if self.debt_usd > 0:
            interest, principal = debt_service_usd(self.debt_usd, c.interest_rate_per_year,
                                                   c.debt_term_months)
            due = interest + principal
            paid = min(due, cash)
            ledger.transfer(self.org_id, INVESTORS, paid, "debt_service")
            self.debt_usd -= principal * paid / due
            cash -= paid
        excess = cash - c.cash_target_months * self.revenue_usd
        if excess > 0:
            ledger.transfer(self.org_id, INVESTORS, c.payout_rate_per_month * excess, "dividends")

    def deal_value_usd(self, p: SimParams, lab_value_usd: float, size_usd: float,
                       spend_usd: float, exclusive: bool, floor_usd: float) -> float:
        """Net value to this cloud of a deal of ``size_usd`` with a lab worth ``lab_value_usd``.

        The margin on the lab's expected spend counts in full when the deal is
        exclusive, else its ``nonexclusive_spend_share`` (docs/model.md §7.10).
        """
        pp = p.partnership
        margin = 1.0 - floor_usd / (1.0 + p.clouds.margin_floor) / self.price_usd_per_hour
        return cloud_deal_value_usd(
            pp.equity_share, lab_value_usd, size_usd, pp.credit_share, 1.0 - margin,
            max(margin, 0.0) * spend_usd * (1.0 if exclusive else pp.nonexclusive_spend_share),
            pp.hurdle_rate)


@dataclass
class DealBook:
    """Deal offers and their outcomes over the run.

    Attributes:
        offers: Offers made.
        declined: Offers the lab declined.
        blocked: Offers antitrust review blocked.
        signed: Deals signed.
        cooldown: (cloud org, lab org) -> first month a new offer may be made.
    """

    offers: int = 0
    declined: int = 0
    blocked: int = 0
    signed: int = 0
    cooldown: dict[tuple[int, int], int] = field(default_factory=dict)


class Clouds(AgentSet):
    """The cloud providers, in provider order (a Mesa ``AgentSet``).

    Attributes:
        members: Providers in provider order.
        big: The big hyperscalers.
        org_ids: Organisation id of each provider.
    """

    def __init__(self, clouds: list[Hyperscaler]) -> None:
        super().__init__(clouds)
        self.members = tuple(clouds)
        self.big = tuple(h for h in clouds if h.big)
        self.org_ids = np.array([h.org_id for h in clouds], dtype=np.int64)

    def receive_capacity(self, depreciation_per_month: float) -> None:
        """Every provider depreciates its capacity and receives this month's deliveries."""
        for h in self.members:
            h.receive_capacity(depreciation_per_month)

    def book_compute_revenue(self, paid_usd: np.ndarray) -> None:
        """Record each provider's compute revenue: the column sums of ``paid_usd`` (USD)."""
        for h, col in zip(self.members, np.ascontiguousarray(paid_usd.T), strict=True):
            h.compute_revenue_usd = float(col.sum())

    def service_debt_and_pay_out(self, p: SimParams, ledger: Ledger) -> None:
        """Every provider services its debt and pays out excess cash, in provider order."""
        for h in self.members:
            h.service_debt_and_pay_out(p, ledger)

    def capacities(self) -> np.ndarray:
        """Installed capacity of each provider (H100e)."""
        return np.array([h.capacity_h100e for h in self.members])

    def prices(self) -> np.ndarray:
        """Spot price of each provider (USD per H100e-hour)."""
        return np.array([h.price_usd_per_hour for h in self.members])

    def preferred(self, p: SimParams, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` buyers' preferred providers by ``capacity^a / price^b`` (§7.9).

        When the weights over- or underflow (large exponents), the same weights are
        formed in logs and scaled by the largest, ``exp(log w - max log w)``.
        """
        c = p.clouds
        cap, price = np.maximum(self.capacities(), 1e-9), self.prices()
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            attract = cap ** c.provider_size_exponent / price ** c.provider_price_exponent
        if not 0.0 < attract.sum() < np.inf:
            log_w = (c.provider_size_exponent * np.log(cap)
                     - c.provider_price_exponent * np.log(price))
            attract = np.exp(log_w - log_w.max())
        return categorical(attract, n, rng)

    def mean_price_usd(self) -> float:
        """Capacity-weighted mean spot price (USD per H100e-hour)."""
        weight = np.maximum(self.capacities(), 1e-9)
        return float((self.prices() * weight).sum() / weight.sum())

    def price_index_usd(self, p: SimParams, priority_h100e: np.ndarray, spot_h100e: np.ndarray,
                        month_price: np.ndarray, contract_price: np.ndarray) -> float:
        """The compute price customers and the metrics see (USD per H100e-hour, §7.9).

        ``clouds.price_index = capacity``: the capacity-weighted mean list price
        after this month's price update (:meth:`mean_price_usd`); ``sold``: the
        mean price of this month's allocations (:func:`sold_price_usd`), or the
        capacity-weighted one when nothing was sold.

        Args:
            p: Parameters.
            priority_h100e: Priority allocation, shape ``(buyers, providers)``.
            spot_h100e: Spot allocation, shape ``(buyers, providers)``.
            month_price: List price this month (USD per H100e-month).
            contract_price: Contract price of each lab's priority compute (USD per
                H100e-month; 0 = the list price), labs being the first buyers.
        """
        if p.clouds.price_index == "sold":
            sold = sold_price_usd(priority_h100e, spot_h100e, month_price, contract_price)
            if sold is not None:
                return sold
        return self.mean_price_usd()

    def fund_alternatives(self, p: SimParams, ledger: Ledger, supply_usd: float,
                          hw_cost_usd: float) -> None:
        """Investors fund alternative clouds' unmet demand plus spare capacity (§7.8).

        Each needs the hardware cost of demand above its capacity plus
        ``alt_cloud_spare_share`` of its capacity; ``supply_usd`` is shared in
        proportion to need, each capped at its need.
        """
        alt = [h for h in self.members if not h.big]
        if not alt:
            return
        need = np.array([max(h.demand_h100e - h.capacity_h100e, 0.0)
                         + p.capital.alt_cloud_spare_share * h.capacity_h100e
                         for h in alt]) * hw_cost_usd
        ledger.transfer(INVESTORS, np.array([h.org_id for h in alt]),
                        allocate_capped(supply_usd, need, need), "venture_capital")

    def serve_cloud_market(self, p: SimParams, ledger: Ledger, market_usd: float) -> None:
        """Non-AI cloud customers spend the market's budget at providers by scale.

        Customers stay with their provider except a share
        ``market_switching_per_month`` who choose anew in proportion to
        providers' revenue to the power ``market_scale_exponent`` (AI compute
        sales count), so the big-3 share moves from its 2017 level by
        competition. Each provider pays its operating costs (``1 -
        operating_margin`` of that revenue) to suppliers (docs/model.md §7.8).
        """
        c = p.clouds
        scale = np.array([max(h.revenue_usd, 1e-9) for h in self.members])
        attraction = provider_shares(scale, np.ones(scale.size), c.market_scale_exponent, 0.0)
        share = np.array([h.market_share for h in self.members])
        share += c.market_switching_per_month * (attraction - share)
        revenue = market_usd * share
        ledger.transfer(CUSTOMERS, self.org_ids, revenue, "cloud_revenue")
        ledger.transfer(self.org_ids, SUPPLIERS, (1.0 - c.operating_margin) * revenue,
                        "cloud_operating_costs")
        for h, s, r in zip(self.members, share, revenue, strict=True):
            h.market_share, h.market_revenue_usd = float(s), float(r)

    def offer_deals(self, p: SimParams, labs: list[FrontierLab], valuation_usd: np.ndarray,
                    t: int, ledger: Ledger, book: DealBook, floor_usd: float, hw_cost_usd: float,
                    rng: np.random.Generator) -> None:
        """One month's round of upstream deal offers (docs/model.md §7.10).

        In random order, each big hyperscaler with room for partners makes an
        offer with probability ``offer_prob_per_month`` to the most capable
        independent lab among the top ``offer_top_k`` that has no deal, was not
        approached this month and is not in cooldown with it. Both sides value
        the lab with their own noise; the cloud offers when the deal's value to
        it is positive; antitrust review may block it; the lab weighs it.

        Args:
            p: Parameters.
            labs: The labs, in lab order.
            valuation_usd: This month's valuation of each lab (USD).
            t: Month.
            ledger: The book.
            book: Offers, outcomes and cooldowns (updated).
            floor_usd: Price floor (USD per H100e-hour).
            hw_cost_usd: Cost of one H100e (USD), to index contract prices.
            rng: Generator of the offers: the capital stream, or the deals stream
                (``partnership.offer_stream``).
        """
        pp, gov = p.partnership, p.governance
        for lab in labs:
            lab.end_deal(t)
        if not pp.enabled or not self.big:
            return
        caps = np.array([lab.capability_oom for lab in labs])
        top = [labs[i] for i in np.argsort(-caps)[: pp.offer_top_k]]
        lab_compute = np.array([lab.compute_h100e for lab in labs])
        exclusive = pp.exclusivity and not gov.exclusivity_ban
        decided: set[int] = set()
        for k in rng.permutation(len(self.big)):
            h = self.big[k]
            if len(h.partners) >= pp.max_labs_per_hyperscaler:
                continue
            if rng.random() >= pp.offer_prob_per_month:
                continue
            cands = [lab for lab in top if lab.independent and lab.contract is None
                     and lab.org_id not in decided
                     and book.cooldown.get((h.org_id, lab.org_id), -1) <= t]
            if not cands:
                continue
            lab = cands[0]
            decided.add(lab.org_id)
            i = labs.index(lab)
            size = pp.deal_size_valuation_share * valuation_usd[i]
            if size <= 0:
                continue
            price_month = h.price_usd_per_hour * HOURS_PER_MONTH
            budget = ledger.cash_usd[lab.org_id] * p.labs.cash_burn_share
            constrained = pp.need_ratio * max(lab_compute.max(), 1.0) > budget / price_month
            spend = (budget * p.labs.compute_budget_share + pp.credit_share * size
                     / pp.deal_length_months) * pp.deal_length_months
            cloud_view = valuation_usd[i] * rng.lognormal(0.0, pp.valuation_noise)
            lab_view = valuation_usd[i] * rng.lognormal(0.0, pp.valuation_noise)
            if not h.deal_value_usd(p, cloud_view, size, spend, exclusive, floor_usd) > 0:
                continue
            book.offers += 1
            bloc = np.array([lb.bloc(j) for j, lb in enumerate(labs)])
            if antitrust_blocks(lab_compute, bloc, i, h.org_id, gov.antitrust_share_threshold,
                                gov.antitrust, gov.antitrust_hhi_threshold,
                                gov.antitrust_hhi_delta):
                book.blocked += 1
                book.cooldown[(h.org_id, lab.org_id)] = t + pp.offer_cooldown_months
                continue
            if not lab.weigh_deal(p, lab_view, size, constrained, exclusive):
                book.declined += 1
                book.cooldown[(h.org_id, lab.org_id)] = t + pp.offer_cooldown_months
                continue
            cash_part = min((1 - pp.credit_share) * size,
                            max(ledger.cash_usd[h.org_id], 0.0) * pp.cash_cap_share)
            ledger.transfer(h.org_id, lab.org_id, cash_part, "upstream_investment")
            lab.sign(Contract(lab.org_id, h, t, t + pp.deal_length_months,
                              pp.credit_share * size, pp.credit_discount, exclusive,
                              pp.equity_share, h.price_usd_per_hour, hw_cost_usd))
            book.signed += 1


@dataclass(frozen=True)
class ComputeOrders:
    """Every buyer's compute order this month (docs/model.md §7.9).

    Attributes:
        buyers: Organisation ids of the buyers (labs, then pools, then startups).
        prio: Priority demand (own or contracted capacity; H100e).
        prio_provider: Provider of the priority demand (-1 if none).
        spot: Spot demand (H100e).
        spot_provider: Preferred provider of the spot demand (-1 if none).
        allowed: Providers each buyer may buy from, shape ``(buyers, providers)``.
        wtp: Willingness to pay per H100e for ``wtp`` spot allocation, or None.
    """

    buyers: np.ndarray
    prio: np.ndarray
    prio_provider: np.ndarray
    spot: np.ndarray
    spot_provider: np.ndarray
    allowed: np.ndarray
    wtp: np.ndarray | None

    @classmethod
    def assemble(cls, lab_ids: np.ndarray, labs: LabOrders, pool_ids: np.ndarray,
                 pool_spot: np.ndarray, pool_provider: np.ndarray, startups: np.ndarray,
                 startup_spot: np.ndarray, startup_cloud: np.ndarray,
                 startup_partner_cloud: np.ndarray, cash_usd: np.ndarray,
                 by_wtp: bool) -> ComputeOrders:
        """Stack the labs', pools' and startups' orders (in that order) into one book.

        Pools and startups buy only spot; a startup partnered with a cloud may
        buy only there. With ``by_wtp``, willingness to pay is cash per H100e
        asked for (pools, publicly funded, bid 0).

        Args:
            lab_ids: Organisation ids of the labs.
            labs: The labs' orders.
            pool_ids: Organisation ids of the talent pools.
            pool_spot: Pools' spot demand (H100e).
            pool_provider: Pools' preferred providers.
            startups: Organisation ids of the startups.
            startup_spot: Startups' spot demand (H100e).
            startup_cloud: Startups' providers.
            startup_partner_cloud: Startups' partner cloud (-1 if none).
            cash_usd: Cash of every organisation (USD).
            by_wtp: Whether spot capacity goes by willingness to pay.
        """
        buyers = np.concatenate([lab_ids, pool_ids, startups])
        n_l, n_p, n_rest = lab_ids.size, pool_ids.size, pool_ids.size + startups.size
        allowed = np.ones((buyers.size, labs.allowed.shape[1]), dtype=bool)
        allowed[:n_l] = labs.allowed
        tied = startup_partner_cloud >= 0
        locked = n_l + n_p + np.flatnonzero(tied)
        allowed[locked] = False
        allowed[locked, startup_partner_cloud[tied]] = True
        prio = np.concatenate([labs.prio, np.zeros(n_rest)])
        spot = np.concatenate([labs.spot, pool_spot, startup_spot])
        wtp = None
        if by_wtp:
            wtp = np.maximum(cash_usd[buyers], 0.0) / np.maximum(prio + spot, 1e-9)
            wtp[n_l: n_l + n_p] = 0.0
        return cls(buyers, prio, np.concatenate([labs.prio_provider, np.full(n_rest, -1)]), spot,
                   np.concatenate([labs.spot_provider, pool_provider, startup_cloud]), allowed,
                   wtp)


@dataclass(frozen=True)
class ComputeSale:
    """What the compute market allocated this month, handed to the accounting phase.

    Attributes:
        buyers: Organisation ids of the buyers: labs, pools, startups (in that order).
        priority_h100e: Priority allocation, shape ``(buyers, providers)``.
        spot_h100e: Spot allocation, shape ``(buyers, providers)``.
        month_price: Price at each provider this month (USD per H100e-month).
        credit_price: Monthly price of an H100e on each lab's deal credits (USD).
        credit_h100e: Compute each lab may draw on credits (H100e).
        pool_public_share: Share of each talent pool's compute that is public compute.
        salary_bill_usd: Salaries owed per organisation when compute was bought
            (USD/month); the talent phase posts vacancies from it.
    """

    buyers: np.ndarray
    priority_h100e: np.ndarray
    spot_h100e: np.ndarray
    month_price: np.ndarray
    credit_price: np.ndarray
    credit_h100e: np.ndarray
    pool_public_share: np.ndarray
    salary_bill_usd: np.ndarray


def sold_price_usd(priority_h100e: np.ndarray, spot_h100e: np.ndarray,
                   month_price: np.ndarray, contract_price: np.ndarray) -> float | None:
    """Mean price of the compute allocated this month, per H100e-hour (USD; §7.9).

    Each allocated H100e counts at the price its buyer is billed (§7.9,
    "Billing"): a contract lab's priority compute at its contract price, credits
    included, and everything else (spot, in-house labs') at the provider's list
    price at the start of the month: ``sum(h price) / sum(h) / 730``.

    Args:
        priority_h100e: Priority allocation, shape ``(buyers, providers)`` (H100e).
        spot_h100e: Spot allocation, shape ``(buyers, providers)`` (H100e).
        month_price: List price of each provider (USD per H100e-month).
        contract_price: Contract price of the first ``len(contract_price)`` buyers'
            priority compute (USD per H100e-month); 0 means the list price.

    Returns:
        The volume-weighted price, or ``None`` when nothing was allocated.
    """
    volume = priority_h100e.sum() + spot_h100e.sum()
    if not volume > 0:
        return None
    n = contract_price.size
    on_contract = priority_h100e[:n].sum(axis=1) * (contract_price > 0)
    at_list = priority_h100e.copy()
    at_list[:n][contract_price > 0] = 0.0
    value = ((at_list + spot_h100e) @ month_price).sum() + on_contract @ contract_price
    return float(value / volume / HOURS_PER_MONTH)


def sell_compute(clouds: Clouds, p: SimParams, orders: ComputeOrders,
                 floor_usd: float) -> tuple[np.ndarray, np.ndarray]:
    """Clear the compute market, record demand and move each provider's spot price.

    Priority demand is served first, spot demand by the configured rule
    (:func:`sim.markets.compute.clear_compute`); prices move toward the target
    utilisation of spot capacity, never below the floor
    (:func:`sim.markets.compute.update_price`).

    Returns:
        Priority and spot allocations, each of shape ``(buyers, providers)`` (H100e).
    """
    c = p.clouds
    cap, price = clouds.capacities(), clouds.prices()
    n_p = cap.size
    alloc_p, alloc_s = clear_compute(cap, orders.prio, orders.prio_provider, orders.spot,
                                     orders.spot_provider, orders.allowed, orders.wtp)
    has_prio, has_spot = orders.prio_provider >= 0, orders.spot_provider >= 0
    spot_at, spot = orders.spot_provider[has_spot], orders.spot[has_spot]
    demand = np.bincount(np.concatenate([orders.prio_provider[has_prio], spot_at]),
                         np.concatenate([orders.prio[has_prio], spot]), n_p)
    for h, d in zip(clouds.members, demand.tolist(), strict=True):
        h.record_demand(float(d))
    spot_demand = np.bincount(spot_at, spot, n_p)
    spot_capacity = np.maximum(cap - alloc_p.sum(axis=0), 1e-9 * np.maximum(cap, 1.0))
    new_price = update_price(price, spot_demand, spot_capacity, np.full(n_p, floor_usd),
                             c.target_utilisation, c.price_sensitivity, c.price_step_max)
    for h, price_k in zip(clouds.members, new_price.tolist(), strict=True):
        h.price_usd_per_hour = price_k
    return alloc_p, alloc_s
