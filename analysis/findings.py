"""Findings of an experiment: the numbers its report and README state, from its outputs.

An experiment (``experiments/<name>/experiment.yaml``, run by ``race-experiment``)
declares a baseline point and named contrasts. Its findings
(:func:`contrast_findings`, a :class:`Findings`) are, for each contrast and
headline metric, the paired effect against the baseline over the common seeds
(mean of per-seed differences, common random numbers) with its bootstrap 95%
interval and its size relative to the baseline mean, how many seeds move in
its direction, and the Holm-adjusted Wilcoxon p-value
(:func:`analysis.stats.effects_table`), next to the baseline's median.

One :class:`Findings` object feeds every rendering: :func:`findings_markdown`
(``findings.md``, which ``race-experiment --readme`` copies into the README),
:func:`findings_html` (the first section of the HTML report) and
:meth:`Findings.data` (``findings.json``, full precision); both text
renderings take their cells from :func:`findings_cells`, so they state the
same numbers. :func:`design_sentence` describes the design in one sentence
for both.

Other experiments add sections (validation against published models, the
history fit) through :data:`EXTRAS`; every section is a :class:`Section`.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import SweepError
from analysis.load import Sweep, display_labels, resolve_baseline, start_year
from analysis.metrics_info import (
    axis_label,
    format_number,
    format_param_value,
    metric_info,
    param_words,
)

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


@dataclass(frozen=True)
class Effect:
    """The paired effect of one contrast point on one metric, against the baseline.

    Attributes:
        metric: Summary metric.
        baseline_median: Median at the baseline across the paired seeds (metric units).
        median: Median at the contrast point (metric units).
        effect: Mean of the per-seed differences, contrast - baseline (metric units).
        ci_low: Lower end of its 95% bootstrap interval.
        ci_high: Upper end of its 95% bootstrap interval.
        n_pairs: Paired seeds.
        n_higher: Seeds in which the contrast point is higher than the baseline.
        n_lower: Seeds in which it is lower.
        p_holm: Two-sided Wilcoxon signed-rank p-value, Holm-adjusted over the
            distinct points compared with the baseline (``None`` when the point
            duplicates the baseline: nothing to test).
        relative: The effect as a share of the baseline's mean magnitude
            (``None`` when that mean is 0).
    """

    metric: str
    baseline_median: float | None
    median: float | None
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    n_pairs: int
    n_higher: int
    n_lower: int
    p_holm: float | None
    relative: float | None = None

    @property
    def excludes_zero(self) -> bool:
        """Whether the 95% interval lies strictly on one side of zero."""
        return (self.ci_low is not None and self.ci_high is not None
                and (self.ci_low > 0 or self.ci_high < 0))

    def agreement(self) -> str:
        """Say how many seeds move in the direction of the effect, e.g. ``"9/10 higher"``."""
        n = self.n_pairs
        if self.effect is None or n == 0:
            return "no paired seeds"
        equal = n - self.n_higher - self.n_lower
        if equal == n:
            return f"{n}/{n} equal"
        if self.effect > 0:
            text = f"{self.n_higher}/{n} higher"
        elif self.effect < 0:
            text = f"{self.n_lower}/{n} lower"
        else:
            text = f"{self.n_higher}/{n} higher, {self.n_lower}/{n} lower"
        return f"{text}, {equal} equal" if equal else text

    def as_dict(self) -> dict[str, Any]:
        """Return the numbers at full precision (JSON-serialisable, ``findings.json``)."""
        share = self.n_higher / self.n_pairs if self.n_pairs else None
        return {"baseline_median": self.baseline_median, "median": self.median,
                "effect": self.effect, "effect_ci_low": self.ci_low,
                "effect_ci_high": self.ci_high, "n_pairs": self.n_pairs,
                "n_higher": self.n_higher, "n_lower": self.n_lower, "share_higher": share,
                "rel_effect": self.relative, "p_holm": self.p_holm}


@dataclass(frozen=True)
class Contrast:
    """A named point of the design and its effects against the baseline.

    Attributes:
        label: The experiment's name for it (``"all startups partner"``).
        job: Its job id.
        point: Its parameter values for people (:func:`analysis.load.display_labels`).
        effects: Metric -> :class:`Effect`, in the order of :attr:`Findings.metrics`.
    """

    label: str
    job: int
    point: str
    effects: dict[str, Effect]


@dataclass
class Findings:
    """The answer of an experiment: paired effects of its named contrasts.

    One object feeds both renderings, :func:`findings_markdown` (``findings.md``,
    the README) and :func:`findings_html` (the report's first section), so the
    two state the same numbers.

    Attributes:
        baseline: Job id of the baseline point.
        baseline_point: Its parameter values for people.
        seeds: The paired seeds (the same at every point).
        metrics: Metrics with findings (informative ones, in the requested order).
        hidden: Metric -> why it is left out (constant, saturated, undefined).
        contrasts: The named contrasts, in the experiment's order.
        n_compared: Distinct points compared with the baseline (the Holm family).
        notes: Sentences that qualify the numbers (the Holm floor when it binds).
        effects: The full :func:`analysis.stats.effects_table` of the distinct
            points, reused by the report's detail section.
    """

    baseline: int
    baseline_point: str
    seeds: list[int]
    metrics: list[str]
    hidden: dict[str, str]
    contrasts: list[Contrast]
    n_compared: int
    notes: list[str] = field(default_factory=list)
    effects: Any = None

    def data(self) -> dict[str, Any]:
        """Return the numbers at full precision, for ``findings.json``."""
        return {
            "baseline": {"job": self.baseline, "label": self.baseline_point},
            "seeds": list(self.seeds),
            "not_shown": dict(self.hidden),
            "contrasts": {c.label: {"job": c.job, "label": c.point,
                                    "metrics": {m: e.as_dict() for m, e in c.effects.items()}}
                          for c in self.contrasts},
        }

    def section(self) -> Section:
        """Return the findings as the ``Paired effects`` section of ``findings.md``."""
        return Section("Paired effects", findings_markdown(self), self.data())


def _float(value: Any) -> float | None:
    """Return a JSON-friendly float (``None`` for NaN)."""
    value = float(value)
    return None if math.isnan(value) else value


def contrast_findings(
    sweep: Sweep,
    metrics: Sequence[str],
    baseline: str | int | None,
    contrasts: Mapping[str, str | int],
    *,
    n_resamples: int = 4999,
    seed: int = 0,
    progress: Callable[[Sequence[str], str], Iterable[str]] | None = None,
) -> Findings:
    """Compute the paired effects of named contrast points against the baseline point.

    Effects are estimated once per group of identical points (a point whose
    outcomes equal another's on every seed, :func:`analysis.honesty.duplicate_points`)
    over the sweep's distinct points, exactly as in the report's effects
    table, so the Holm adjustment runs over the same family there and here.
    Metrics that carry no information in the sweep
    (:func:`analysis.honesty.uninformative_metrics`) get no effect; they are
    listed in :attr:`Findings.hidden`.

    Args:
        sweep: The loaded sweep.
        metrics: Summary metrics to report.
        baseline: Baseline point (job id or ``key=value[,key=value]``).
        contrasts: Label -> point (job id or ``key=value[,key=value]``).
        n_resamples: Bootstrap resamples of each interval.
        seed: Base seed of the bootstraps.
        progress: Wraps the loop over metrics (e.g. a progress bar), ``(items, what)``.

    Returns:
        The findings.

    Raises:
        SweepError: A point matches no job of the sweep, or a contrast is the baseline.
    """
    from analysis.honesty import duplicate_points, holm_floor_note, uninformative_metrics
    from analysis.stats import effects_table, paired_differences

    base = resolve_baseline(sweep, baseline)
    jobs = {label: resolve_baseline(sweep, spec) for label, spec in contrasts.items()}
    for label, job in jobs.items():
        if job == base:
            raise SweepError(f"contrast {label!r} is the baseline point (job {base})")
    labels = display_labels(sweep)
    hidden = uninformative_metrics(sweep, metrics)
    shown = [m for m in metrics if m not in hidden]
    twins = duplicate_points(sweep)
    group = {j: twins.get(j, j) for j in sweep.jobs}
    root = group[base]
    distinct = [j for j in sweep.jobs if group[j] == j and j != root]
    loop = progress(shown, "finding metrics") if progress else shown
    parts = [effects_table(sweep, base, [m], jobs=distinct, n_resamples=n_resamples, seed=seed)
             for m in loop]
    effects = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    per_job = sweep.runs.groupby("job")
    median = {(m, int(job)): float(value) for m in shown
              for job, value in per_job[m].median().items()}
    found = []
    for label, job in jobs.items():
        rows = {}
        for metric in shown:
            diff = paired_differences(sweep, metric, job, base)["difference"].to_numpy()
            common = {"metric": metric, "baseline_median": _float(median[(metric, base)]),
                      "median": _float(median[(metric, job)]), "n_pairs": int(diff.size),
                      "n_higher": int((diff > 0).sum()), "n_lower": int((diff < 0).sum())}
            if group[job] == root:
                rows[metric] = Effect(**common, effect=0.0, ci_low=0.0, ci_high=0.0,
                                      p_holm=None, relative=0.0)
                continue
            row = effects[(effects["metric"] == metric)
                          & (effects["job"] == group[job])].iloc[0]
            rows[metric] = Effect(**common, effect=_float(row["effect"]),
                                  ci_low=_float(row["effect_ci_low"]),
                                  ci_high=_float(row["effect_ci_high"]),
                                  p_holm=_float(row["p_holm"]),
                                  relative=_float(row["rel_effect"]))
        found.append(Contrast(label, job, labels[job], rows))
    notes = []
    floor = holm_floor_note(len(sweep.seeds), len(distinct)) if shown else ""
    if floor:
        notes.append(floor)
    return Findings(base, labels[base], list(sweep.seeds), shown, hidden, found, len(distinct),
                    notes, effects)


def contrast_section(
    sweep: Sweep,
    metrics: Sequence[str],
    baseline: str | int | None,
    contrasts: Mapping[str, str | int],
    *,
    n_resamples: int = 4999,
    seed: int = 0,
) -> Section:
    """Paired effects of named contrast points against the baseline, as a section.

    See :func:`contrast_findings`; the section's text is :func:`findings_markdown`.
    """
    return contrast_findings(sweep, metrics, baseline, contrasts, n_resamples=n_resamples,
                             seed=seed).section()


def _signed(value: float | None) -> str:
    """Format an effect with its sign (``+0.12``, ``-3.4``, ``0``)."""
    if value is None:
        return "n/a"
    text = format_number(value, 3)
    return f"+{text}" if value > 0 else text


def _relative(effect: Effect) -> str:
    """Format the effect relative to the baseline mean, ``(+3.5%)``.

    Empty when undefined, and for levels on a logarithmic scale (``log10 ...``
    units), whose zero is arbitrary: a percentage of them means nothing.
    """
    if effect.relative is None or "log10" in metric_info(effect.metric).unit:
        return ""
    percent = 100.0 * effect.relative
    text = format_number(percent, 2)
    return f"({'+' if percent > 0 else ''}{text}%)"


def _interval(effect: Effect) -> str:
    """Format the 95% interval of an effect, ``[low, high]``."""
    if effect.ci_low is None or effect.ci_high is None:
        return "[n/a]"
    return f"[{format_number(effect.ci_low, 3)}, {format_number(effect.ci_high, 3)}]"


def _p_text(effect: Effect) -> str:
    """Format the Holm-adjusted p-value (``identical`` for a point equal to the baseline)."""
    return "identical to baseline" if effect.p_holm is None else f"p={fmt(effect.p_holm, 2)}"


def findings_cells(findings: Findings) -> tuple[list[str], list[list[tuple[str, ...]]]]:
    """Return the findings table as text cells, the one layout both renderings use.

    Args:
        findings: The findings.

    Returns:
        ``(header, rows)``: the header names the outcome, the baseline median
        and each contrast; each row has the metric's label with its unit, the
        baseline median, and per contrast the tuple ``(effect, interval,
        seeds agreeing, p-value)`` where the effect carries its size relative to
        the baseline mean (``"-0.038 (-3.5%)"``); cells are tuples of strings.
    """
    header = ["outcome", "baseline median", *(c.label for c in findings.contrasts)]
    rows = []
    for metric in findings.metrics:
        first = findings.contrasts[0].effects[metric] if findings.contrasts else None
        base = format_number(first.baseline_median, 3) if first and \
            first.baseline_median is not None else "n/a"
        row: list[tuple[str, ...]] = [(axis_label(metric),), (base,)]
        for contrast in findings.contrasts:
            e = contrast.effects[metric]
            effect = f"{_signed(e.effect)} {_relative(e)}".rstrip()
            row.append((effect, _interval(e), e.agreement(), _p_text(e)))
        rows.append(row)
    return header, rows


def _preamble(findings: Findings) -> str:
    """Return the sentences that define the table (baseline, seeds, what a cell holds)."""
    seeds = findings.seeds
    n = len(seeds)
    return (f"Against the baseline ({findings.baseline_point}, job {findings.baseline}) on "
            f"the same {n} seeds ({seeds[0]}-{seeds[-1]}). Each cell: effect = mean per-seed "
            "difference in the outcome's units (relative to the baseline mean; not for "
            "log-scale levels) [95% bootstrap interval]; seeds out of "
            f"{n} moving that way; Wilcoxon signed-rank p, Holm-adjusted over the "
            f"{findings.n_compared} distinct points compared. Bold: the interval excludes 0 "
            "(not adjusted for multiple comparisons).")


def findings_markdown(findings: Findings) -> str:
    """Render findings as markdown (``findings.md`` and the experiment's README).

    Args:
        findings: The findings.

    Returns:
        The text: what the table holds, the contrasts' points, one table
        (rows: outcomes; columns: contrasts) and the notes.
    """
    lines = [_preamble(findings), ""]
    lines += [f"- **{c.label}**: {c.point} (job {c.job})" for c in findings.contrasts]
    lines.append("")
    header, rows = findings_cells(findings)
    if rows:
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for metric, row in zip(findings.metrics, rows, strict=True):
            cells = [row[0][0], row[1][0]]
            for contrast, cell in zip(findings.contrasts, row[2:], strict=True):
                first = f"**{cell[0]}**" if contrast.effects[metric].excludes_zero else cell[0]
                cells.append("; ".join((f"{first} {cell[1]}", *cell[2:])))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    for metric, reason in findings.hidden.items():
        lines.append(f"- Not shown: {axis_label(metric)} (`{metric}`), {reason}.")
    lines += [f"- {note}" for note in findings.notes]
    return "\n".join(lines).rstrip() + "\n"


def findings_html(findings: Findings) -> str:
    """Render findings as the HTML of the report's first section.

    Uses the cells of :func:`findings_cells`, as :func:`findings_markdown`
    does, so the report and ``findings.md`` state the same numbers.

    Args:
        findings: The findings.

    Returns:
        HTML: what the table holds, the table (inside a horizontally
        scrolling wrapper) and the notes.
    """
    import html

    esc = html.escape
    header, rows = findings_cells(findings)
    parts = [f'<p class="lead">{esc(_preamble(findings))}</p>']
    if rows:
        head = "".join(f"<th>{esc(h)}</th>" for h in header[:2])
        head += "".join(f'<th title="{esc(c.point)}">{esc(c.label)}<br><span class="sub">'
                        f"{esc(c.point)}</span></th>" for c in findings.contrasts)
        body = []
        for metric, row in zip(findings.metrics, rows, strict=True):
            cells = [f'<td title="{esc(metric)}">{esc(row[0][0])}</td>',
                     f"<td>{esc(row[1][0])}</td>"]
            for contrast, cell in zip(findings.contrasts, row[2:], strict=True):
                effect = esc(cell[0])
                if contrast.effects[metric].excludes_zero:
                    effect = f"<b>{effect}</b>"
                cells.append(f"<td>{effect} {esc(cell[1])}<span class=\"sub\">; "
                             f"{esc(cell[2])}; {esc(cell[3])}</span></td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        parts.append(f'<div class="scroll"><table class="findings"><thead><tr>{head}</tr></thead>'
                     f"<tbody>{''.join(body)}</tbody></table></div>")
    else:
        parts.append('<p class="note">No metric carries information in this sweep: no effects '
                     "to report.</p>")
    notes = [f"Not shown: {axis_label(m)} ({m}), {reason}."
             for m, reason in findings.hidden.items()]
    notes += findings.notes
    parts += [f'<p class="note">{esc(n)}</p>' for n in notes]
    return "\n".join(parts)


def _values_text(key: str, values: Sequence[Any], sampled: bool) -> str:
    """Describe the values a parameter takes: the list, or the range when sampled or many."""
    numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if (sampled or len(values) > 6) and len(numeric) == len(values):
        return (f"{format_param_value(key, min(numeric))} to "
                f"{format_param_value(key, max(numeric))}")
    return ", ".join(format_param_value(key, v) for v in values)


def design_sentence(sweep: Sweep, variant: str | None = None) -> str:
    """Describe the design of a sweep in one sentence: levers and values, seeds, horizon.

    Args:
        sweep: The loaded sweep.
        variant: The experiment's variant (``quick``/``full``), named first when given.

    Returns:
        For example ``"Quick variant: a full grid of partner share (0, 1) x early
        access lead (0 mo, 12 mo): 4 points, each run with the same 10 seeds
        (20151-20160) for 60 months (2015-2019)."``
    """
    from analysis.figures import log_scaled_params

    n = len(sweep.jobs)
    points = sweep.points
    sampled = sweep.design_kind in ("lhs", "sobol")
    logs = log_scaled_params(sweep) if sweep.params else set()
    levers = []
    for key in sweep.params:
        values = [v.item() if hasattr(v, "item") else v for v in pd.unique(points[key])]
        values = sorted(values) if all(isinstance(v, int | float) for v in values) else values
        scale = ", log scale" if key in logs else ""
        levers.append(f"{param_words(key)} ({_values_text(key, values, sampled)}{scale})")
    size = math.prod(points[k].nunique() for k in sweep.params) if sweep.params else 1
    if not sweep.params:
        design = "a single point"
    elif sampled:
        kind = "a Latin hypercube" if sweep.design_kind == "lhs" else "a Sobol' sequence"
        design = f"{kind} of {n} points over " + ", ".join(levers)
    elif size == n:
        design = ("a full grid of " if len(levers) > 1 else "") + " x ".join(levers)
        design += f": {n} points"
    else:
        design = f"{n} chosen points over " + ", ".join(levers)
    seeds = sweep.seeds
    span = f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else f"{seeds[0]}"
    months = int(sweep.timeseries["step"].max()) + 1
    first = start_year(sweep)
    same = f"the same {len(seeds)} seeds ({span})" if len(seeds) > 1 else f"the same seed ({span})"
    sentence = (f"{design}, each run with {same} for "
                f"{months} months ({first}-{first + (months - 1) // 12}).")
    if variant:
        return f"{variant.capitalize()} variant: {sentence}"
    return sentence[0].upper() + sentence[1:]


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
