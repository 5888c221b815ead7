"""Label, unit and axis scale of every outcome metric, for axes and tables.

Definitions of the metrics are in ``docs/model.md`` and :mod:`sim.metrics`;
this table only says how to show them. Units follow the model's conventions
(money in USD, compute in H100-equivalents, time in months, capability in
orders of magnitude of effective FLOP). Dimensionless quantities in [0, 1] say
what they are (``share``, ``probability``, ``index``) instead of ``[1]``, and
carry their natural bounds; :data:`THRESHOLDS` gives the level above which a
run counts as exceeding, for the exceedance maps of the report.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np


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
        bounds: Natural ``(low, high)`` of the values (shares and indices:
            ``(0, 1)``), or ``None`` when unbounded.
    """

    label: str
    unit: str
    ts_unit: str = ""
    log_scale: bool = False
    bounds: tuple[float, float] | None = None


def _share(label: str, unit: str = "share") -> MetricInfo:
    """Return the entry of a dimensionless quantity in [0, 1] (share, probability, index)."""
    return MetricInfo(label, unit, bounds=(0.0, 1.0))


#: Metric name -> how to show it; covers every summary and time-series metric.
METRIC_INFO: dict[str, MetricInfo] = {
    "frontier_capability": MetricInfo("Frontier capability", "log10 effective FLOP"),
    "capability_growth_oom_per_year": MetricInfo("Frontier capability growth", "OOM/yr"),
    "leader_gap_oom": MetricInfo("Leader gap", "OOM"),
    "contenders": MetricInfo("Contenders", "labs"),
    "safety_share_mean": _share("Safety share (capability-weighted)"),
    "incident_count": MetricInfo("Incidents", "incidents", ts_unit="incidents/month"),
    "incident_prob": _share("P(at least one incident)", "probability"),
    "compute_hhi": _share("Compute concentration (HHI)", "index"),
    "capability_share_hhi": _share("Market-share concentration (HHI)", "index"),
    "talent_hhi_top_decile": _share("Top-decile talent HHI", "index"),
    "academia_share_top_decile": _share("Top-decile share in academia"),
    "moves_academia_to_industry": MetricInfo("Academia-to-industry moves", "researchers/yr"),
    "moves_startup_to_lab": MetricInfo("Startup-to-lab moves", "researchers/yr"),
    "lab_spinouts": MetricInfo("Lab spin-outs", "startups"),
    "openness_mean": _share("Openness (capability-weighted)", "index"),
    "startups_alive": MetricInfo("Startups alive", "startups"),
    "startup_partnered_share": _share("Partnered startups"),
    "compute_price_usd_per_h100e_hour": MetricInfo(
        "Compute price", "USD/(H100e h)", log_scale=True),
    "time_to_threshold_months": MetricInfo("Time to capability threshold", "months"),
    "training_compute_growth_per_year": MetricInfo("Training-compute growth", "x/yr"),
    "training_cost_growth_per_year": MetricInfo("Training-cost growth", "x/yr"),
    "public_knowledge_oom": MetricInfo("Public knowledge stock", "log10 algorithmic efficiency"),
    "follower_capability_growth_oom_per_year": MetricInfo(
        "Follower capability growth", "OOM/yr"),
    "industry_share_new_phds_start": _share("Industry share of new PhDs (start)"),
    "industry_share_new_phds_end": _share("Industry share of new PhDs (end)"),
    "big3_cloud_share": _share("Big-3 cloud share"),
    "startup_survival": _share("Startup survival"),
    "lab_partner_revenue_share": _share("Lab revenue via partners"),
    "upstream_deals": MetricInfo("Upstream deals", "deals"),
    "frontier_training_compute_log10_flop": MetricInfo(
        "Frontier training compute", "log10 FLOP"),
    "industry_share_new_phds": _share("Industry share of new PhDs"),
    "researchers_active": MetricInfo("Active researchers", "researchers"),
    "upstream_deals_active": MetricInfo("Active upstream deals", "deals"),
    "ai_market_usd_per_month": MetricInfo("AI market", "USD/month", log_scale=True),
    "capital_supply_usd_per_month": MetricInfo(
        "Investor capital supply", "USD/month", log_scale=True),
    "major_incidents": MetricInfo("Major incidents", "incidents"),
    "major_incident_prob": _share("P(at least one major incident)", "probability"),
    "deal_offers": MetricInfo("Upstream deal offers", "offers"),
    "deal_acceptance_rate": _share("Deal acceptance rate"),
    "deals_blocked": MetricInfo("Deals blocked by antitrust", "deals"),
    "frontier_training_flop_log10": MetricInfo("Largest training run", "log10 FLOP"),
    "lab_revenue_usd_per_year": MetricInfo("Labs' revenue", "USD/yr", log_scale=True),
    "ai_budget_usd_per_month": MetricInfo("Customers' AI budget", "USD/month", log_scale=True),
    "lab_revenue_usd_per_month": MetricInfo("Labs' revenue", "USD/month", log_scale=True),
    "cloud_capex_usd_per_month": MetricInfo("Cloud AI capex", "USD/month", log_scale=True),
    "academic_salary_usd": MetricInfo("Academic salary level", "USD/yr"),
    "academic_output_oom": MetricInfo("Academic output", "OOM/month"),
    "startup_revenue_usd_per_month": MetricInfo("Startups' revenue", "USD/month",
                                                log_scale=True),
    "outside_option_share": _share("Customers' budget left to open models"),
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
FLOW_UNIT = "researchers/yr"

#: Level above which a run counts as exceeding, for the exceedance maps of the
#: report (metric units; configurable with ``--threshold METRIC=VALUE``).
#: Metrics without an entry get no exceedance map unless a level is given: the
#: median of all runs, the former default, is not a level anyone cares about.
THRESHOLDS: dict[str, float] = {
    # US DOJ/FTC Merger Guidelines (2023): HHI above 1,800 (0.18) is highly concentrated.
    "compute_hhi": 0.18,
    "capability_share_hhi": 0.18,
    "talent_hhi_top_decile": 0.18,
    # A leader one order of magnitude of effective compute ahead of the runner-up.
    "leader_gap_oom": 1.0,
    # More likely than not.
    "incident_prob": 0.5,
    "major_incident_prob": 0.5,
    # Half of the top-decile researchers still in academia.
    "academia_share_top_decile": 0.5,
    # Half of the startups partnered with a lab or hyperscaler.
    "startup_partnered_share": 0.5,
    # Three clouds holding two thirds of capacity.
    "big3_cloud_share": 2.0 / 3.0,
}

#: Short forms of parameter units for point labels (``"lead 6 mo"``).
_SHORT_UNITS: dict[str, str] = {"months": "mo", "month": "mo", "years": "yr", "year": "yr"}


def _dimensionless(unit: str) -> bool:
    """Whether a parameter unit is dimensionless, so that no unit is printed.

    The parameter table writes dimensionless quantities as ``"1"`` or with what
    they are a share of, ``"1 (of lab valuation)"``.
    """
    return unit in ("", "1") or unit.startswith("1 (")


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
        The unit string (``share``, ``probability`` or ``index`` for
        dimensionless quantities in [0, 1]).
    """
    info = metric_info(metric)
    return (info.ts_unit or info.unit) if timeseries else info.unit


def threshold(metric: str, given: dict[str, float] | None = None) -> float | None:
    """Return the exceedance level of a metric: the given one, else :data:`THRESHOLDS`.

    Args:
        metric: Summary metric.
        given: Metric -> level from the user (``--threshold``), in metric units.

    Returns:
        The level in metric units, or ``None`` when the metric has no meaningful level.
    """
    if given and metric in given:
        return float(given[metric])
    return THRESHOLDS.get(metric)


_SUFFIXES: tuple[tuple[float, str], ...] = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"))


def format_number(value: float, digits: int = 3) -> str:
    """Format a number for people: separators, no exponents in everyday ranges.

    Magnitudes from 1,000 to below a million are rounded to ``digits``
    significant digits and printed with thousands separators; from a million
    to below 10^15 with the suffixes ``M``, ``bn``, ``tn``; from 0.001 to
    1,000 with ``digits`` significant digits; smaller and larger magnitudes in
    scientific notation, the only honest way to print them.

    Args:
        value: The number.
        digits: Significant digits.

    Returns:
        For example ``"1,630"`` (1634.2), ``"3.1 bn"`` (3.1e9 with 2 digits),
        ``"0.123"``, ``"5.7e-08"``, ``"-"`` for NaN.
    """
    value = float(value)
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    size = abs(value)
    if size == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")
    size = abs(rounded)
    if size >= 1e15 or size < 1e-3:
        return f"{value:.{digits}g}".replace("e+", "e")
    for scale, suffix in _SUFFIXES:
        if size >= scale:
            return f"{rounded / scale:.{digits}g} {suffix}"
    if size >= 1000:
        return f"{rounded:,.0f}"
    text = f"{rounded:.{digits}g}"
    return f"{rounded:.0f}" if "e" in text else text


def format_quantity(value: float, metric: str, digits: int = 3) -> str:
    """Format a value of a metric with its unit for prose (no unit for dimensionless ones).

    Args:
        value: Value in the metric's (summary) unit.
        metric: Metric name.
        digits: Significant digits (see :func:`format_number`).

    Returns:
        For example ``"0.412"`` or ``"31.2 log10 effective FLOP"``, ``"3.1 bn USD/month"``.
    """
    info = metric_info(metric)
    number = format_number(value, digits)
    return number if info.bounds == (0.0, 1.0) else f"{number} {info.unit}"


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
        The label; dimensionless parameters (unit ``"1"``), booleans, choices
        and keys unknown to :mod:`sim.params` get no unit.
    """
    unit = _param_units().get(key, "")
    shown = name or key
    return shown if _dimensionless(unit) else f"{shown} [{unit}]"


def param_words(key: str, name: str | None = None) -> str:
    """Return a parameter's name for people: the short name with spaces, unit suffix dropped.

    Args:
        key: Dotted parameter key, e.g. ``"scenario.lead_months"``.
        name: Short name to start from (default: the last component of ``key``).

    Returns:
        For example ``"partner share"``, ``"lead"`` (the unit goes after the value).
    """
    words = (name or key.rsplit(".", 1)[-1]).replace(".", " ").split("_")
    unit = _param_units().get(key, "")
    if len(words) > 1 and unit and words[-1] in (unit, f"{unit}s", unit.lower()):
        words = words[:-1]
    return " ".join(words)


def format_param_value(key: str, value: object) -> str:
    """Format a parameter value with its short unit for a point label.

    Args:
        key: Dotted parameter key.
        value: The value (number, boolean or choice name).

    Returns:
        For example ``"0.6"``, ``"6 mo"``, ``"on"``/``"off"`` for booleans.
    """
    if isinstance(value, bool | np.bool_):
        return "on" if value else "off"
    if isinstance(value, int | float | np.integer | np.floating):
        unit = _param_units().get(key, "")
        short = "" if _dimensionless(unit) else _SHORT_UNITS.get(unit, unit)
        number = format_number(float(value), 3)
        return f"{number} {short}" if short else number
    return str(value)
