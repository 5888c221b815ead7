"""Capital and product markets: logit market shares, valuations, capital allocation.

Pure functions (model-spec "Revenue and valuation"). Money in USD.
"""

from __future__ import annotations

import numpy as np


def logit_shares(score: np.ndarray, beta: float) -> np.ndarray:
    """Market shares ``exp(beta x_i) / sum_j exp(beta x_j)`` (numerically stable).

    Args:
        score: Scores (e.g. capability in OOM), shape ``(N,)``.
        beta: Sensitivity per unit of score.

    Returns:
        Shares summing to 1 (empty input gives an empty array).
    """
    x = np.asarray(score, dtype=float)
    if x.size == 0:
        return x.copy()
    z = np.exp(beta * (x - x.max()))
    return z / z.sum()


def valuation_usd(
    revenue_usd_per_month: np.ndarray, rank: np.ndarray, multiple_years: float,
    rank_premium_usd: float,
) -> np.ndarray:
    """Valuation = revenue multiple + a premium that halves with each capability rank.

    ``V = multiple * 12 * revenue + premium * 2^(-rank)`` with rank 0 for the leader.

    Args:
        revenue_usd_per_month: Monthly revenue.
        rank: Capability rank (0 = leader).
        multiple_years: Valuation as years of revenue.
        rank_premium_usd: Premium of the leader.

    Returns:
        Valuations in USD.
    """
    return multiple_years * 12.0 * revenue_usd_per_month + rank_premium_usd * 0.5 ** rank


def allocate_capped(total: float, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to ``weights``, never giving anyone more than its cap.

    Water-filling: what a capped recipient cannot take is re-split among the
    others; money left when every recipient is capped stays unallocated.

    Args:
        total: Amount to split (>= 0).
        weights: Non-negative weights, shape ``(N,)``.
        caps: Largest amount each recipient takes, shape ``(N,)`` (>= 0).

    Returns:
        Allocations, shape ``(N,)``; they sum to ``min(total, sum of caps of
        positive-weight recipients)``.
    """
    w = np.asarray(weights, dtype=float)
    cap = np.asarray(caps, dtype=float)
    out = np.zeros_like(w)
    active = (w > 0) & (cap > 0)
    left = float(total)
    while left > 1e-9 * max(total, 1.0) and active.any():
        share = np.where(active, w, 0.0)
        share /= share.sum()
        offer = left * share
        room = cap - out
        full = active & (offer >= room)
        if not full.any():
            out += offer
            break
        out[full] = cap[full]
        left -= room[full].sum()
        active &= ~full
    return out
