"""A self-contained HTML report of a sweep: definition, provenance, tables, figures.

:func:`build_report` writes ``<out>/index.html`` with relative links to
``<out>/figures/*`` and ``<out>/tables/*.csv`` (default ``out``:
``SWEEP_DIR/report``), so the folder can be zipped, shared and opened in a
browser. The page holds no timestamps and every bootstrap is seeded, so
regenerating the report from the same sweep gives the same tables (and the
same HTML). Files of an earlier report in ``figures/`` and ``tables/`` are
removed first, so the folder lists exactly what the page shows.

Which figures appear depends on the sweep:

* per-point distributions when the sweep has at most
  :data:`~analysis.figures.MAX_POINTS` points; scatter plots of the
  per-point median against each parameter for sampled designs (``lhs``,
  ``sobol``) and for sweeps with more points; figures of paired
  effects show up to :data:`~analysis.figures.MAX_POINTS` points, fan charts
  and flows up to :data:`~analysis.figures.MAX_PANELS` (the baseline and
  evenly spaced others, said in a note);
* heatmaps when the points form a full grid over two parameters;
* paired effects against the baseline for grids (not for sampled designs);
* Sobol indices for sampled designs (``lhs``, ``sobol``): first-order and
  total indices when the points have the Saltelli layout, otherwise
  first-order indices from the points alone (see :mod:`analysis.sensitivity`);
* researcher flows always.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import figures
from analysis.errors import SweepError
from analysis.load import Sweep, check_metrics, point_labels, resolve_baseline
from analysis.metrics_info import FLOW_UNIT, axis_label, format_quantity, metric_info
from analysis.sensitivity import first_order_table, saltelli_blocks, sobol_table
from analysis.stats import (
    N_RESAMPLES,
    default_threshold,
    effects_table,
    flow_table,
    is_full_grid,
    summary_table,
)
from analysis.style import FORMATS, save_figure
from sim.results import SUMMARY_METRICS, TIMESERIES_METRICS

#: Metrics of the report when none are given: racing, safety, concentration, brain drain.
DEFAULT_METRICS: tuple[str, ...] = (
    "frontier_capability",
    "leader_gap_oom",
    "safety_share_mean",
    "compute_hhi",
    "academia_share_top_decile",
    "moves_academia_to_industry",
    "moves_startup_to_lab",
    "openness_mean",
    "incident_prob",
    "time_to_threshold_months",
)

#: Design kinds whose points are sampled (no lever values chosen by the user).
SAMPLED_DESIGNS: tuple[str, ...] = ("lhs", "sobol")

#: Most points for which per-point tables are written (beyond: pooled summary only).
MAX_TABLE_POINTS = 60

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1, h2, h3 { font-weight: 600; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: right; }
th { background: #f4f4f4; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.note { color: #7a4b00; background: #fff6e0; padding: 0.4em 0.8em; }
nav a { margin-right: 1em; }
"""


@dataclass
class _Page:
    """HTML sections and the files they link, collected while building the report."""

    out: Path
    fmt: str
    sections: list[str] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    def add(self, text: str) -> None:
        """Append raw HTML."""
        self.sections.append(text)

    def figure(self, fig: Any, name: str, caption: str) -> None:
        """Save a figure under ``figures/`` and add it with its caption."""
        path = save_figure(fig, self.out / "figures" / name, self.fmt)
        self.figures.append(path)
        rel = html.escape(path.relative_to(self.out).as_posix())
        if self.fmt == "pdf":
            body = f'<a href="{rel}">{rel} (PDF)</a>'
        else:
            body = f'<a href="{rel}"><img src="{rel}" alt="{html.escape(caption)}"></a>'
        self.add(f"<figure>{body}<figcaption>{html.escape(caption)}</figcaption></figure>")


def _fmt(value: Any) -> str:
    """Format a table cell: 4 significant digits for floats, '-' for NaN."""
    if isinstance(value, float | np.floating):
        return "-" if not np.isfinite(value) else f"{float(value):.4g}"
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    return str(value)


def _table_html(table: pd.DataFrame) -> str:
    """Render a table as HTML with escaped cells and compact numbers."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False, name=None)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested mappings into sorted ``(dotted key, value)`` pairs."""
    items = []
    for key in sorted(mapping, key=str):
        value = mapping[key]
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            items.extend(_flatten(value, name))
        else:
            items.append((name, str(value)))
    return items


def _definition_text(definition: Mapping[str, Any]) -> str:
    """Return the sweep definition as YAML, with the design points replaced by their count."""
    import yaml

    shown = dict(definition)
    design = shown.get("design")
    if isinstance(design, Mapping) and isinstance(design.get("points"), list):
        shown["design"] = {**design, "points": f"{len(design['points'])} points "
                                               "(see tables/points.csv)"}
    return yaml.safe_dump(shown, sort_keys=False, default_flow_style=False)


def _select_jobs(sweep: Sweep, baseline: int, limit: int) -> list[int]:
    """Return all jobs, or the baseline and evenly spaced others up to ``limit`` jobs."""
    jobs = sweep.jobs
    if len(jobs) <= limit:
        return jobs
    others = [j for j in jobs if j != baseline]
    picks = np.linspace(0, len(others) - 1, limit - 1).round().astype(int)
    return sorted({baseline, *(others[i] for i in picks)})


def _selection_note(sweep: Sweep, chosen: Sequence[int], what: str) -> str:
    """Say which points a kind of figure shows when it cannot show them all."""
    if len(chosen) == len(sweep.jobs):
        return ""
    return (f"{what} show the baseline and {len(chosen) - 1} evenly spaced of the "
            f"{len(sweep.jobs)} points (jobs {', '.join(map(str, chosen))}).")


def _clear(folder: Path, suffixes: Sequence[str]) -> None:
    """Remove files with the given suffixes from a report folder (an earlier report)."""
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lstrip(".") in suffixes:
                path.unlink()


def build_report(
    sweep: Sweep,
    out: str | Path | None = None,
    *,
    metrics: Sequence[str] | None = None,
    baseline: str | int | None = None,
    fmt: str = "png",
    thresholds: Mapping[str, float] | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> Path:
    """Write the HTML report of a sweep with its tables and figures.

    Args:
        sweep: The loaded sweep.
        out: Report folder (default ``SWEEP_DIR/report``).
        metrics: Metrics to analyse (summary and/or time-series names;
            default :data:`DEFAULT_METRICS`).
        baseline: Baseline point, as for :func:`analysis.load.resolve_baseline`.
        fmt: Figure format: ``png``, ``svg`` or ``pdf``.
        thresholds: Metric -> level (metric units) for the exceedance
            heatmaps; missing metrics use the median over all runs.
        n_resamples: Bootstrap resamples of every confidence interval.
        seed: Base seed of the bootstraps.

    Returns:
        Path of ``index.html``.

    Raises:
        SweepError: Unknown metric, baseline or format.
    """
    if fmt not in FORMATS:
        raise SweepError(f"--format {fmt}: allowed: {', '.join(FORMATS)}")
    names = check_metrics(DEFAULT_METRICS if metrics is None else metrics, "any")
    if not names:
        raise SweepError("no metrics requested")
    unknown = sorted(set(thresholds or {}) - set(SUMMARY_METRICS))
    if unknown:
        raise SweepError(f"--threshold for unknown summary metric(s) {', '.join(unknown)}")
    summary = [m for m in names if m in SUMMARY_METRICS]
    series = [m for m in names if m in TIMESERIES_METRICS]
    base = resolve_baseline(sweep, baseline)
    root = Path(out) if out is not None else sweep.path / "report"
    root.mkdir(parents=True, exist_ok=True)
    _clear(root / "figures", FORMATS)
    _clear(root / "tables", ("csv",))
    (root / "tables").mkdir(exist_ok=True)
    page = _Page(root, fmt)
    labels = point_labels(sweep)
    shown = _select_jobs(sweep, base, figures.MAX_POINTS)
    panels = _select_jobs(sweep, base, figures.MAX_PANELS)
    few = len(sweep.jobs) <= MAX_TABLE_POINTS
    stats_kw = {"n_resamples": n_resamples, "seed": seed}

    _overview(page, sweep, base, labels)
    settings = (f"metrics: {', '.join(names)}; baseline: job {base}; figures: {fmt}; "
                f"bootstrap: {n_resamples} resamples, seed {seed}; thresholds: "
                + (", ".join(f"{k}={v:g}" for k, v in sorted((thresholds or {}).items()))
                   or "median of all runs"))
    page.add(f"<p>Analysis settings: {html.escape(settings)}.</p>")
    effects_drawn = (bool(summary) and len(sweep.jobs) > 1 and few
                     and sweep.design_kind not in SAMPLED_DESIGNS)
    notes = [_selection_note(sweep, panels, "Fan charts and flow figures")]
    if effects_drawn:
        notes.insert(0, _selection_note(sweep, shown, "Figures of paired effects"))
    for note in notes:
        if note:
            page.add(f'<p class="note">{html.escape(note)}</p>')
    if summary:
        _summary_section(page, sweep, summary, few, shown, stats_kw)
        if len(sweep.jobs) > 1:
            _effects_section(page, sweep, summary, base, few, shown, stats_kw)
        if is_full_grid(sweep):
            _heatmap_section(page, sweep, summary, thresholds or {})
        if sweep.design_kind in SAMPLED_DESIGNS:
            _sobol_section(page, sweep, summary, stats_kw)
    if series:
        _fan_section(page, sweep, series, panels)
    _flow_section(page, sweep, panels, labels)
    index = root / "index.html"
    index.write_text(_render(sweep, page), encoding="utf-8")
    return index


def _overview(page: _Page, sweep: Sweep, baseline: int, labels: Mapping[int, str]) -> None:
    """Add the sweep definition, provenance and the table of points."""
    page.add('<h2 id="sweep">Sweep definition</h2>')
    page.add(f"<p>{len(sweep.jobs)} points &times; {len(sweep.seeds)} seeds "
             f"(seeds {html.escape(_seed_range(sweep.seeds))}, the same at every point); "
             f"design <code>{html.escape(sweep.design_kind)}</code>; baseline: job "
             f"{baseline} ({html.escape(labels[baseline])}).</p>")
    if sweep.missing_jobs:
        page.add(f'<p class="note">{len(sweep.missing_jobs)} design point(s) have no results: '
                 f"jobs {html.escape(', '.join(map(str, sweep.missing_jobs[:30])))}.</p>")
    page.add(f"<pre>{html.escape(_definition_text(sweep.definition))}</pre>")
    page.add('<h2 id="provenance">Provenance</h2>')
    page.add(_table_html(pd.DataFrame(_flatten(sweep.provenance), columns=["key", "value"])))
    page.add('<h2 id="points">Parameter points</h2>')
    points = sweep.points.copy()
    points.insert(1, "label", [labels[j] for j in points["job"]])
    points.to_csv(page.out / "tables" / "points.csv", index=False)
    if len(points) <= MAX_TABLE_POINTS:
        page.add(_table_html(points))
    page.add('<p>All points: <a href="tables/points.csv">tables/points.csv</a>.</p>')


def _all_null(sweep: Sweep, metrics: Sequence[str]) -> set[str]:
    """Return the summary metrics whose every value in the sweep is null."""
    return {m for m in metrics if not sweep.runs[m].notna().any()}


def _seed_range(seeds: Sequence[int]) -> str:
    """Describe a seed list compactly (``0-19`` for consecutive seeds)."""
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _summary_section(
    page: _Page, sweep: Sweep, metrics: list[str], few: bool, shown: list[int],
    stats_kw: dict[str, int],
) -> None:
    """Add per-point statistics and distribution figures of the summary metrics."""
    page.add('<h2 id="summary">Outcome distributions</h2>')
    table = summary_table(sweep, metrics, pooled=not few, **stats_kw)
    table.to_csv(page.out / "tables" / "summary.csv", index=False)
    scope = "each point" if few else "all runs pooled (many points)"
    page.add(f"<p>Statistics across seeds at {scope}: mean with its 95% bootstrap CI "
             "(BCa), median, 5% and 95% quantiles; n = non-null runs. "
             'CSV: <a href="tables/summary.csv">tables/summary.csv</a>.</p>')
    sampled = len(sweep.jobs) > figures.MAX_POINTS or sweep.design_kind in SAMPLED_DESIGNS
    empty = _all_null(sweep, metrics)
    for metric in metrics:
        page.add(f"<h3>{html.escape(axis_label(metric))}</h3>")
        rows = table[table["metric"] == metric].drop(columns=["metric"])
        page.add(_table_html(rows))
        if metric in empty:
            page.add(f'<p class="note">Every value of {html.escape(metric)} is null '
                     "(for example a threshold never reached): no figures.</p>")
            continue
        if sampled:
            page.figure(figures.plot_parameter_scatter(sweep, metric), f"scatter_{metric}",
                        f"{metric_info(metric).label}: median across seeds at each point "
                        "against each swept parameter.")
        if len(sweep.jobs) <= figures.MAX_POINTS:
            page.figure(figures.plot_distributions(sweep, metric, shown),
                        f"distribution_{metric}",
                        f"{metric_info(metric).label} across seeds at each point "
                        "(box and dots; right: empirical CDF).")


def _effects_section(
    page: _Page, sweep: Sweep, metrics: list[str], baseline: int, few: bool,
    shown: list[int], stats_kw: dict[str, int],
) -> None:
    """Add paired effects against the baseline: table and per-seed difference figures."""
    reason = ""
    if sweep.design_kind in SAMPLED_DESIGNS:
        reason = (f"the {sweep.design_kind} design samples points at random; use the "
                  "sensitivity and scatter figures (effects need a chosen lever point).")
    elif not few:
        reason = f"more than {MAX_TABLE_POINTS} points."
    if reason:
        page.add('<h2 id="effects">Effects against the baseline</h2><p class="note">'
                 f"Skipped: {html.escape(reason)}</p>")
        return
    page.add('<h2 id="effects">Effects against the baseline</h2>')
    table = effects_table(sweep, baseline, metrics, **stats_kw)
    table.to_csv(page.out / "tables" / "effects.csv", index=False)
    page.add("<p>Paired by seed (common random numbers). effect = mean of per-seed "
             "differences (point - baseline, metric units) with its 95% bootstrap CI; "
             "d_z = effect / sd of differences; share_higher = share of seeds where the "
             "point exceeds the baseline; p_value: two-sided Wilcoxon signed-rank test, "
             "p_holm: Holm-adjusted over the points of a metric. "
             'CSV: <a href="tables/effects.csv">tables/effects.csv</a>.</p>')
    columns = ["job", *sweep.params, "n_pairs", "baseline_mean", "mean", "effect",
               "effect_ci_low", "effect_ci_high", "d_z", "share_higher", "p_value", "p_holm"]
    compared = [j for j in shown if j != baseline]
    empty = _all_null(sweep, metrics)
    for metric in metrics:
        page.add(f"<h3>{html.escape(axis_label(metric))}</h3>")
        rows = table[table["metric"] == metric]
        page.add(_table_html(rows[columns]))
        if compared and metric not in empty:
            page.figure(
                figures.plot_paired_effects(sweep, metric, baseline, compared, table=rows),
                f"effects_{metric}",
                f"{metric_info(metric).label}: per-seed differences from the baseline; "
                "bar: mean difference and 95% bootstrap CI.")


def _heatmap_section(
    page: _Page, sweep: Sweep, metrics: list[str], thresholds: Mapping[str, float]
) -> None:
    """Add median and exceedance-probability heatmaps of a two-parameter grid."""
    page.add('<h2 id="heatmaps">Two-parameter grid</h2>')
    for metric in sorted(set(metrics) - _all_null(sweep, metrics), key=metrics.index):
        level = thresholds.get(metric, default_threshold(sweep, metric))
        source = "given" if metric in thresholds else "median of all runs"
        page.figure(
            figures.plot_heatmaps(sweep, metric, level), f"heatmap_{metric}",
            f"{metric_info(metric).label}: median across seeds (left) and probability of "
            f"exceeding {format_quantity(level, metric)} ({source}) (right).")


def _sobol_section(
    page: _Page, sweep: Sweep, metrics: list[str], stats_kw: dict[str, int]
) -> None:
    """Add Sobol indices: pick-freeze on a Saltelli design, else first order from given data."""
    page.add('<h2 id="sensitivity">Global sensitivity (Sobol indices)</h2>')
    try:
        saltelli_blocks(sweep)
        table = sobol_table(sweep, metrics, **stats_kw)
        text = ("First-order (Saltelli 2010) and total (Jansen) indices of the mean across "
                "seeds, with 95% bootstrap CIs (percentile) over the base rows.")
    except SweepError as layout:
        try:
            table = first_order_table(sweep, metrics, seed=stats_kw["seed"])
        except SweepError as exc:
            page.add(f'<p class="note">Not computed: {html.escape(str(layout))}; '
                     f"{html.escape(str(exc))}</p>")
            return
        text = ("First-order indices of the mean across seeds estimated from the points "
                "alone (binned correlation ratio, bias-corrected; 95% CI from a "
                "delete-a-group jackknife). Total indices need the Saltelli layout: "
                f"{layout}")
    table.to_csv(page.out / "tables" / "sobol.csv", index=False)
    page.add(f"<p>{html.escape(text)} "
             'CSV: <a href="tables/sobol.csv">tables/sobol.csv</a>.</p>')
    page.add(_table_html(table))
    for metric in sorted(set(metrics) - _all_null(sweep, metrics), key=metrics.index):
        page.figure(figures.plot_sobol(sweep, table, metric), f"sobol_{metric}",
                    f"{metric_info(metric).label}: Sobol indices with 95% CIs.")


def _fan_section(page: _Page, sweep: Sweep, metrics: list[str], shown: list[int]) -> None:
    """Add fan charts of the time-series metrics."""
    page.add('<h2 id="timeseries">Time series</h2>')
    for metric in metrics:
        page.figure(figures.plot_fan_chart(sweep, metric, shown), f"fan_{metric}",
                    f"{metric_info(metric).label}: median and 50%/90% bands across seeds, "
                    "per point.")


def _flow_section(
    page: _Page, sweep: Sweep, shown: list[int], labels: Mapping[int, str]
) -> None:
    """Add researcher flows between kinds of organisation: figure and table."""
    page.add('<h2 id="flows">Brain drain: researcher flows</h2>')
    table = flow_table(sweep)
    table.to_csv(page.out / "tables" / "flows.csv", index=False)
    page.figure(figures.plot_flows(sweep, shown, table=table[table["job"].isin(shown)]),
                "flows", f"Mean researcher moves per year between kinds of organisation "
                f"[{FLOW_UNIT}], per point.")
    wide = table.pivot(index=["from_kind", "to_kind"], columns="job", values="mean")
    wide = wide[(wide > 0).any(axis=1)]
    wide = wide.rename(columns=lambda j: labels[j] if len(sweep.params) <= 2 else f"job {j}")
    if len(shown) == len(sweep.jobs) and not wide.empty:
        page.add(f"<p>Mean moves per year [{FLOW_UNIT}] per pair of kinds (rows) and point "
                 '(columns). CSV: <a href="tables/flows.csv">tables/flows.csv</a>.</p>')
        page.add(_table_html(wide.reset_index()))
    else:
        page.add('<p>CSV: <a href="tables/flows.csv">tables/flows.csv</a>.</p>')


def _render(sweep: Sweep, page: _Page) -> str:
    """Return the complete HTML document."""
    title = html.escape(f"Sweep report: {sweep.name}")
    nav = " ".join(
        f'<a href="#{anchor}">{text}</a>'
        for anchor, text in (("sweep", "Definition"), ("provenance", "Provenance"),
                             ("points", "Points"), ("summary", "Distributions"),
                             ("effects", "Effects"), ("heatmaps", "Grid"),
                             ("sensitivity", "Sensitivity"), ("timeseries", "Time series"),
                             ("flows", "Flows"))
        if f'id="{anchor}"' in "".join(page.sections)
    )
    body = "\n".join(page.sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{title}</h1>\n<nav>{nav}</nav>\n{body}\n"
            "<p><small>Generated by race-analyze from the files of this sweep directory; "
            "regenerate with <code>race-analyze SWEEP_DIR</code>.</small></p>\n"
            "</body>\n</html>\n")
