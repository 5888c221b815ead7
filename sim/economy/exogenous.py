"""The world outside the race: exogenous paths as pure functions of the month.

The economy, the non-AI cloud market, the government's academic budget,
hardware costs and the length and share of frontier training runs follow
trends set by parameters (docs/model.md §5, §7.1, §7.7-7.9); nothing inside the
model feeds back on them.
"""

from __future__ import annotations

import numpy as np

from sim.economy.demand import economy_usd_per_month
from sim.markets.compute import HOURS_PER_MONTH
from sim.params import SimParams


class Exogenous:
    """Exogenous trends of a run, evaluated at month ``t`` (0 = January of the start year).

    Args:
        params: Validated parameters.
        initial_academics: People employed by academia at the start (sets the
            size of the government's academic budget).
    """

    def __init__(self, params: SimParams, initial_academics: float) -> None:
        self.p = params
        self.initial_academics = initial_academics

    def run_months(self, t: int) -> float:
        """Length of a frontier training run (months; grows per Epoch AI)."""
        lp = self.p.labs
        return lp.run_months * (1.0 + lp.run_months_growth_per_year) ** (t / 12.0)

    def largest_run_share(self, t: int) -> float:
        """Share of a lab's training compute used by its largest run (<= 1)."""
        lp = self.p.labs
        return min(1.0, lp.largest_run_share
                   * (1.0 + lp.largest_run_share_growth_per_year) ** (t / 12.0))

    def training_flop(self, t: int, compute_h100e: np.ndarray | float,
                      effort_share: np.ndarray | float = 1.0) -> np.ndarray | float:
        """FLOP of the largest run trainable with ``compute_h100e`` (docs/model.md §7.1).

        Args:
            t: Month.
            compute_h100e: Compute used per month (H100e).
            effort_share: Share of effort not diverted to safety, ``1 - s``.

        Returns:
            ``(1 - s) * train_share * largest_run_share * compute * run_months * FLOP/H100e-month``.
        """
        lp = self.p.labs
        return (effort_share * lp.train_share * self.largest_run_share(t) * compute_h100e
                * self.run_months(t) * lp.flop_per_h100e_month)

    def cloud_market_usd(self, t: int) -> float:
        """Spending on non-AI cloud services, growing at a trend (USD/month)."""
        c = self.p.clouds
        return c.cloud_market_usd_per_year / 12.0 * (
            1.0 + c.base_revenue_growth_per_year) ** (t / 12.0)

    def economy_usd(self, t: int) -> float:
        """Output of the exogenous economy (USD/month)."""
        cp = self.p.capital
        return economy_usd_per_month(cp.gdp_usd_per_year, cp.gdp_growth_per_year, t)

    def academic_budget_usd(self, t: int) -> float:
        """Government budget for academic salaries and compute (USD/month)."""
        tp = self.p.talent
        return (tp.academic_budget_usd_per_head_year * self.initial_academics / 12.0
                * (1.0 + tp.academic_budget_growth_per_year) ** (t / 12.0))

    def hw_cost_usd(self, t: int) -> float:
        """Purchase cost of one H100e of capacity (USD)."""
        c = self.p.clouds
        return c.hw_cost_usd_per_h100e * (1.0 - c.hw_cost_decline_per_year) ** (t / 12.0)

    def price_floor_usd(self, t: int) -> float:
        """Price floor: hardware rental cost plus margin (USD per H100e-hour)."""
        c = self.p.clouds
        return self.hw_cost_usd(t) / c.hw_life_months / HOURS_PER_MONTH * (1.0 + c.margin_floor)
