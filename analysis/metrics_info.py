"""Label, unit and axis scale of every outcome metric, for axes and tables.

Definitions of the metrics are in ``docs/model.md`` and :mod:`sim.metrics`;
this table only says how to show them. Units follow the model's conventions
(money in USD, compute in H100-equivalents, time in months, capability in
orders of magnitude of effective FLOP). ``"1"`` marks a dimensionless share or
index in [0, 1].
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    """How to show one metric.

    Attributes:
        label: Short human-readable name (fits an axis label at 9 pt).
        unit: Unit of the end-of-run summary value.
        ts_unit: Unit of the monthly time-series value when it differs from
            ``unit`` (empty string: same as ``unit``).
        log_scale: Whether axes should use a logarithmic scale (quantities
            that grow by orders of magnitude, such as USD per month).
    """

    label: str
    unit: str
    ts_unit: str = ""
    log_scale: bool = False


#: Metric name -> how to show it; covers every summary and time-series metric.
METRIC_INFO: dict[str, MetricInfo] = {
    "frontier_capability": MetricInfo("Frontier capability", "log10 effective FLOP"),
    "capability_growth_oom_per_year": MetricInfo("Frontier capability growth", "OOM/year"),
    "leader_gap_oom": MetricInfo("Leader gap", "OOM"),
    "contenders": MetricInfo("Contenders", "labs"),
    "safety_share_mean": MetricInfo("Safety share (capability-weighted)", "1"),
    "incident_count": MetricInfo("Incidents", "incidents", ts_unit="incidents/month"),
    "incident_prob": MetricInfo("P(at least one incident)", "1"),
    "compute_hhi": MetricInfo("Compute concentration (HHI)", "1"),
    "capability_share_hhi": MetricInfo("Market-share concentration (HHI)", "1"),
    "talent_hhi_top_decile": MetricInfo("Top-decile talent HHI", "1"),
    "academia_share_top_decile": MetricInfo("Top-decile share in academia", "1"),
    "moves_academia_to_industry": MetricInfo("Academia-to-industry moves", "researchers/year"),
    "moves_startup_to_lab": MetricInfo("Startup-to-lab moves", "researchers/year"),
    "lab_spinouts": MetricInfo("Lab spin-outs", "startups"),
    "openness_mean": MetricInfo("Openness (capability-weighted)", "1"),
    "startups_alive": MetricInfo("Startups alive", "startups"),
    "startup_partnered_share": MetricInfo("Partnered startups", "1"),
    "compute_price_usd_per_h100e_hour": MetricInfo(
        "Spot compute price", "USD/(H100e h)", log_scale=True),
    "time_to_threshold_months": MetricInfo("Time to capability threshold", "months"),
    "training_compute_growth_per_year": MetricInfo("Training-compute growth", "x/year"),
    "training_cost_growth_per_year": MetricInfo("Training-cost growth", "x/year"),
    "public_knowledge_oom": MetricInfo("Public knowledge stock", "OOM"),
    "follower_capability_growth_oom_per_year": MetricInfo(
        "Follower capability growth", "OOM/year"),
    "industry_share_new_phds_start": MetricInfo("Industry share of new PhDs (start)", "1"),
    "industry_share_new_phds_end": MetricInfo("Industry share of new PhDs (end)", "1"),
    "big3_cloud_share": MetricInfo("Big-3 cloud share", "1"),
    "startup_survival": MetricInfo("Startup survival", "1"),
    "lab_partner_revenue_share": MetricInfo("Lab revenue via partners", "1"),
    "upstream_deals": MetricInfo("Upstream deals", "deals"),
    "frontier_training_compute_log10_flop": MetricInfo(
        "Frontier training compute", "log10 FLOP"),
    "industry_share_new_phds": MetricInfo("Industry share of new PhDs", "1"),
    "researchers_active": MetricInfo("Active researchers", "researchers"),
    "upstream_deals_active": MetricInfo("Active upstream deals", "deals"),
    "ai_market_usd_per_month": MetricInfo("AI market", "USD/month", log_scale=True),
    "capital_supply_usd_per_month": MetricInfo(
        "Investor capital supply", "USD/month", log_scale=True),
}

#: Readable names of the organisation kinds in :data:`sim.FLOW_KINDS`.
FLOW_KIND_LABELS: dict[str, str] = {
    "academia": "Academia",
    "lab": "Labs",
    "startup": "Startups",
    "hyperscaler": "Hyperscalers",
    "entry": "Entry (new PhDs)",
    "exit": "Exit (retired)",
}

#: Unit of the per-run flow counts shown in flow figures and tables.
FLOW_UNIT = "researchers/year"



def metric_info(metric: str) -> MetricInfo:
    """Return how to show a metric, with a plain fallback for names not in the table.

    Args:
        metric: Metric name.

    Returns:
        The :data:`METRIC_INFO` entry, or a label made from the name with the
        unit ``"unit not documented"`` (the tests require every metric of
        :mod:`sim.results` to have an entry, so the fallback only shows for
        metrics added to the model after this table).
    """
    return METRIC_INFO.get(metric, MetricInfo(metric.replace("_", " "), "unit not documented"))


def metric_unit(metric: str, timeseries: bool = False) -> str:
    """Return the unit of a metric.

    Args:
        metric: Metric name.
        timeseries: Whether the value is the monthly time-series value rather
            than the end-of-run summary.

    Returns:
        The unit string, ``"1"`` for dimensionless shares and indices.
    """
    info = metric_info(metric)
    return (info.ts_unit or info.unit) if timeseries else info.unit


def format_quantity(value: float, metric: str, digits: int = 4) -> str:
    """Format a value of a metric with its unit for prose (no unit for dimensionless ones).

    Args:
        value: Value in the metric's (summary) unit.
        metric: Metric name.
        digits: Significant digits.

    Returns:
        For example ``"0.4117"`` or ``"31.2 log10 effective FLOP"``.
    """
    unit = metric_unit(metric)
    number = f"{value:.{digits}g}"
    return number if unit == "1" else f"{number} {unit}"


def axis_label(
    metric: str, timeseries: bool = False, prefix: str = "", wrap: bool = False
) -> str:
    """Return an axis label ``"<label> [<unit>]"`` for a metric.

    Args:
        metric: Metric name.
        timeseries: Use the time-series unit (see :class:`MetricInfo`).
        prefix: Text put before the label, e.g. ``"Median of "``.
        wrap: Put the unit on a second line when the label is longer than
            28 characters (for axes shorter than the label).

    Returns:
        The label, e.g. ``"Leader gap [OOM]"``.
    """
    text = f"{prefix}{metric_info(metric).label}"
    unit = f"[{metric_unit(metric, timeseries)}]"
    return f"{text}\n{unit}" if wrap and len(text) + len(unit) > 28 else f"{text} {unit}"


@functools.cache
def _param_units() -> dict[str, str]:
    """Return dotted parameter key -> unit, from the parameter metadata of :mod:`sim.params`."""
    from sim.params import iter_fields

    return {key: str(meta.get("unit", "")) for key, _, meta in iter_fields()}


def param_label(key: str, name: str | None = None) -> str:
    """Return an axis label ``"<name> [<unit>]"`` for a swept parameter.

    Args:
        key: Dotted parameter key, e.g. ``"downstream.partner_share"``.
        name: Text to show instead of the key (e.g. its short name).

    Returns:
        The label; ``"1"`` marks a dimensionless parameter, and booleans,
        choices and keys unknown to :mod:`sim.params` get no unit.
    """
    unit = _param_units().get(key, "")
    shown = name or key
    return f"{shown} [{unit}]" if unit else shown
