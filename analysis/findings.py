"""Findings of an experiment: the numbers its README states, computed from its outputs.

An experiment (``experiments/<name>/experiment.yaml``, run by ``race-experiment``)
declares a baseline point and named contrasts. Its findings are, for each
contrast and headline metric, the medians at the baseline and at the contrast
point over the common seeds and the paired effect (mean of per-seed
differences, common random numbers) with its bootstrap 95% interval, the share
of seeds in which the contrast point is higher and the Holm-adjusted Wilcoxon
p-value (:func:`analysis.stats.effects_table`). They are written as
``findings.json`` (full precision) and ``findings.md`` (3 significant digits),
which ``race-experiment --readme`` copies into the experiment's README.

Other experiments add sections (validation against published models, the
history fit) through :data:`EXTRAS`; every section is a :class:`Section`.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.errors import SweepError
from analysis.load import Sweep, point_labels, resolve_baseline

#: Extra analyses an experiment can request by name (``analysis.extras``):
#: name -> ``module:function`` with signature ``(sweep, out_dir, options) -> Section``.
EXTRAS: dict[str, str] = {
    "armstrong2016": "analysis.validation:armstrong_section",
    "history_trajectories": "analysis.history:history_section",
    "sobol": "analysis.findings:sobol_section",
}


@dataclass
class Section:
    """One block of findings.

    Attributes:
        title: Heading of the block.
        text: Markdown (tables and sentences) with the numbers rounded for reading.
        data: The same numbers at full precision (JSON-serialisable).
        figures: Figure files written by the section, relative to the output folder.
    """

    title: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)


def fmt(value: float | None, digits: int = 3) -> str:
    """Format a number with ``digits`` significant digits (``n/a`` for null or NaN).

    Args:
        value: The number.
        digits: Significant digits.

    Returns:
        The text, e.g. ``fmt(0.123456) == "0.123"``, ``fmt(-1234.5) == "-1.23e+03"``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}g}"


def _float(value: Any) -> float | None:
    """Return a JSON-friendly float (``None`` for NaN)."""
    value = float(value)
    return None if math.isnan(value) else value


def contrast_section(
    sweep: Sweep,
    metrics: Sequence[str],
    baseline: str | int | None,
    contrasts: Mapping[str, str | int],
    *,
    n_resamples: int = 4999,
    seed: int = 0,
) -> Section:
    """Paired effects of named contrast points against the baseline point.

    Args:
        sweep: The loaded sweep.
        metrics: Summary metrics to report.
        baseline: Baseline point (job id or ``key=value[,key=value]``).
        contrasts: Label -> point (job id or ``key=value[,key=value]``).
        n_resamples: Bootstrap resamples of each interval.
        seed: Base seed of the bootstraps.

    Returns:
        A section with one table per contrast: metric, baseline median, contrast
        median, paired effect with its 95% interval, share of seeds higher, p (Holm).

    Raises:
        SweepError: A point matches no job of the sweep.
    """
    from analysis.stats import effects_table, summary_table

    base = resolve_baseline(sweep, baseline)
    jobs = {label: resolve_baseline(sweep, spec) for label, spec in contrasts.items()}
    labels = point_labels(sweep)
    for label, job in jobs.items():
        if job == base:
            raise SweepError(f"contrast {label!r} is the baseline point (job {base})")
    effects = effects_table(sweep, base, metrics, n_resamples=n_resamples, seed=seed)
    medians = summary_table(sweep, metrics, n_resamples=n_resamples, seed=seed)
    median = {(r.metric, int(r.job)): r.median for r in medians.itertuples()}
    seeds = sweep.seeds
    lines = [f"Baseline: job {base} ({labels[base]}); {len(seeds)} paired seeds "
             f"({seeds[0]}-{seeds[-1]}). Effect = mean of per-seed differences "
             "(contrast - baseline) with its bootstrap 95% interval; p: Wilcoxon "
             "signed-rank, Holm-adjusted over the sweep's points.", ""]
    data: dict[str, Any] = {"baseline": {"job": base, "label": labels[base]}, "contrasts": {}}
    for label, job in jobs.items():
        rows = effects[effects["job"] == job].set_index("metric")
        lines += [f"**{label}** — job {job} ({labels[job]}):", "",
                  "| metric | baseline median | median | effect [95% CI] | seeds higher "
                  "| p (Holm) |", "|---|---|---|---|---|---|"]
        entry: dict[str, Any] = {"job": job, "label": labels[job], "metrics": {}}
        for metric in metrics:
            row = rows.loc[metric]
            values = {
                "baseline_median": _float(median[(metric, base)]),
                "median": _float(median[(metric, job)]),
                "effect": _float(row["effect"]),
                "effect_ci_low": _float(row["effect_ci_low"]),
                "effect_ci_high": _float(row["effect_ci_high"]),
                "share_higher": _float(row["share_higher"]),
                "p_holm": _float(row["p_holm"]),
            }
            entry["metrics"][metric] = values
            lines.append(
                f"| {metric} | {fmt(values['baseline_median'])} | {fmt(values['median'])} "
                f"| {fmt(values['effect'])} [{fmt(values['effect_ci_low'])}, "
                f"{fmt(values['effect_ci_high'])}] | {fmt(values['share_higher'], 2)} "
                f"| {fmt(values['p_holm'], 2)} |"
            )
        lines.append("")
        data["contrasts"][label] = entry
    return Section("Paired effects", "\n".join(lines).rstrip() + "\n", data)


def sobol_section(sweep: Sweep, out: Path, options: Mapping[str, Any]) -> Section:
    """Total-order (and first-order) Sobol indices of the headline metrics.

    Estimated from the sweep's Saltelli design by :func:`analysis.sensitivity.sobol_table`
    (Jansen estimator of the total index, Saltelli et al. 2010), on the mean
    over seeds of each point, with bootstrap 95% intervals.

    Args:
        sweep: A sweep with a Saltelli layout (``design: {kind: sobol, saltelli: true}``).
        out: Output folder (unused: the report draws the index figures).
        options: ``metrics`` (summary metrics; default: the sweep's summary
            metrics) and ``n_resamples`` (default 999).

    Returns:
        A section with, per metric, the parameters ranked by total-order index.
    """
    from analysis.sensitivity import sobol_table

    metrics = list(options.get("metrics") or [])
    table = sobol_table(sweep, metrics or None, n_resamples=int(options.get("n_resamples", 999)))
    lines = ["Total-order index S_T (share of the output variance that involves the "
             "parameter, interactions included) and first-order index S_1, with bootstrap "
             "95% intervals; parameters ranked by S_T.", ""]
    data: dict[str, Any] = {}
    for metric, rows in table.groupby("metric", sort=False):
        rows = rows.sort_values("total", ascending=False)
        lines += [f"**{metric}**:", "", "| parameter | S_T [95% CI] | S_1 [95% CI] |",
                  "|---|---|---|"]
        data[metric] = {}
        for r in rows.itertuples():
            data[metric][r.param] = {k: _float(getattr(r, k)) for k in (
                "total", "total_low", "total_high", "first", "first_low", "first_high")}
            lines.append(f"| {r.param} | {fmt(r.total, 2)} [{fmt(r.total_low, 2)}, "
                         f"{fmt(r.total_high, 2)}] | {fmt(r.first, 2)} [{fmt(r.first_low, 2)}, "
                         f"{fmt(r.first_high, 2)}] |")
        lines.append("")
    return Section("Sobol indices", "\n".join(lines).rstrip() + "\n", data)


def extra_section(name: str) -> Callable[[Sweep, Path, Mapping[str, Any]], Section]:
    """Return the function of a named extra analysis.

    Args:
        name: A key of :data:`EXTRAS`.

    Returns:
        The function ``(sweep, out_dir, options) -> Section``.

    Raises:
        SweepError: Unknown name.
    """
    if name not in EXTRAS:
        raise SweepError(f"analysis.extras: unknown extra {name!r}; allowed: "
                         f"{', '.join(sorted(EXTRAS))}")
    module, _, function = EXTRAS[name].partition(":")
    try:
        return getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as exc:
        raise SweepError(f"analysis.extras: {name!r} is registered as {EXTRAS[name]}, "
                         f"which cannot be loaded: {exc}") from exc


def render(title: str, header: str, sections: Sequence[Section]) -> str:
    """Return the markdown of an experiment's findings.

    Args:
        title: Experiment title.
        header: One paragraph describing the run (variant, points, seeds, horizon).
        sections: The sections, in order.

    Returns:
        Markdown text (level-4 headings, so that it nests inside a README section).
    """
    parts = [f"Findings of {title}. {header}", ""]
    for section in sections:
        parts += [f"#### {section.title}", "", section.text.rstrip(), ""]
        parts += [f"![{Path(f).stem}]({f})" for f in section.figures]
        if section.figures:
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"
