"""Cloud providers: big hyperscalers (with strategic deals) and alternative clouds."""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np


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
    """

    def __init__(self, model: mesa.Model, org_id: int, provider: int, name: str, big: bool,
                 capacity_h100e: float, price_usd_per_hour: float, lag_months: int) -> None:
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
        old, new = self.demand_history[:3].mean(), self.demand_history[-3:].mean()
        ratio = new / old if old > 0 else 1.0
        growth = np.clip(ratio ** (12.0 / 9.0), 1.0, 4.0)
        expected = new * growth ** (lag_months / 12.0) * (1.0 + headroom) * margin_response
        return max(0.0, expected - self.capacity_h100e - self.pipeline_h100e.sum())
