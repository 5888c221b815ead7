"""Run-level state of the outside accounts: the AI market, investors' supply, totals."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class MarketState:
    """What customers and investors did last, and totals over the run (USD).

    Attributes:
        initial_frontier: Frontier capability at the start (OOM); adoption grows from it.
        initial_adoption: Adoption at the start: the 2015 AI market over the customers' budget.
        ai_budget_usd: Customers' AI budget this month (USD/month).
        ai_market_usd: Customers' spending on AI this month (USD/month).
        market_ref_usd: Spending in the first month (reference of investors' hype).
        outside_share: Share of AI spending that goes to the outside option (open models).
        capital_supply_usd: Investors' supply of funds this month (USD/month).
        capex_usd: Clouds' capex this month (USD/month).
        compute_price_usd: Compute price index this month (USD per H100e-hour,
            ``clouds.price_index``): what customers' adoption and the price metric use.
        lab_revenue_total: Labs' revenue over the run (USD).
        lab_partner_revenue_total: Labs' revenue from downstream partners over the run (USD).
    """

    initial_frontier: float
    initial_adoption: float
    ai_budget_usd: float = 0.0
    ai_market_usd: float = 0.0
    market_ref_usd: float = 0.0
    outside_share: float = 1.0
    capital_supply_usd: float = 0.0
    capex_usd: float = 0.0
    compute_price_usd: float = 0.0
    lab_revenue_total: float = 0.0
    lab_partner_revenue_total: float = 0.0
