"""Customers: an exogenous economy, AI adoption and purchase shares (pure functions).

Customers hold a budget for AI that is a share of an exogenous economy (world
GDP growing at a constant rate). Adoption of AI rises with the quality of the
best models and falls with the price of compute (logistic diffusion, Griliches
1957; Bass 1969). The money spent is shared among sellers by a multinomial
logit over quality with an outside option (open-weight models run in house,
whose spend stays with the customers), so a seller's quality lead raises its
revenue both against rivals and against the outside option (Berry 1994).
Money in USD per month, quality and capability in OOM (log10 effective FLOP).
"""

from __future__ import annotations

import math

import numpy as np

LN10 = math.log(10.0)


def economy_usd_per_month(gdp_usd_per_year: float, growth_per_year: float, month: int) -> float:
    """Output of the exogenous economy in month ``month`` (USD/month).

    ``Y(t) = Y0 (1 + g)^(t/12) / 12``.

    Args:
        gdp_usd_per_year: Output at month 0 (USD/year).
        growth_per_year: Real growth rate per year.
        month: Months since the start of the run.

    Returns:
        Output this month (USD/month).
    """
    return gdp_usd_per_year * (1.0 + growth_per_year) ** (month / 12.0) / 12.0


def adoption(capability_gain_oom: float, initial_adoption: float, elasticity_oom_per_oom: float,
             price_ratio: float, price_elasticity: float) -> float:
    """Share of the AI budget that customers spend: logistic in quality and price.

    ``a = sigma(logit(a0) + ln(10) eps_C dC - eps_p ln(p / p0))`` with ``sigma``
    the logistic function. Far below saturation ``a ~ a0 10^(eps_C dC) (p/p0)^-eps_p``:
    spending grows ``eps_C`` OOM per OOM of frontier capability (the v1 market
    elasticity), and it saturates at the whole budget.

    Args:
        capability_gain_oom: Frontier capability minus its initial value (OOM).
        initial_adoption: Adoption at the start ``a0`` in (0, 1).
        elasticity_oom_per_oom: ``eps_C``, OOM of spend per OOM of capability below saturation.
        price_ratio: Compute price now over its initial value ``p / p0`` (> 0).
        price_elasticity: ``eps_p``, elasticity of spend to the compute price below saturation.

    Returns:
        Adoption in (0, 1).
    """
    a0 = min(max(initial_adoption, 1e-12), 1.0 - 1e-12)
    x = (math.log(a0 / (1.0 - a0)) + LN10 * elasticity_oom_per_oom * capability_gain_oom
         - price_elasticity * math.log(max(price_ratio, 1e-300)))
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-min(x, 700.0)))
    z = math.exp(max(x, -700.0))
    return z / (1.0 + z)


def purchase_shares(quality_oom: np.ndarray, outside_quality_oom: float,
                    beta_per_oom: float,
                    reach: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Shares of a segment's spend going to each seller and to the outside option.

    Customers buy from the sellers with probability ``e^IV / (e^IV + e^(beta q_0))``
    where ``IV = log(mean_j e^(beta q_j))`` is the sellers' inclusive value per
    seller (normalised so that the number of sellers alone does not raise
    demand), and split that among sellers by ``e^(beta q_j) / sum_k e^(beta q_k)``.

    Args:
        quality_oom: Quality of each seller (OOM), shape ``(N,)``.
        outside_quality_oom: Quality of the outside option (OOM).
        beta_per_oom: Sensitivity of choice to quality (1/OOM).
        reach: Optional multiplier of each seller's logit weight (> 0): the share
            of customers who know and trust it (incidents lower it, cross-selling
            raises it); 1 when omitted.

    Returns:
        ``(shares, outside_share)``: seller shares (shape ``(N,)``) and the
        outside option's share; they sum to 1. With no seller, or none that any
        customer would consider (zero reach), the outside option takes everything.
    """
    q = np.asarray(quality_oom, dtype=float)
    if q.size == 0:
        return q.copy(), 1.0
    u = beta_per_oom * q
    top = max(float(np.maximum.reduce(u)), beta_per_oom * outside_quality_oom)
    w = np.exp(u - top)
    if reach is not None:
        w *= np.asarray(reach, dtype=float)
    total = float(np.add.reduce(w))
    if total <= 0.0:
        return np.zeros(q.size), 1.0
    inside = total / q.size
    outside = math.exp(beta_per_oom * outside_quality_oom - top)
    buy = inside / (inside + outside)
    return buy * w / total, 1.0 - buy


def provider_shares(capacity_h100e: np.ndarray, price_usd_per_hour: np.ndarray,
                    size_exponent: float, price_exponent: float) -> np.ndarray:
    """Shares of cloud customers by provider: ``w_k = K_k^a / p_k^b``, normalised.

    Buyers favour large providers (scale, reliability, breadth of services)
    and cheap ones; the same attraction rule serves the non-AI cloud market and
    the choice of a spot provider for AI compute.

    Args:
        capacity_h100e: Installed capacity of each provider (H100e, >= 0).
        price_usd_per_hour: Price of each provider (USD per H100e-hour, > 0).
        size_exponent: ``a``.
        price_exponent: ``b``.

    Returns:
        Shares summing to 1 (uniform when every weight is zero).
    """
    cap = np.maximum(np.asarray(capacity_h100e, dtype=float), 0.0)
    log_w = (size_exponent * np.log(np.maximum(cap, 1e-300))
             - price_exponent * np.log(np.asarray(price_usd_per_hour, dtype=float)))
    log_w = np.where(cap > 0, log_w, -np.inf)
    if not np.isfinite(log_w).any():
        return np.full(cap.size, 1.0 / max(cap.size, 1))
    w = np.exp(log_w - log_w.max())
    return w / w.sum()
