"""Compute market: contracted demand first, then a spot market, then prices.

Pure functions over arrays (model-spec "Compute market"). Quantities are in
H100-equivalents used for one month (H100e); prices in USD per H100e-hour.
"""

from __future__ import annotations

import numpy as np

HOURS_PER_MONTH = 730.0


def _ration(demand: np.ndarray, capacity: float,
            wtp: np.ndarray | None) -> tuple[np.ndarray, float]:
    """Serve ``demand`` from ``capacity``: all of it if it fits, else rationed.

    Proportional rationing when ``wtp`` is None; otherwise buyers are served in
    decreasing order of willingness to pay (ties share proportionally).

    Returns:
        What each buyer gets (``demand`` itself when everything fits) and its sum.
    """
    total = demand.sum()
    if total <= capacity:
        return demand, total
    if capacity <= 0.0:
        return np.zeros_like(demand), 0.0
    if wtp is None:
        out = demand * (capacity / total)
        return out, out.sum()
    out = np.zeros_like(demand)
    left = capacity
    for level in np.unique(wtp[demand > 0])[::-1]:
        group = (wtp == level) & (demand > 0)
        need = demand[group].sum()
        if need <= left:
            out[group] = demand[group]
            left -= need
        else:
            out[group] = demand[group] * (left / need)
            break
    return out, out.sum()


def _serve(alloc: np.ndarray, buyer: np.ndarray, provider: np.ndarray, demand: np.ndarray,
           left: np.ndarray, wtp: np.ndarray | None) -> None:
    """Serve demands at providers from their capacity ``left`` (H100e; both updated in place).

    Entry ``i`` is buyer ``buyer[i]`` asking ``demand[i] > 0`` of provider
    ``provider[i]``; entries are ordered by provider, then buyer. Each provider
    rations its own buyers (:func:`_ration`); the allocation is added to
    ``alloc[buyer, provider]``.
    """
    if buyer.size == 0:
        return
    cut = (np.flatnonzero(provider[1:] != provider[:-1]) + 1).tolist()
    got = np.empty(buyer.size)
    for start, end in zip([0, *cut], [*cut, buyer.size], strict=True):
        k = int(provider[start])
        share, used = _ration(demand[start:end], left[k],
                              None if wtp is None else wtp[buyer[start:end]])
        got[start:end] = share
        left[k] -= used
    alloc[buyer, provider] += got


def _by_provider(buyer: np.ndarray, provider: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``buyer`` (ascending) and ``provider`` reordered by provider, buyers ascending within."""
    order = np.argsort(provider, kind="stable")
    return buyer[order], provider[order]


def clear_compute(
    capacity_h100e: np.ndarray,
    priority_demand_h100e: np.ndarray,
    priority_provider: np.ndarray,
    spot_demand_h100e: np.ndarray,
    spot_preferred: np.ndarray,
    spot_allowed: np.ndarray,
    wtp_usd_per_hour: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Allocate compute: contracted demand first, then spot demand with spill-over.

    Round 1 serves each buyer's contracted (exclusive or credit-funded) demand at
    its contract provider. Round 2 serves spot demand at each buyer's preferred
    provider from what is left. Round 3 lets unserved spot demand spill to the
    other providers the buyer may use, in proportion to their spare capacity.
    Within a provider, rationing is proportional, or by willingness to pay when
    ``wtp_usd_per_hour`` is given.

    Args:
        capacity_h100e: Capacity of each provider, shape ``(P,)``.
        priority_demand_h100e: Contracted demand of each buyer, shape ``(B,)``.
        priority_provider: Provider index of each buyer's contract (-1 = none).
        spot_demand_h100e: Spot demand of each buyer, shape ``(B,)``.
        spot_preferred: Preferred spot provider of each buyer (-1 = none).
        spot_allowed: Boolean ``(B, P)``: providers each buyer may buy spot from.
        wtp_usd_per_hour: Willingness-to-pay score of each buyer (only its ranking
            matters), or None for proportional rationing.

    Returns:
        ``(priority_alloc, spot_alloc)``, both ``(B, P)`` in H100e; the sum over
        buyers never exceeds a provider's capacity.
    """
    cap = np.asarray(capacity_h100e, dtype=float)
    n_b, n_p = len(priority_demand_h100e), len(cap)
    prio = np.zeros((n_b, n_p))
    spot = np.zeros((n_b, n_p))
    left = cap.copy()
    prio_dem = np.asarray(priority_demand_h100e, dtype=float)
    spot_dem = np.asarray(spot_demand_h100e, dtype=float)
    prov = np.asarray(priority_provider)
    who = np.flatnonzero((prov >= 0) & (prio_dem > 0))
    who, at = _by_provider(who, prov[who])
    _serve(prio, who, at, prio_dem[who], left, wtp_usd_per_hour)
    pref = np.asarray(spot_preferred)
    who = np.flatnonzero((pref >= 0) & (spot_dem > 0))
    who = who[spot_allowed[who, pref[who]]]
    who, at = _by_provider(who, pref[who])
    _serve(spot, who, at, spot_dem[who], left, wtp_usd_per_hour)
    unmet = spot_dem - spot.sum(axis=1)
    unmet[unmet < 1e-12] = 0.0
    if unmet.any() and (left > 1e-12).any():
        spare = np.where(spot_allowed, np.maximum(left, 0.0)[None, :], 0.0)
        spare_tot = spare.sum(axis=1)
        ask = np.where(spare_tot[:, None] > 0, unmet[:, None] * spare
                       / np.where(spare_tot > 0, spare_tot, 1.0)[:, None], 0.0)
        at, who = np.nonzero(ask.T > 0)
        _serve(spot, who, at, ask[who, at], left, wtp_usd_per_hour)
    return prio, spot


def update_price(
    price_usd_per_hour: np.ndarray,
    demand_h100e: np.ndarray,
    capacity_h100e: np.ndarray,
    floor_usd_per_hour: np.ndarray,
    target_utilisation: float,
    sensitivity: float,
    max_step: float,
) -> np.ndarray:
    """Move each provider's price toward clearing with a bounded step.

    ``p' = max(floor, p * clip(1 + sensitivity * (demand/capacity - target), 1 - max_step,
    1 + max_step))``; a provider with no capacity keeps its price (above the floor).

    Args:
        price_usd_per_hour: Current prices, shape ``(P,)``.
        demand_h100e: Demand addressed to each provider (served or not).
        capacity_h100e: Capacity of each provider.
        floor_usd_per_hour: Price floor (cost plus margin) of each provider.
        target_utilisation: Utilisation at which the price is steady.
        sensitivity: Relative price change per unit of excess utilisation.
        max_step: Largest relative change per month.

    Returns:
        New prices, shape ``(P,)``.
    """
    cap = np.asarray(capacity_h100e, dtype=float)
    util = np.divide(demand_h100e, cap, out=np.full_like(cap, target_utilisation),
                     where=cap > 0)
    factor = np.clip(1.0 + sensitivity * (util - target_utilisation), 1.0 - max_step,
                     1.0 + max_step)
    return np.maximum(floor_usd_per_hour, price_usd_per_hour * factor)
