"""Outcome metrics (model-spec "Outcome metrics"): pure functions and their collection.

Time-series metrics are collected once per month by :func:`collect`; summary
scalars are computed from the series at the end by :func:`summarize`. Money
in USD, compute in H100e, capability in log10 effective FLOP (OOM).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.orgs import ACADEMIA, STARTUP
from sim.results import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS, Results

if TYPE_CHECKING:
    from sim.model import RaceModel

K_ACAD, K_LAB, K_STARTUP, K_HYPER = (FLOW_KINDS.index(k) for k in
                                     ("academia", "lab", "startup", "hyperscaler"))


def hhi(amounts: np.ndarray) -> float:
    """Herfindahl-Hirschman index ``sum(share^2)`` in [0, 1]; 0 for an empty or all-zero input."""
    a = np.asarray(amounts, dtype=float)
    total = a.sum()
    if a.size == 0 or total <= 0:
        return 0.0
    share = a / total
    return float((share * share).sum())


def leader_gap(capability: np.ndarray) -> float:
    """``C(1st) - C(2nd)`` in OOM; NaN with fewer than two labs (undefined)."""
    if capability.size < 2:
        return float("nan")
    top = np.partition(capability, capability.size - 2)[-2:]
    return float(top[1] - top[0])


def contenders(capability: np.ndarray, window_oom: float) -> int:
    """Number of labs within ``window_oom`` of the frontier."""
    return int(np.count_nonzero(capability >= capability.max() - window_oom))


def capability_weighted_mean(values: np.ndarray, capability: np.ndarray) -> float:
    """Mean of ``values`` weighted by effective compute ``10^(C - C_max)``.

    The weights are each lab's effective training compute relative to the
    frontier, so labs near the frontier dominate (a plain C-weighting would be
    nearly uniform because C is a logarithm).
    """
    w = 10.0 ** (capability - capability.max())
    return float((w * values).sum() / w.sum())


def share_of(amounts: np.ndarray, mask: np.ndarray) -> float:
    """Share of the total held by the entries in ``mask``; 0 when the total is 0."""
    total = float(np.sum(amounts))
    return float(np.sum(amounts[mask]) / total) if total > 0 else 0.0


def top_decile_mask(skill: np.ndarray) -> np.ndarray:
    """Mask of researchers at or above the 90th skill percentile.

    The threshold is the order statistic of rank ``ceil(0.9 (n - 1))`` (numpy's
    "higher" quantile), found by a partial sort.
    """
    if skill.size == 0:
        return np.zeros(0, dtype=bool)
    k = int(np.ceil(0.9 * (skill.size - 1)))
    return skill >= np.partition(skill, k)[k]


def slope_per_year(series: np.ndarray) -> float:
    """Least-squares slope of a monthly series, per year; NaN below two points."""
    y = np.asarray(series, dtype=float)
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    t = np.arange(y.size)[ok] / 12.0
    return float(np.polyfit(t, y[ok], 1)[0])


def first_crossing(series: np.ndarray, threshold: float) -> int | None:
    """First month index at which ``series >= threshold``; None if never."""
    hit = np.flatnonzero(np.asarray(series) >= threshold)
    return int(hit[0]) if hit.size else None


def allocate_series(steps: int) -> dict[str, np.ndarray]:
    """Zeroed arrays for every time-series metric over ``steps`` months."""
    return {name: np.zeros(steps) for name in TIMESERIES_METRICS}


def collect(model: RaceModel, train_flop: np.ndarray, n_incidents: int) -> dict[str, float]:
    """Compute this month's time-series metrics from the model state.

    Args:
        model: The model after the accounting phase.
        train_flop: FLOP of each lab's largest run this month.
        n_incidents: Incidents drawn this month.

    Returns:
        Metric name -> value for :data:`sim.results.TIMESERIES_METRICS`.
    """
    o, wf, sc = model.orgs, model.workforce, model.p.scenario
    caps = model.labs.capabilities()
    s = model.labs.array("safety")
    op = model.labs.array("openness")
    compute = model.labs.array("compute_h100e")
    emp = wf.employer[: wf.size]
    top = top_decile_mask(wf.skill[: wf.size])
    top_emp = emp[top]
    flows = model.flows.month
    w = model.workforce.people_per_row
    industry = (K_LAB, K_STARTUP, K_HYPER)
    st = o.ids(STARTUP)
    big = np.array([h.big for h in model.clouds.members])
    grads, grad_industry = model.workforce.grad_history.sum(axis=0)
    return {
        "frontier_capability": float(caps.max()),
        "leader_gap_oom": leader_gap(caps),
        "contenders": contenders(caps, sc.lead_window_oom),
        "safety_share_mean": capability_weighted_mean(s, caps),
        "incident_count": n_incidents,
        "incident_prob": float(-np.expm1(model.incidents.log_no_incident)),
        "compute_hhi": hhi(compute),
        "capability_share_hhi": hhi(model.labs.market_share),
        "talent_hhi_top_decile": hhi(np.bincount(top_emp, minlength=o.size)),
        "academia_share_top_decile": float(np.mean(o.kind[top_emp] == ACADEMIA))
        if top_emp.size else 0.0,
        "moves_academia_to_industry": 12.0 * w * float(flows[K_ACAD, list(industry)].sum()),
        "moves_startup_to_lab": 12.0 * w * float(flows[K_STARTUP, [K_LAB, K_HYPER]].sum()),
        "lab_spinouts": model.startups.spinouts_total,
        "openness_mean": capability_weighted_mean(op, caps),
        "startups_alive": st.size,
        "startup_partnered_share": float(np.mean(o.mode[st] == 2)) if st.size else 0.0,
        "compute_price_usd_per_h100e_hour": model.clouds.mean_price_usd(),
        "frontier_training_compute_log10_flop": float(
            np.log10(max(train_flop.max(), 1.0))),
        "public_knowledge_oom": model.knowledge.public_oom,
        "industry_share_new_phds": float(grad_industry / grads) if grads else 0.0,
        "big3_cloud_share": share_of(np.array([h.revenue_usd for h in model.clouds.members]), big),
        "researchers_active": wf.size * w,
        "upstream_deals_active": sum(lab.contract is not None for lab in model.labs.members),
        "ai_market_usd_per_month": model.market.ai_market_usd,
        "capital_supply_usd_per_month": model.market.capital_supply_usd,
        "major_incident_prob": float(-np.expm1(model.incidents.log_no_major)),
        "ai_budget_usd_per_month": model.market.ai_budget_usd,
        "lab_revenue_usd_per_month": float(sum(lab.revenue_usd for lab in model.labs.members)),
        "cloud_capex_usd_per_month": model.market.capex_usd,
        "academic_salary_usd": float(o.salary_usd[model.pools.org_ids[0]]),
        "academic_output_oom": float(sum(pool.output_oom for pool in model.pools.members)),
        "startup_revenue_usd_per_month": float(o.revenue_usd[st].sum()),
        "outside_option_share": model.market.outside_share,
    }


def training_cost_growth(log10_flop: np.ndarray, price_usd_per_h100e_hour: np.ndarray) -> float:
    """Growth factor per year of the cost of the frontier training run.

    The run's cost is its compute in H100e-months times the price of an
    H100e-month, so ``log10 cost = log10 FLOP - log10(FLOP per H100e-month) +
    log10(price) + const``; with a constant FLOP per H100e-month the growth is
    ``10^(slope(log10 FLOP) + slope(log10 price))`` per year (least-squares
    slopes, :func:`slope_per_year`). The price is the capacity-weighted spot
    price. Comparable with Cottier et al. 2024 (arXiv 2405.21015): amortised
    cost of frontier runs grows ~2.4x per year (90% CI 2.0-2.9).

    Args:
        log10_flop: Monthly frontier training compute (log10 FLOP).
        price_usd_per_h100e_hour: Monthly compute price (USD per H100e-hour, > 0).

    Returns:
        Growth factor per year (x/year); NaN below two points or for a
        non-positive price.
    """
    price = np.asarray(price_usd_per_h100e_hour, dtype=float)
    if price.size and np.any(price <= 0):
        return float("nan")
    return float(10.0 ** (slope_per_year(log10_flop) + slope_per_year(np.log10(price))))


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def summarize(model: RaceModel) -> dict[str, float | int | None]:
    """End-of-run summary scalars from the recorded series and model state.

    Racing intensity (leader gap, contenders, safety, openness, concentration)
    is averaged over the run; end states (academia's share of top talent,
    prices, startups alive, cloud shares) average the last 12 months; counts
    are totals; moves are means per year.

    Args:
        model: The model after its last step.

    Returns:
        Metric name -> value for :data:`sim.results.SUMMARY_METRICS` (None = undefined).
    """
    ts = model.series
    last = slice(max(0, ts["frontier_capability"].size - 12), None)
    lab_caps = model.lab_series[:, 0, :]
    order = np.argsort(-lab_caps, axis=1)
    followers = (np.take_along_axis(lab_caps, order[:, 1:], axis=1).mean(axis=1)
                 if lab_caps.shape[1] > 1 else np.full(lab_caps.shape[0], np.nan))
    first = slice(0, min(12, ts["frontier_capability"].size))
    o = model.orgs
    initial = o.initial[: o.size]
    out: dict[str, float | int | None] = {
        "frontier_capability": float(ts["frontier_capability"][-1]),
        "capability_growth_oom_per_year": _finite_or_none(
            slope_per_year(ts["frontier_capability"])),
        "leader_gap_oom": _finite_or_none(float(np.mean(ts["leader_gap_oom"]))),
        "contenders": float(np.mean(ts["contenders"])),
        "safety_share_mean": float(np.mean(ts["safety_share_mean"])),
        "incident_count": int(ts["incident_count"].sum()),
        "incident_prob": float(ts["incident_prob"][-1]),
        "compute_hhi": float(np.mean(ts["compute_hhi"])),
        "capability_share_hhi": float(np.mean(ts["capability_share_hhi"])),
        "talent_hhi_top_decile": float(np.mean(ts["talent_hhi_top_decile"][last])),
        "academia_share_top_decile": float(np.mean(ts["academia_share_top_decile"][last])),
        "moves_academia_to_industry": float(np.mean(ts["moves_academia_to_industry"])),
        "moves_startup_to_lab": float(np.mean(ts["moves_startup_to_lab"])),
        "lab_spinouts": int(model.startups.spinouts_total),
        "openness_mean": float(np.mean(ts["openness_mean"])),
        "startups_alive": int(ts["startups_alive"][-1]),
        "startup_partnered_share": float(np.mean(ts["startup_partnered_share"][last])),
        "compute_price_usd_per_h100e_hour": float(
            np.mean(ts["compute_price_usd_per_h100e_hour"][last])),
        "time_to_threshold_months": first_crossing(ts["frontier_capability"],
                                                   model.p.scenario.capability_threshold_oom),
        "training_compute_growth_per_year": _finite_or_none(
            10.0 ** slope_per_year(ts["frontier_training_compute_log10_flop"])),
        "training_cost_growth_per_year": _finite_or_none(training_cost_growth(
            ts["frontier_training_compute_log10_flop"], ts["compute_price_usd_per_h100e_hour"])),
        "public_knowledge_oom": float(ts["public_knowledge_oom"][-1]),
        "follower_capability_growth_oom_per_year": _finite_or_none(slope_per_year(followers)),
        "industry_share_new_phds_start": float(np.mean(ts["industry_share_new_phds"][first])),
        "industry_share_new_phds_end": float(np.mean(ts["industry_share_new_phds"][last])),
        "big3_cloud_share": float(np.mean(ts["big3_cloud_share"][last])),
        "startup_survival": float(np.mean(o.alive[: o.size][initial])) if initial.any()
        else None,
        "lab_partner_revenue_share": float(model.market.lab_partner_revenue_total
                                           / model.market.lab_revenue_total)
        if model.market.lab_revenue_total > 0 else 0.0,
        "upstream_deals": int(model.deals.signed),
        "major_incidents": int(model.incidents.major_incidents),
        "major_incident_prob": float(ts["major_incident_prob"][-1]),
        "deal_offers": int(model.deals.offers),
        "deal_acceptance_rate": model.deals.signed / model.deals.offers
        if model.deals.offers else None,
        "deals_blocked": int(model.deals.blocked),
        "frontier_training_flop_log10": float(np.max(ts["frontier_training_compute_log10_flop"])),
        "lab_revenue_usd_per_year": 12.0 * float(np.mean(ts["lab_revenue_usd_per_month"][last])),
    }
    return {name: out[name] for name in SUMMARY_METRICS}


def results(model: RaceModel) -> Results:
    """Package a finished model run as :class:`sim.results.Results`."""
    steps = model.t
    years = int(np.ceil(steps / 12))
    return Results(
        seed=model.seed_value,
        timeseries={k: v[:steps].copy() for k, v in model.series.items()},
        summary=summarize(model),
        flows=model.flows.by_year[:years].copy(),
        lab_names=[lab.name for lab in model.labs.members],
        lab_capability=model.lab_series[:steps, 0, :].copy(),
        lab_safety=model.lab_series[:steps, 1, :].copy(),
        start_year=model.p.scenario.start_year,
        phase_seconds=dict(model.phase_seconds),
        money_flows=np.stack([model.ledger.external_in_usd[:years],
                              model.ledger.external_out_usd[:years]], axis=-1),
    )
