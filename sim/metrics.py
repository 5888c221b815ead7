"""Outcome metrics (model-spec "Outcome metrics"): pure functions and their collection.

Time-series metrics are collected once per month by :func:`collect` from a
:class:`MonthState`; summary scalars are computed at the end by
:func:`summarize` from a :class:`RunRecord` (both built by
:mod:`sim.observation`: the metrics never read the model). Money in USD,
compute in H100e, capability in log10 effective FLOP (OOM).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.economy.accounts import MarketState
from sim.orgs import ACADEMIA
from sim.results import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS, Results

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


@dataclass(frozen=True)
class MonthState:
    """One month's state as the time-series metrics read it (after the accounting phase).

    Attributes:
        lab_capability_oom: Each lab's capability (OOM).
        lab_safety: Each lab's safety share.
        lab_openness: Each lab's openness.
        lab_compute_h100e: Each lab's compute this month (H100e).
        lab_market_share: Each lab's share of the labs' direct market.
        lab_revenue_usd: Labs' revenue this month (USD/month).
        upstream_deals_active: Labs with an upstream deal.
        train_flop: FLOP of each lab's largest run this month.
        employer: Employer id of each researcher row.
        skill: Skill of each researcher row.
        people_per_row: People each row stands for.
        flows_month: Moves this month by (from kind, to kind), rows.
        grad_history: New PhDs and those hired by industry, last 12 months, ``(12, 2)``.
        org_kind: Kind of every organisation.
        startup_mode: Access mode of each live startup (2 = partner).
        startup_revenue_usd: Live startups' revenue this month (USD/month).
        startups_alive: Live startups.
        academic_salary_usd: Salary level of the first talent pool (USD/yr).
        academic_output_oom: Talent pools' research output this month (OOM).
        cloud_big: Whether each cloud is a big hyperscaler.
        cloud_revenue_usd: Each cloud's revenue this month (USD/month).
        compute_price_usd_per_h100e_hour: Capacity-weighted spot price.
        n_incidents: Incidents drawn this month.
        log_no_incident: log P(no incident so far).
        log_no_major: log P(no major incident so far).
        lab_spinouts: Spin-outs founded so far.
        public_knowledge_oom: Public knowledge stock (OOM).
        lead_window_oom: Window behind the leader that counts as contending (OOM).
        market: Customers' and investors' state this month.
    """

    lab_capability_oom: np.ndarray
    lab_safety: np.ndarray
    lab_openness: np.ndarray
    lab_compute_h100e: np.ndarray
    lab_market_share: np.ndarray
    lab_revenue_usd: float
    upstream_deals_active: int
    train_flop: np.ndarray
    employer: np.ndarray
    skill: np.ndarray
    people_per_row: float
    flows_month: np.ndarray
    grad_history: np.ndarray
    org_kind: np.ndarray
    startup_mode: np.ndarray
    startup_revenue_usd: float
    startups_alive: int
    academic_salary_usd: float
    academic_output_oom: float
    cloud_big: np.ndarray
    cloud_revenue_usd: np.ndarray
    compute_price_usd_per_h100e_hour: float
    n_incidents: int
    log_no_incident: float
    log_no_major: float
    lab_spinouts: int
    public_knowledge_oom: float
    lead_window_oom: float
    market: MarketState


def collect(m: MonthState) -> dict[str, float]:
    """Compute this month's time-series metrics from the month's state.

    Args:
        m: The state after the accounting phase.

    Returns:
        Metric name -> value for :data:`sim.results.TIMESERIES_METRICS`.
    """
    caps = m.lab_capability_oom
    top_emp = m.employer[top_decile_mask(m.skill)]
    top_by_org = np.bincount(top_emp, minlength=m.org_kind.size)
    flows, w = m.flows_month, m.people_per_row
    industry = (K_LAB, K_STARTUP, K_HYPER)
    grads, grad_industry = m.grad_history.sum(axis=0)
    return {
        "frontier_capability": float(caps.max()),
        "leader_gap_oom": leader_gap(caps),
        "contenders": contenders(caps, m.lead_window_oom),
        "safety_share_mean": capability_weighted_mean(m.lab_safety, caps),
        "incident_count": m.n_incidents,
        "incident_prob": float(-np.expm1(m.log_no_incident)),
        "compute_hhi": hhi(m.lab_compute_h100e),
        "capability_share_hhi": hhi(m.lab_market_share),
        "talent_hhi_top_decile": hhi(top_by_org),
        "academia_share_top_decile": float(top_by_org[m.org_kind == ACADEMIA].sum()
                                           / top_emp.size) if top_emp.size else 0.0,
        "moves_academia_to_industry": 12.0 * w * float(flows[K_ACAD, list(industry)].sum()),
        "moves_startup_to_lab": 12.0 * w * float(flows[K_STARTUP, [K_LAB, K_HYPER]].sum()),
        "lab_spinouts": m.lab_spinouts,
        "openness_mean": capability_weighted_mean(m.lab_openness, caps),
        "startups_alive": m.startups_alive,
        "startup_partnered_share": float(np.mean(m.startup_mode == 2))
        if m.startups_alive else 0.0,
        "compute_price_usd_per_h100e_hour": m.compute_price_usd_per_h100e_hour,
        "frontier_training_compute_log10_flop": float(
            np.log10(max(m.train_flop.max(), 1.0))),
        "public_knowledge_oom": m.public_knowledge_oom,
        "industry_share_new_phds": float(grad_industry / grads) if grads else 0.0,
        "big3_cloud_share": share_of(m.cloud_revenue_usd, m.cloud_big),
        "researchers_active": m.employer.size * w,
        "upstream_deals_active": m.upstream_deals_active,
        "ai_market_usd_per_month": m.market.ai_market_usd,
        "capital_supply_usd_per_month": m.market.capital_supply_usd,
        "major_incident_prob": float(-np.expm1(m.log_no_major)),
        "ai_budget_usd_per_month": m.market.ai_budget_usd,
        "lab_revenue_usd_per_month": m.lab_revenue_usd,
        "cloud_capex_usd_per_month": m.market.capex_usd,
        "academic_salary_usd": m.academic_salary_usd,
        "academic_output_oom": m.academic_output_oom,
        "startup_revenue_usd_per_month": m.startup_revenue_usd,
        "outside_option_share": m.market.outside_share,
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


@dataclass(frozen=True)
class RunRecord:
    """A finished run as the summary metrics and :class:`sim.results.Results` read it.

    Attributes:
        seed: Root seed.
        steps: Months simulated.
        series: Time-series metric -> monthly values (allocated for the planned horizon).
        lab_series: Capability and safety of each lab by month, ``(months, 2, labs)``.
        lab_names: Names of the labs.
        flows_by_year: Moves by year and (from kind, to kind), rows.
        money_in_usd: Money received by each outside account by year.
        money_out_usd: Money paid by each outside account by year.
        start_year: Calendar year of month 0.
        capability_threshold_oom: Capability whose first crossing is timed (OOM).
        phase_seconds: Wall time of each phase over the run (s).
        lab_spinouts: Spin-outs founded over the run.
        startup_initial: Whether each organisation is a startup of the initial state.
        org_alive: Whether each organisation is alive at the end.
        market: Customers' and investors' state at the end (run totals included).
        deal_offers: Upstream deal offers made.
        deals_signed: Upstream deals signed.
        deals_blocked: Offers blocked by antitrust review.
        major_incidents: Major incidents over the run.
    """

    seed: int
    steps: int
    series: dict[str, np.ndarray]
    lab_series: np.ndarray
    lab_names: list[str]
    flows_by_year: np.ndarray
    money_in_usd: np.ndarray
    money_out_usd: np.ndarray
    start_year: int
    capability_threshold_oom: float
    phase_seconds: dict[str, float]
    lab_spinouts: int
    startup_initial: np.ndarray
    org_alive: np.ndarray
    market: MarketState
    deal_offers: int
    deals_signed: int
    deals_blocked: int
    major_incidents: int


def summarize(run: RunRecord) -> dict[str, float | int | None]:
    """End-of-run summary scalars from the recorded series and model state.

    Racing intensity (leader gap, contenders, safety, openness, concentration)
    is averaged over the run; end states (academia's share of top talent,
    prices, startups alive, cloud shares) average the last 12 months; counts
    are totals; moves are means per year.

    Args:
        run: The finished run.

    Returns:
        Metric name -> value for :data:`sim.results.SUMMARY_METRICS` (None = undefined).
    """
    ts = run.series
    last = slice(max(0, ts["frontier_capability"].size - 12), None)
    lab_caps = run.lab_series[:, 0, :]
    order = np.argsort(-lab_caps, axis=1)
    followers = (np.take_along_axis(lab_caps, order[:, 1:], axis=1).mean(axis=1)
                 if lab_caps.shape[1] > 1 else np.full(lab_caps.shape[0], np.nan))
    first = slice(0, min(12, ts["frontier_capability"].size))
    initial = run.startup_initial
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
        "lab_spinouts": int(run.lab_spinouts),
        "openness_mean": float(np.mean(ts["openness_mean"])),
        "startups_alive": int(ts["startups_alive"][-1]),
        "startup_partnered_share": float(np.mean(ts["startup_partnered_share"][last])),
        "compute_price_usd_per_h100e_hour": float(
            np.mean(ts["compute_price_usd_per_h100e_hour"][last])),
        "time_to_threshold_months": first_crossing(ts["frontier_capability"],
                                                   run.capability_threshold_oom),
        "training_compute_growth_per_year": _finite_or_none(
            10.0 ** slope_per_year(ts["frontier_training_compute_log10_flop"])),
        "training_cost_growth_per_year": _finite_or_none(training_cost_growth(
            ts["frontier_training_compute_log10_flop"], ts["compute_price_usd_per_h100e_hour"])),
        "public_knowledge_oom": float(ts["public_knowledge_oom"][-1]),
        "follower_capability_growth_oom_per_year": _finite_or_none(slope_per_year(followers)),
        "industry_share_new_phds_start": float(np.mean(ts["industry_share_new_phds"][first])),
        "industry_share_new_phds_end": float(np.mean(ts["industry_share_new_phds"][last])),
        "big3_cloud_share": float(np.mean(ts["big3_cloud_share"][last])),
        "startup_survival": float(np.mean(run.org_alive[initial])) if initial.any()
        else None,
        "lab_partner_revenue_share": float(run.market.lab_partner_revenue_total
                                           / run.market.lab_revenue_total)
        if run.market.lab_revenue_total > 0 else 0.0,
        "upstream_deals": int(run.deals_signed),
        "major_incidents": int(run.major_incidents),
        "major_incident_prob": float(ts["major_incident_prob"][-1]),
        "deal_offers": int(run.deal_offers),
        "deal_acceptance_rate": run.deals_signed / run.deal_offers
        if run.deal_offers else None,
        "deals_blocked": int(run.deals_blocked),
        "frontier_training_flop_log10": float(np.max(ts["frontier_training_compute_log10_flop"])),
        "lab_revenue_usd_per_year": 12.0 * float(np.mean(ts["lab_revenue_usd_per_month"][last])),
    }
    return {name: out[name] for name in SUMMARY_METRICS}


def results(run: RunRecord) -> Results:
    """Package a finished run as :class:`sim.results.Results`."""
    steps = run.steps
    return Results(
        seed=run.seed,
        timeseries={k: v[:steps].copy() for k, v in run.series.items()},
        summary=summarize(run),
        flows=run.flows_by_year.copy(),
        lab_names=list(run.lab_names),
        lab_capability=run.lab_series[:steps, 0, :].copy(),
        lab_safety=run.lab_series[:steps, 1, :].copy(),
        start_year=run.start_year,
        phase_seconds=dict(run.phase_seconds),
        money_flows=np.stack([run.money_in_usd, run.money_out_usd], axis=-1),
    )
