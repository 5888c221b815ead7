"""Analysis of sweep directories: tidy tables, statistics, figures and a report.

The package reads what the sweep tooling writes (see ``docs/contracts.md``),
never re-runs the model, and goes from tables to statistics to figures. It is
import-light: pandas, scipy and matplotlib load on first use of a function,
so ``race-analyze --help`` stays fast. The public API is re-exported here::

    from analysis import load_sweep, summary_table, plot_fan_chart
    sweep = load_sweep("outputs/my_sweep")
    summary_table(sweep, ["frontier_capability"])

See ``docs/analysis.md`` for the full API, the figures and the report.
"""

from __future__ import annotations

import importlib
from typing import Any

from analysis.errors import SweepError

#: Public name -> submodule that defines it (imported on first access).
_EXPORTS: dict[str, str] = {
    "Sweep": "analysis.load",
    "load_sweep": "analysis.load",
    "point_labels": "analysis.load",
    "display_labels": "analysis.load",
    "uninformative_metrics": "analysis.honesty",
    "duplicate_points": "analysis.honesty",
    "holm_floor": "analysis.honesty",
    "format_number": "analysis.metrics_info",
    "resolve_baseline": "analysis.load",
    "check_metrics": "analysis.load",
    "METRIC_INFO": "analysis.metrics_info",
    "axis_label": "analysis.metrics_info",
    "bootstrap_ci": "analysis.stats",
    "summary_table": "analysis.stats",
    "effects_table": "analysis.stats",
    "paired_differences": "analysis.stats",
    "grid_table": "analysis.stats",
    "flow_table": "analysis.stats",
    "saltelli_points": "analysis.sensitivity",
    "saltelli_blocks": "analysis.sensitivity",
    "sobol_indices_from_values": "analysis.sensitivity",
    "sobol_table": "analysis.sensitivity",
    "first_order_table": "analysis.sensitivity",
    "first_order_given_data": "analysis.sensitivity",
    "plot_distributions": "analysis.figures",
    "plot_fan_chart": "analysis.figures",
    "plot_heatmaps": "analysis.figures",
    "plot_paired_effects": "analysis.figures",
    "plot_lever_effect": "analysis.figures",
    "plot_sobol": "analysis.figures",
    "plot_flows": "analysis.figures",
    "plot_parameter_scatter": "analysis.figures",
    "plot_sampled_lever": "analysis.figures",
    "save_figure": "analysis.style",
    "build_report": "analysis.report",
    "Answer": "analysis.report",
    "KeyFigures": "analysis.report",
    "contrast_findings": "analysis.findings",
    "design_sentence": "analysis.findings",
    "write_synthetic_sweep": "analysis.synthetic",
}


def __getattr__(name: str) -> Any:
    """Import the submodule that defines a public name on first access (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    """List the public names, including those imported lazily."""
    return sorted([*_EXPORTS, "SweepError"])


__all__ = ["SweepError", *_EXPORTS]
