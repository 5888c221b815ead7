"""Investors and deals: a bounded supply of funds, deal values, debt (pure functions).

Money in USD. Investors supply funds that follow realised AI revenue (their
expected return) and are bounded by a share of the economy; upstream deals
are offered and accepted on value; clouds finance capex beyond their own cash
with debt that is bounded by their revenue and serviced at a cost of capital.
"""

from __future__ import annotations

import numpy as np


def investor_supply_usd(base_usd_per_month: float, growth_per_year: float, month: int,
                        market_ratio: float, hype_elasticity: float,
                        economy_usd_per_month: float, max_economy_share: float) -> float:
    """Money investors offer this month (USD/month).

    ``I = min(I0 (1 + g)^(t/12) (M / M0)^h, s_max Y)``: supply grows with a
    trend and follows realised AI revenue ``M`` relative to its initial level
    with elasticity ``h``, and never exceeds a share ``s_max`` of the economy ``Y``.

    Args:
        base_usd_per_month: ``I0``.
        growth_per_year: ``g``.
        month: Months since the start.
        market_ratio: ``M / M0`` (> 0).
        hype_elasticity: ``h``.
        economy_usd_per_month: ``Y`` (USD/month).
        max_economy_share: ``s_max``.

    Returns:
        Investor supply (USD/month, >= 0).
    """
    trend = base_usd_per_month * (1.0 + growth_per_year) ** (month / 12.0)
    log_follow = hype_elasticity * np.log10(max(market_ratio, 1e-300))
    cap = max_economy_share * economy_usd_per_month
    if np.log10(max(trend, 1e-300)) + log_follow >= np.log10(max(cap, 1e-300)):
        return float(cap)
    return float(trend * 10.0 ** log_follow)


def cloud_deal_value_usd(equity_share: float, lab_value_usd: float, size_usd: float,
                         credit_share: float, credit_cost_share: float,
                         margin_on_spend_usd: float, hurdle_rate: float) -> float:
    """Net value of an upstream deal to the hyperscaler (USD); it offers when > 0.

    ``value = e (V + S) + m - S ((1 - c) + c k) (1 + r)``: the equity stake at
    post-money value plus the margin on the lab's compute spend at the cloud,
    against the deal's cost (cash, plus credits at the cloud's cost share ``k``)
    grossed up by the hurdle rate ``r``.

    Args:
        equity_share: ``e``, share of the post-money lab acquired.
        lab_value_usd: ``V``, the cloud's estimate of the lab's pre-money value.
        size_usd: ``S``, deal size (cash plus credits).
        credit_share: ``c``, share of the deal paid in compute credits.
        credit_cost_share: ``k``, the cloud's cost per USD of credits (cost over price).
        margin_on_spend_usd: ``m``, expected margin on the lab's spend over the deal.
        hurdle_rate: ``r``.

    Returns:
        Net value (USD).
    """
    cost = size_usd * ((1.0 - credit_share) + credit_share * credit_cost_share)
    return equity_share * (lab_value_usd + size_usd) + margin_on_spend_usd - cost * (
        1.0 + hurdle_rate)


def lab_accepts_deal(equity_share: float, lab_value_usd: float, size_usd: float,
                     compute_constrained: bool, compute_premium: float, exclusive: bool,
                     exclusivity_cost: float) -> bool:
    """Whether a lab accepts an upstream deal: its owners' stake must gain value.

    Accept when ``(1 - e) (V + S (1 + g)) (1 - x) >= V``: the owners keep ``1 - e``
    of the post-money lab, whose cash is worth a premium ``g`` when the lab is
    compute-constrained, less the share ``x`` of value lost to exclusivity.

    Args:
        equity_share: ``e``.
        lab_value_usd: ``V``, the lab's own estimate of its value (> 0).
        size_usd: ``S``.
        compute_constrained: Whether the lab cannot buy the compute it aims for.
        compute_premium: ``g`` when constrained (0 otherwise).
        exclusive: Whether the deal ties the lab to the cloud.
        exclusivity_cost: ``x`` when exclusive.

    Returns:
        True to accept.
    """
    g = compute_premium if compute_constrained else 0.0
    x = exclusivity_cost if exclusive else 0.0
    return (1.0 - equity_share) * (lab_value_usd + size_usd * (1.0 + g)) * (1.0 - x) >= (
        lab_value_usd)


def bloc_hhi(compute_h100e: np.ndarray, bloc: np.ndarray) -> float:
    """Herfindahl index of compute over blocs (a cloud with its in-house and partner labs).

    Args:
        compute_h100e: Compute of each lab (H100e).
        bloc: Bloc id of each lab (labs with equal ids count as one firm).

    Returns:
        HHI in [0, 1]; 0 when no lab has compute.
    """
    total = float(np.sum(compute_h100e))
    if total <= 0:
        return 0.0
    _, inv = np.unique(bloc, return_inverse=True)
    shares = np.bincount(inv, weights=compute_h100e) / total
    return float((shares * shares).sum())


def debt_service_usd(debt_usd: float, interest_rate_per_year: float,
                     term_months: int) -> tuple[float, float]:
    """Interest and principal due this month on a linearly amortised debt (USD).

    Args:
        debt_usd: Outstanding debt.
        interest_rate_per_year: Annual interest rate.
        term_months: Amortisation term.

    Returns:
        ``(interest, principal)``.
    """
    return debt_usd * interest_rate_per_year / 12.0, debt_usd / term_months


def antitrust_blocks(compute_h100e: np.ndarray, bloc: np.ndarray, lab: int, cloud_bloc: int,
                     share_threshold: float, hhi_review: bool, hhi_threshold: float,
                     hhi_delta: float) -> bool:
    """Whether antitrust review blocks a deal between a cloud and lab ``lab``.

    Two tests: the pair's compute share above ``share_threshold``, and, when
    ``hhi_review`` is on, the 2023 Merger Guidelines test on the Herfindahl
    index of compute over blocs (a cloud with its in-house and partner labs):
    post-deal HHI above ``hhi_threshold`` with an increase above ``hhi_delta``.

    Args:
        compute_h100e: Compute of each lab (H100e).
        bloc: Bloc of each lab (the owning or partner cloud's id, else unique).
        lab: Index of the lab in the deal.
        cloud_bloc: Bloc id of the cloud.
        share_threshold: Largest allowed compute share of the pair.
        hhi_review: Whether the HHI test applies (``governance.antitrust``).
        hhi_threshold: Post-deal HHI above which a deal is presumed harmful (0-10,000).
        hhi_delta: Increase of HHI above which a deal is presumed harmful.

    Returns:
        True if the deal is blocked.
    """
    total = max(compute_h100e.sum(), 1e-9)
    tied = compute_h100e[(bloc == cloud_bloc) | (np.arange(bloc.size) == lab)].sum()
    if tied / total > share_threshold:
        return True
    if not hhi_review:
        return False
    after = bloc.copy()
    after[lab] = cloud_bloc
    pre, post = bloc_hhi(compute_h100e, bloc), bloc_hhi(compute_h100e, after)
    return post > hhi_threshold and post - pre > hhi_delta
