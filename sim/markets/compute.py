"""Compute market: contracted demand first, then a spot market, then prices.

Pure functions over arrays (model-spec "Compute market"). Quantities are in
H100-equivalents used for one month (H100e); prices in USD per H100e-hour.
"""

from __future__ import annotations

import numpy as np

HOURS_PER_MONTH = 730.0


def _ration(demand: np.ndarray, capacity: float, wtp: np.ndarray | None) -> np.ndarray:
    """Serve ``demand`` from ``capacity``: all of it if it fits, else rationed.

    Proportional rationing when ``wtp`` is None; otherwise buyers are served in
    decreasing order of willingness to pay (ties share proportionally).
    """
    total = demand.sum()
    if total <= capacity:
        return demand.copy()
    if capacity <= 0.0:
        return np.zeros_like(demand)
    if wtp is None:
        return demand * (capacity / total)
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
    return out


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
    for prov in range(n_p):
        buyers = np.flatnonzero((priority_provider == prov) & (prio_dem > 0))
        if buyers.size:
            w = None if wtp_usd_per_hour is None else wtp_usd_per_hour[buyers]
            got = _ration(prio_dem[buyers], left[prov], w)
            prio[buyers, prov] = got
            left[prov] -= got.sum()
    for prov in range(n_p):
        buyers = np.flatnonzero((spot_preferred == prov) & (spot_dem > 0)
                                & spot_allowed[:, prov])
        if buyers.size:
            w = None if wtp_usd_per_hour is None else wtp_usd_per_hour[buyers]
            got = _ration(spot_dem[buyers], left[prov], w)
            spot[buyers, prov] = got
            left[prov] -= got.sum()
    unmet = spot_dem - spot.sum(axis=1)
    unmet[unmet < 1e-12] = 0.0
    if unmet.any() and (left > 1e-12).any():
        spare = np.where(spot_allowed, np.maximum(left, 0.0)[None, :], 0.0)
        spare_tot = spare.sum(axis=1)
        ask = np.where(spare_tot[:, None] > 0, unmet[:, None] * spare
                       / np.where(spare_tot > 0, spare_tot, 1.0)[:, None], 0.0)
        for prov in range(n_p):
            buyers = np.flatnonzero(ask[:, prov] > 0)
            if buyers.size:
                w = None if wtp_usd_per_hour is None else wtp_usd_per_hour[buyers]
                got = _ration(ask[buyers, prov], left[prov], w)
                spot[buyers, prov] += got
                left[prov] -= got.sum()
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
