"""What one simulation run returns: time series, summary scalars and flows.

Time series and end-of-run scalars are kept apart (AgentPy's ``record`` and
``report``). Names are the model-spec outcome metrics plus a few calibration
series; their definitions are in :mod:`sim.metrics` and ``docs/model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Organisation kinds used in the flow matrix, in this order.
FLOW_KINDS: tuple[str, ...] = ("academia", "lab", "startup", "hyperscaler", "entry", "exit")

#: Time-series metrics: one value per month, in this column order.
TIMESERIES_METRICS: tuple[str, ...] = (
    "frontier_capability",
    "leader_gap_oom",
    "contenders",
    "safety_share_mean",
    "incident_count",
    "incident_prob",
    "compute_hhi",
    "capability_share_hhi",
    "talent_hhi_top_decile",
    "academia_share_top_decile",
    "moves_academia_to_industry",
    "moves_startup_to_lab",
    "lab_spinouts",
    "openness_mean",
    "startups_alive",
    "startup_partnered_share",
    "compute_price_usd_per_h100e_hour",
    "frontier_training_compute_log10_flop",
    "public_knowledge_oom",
    "industry_share_new_phds",
    "big3_cloud_share",
    "researchers_active",
    "upstream_deals_active",
    "ai_market_usd_per_month",
    "capital_supply_usd_per_month",
    "major_incident_prob",
    "ai_budget_usd_per_month",
    "lab_revenue_usd_per_month",
    "cloud_capex_usd_per_month",
    "academic_salary_usd",
    "academic_output_oom",
    "startup_revenue_usd_per_month",
    "outside_option_share",
)

#: Summary metrics: one scalar per run (``None`` where undefined), in this order. New
#: metrics go at the end: a metric's position keys its bootstrap seed (analysis.stats).
SUMMARY_METRICS: tuple[str, ...] = (
    "frontier_capability",
    "capability_growth_oom_per_year",
    "leader_gap_oom",
    "contenders",
    "safety_share_mean",
    "incident_count",
    "incident_prob",
    "compute_hhi",
    "capability_share_hhi",
    "talent_hhi_top_decile",
    "academia_share_top_decile",
    "moves_academia_to_industry",
    "moves_startup_to_lab",
    "lab_spinouts",
    "openness_mean",
    "startups_alive",
    "startup_partnered_share",
    "compute_price_usd_per_h100e_hour",
    "time_to_threshold_months",
    "training_compute_growth_per_year",
    "public_knowledge_oom",
    "follower_capability_growth_oom_per_year",
    "industry_share_new_phds_start",
    "industry_share_new_phds_end",
    "big3_cloud_share",
    "startup_survival",
    "lab_partner_revenue_share",
    "upstream_deals",
    "training_cost_growth_per_year",
    "major_incidents",
    "major_incident_prob",
    "deal_offers",
    "deal_acceptance_rate",
    "deals_blocked",
    "frontier_training_flop_log10",
    "lab_revenue_usd_per_year",
)

#: Outside accounts of the ledger, in the order of ``Results.money_flows``.
MONEY_ACCOUNTS: tuple[str, ...] = ("investors", "customers", "government", "households",
                                   "hardware", "suppliers")


@dataclass
class Results:
    """Outputs of one run.

    Attributes:
        seed: Root seed of the run.
        timeseries: Metric name -> array of shape ``(steps,)``; names in
            :data:`TIMESERIES_METRICS`.
        summary: Metric name -> float, int or ``None``; names in :data:`SUMMARY_METRICS`.
        flows: Researcher moves, shape ``(years, K, K)`` indexed by
            ``[year, from_kind, to_kind]`` over :data:`FLOW_KINDS`; year 0 is the
            first 12 months of the run (the last year may be partial).
        lab_names: Name of each lab, in column order of ``lab_capability``.
        lab_capability: Capability ``C`` (log10 effective FLOP) per month and lab,
            shape ``(steps, n_labs)``.
        lab_safety: Safety share ``s`` per month and lab, shape ``(steps, n_labs)``.
        start_year: Calendar year of month 0.
        phase_seconds: Wall time spent in each phase of the step, in seconds.
        money_flows: Money received and paid by each outside account per year of
            the run (USD), shape ``(years, accounts, 2)`` indexed by
            ``[year, account, (inflow, outflow)]`` over :data:`MONEY_ACCOUNTS`.
    """

    seed: int
    timeseries: dict[str, np.ndarray]
    summary: dict[str, float | int | None]
    flows: np.ndarray
    lab_names: list[str]
    lab_capability: np.ndarray
    lab_safety: np.ndarray
    start_year: int
    phase_seconds: dict[str, float] = field(default_factory=dict)
    money_flows: np.ndarray = field(default_factory=lambda: np.zeros((0, 6, 2)))

    def flow_rows(self) -> list[tuple[int, str, str, int]]:
        """Return the flow matrix as ``(year, from_kind, to_kind, moves)`` rows, zeros omitted."""
        years, src, dst = np.nonzero(self.flows)
        return [
            (int(y), FLOW_KINDS[a], FLOW_KINDS[b], int(self.flows[y, a, b]))
            for y, a, b in zip(years, src, dst, strict=True)
        ]

    def money_flow_rows(self) -> list[tuple[int, str, float, float]]:
        """Return money flows as ``(year, account, inflow_usd, outflow_usd)`` rows."""
        return [
            (y, MONEY_ACCOUNTS[a], float(self.money_flows[y, a, 0]),
             float(self.money_flows[y, a, 1]))
            for y in range(self.money_flows.shape[0]) for a in range(len(MONEY_ACCOUNTS))
        ]
