"""A self-contained HTML report of a sweep: definition, provenance, tables, figures.

:func:`build_report` writes ``<out>/index.html`` with relative links to
``<out>/figures/*`` and ``<out>/tables/*.csv`` (default ``out``:
``SWEEP_DIR/report``), so the folder can be zipped, shared and opened in a
browser. The page holds no timestamps and every bootstrap is seeded, so
regenerating the report from the same sweep gives the same tables (and the
same HTML). The names of the files written are kept in
``<out>/.race-analyze-files``; the next report replaces them and removes only
those of them it no longer writes, so files the user put in the folder are
never deleted.

What cannot carry information is said, not drawn: metrics that are
undefined, saturated or constant in every run are listed under "Not shown"
(:func:`analysis.honesty.uninformative_metrics`) and neither plotted nor
tested; points whose outcomes equal another point's on every seed are flagged
and drawn once (:func:`analysis.honesty.duplicate_points`); and when the
smallest achievable Holm-adjusted p-value exceeds 0.05 the effects section
says so next to the p-values (:func:`analysis.honesty.holm_floor_note`).

Which figures appear depends on the sweep:

* per-point distributions when the sweep has at most
  :data:`~analysis.figures.MAX_POINTS` points; scatter plots of the
  per-point median against each parameter for sampled designs (``lhs``,
  ``sobol``) and for sweeps with more points; figures of paired
  effects show up to :data:`~analysis.figures.MAX_POINTS` points, fan charts
  and flows up to :data:`~analysis.figures.MAX_PANELS` (the baseline and
  evenly spaced others, said in a note);
* heatmaps when the points form a full grid over two parameters (median,
  paired effect against the baseline, and the probability of exceeding the
  metric's threshold from :data:`analysis.metrics_info.THRESHOLDS` or
  ``thresholds``);
* paired effects against the baseline for grids (not for sampled designs);
* Sobol indices for sampled designs (``lhs``, ``sobol``): first-order and
  total indices when the points have the Saltelli layout, otherwise
  first-order indices from the points alone (see :mod:`analysis.sensitivity`);
* researcher flows always.
"""

from __future__ import annotations

import html
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import figures
from analysis.errors import SweepError
from analysis.findings import Findings, Section, design_sentence, findings_html
from analysis.honesty import duplicate_points, holm_floor, holm_floor_note, uninformative_metrics
from analysis.load import Sweep, check_metrics, display_labels, resolve_baseline, short_names
from analysis.metrics_info import (
    FLOW_UNIT,
    axis_label,
    format_number,
    format_param_value,
    format_quantity,
    metric_info,
    param_words,
    threshold,
)
from analysis.sensitivity import first_order_table, saltelli_blocks, sobol_table
from analysis.stats import (
    N_RESAMPLES,
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

#: File in the report folder listing the files the last report wrote (one relative path a line).
MANIFEST = ".race-analyze-files"

#: Style sheet of the report pages.
CSS = """
body { font-family: system-ui, sans-serif; margin: 1em auto; max-width: 80em;
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
nav { margin: 1.5em 0; padding: 0.5em 0; border-top: 1px solid #ddd;
      border-bottom: 1px solid #ddd; }
nav a { margin-right: 1em; }
h1 { margin: 0.2em 0 0.3em; }
header h2 { margin: 0.8em 0 0.2em; }
.question { font-size: 1.15em; margin: 0.3em 0; }
.design, .lead { margin: 0.3em 0; }
.sub { color: #555; font-size: 0.9em; }
.scroll { overflow-x: auto; max-width: 100%; }
table.findings { font-size: 0.82em; margin-top: 0.3em; }
table.findings td, table.findings th { text-align: left; vertical-align: top; }
.keyfigs { display: grid; grid-template-columns: repeat(auto-fit, minmax(26em, 1fr));
           gap: 0 1.5em; }
.keyfigs figure { margin: 0.5em 0 1em; }
"""


@dataclass
class _Page:
    """HTML sections and the files they link, collected while building the report."""

    out: Path
    fmt: str
    sections: list[str] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    effects: pd.DataFrame | None = None
    part: str = "sections"

    def add(self, text: str) -> None:
        """Append raw HTML to the current part of the page (``head``, ``sections``, ``tail``)."""
        getattr(self, self.part).append(text)

    def note(self, text: str) -> None:
        """Append a highlighted note (plain text, escaped)."""
        self.add(f'<p class="note">{html.escape(text)}</p>')

    def table(self, table: pd.DataFrame, name: str) -> None:
        """Write a table as ``tables/<name>`` (CSV) and remember the file."""
        path = self.out / "tables" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False)
        self.written.append(path)

    def figure(self, fig: Any, name: str, caption: str) -> None:
        """Save a figure under ``figures/`` and add it with its caption."""
        self.add(self.figure_html(fig, name, caption))

    def figure_html(self, fig: Any, name: str, caption: str) -> str:
        """Save a figure under ``figures/`` and return its ``<figure>`` element."""
        path = save_figure(fig, self.out / "figures" / name, self.fmt)
        self.figures.append(path)
        self.written.append(path)
        rel = html.escape(path.relative_to(self.out).as_posix())
        alt = html.escape(caption or name)
        if self.fmt == "pdf":
            body = f'<a href="{rel}">{rel} (PDF)</a>'
        else:
            body = f'<a href="{rel}"><img src="{rel}" alt="{alt}"></a>'
        if not caption:
            return f"<figure>{body}</figure>"
        return f"<figure>{body}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _fmt(value: Any) -> str:
    """Format a table cell for people: floats with 4 significant digits and separators.

    Integers (job ids, seeds, counts of runs) are printed as they are; NaN as '-'.
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating):
        return format_number(float(value), 4)
    return str(value)


def _table_html(table: pd.DataFrame, headers: Mapping[str, str] | None = None) -> str:
    """Render a table as HTML with escaped cells and numbers for people.

    Args:
        table: The table.
        headers: Column -> header text to show instead of the column name.
    """
    headers = headers or {}
    head = "".join(f"<th>{html.escape(headers.get(str(c), str(c)))}</th>"
                   for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False, name=None)
    )
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>'
            "</table></div>")


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


def _select_jobs(jobs: Sequence[int], baseline: int, limit: int) -> list[int]:
    """Return all jobs, or the baseline and evenly spaced others up to ``limit`` jobs."""
    jobs = list(jobs)
    if len(jobs) <= limit:
        return jobs
    others = [j for j in jobs if j != baseline]
    picks = np.linspace(0, len(others) - 1, limit - 1).round().astype(int)
    return sorted({baseline, *(others[i] for i in picks)})


def _selection_note(drawable: Sequence[int], chosen: Sequence[int], what: str) -> str:
    """Say which points a kind of figure shows when it cannot show them all."""
    if len(chosen) == len(drawable):
        return ""
    return (f"{what} show the baseline and {len(chosen) - 1} evenly spaced of the "
            f"{len(drawable)} distinct points, each labelled by its parameter values in "
            "the figures; every point is in the tables.")


def _read_manifest(root: Path) -> list[Path]:
    """Return the files an earlier report listed as its own (inside ``root`` only)."""
    path = root / MANIFEST
    if not path.is_file():
        return []
    files = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        target = (root / name).resolve()
        if target.is_relative_to(root.resolve()):
            files.append(target)
    return files


def _write_manifest(root: Path, written: Iterable[Path], earlier: Iterable[Path]) -> None:
    """Remove files of the earlier report that this one did not write; list this one's files.

    Only files named in the earlier manifest are ever removed, so anything
    else in the folder (the user's own figures and tables) stays.
    """
    current = {p.resolve() for p in written}
    for stale in sorted(set(earlier) - current):
        if stale.is_file():
            stale.unlink()
    names = sorted(p.relative_to(root.resolve()).as_posix() for p in current)
    (root / MANIFEST).write_text("# files written by race-analyze; the next report replaces "
                                 "them and removes those it no longer writes\n"
                                 + "".join(f"{n}\n" for n in names), encoding="utf-8")


class Progress:
    """Progress of a report on standard error: stage names, counts and time left.

    On a terminal one ``tqdm`` bar counts the report's units of work (a
    figure or a table per metric) against the planned total, names the
    current stage and estimates the time left. Elsewhere (logs of batch
    jobs) each stage prints one line with the units done so far and the
    elapsed time, so logs stay readable.

    Args:
        enabled: Whether to report at all (the commands set it; the Python
            API is quiet by default).
        stages: Number of stages, for the ``[i/n]`` counter.
        prefix: Name of the command at the start of each line.
        stream: Where to write (default: standard error).
    """

    def __init__(self, enabled: bool, stages: int, prefix: str = "race-analyze",
                 stream: Any = None) -> None:
        """Start with no stage done and nothing planned."""
        self.enabled = enabled
        self.stages = stages
        self.prefix = prefix
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.units = 0
        self.total = 0
        self._bar: Any = None
        self._start = time.monotonic()

    @property
    def interactive(self) -> bool:
        """Whether a live bar is drawn (enabled and writing to a terminal)."""
        return self.enabled and bool(getattr(self.stream, "isatty", lambda: False)())

    def plan(self, units: int) -> None:
        """Add ``units`` of work to the planned total (the bar's 100%)."""
        self.total += int(units)
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def stage(self, name: str) -> None:
        """Start the next stage."""
        self.done += 1
        if not self.enabled:
            return
        label = f"[{self.done}/{self.stages}] {name}"
        if self.interactive:
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=self.total or None, unit="step", file=self.stream,
                                 dynamic_ncols=True, leave=False,
                                 bar_format="{desc} {n_fmt}/{total_fmt} steps |{bar}| "
                                            "[{elapsed}<{remaining}]")
            self._bar.set_description_str(f"{self.prefix}: {label}")
            return
        elapsed = time.monotonic() - self._start
        done = f"{self.units}/{self.total} steps done, " if self.total else ""
        print(f"{self.prefix}: {label} ({done}{elapsed:.0f} s)", file=self.stream, flush=True)

    def tick(self, units: int = 1) -> None:
        """Count ``units`` of work as done."""
        self.units += units
        if self._bar is not None:
            self._bar.update(units)

    def bar(self, items: Sequence[Any], what: str) -> Iterator[Any]:
        """Iterate over ``items``, counting each as one unit of work done.

        Args:
            items: The items (e.g. metrics).
            what: What they are, shown next to the stage name (``"fan charts"``).
        """
        if self._bar is not None:
            self._bar.set_postfix_str(what)
        for item in items:
            yield item
            self.tick()

    def close(self) -> None:
        """Remove the bar and print the total time."""
        if self._bar is not None:
            self._bar.refresh()
            self._bar.close()
            self._bar = None
        if self.enabled:
            print(f"{self.prefix}: done in {time.monotonic() - self._start:.0f} s",
                  file=self.stream, flush=True)


@dataclass
class KeyFigures:
    """The figures that answer a lever question: effect against a lever's value.

    Attributes:
        lever: Swept parameter on the horizontal axis.
        by: Swept parameter with one line per value (``None``: one line).
        metrics: Summary metrics, one figure each (two to four read best).
    """

    lever: str
    by: str | None
    metrics: list[str]


@dataclass
class Answer:
    """What an experiment asks and finds: the report's first section.

    Attributes:
        title: The experiment's title.
        question: The question it answers.
        findings: Paired effects of its named contrasts (``None``: none declared).
        sections: Further findings (Sobol indices, validation, calibration),
            rendered from their markdown.
        key_figures: The lever figures; ``None`` chooses them (:func:`default_key_figures`).
        variant: ``quick`` or ``full``.
    """

    title: str
    question: str
    findings: Findings | None = None
    sections: Sequence[Section] = ()
    key_figures: KeyFigures | None = None
    variant: str | None = None


#: Most key figures drawn.
MAX_KEY_FIGURES = 4

#: Most values of the ``by`` parameter of a key figure (lines in one panel).
MAX_LINES = 6


def default_key_figures(
    sweep: Sweep, metrics: Sequence[str], baseline: int, contrasts: Sequence[int] = ()
) -> KeyFigures | None:
    """Choose the key figures of a sweep when the experiment names none.

    The lever is the first parameter in which the first contrast differs
    from the baseline (without contrasts: the first swept parameter with
    several values); ``by`` is the next parameter with 2 to :data:`MAX_LINES`
    values; the metrics are the first :data:`MAX_KEY_FIGURES` of ``metrics``.

    Args:
        sweep: The loaded sweep.
        metrics: Informative summary metrics, most important first.
        baseline: Job id of the baseline.
        contrasts: Job ids of the named contrasts.

    Returns:
        The choice, or ``None`` for sampled designs, sweeps with more than
        :data:`MAX_TABLE_POINTS` points, a single point or no metric.
    """
    if (sweep.design_kind in SAMPLED_DESIGNS or not metrics or len(sweep.jobs) < 2
            or len(sweep.jobs) > MAX_TABLE_POINTS):
        return None
    points = sweep.points.set_index("job")
    varied = [p for p in sweep.params if points[p].nunique() > 1]
    if not varied:
        return None
    lever = varied[0]
    if contrasts:
        differ = [p for p in varied if points.loc[contrasts[0], p] != points.loc[baseline, p]]
        lever = differ[0] if differ else lever
    by = next((p for p in varied if p != lever and points[p].nunique() <= MAX_LINES), None)
    return KeyFigures(lever, by, list(metrics)[:MAX_KEY_FIGURES])


def strongest_lever(sweep: Sweep, metric: str) -> str | None:
    """The numeric swept parameter most rank-correlated with a metric's point means.

    Largest absolute Spearman correlation between a parameter's values and the
    per-point mean of ``metric``; ties go to the first in the design.

    Args:
        sweep: The loaded sweep.
        metric: Summary metric.

    Returns:
        The parameter, or ``None`` when no swept parameter is numeric and varied.
    """
    points = sweep.points.set_index("job")
    means = sweep.runs.groupby("job")[metric].mean()
    strength = {}
    for param in sweep.params:
        x = pd.to_numeric(points[param], errors="coerce")
        if points[param].dtype == bool or x.isna().any() or x.nunique() < 2:
            continue
        rho = x.reindex(means.index).corr(means, method="spearman")
        strength[param] = abs(rho) if np.isfinite(rho) else 0.0
    if not strength:
        return None
    return max(strength, key=lambda p: (strength[p], -sweep.params.index(p)))


def sampled_key_figures(sweep: Sweep, metrics: Sequence[str]) -> KeyFigures | None:
    """Choose the key figures of a sampled design (Latin hypercube, Sobol) that names none.

    The lever is :func:`strongest_lever` of the first metric; the report draws
    each other metric against its own strongest lever (:func:`build_report`).
    The metrics are the first :data:`MAX_KEY_FIGURES`.

    Args:
        sweep: The loaded sweep.
        metrics: Informative summary metrics, most important first.

    Returns:
        The choice (``by`` is ``None``), or ``None`` without metrics or numeric levers.
    """
    if not metrics:
        return None
    lever = strongest_lever(sweep, metrics[0])
    return None if lever is None else KeyFigures(lever, None, list(metrics)[:MAX_KEY_FIGURES])


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
    progress: bool | Progress = False,
    answer: Answer | None = None,
) -> Path:
    """Write the HTML report of a sweep with its tables and figures.

    The page opens with the answer: the experiment's question, the design in
    one sentence (:func:`analysis.findings.design_sentence`), the findings
    (:func:`analysis.findings.findings_html`) and the key figures (paired
    effect against a lever's value, :func:`analysis.figures.plot_lever_effect`).
    Detail sections follow; the points, the raw definition, the analysis
    settings and the provenance close the page.

    Args:
        sweep: The loaded sweep.
        out: Report folder (default ``SWEEP_DIR/report``).
        metrics: Metrics to analyse (summary and/or time-series names;
            default :data:`DEFAULT_METRICS`).
        baseline: Baseline point, as for :func:`analysis.load.resolve_baseline`.
        fmt: Figure format: ``png``, ``svg`` or ``pdf``.
        thresholds: Metric -> level (metric units) for the exceedance
            heatmaps; other metrics use :data:`analysis.metrics_info.THRESHOLDS`
            and get no exceedance map when they have no entry there.
        n_resamples: Bootstrap resamples of every confidence interval.
        seed: Base seed of the bootstraps.
        progress: Report progress to standard error (``True``), or continue a
            :class:`Progress` of the caller.
        answer: The experiment's question and findings (``race-experiment``);
            ``None`` for a sweep without one (``race-analyze``).

    Returns:
        Path of ``index.html``.

    Raises:
        SweepError: Unknown metric, baseline or format, or key figures naming
            a parameter that is not swept.
    """
    if fmt not in FORMATS:
        raise SweepError(f"--format {fmt}: allowed: {', '.join(FORMATS)}")
    names = check_metrics(DEFAULT_METRICS if metrics is None else metrics, "any")
    if not names:
        raise SweepError("no metrics requested")
    thresholds = dict(thresholds or {})
    unknown = sorted(set(thresholds) - set(SUMMARY_METRICS))
    if unknown:
        raise SweepError(f"--threshold for unknown summary metric(s) {', '.join(unknown)}")
    base = resolve_baseline(sweep, baseline)
    root = Path(out) if out is not None else sweep.path / "report"
    root.mkdir(parents=True, exist_ok=True)
    earlier = _read_manifest(root)
    page = _Page(root, fmt)
    labels = display_labels(sweep)
    steps = progress if isinstance(progress, Progress) else Progress(progress, 9)
    answer = answer or Answer(f"Sweep report: {sweep.name}", "")

    steps.stage("checking metrics and points")
    hidden = uninformative_metrics(sweep, names)
    summary = [m for m in names if m in SUMMARY_METRICS and m not in hidden]
    series = [m for m in names if m in TIMESERIES_METRICS and m not in hidden]
    twins = duplicate_points(sweep)
    drawable = _distinct_jobs(sweep.jobs, twins, base)
    shown = _select_jobs(drawable, base, figures.MAX_POINTS)
    panels = _select_jobs(drawable, base, figures.MAX_PANELS)
    few = len(sweep.jobs) <= MAX_TABLE_POINTS
    stats_kw = {"n_resamples": n_resamples, "seed": seed}
    effects_drawn = (bool(summary) and len(drawable) > 1 and few
                     and sweep.design_kind not in SAMPLED_DESIGNS)
    findings = answer.findings
    contrast_jobs = [c.job for c in findings.contrasts] if findings else []
    ranked = [m for m in (findings.metrics if findings else summary) if m in summary]
    sampled = sweep.design_kind in SAMPLED_DESIGNS
    key = answer.key_figures or (sampled_key_figures(sweep, ranked) if sampled else
                                 default_key_figures(sweep, ranked, base, contrast_jobs))
    if key is not None:
        key = KeyFigures(key.lever, key.by,
                         [m for m in key.metrics if m not in hidden][:MAX_KEY_FIGURES])
    steps.plan((len(key.metrics) if key else 0) + 2 * len(summary)
               + (2 * len(summary) if effects_drawn else 0)
               + (len(summary) if summary and is_full_grid(sweep) else 0)
               + (len(summary) if sweep.design_kind in SAMPLED_DESIGNS else 0)
               + len(series) + 1)
    if findings is not None and findings.effects is not None and len(findings.effects):
        page.effects = findings.effects

    page.part = "head"
    _answer_section(page, sweep, answer, base, labels)
    steps.stage("key figures")
    if key is not None and sampled:
        _sampled_key_figures(page, sweep, key, steps, own_levers=answer.key_figures is None)
    elif key is not None and len(drawable) > 1:
        _key_figures(page, sweep, key, base, twins, stats_kw, steps)
    for section in answer.sections:
        page.add(f"<h2>{html.escape(section.title)}</h2>")
        page.add(markdown_html(section.text, "../"))
        for figure in section.figures:
            page.add(f'<figure><img src="../{html.escape(figure)}" alt="{html.escape(figure)}">'
                     "</figure>")

    page.part = "sections"
    _honesty_notes(page, sweep, hidden, twins, labels)
    notes = [_selection_note(drawable, panels, "Fan charts and flow figures")]
    if effects_drawn:
        notes.insert(0, _selection_note(drawable, shown, "Figures of paired effects"))
    for note in notes:
        if note:
            page.note(note)
    steps.stage(f"outcome distributions ({len(summary)} metrics)")
    if summary:
        _summary_section(page, sweep, summary, few, shown, stats_kw, steps)
    steps.stage("paired effects against the baseline")
    if summary and len(sweep.jobs) > 1:
        _effects_section(page, sweep, summary, base, few, shown, drawable, stats_kw, steps)
    steps.stage("two-parameter heatmaps")
    if summary and is_full_grid(sweep):
        _heatmap_section(page, sweep, summary, thresholds, base, page.effects, steps)
    steps.stage("sensitivity indices")
    if summary and sweep.design_kind in SAMPLED_DESIGNS:
        _sobol_section(page, sweep, summary, stats_kw, steps)
    steps.stage(f"time series ({len(series)} metrics)")
    if series:
        _fan_section(page, sweep, series, panels, steps)
    steps.stage("researcher flows")
    _flow_section(page, sweep, panels, drawable, labels)
    steps.tick()

    page.part = "tail"
    _overview(page, sweep, base, labels)
    settings = (f"metrics: {', '.join(names)}; baseline: job {base}; figures: {fmt}; "
                f"bootstrap: {n_resamples} resamples, seed {seed}; thresholds: "
                + (", ".join(f"{k}={v:g}" for k, v in sorted(thresholds.items()))
                   or "per-metric defaults (analysis.metrics_info.THRESHOLDS)"))
    page.add(f"<p>Analysis settings: {html.escape(settings)}.</p>")
    steps.stage("writing index.html")
    index = root / "index.html"
    _write_atomic(index, _render(answer.title, page))
    page.written.append(index)
    _write_manifest(root, page.written, earlier)
    if not isinstance(progress, Progress):
        steps.close()
    return index


def _write_atomic(path: Path, text: str) -> None:
    """Write a text file through a temporary file in the same folder, then rename it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _answer_section(
    page: _Page, sweep: Sweep, answer: Answer, baseline: int, labels: Mapping[int, str]
) -> None:
    """Add the question, the design in one sentence and the findings."""
    esc = html.escape
    if answer.question:
        page.add(f'<p class="question" id="question"><b>Question.</b> {esc(answer.question)}</p>')
    sentence = design_sentence(sweep, answer.variant)
    against = ("" if answer.findings is not None else
               f" Effects are paired differences from the baseline, {esc(labels[baseline])}.")
    page.add(f'<p class="design" id="design"><b>Design.</b> {esc(sentence)}{against}</p>')
    if sweep.missing_jobs:
        page.note(f"{len(sweep.missing_jobs)} design point(s) have no results (the job "
                  f"folders {', '.join(map(str, sweep.missing_jobs[:30]))} of the sweep hold "
                  "their values and errors); they are left out.")
    if answer.findings is not None:
        page.add('<h2 id="findings">Findings</h2>')
        page.add(findings_html(answer.findings))


def _key_figures(
    page: _Page, sweep: Sweep, key: KeyFigures, baseline: int, twins: Mapping[int, int],
    stats_kw: dict[str, int], steps: Progress,
) -> None:
    """Add the key figures: each metric's paired effect against the lever's value."""
    names = short_names(sweep.params)
    lever = param_words(key.lever, names[key.lever])
    held = [p for p in sweep.params if p not in (key.lever, key.by)]
    base = sweep.points.set_index("job").loc[baseline]
    held_text = "; ".join(f"{param_words(p, names[p])} at "
                          f"{format_param_value(p, base[p])}" for p in held)
    values = sweep.points[key.lever].nunique()
    drawn_as_line = (values >= figures.MIN_LINE_VALUES
                     and figures.is_numeric_lever(sweep, key.lever))
    word = "line" if drawn_as_line else "series"
    lines = (f"one {word} per {param_words(key.by, names[key.by])}" if key.by
             else f"one {word}")
    inert = []
    for value, pairs in figures.lever_lines(sweep, key.lever, key.by, baseline).items():
        for lever_value, job in pairs:
            if job != baseline and twins.get(job, job) == twins.get(baseline, baseline):
                where = f"{lever} {format_param_value(key.lever, lever_value)}"
                inert.append(where if key.by is None else
                             f"{param_words(key.by, names[key.by])} "
                             f"{format_param_value(key.by, value)} at {where}")
    same = (f" Identical to the baseline on every seed (effect 0, no interval): "
            f"{'; '.join(inert)}." if inert else "")
    if drawn_as_line:
        shape = "band: 95% bootstrap interval, markers at the simulated values"
    elif values >= figures.MIN_LINE_VALUES:
        shape = ("bars: 95% bootstrap interval; the options have no order, so no line is "
                 "drawn between them")
    else:
        shape = (f"bars: 95% bootstrap interval; only {values} value"
                 f"{'s' if values != 1 else ''} simulated, so no line is drawn between them")
    page.add('<h2 id="key-figures">Key figures</h2>')
    page.add(f'<p class="lead">Effect against {html.escape(lever)} (mean paired difference '
             f"from the baseline over the same {len(sweep.seeds)} seeds; {shape}; dashed: no "
             f"effect; the axis spans at least {figures.MIN_EFFECT_FRACTION:.0%} of the "
             "baseline mean either side of zero, except for levels in log10 units), "
             f"{html.escape(lines)}"
             + (f"; {html.escape(held_text)}" if held_text else "")
             + f".{html.escape(same)}</p>")
    items = []
    for metric in steps.bar(key.metrics, "key figures"):
        fig = figures.plot_lever_effect(sweep, metric, key.lever, baseline, key.by,
                                        table=page.effects, twins=dict(twins), **stats_kw)
        items.append(page.figure_html(fig, f"key_{metric}", ""))
    page.add(f'<div class="keyfigs">{"".join(items)}</div>')


def _sampled_key_figures(page: _Page, sweep: Sweep, key: KeyFigures, steps: Progress,
                         own_levers: bool = False) -> None:
    """Add the key figures of a sampled design: each metric's point means against a lever.

    With ``own_levers`` (the report chose the figures) each metric is drawn
    against its :func:`strongest_lever`, so that an outcome driven by another
    lever than the first metric's is not shown as scatter; otherwise against
    ``key.lever``.
    """
    names = short_names(sweep.params)
    levers = {m: (strongest_lever(sweep, m) or key.lever) if own_levers else key.lever
              for m in key.metrics}
    lever = param_words(key.lever, names[key.lever])
    design = {"lhs": "Latin-hypercube", "sobol": "Sobol'"}.get(sweep.design_kind,
                                                               sweep.design_kind)
    against = (f"Each outcome against the lever most rank-correlated with it (named on the "
               f"axis) in a {design} design"
               if len(set(levers.values())) > 1 else
               f"Outcome against {lever} in a {design} design")
    seeds = len(sweep.seeds)
    bars = ("bars: Student-t 95% interval of each point's mean over its "
            f"{seeds} seeds" if seeds > 1 else "one seed per point, so no interval bars")
    ignored = (f" {param_words(key.by, names[key.by])} is not drawn separately: in a sampled "
               "design no two points share the other levers' values." if key.by else "")
    page.add('<h2 id="key-figures">Key figures</h2>')
    page.add(f'<p class="lead">{html.escape(against)} of {len(sweep.jobs)} points, every '
             f"other lever varying as sampled (dots: point means; {html.escape(bars)}; black "
             "line: mean of the point means in equal-count bins of the lever; the axis spans "
             f"at least {figures.MIN_EFFECT_FRACTION:.0%} of the overall mean either side of "
             f"it, except for levels in log10 units).{html.escape(ignored)}</p>")
    items = []
    for metric in steps.bar(key.metrics, "key figures"):
        fig = figures.plot_sampled_lever(sweep, metric, levers[metric])
        items.append(page.figure_html(fig, f"key_{metric}", ""))
    page.add(f'<div class="keyfigs">{"".join(items)}</div>')


def markdown_html(text: str, prefix: str) -> str:
    """Render a findings section's markdown (tables, emphasis, lists) as HTML.

    Args:
        text: Markdown of a :class:`analysis.findings.Section`.
        prefix: Prefix of relative image links (the report sits one folder
            below the experiment's output folder).
    """
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    rendered = rendered.replace('<img src="', f'<img src="{prefix}')
    return rendered.replace("<table>", '<div class="scroll"><table>').replace(
        "</table>", "</table></div>")


def _distinct_jobs(jobs: Sequence[int], twins: Mapping[int, int], baseline: int) -> list[int]:
    """Return one job per group of identical points (the baseline when it is in the group)."""
    keep = []
    for job in jobs:
        first = twins.get(job, job)
        group = [j for j in jobs if twins.get(j, j) == first]
        chosen = baseline if baseline in group else first
        if job == chosen:
            keep.append(job)
    return keep


def _honesty_notes(
    page: _Page, sweep: Sweep, hidden: Mapping[str, str], twins: Mapping[int, int],
    labels: Mapping[int, str],
) -> None:
    """Add what the report does not show and which points duplicate others."""
    if hidden:
        items = "".join(f"<li><code>{html.escape(m)}</code> ({html.escape(metric_info(m).label)})"
                        f": {html.escape(reason)}</li>" for m, reason in hidden.items())
        page.add('<h2 id="not-shown">Not shown</h2><p class="note">These metrics carry no '
                 "information in this sweep, so they are neither plotted nor tested "
                 f"(effects would be rounding noise):</p><ul>{items}</ul>")
    if twins:
        items = "".join(
            f"<li>point {job} ({html.escape(labels[job])}) duplicates point {first} "
            f"({html.escape(labels[first])})</li>" for job, first in twins.items())
        page.add('<h2 id="duplicates">Duplicate points</h2><p class="note">These points have '
                 "the same value of every summary metric on every seed as another point (the "
                 "levers that differ between them had no effect there). Figures draw each "
                 "group once and effects are tested once per group.</p>"
                 f"<ul>{items}</ul>")


def _overview(page: _Page, sweep: Sweep, baseline: int, labels: Mapping[int, str]) -> None:
    """Add the record that closes the page: points, sweep definition and provenance."""
    page.add('<h2 id="points">Parameter points</h2>')
    points = sweep.points.copy()
    points.insert(1, "label", [labels[j] for j in points["job"]])
    page.table(points, "points.csv")
    if len(points) <= MAX_TABLE_POINTS:
        page.add(_table_html(points))
    page.add('<p>All points: <a href="tables/points.csv">tables/points.csv</a>.</p>')
    page.add('<h2 id="sweep">Sweep definition</h2>')
    page.add(f"<p>{len(sweep.jobs)} points &times; {len(sweep.seeds)} seeds "
             f"(seeds {html.escape(_seed_range(sweep.seeds))}, the same at every point); "
             f"design <code>{html.escape(sweep.design_kind)}</code>; baseline: job "
             f"{baseline} ({html.escape(labels[baseline])}).</p>")
    page.add(f"<pre>{html.escape(_definition_text(sweep.definition))}</pre>")
    page.add('<h2 id="provenance">Provenance</h2>')
    page.add(_table_html(pd.DataFrame(_flatten(sweep.provenance), columns=["key", "value"])))


def _seed_range(seeds: Sequence[int]) -> str:
    """Describe a seed list compactly (``0-19`` for consecutive seeds)."""
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _summary_section(
    page: _Page, sweep: Sweep, metrics: list[str], few: bool, shown: list[int],
    stats_kw: dict[str, int], steps: Progress,
) -> None:
    """Add per-point statistics and distribution figures of the summary metrics."""
    page.add('<h2 id="summary">Outcome distributions</h2>')
    parts = [summary_table(sweep, [m], pooled=not few, **stats_kw)
             for m in steps.bar(metrics, "summary metrics")]
    table = pd.concat(parts, ignore_index=True)
    page.table(table, "summary.csv")
    scope = "each point" if few else "all runs pooled (many points)"
    page.add(f"<p>Statistics across seeds at {scope}: mean with its 95% bootstrap CI "
             "(BCa), median, 5% and 95% quantiles; n = non-null runs. "
             'CSV: <a href="tables/summary.csv">tables/summary.csv</a>.</p>')
    sampled = len(sweep.jobs) > figures.MAX_POINTS or sweep.design_kind in SAMPLED_DESIGNS
    for metric in steps.bar(metrics, "distribution figures"):
        page.add(f"<h3>{html.escape(axis_label(metric))}</h3>")
        rows = table[table["metric"] == metric].drop(columns=["metric"])
        page.add(_table_html(rows))
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
    shown: list[int], drawable: list[int], stats_kw: dict[str, int], steps: Progress,
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
    if len(drawable) < 2:
        _no_effects(page, sweep, metrics, baseline)
        return
    page.add('<h2 id="effects">Effects against the baseline</h2>')
    tested = [j for j in drawable if j != baseline]
    known = page.effects if page.effects is not None else pd.DataFrame(columns=["metric", "job"])
    parts = []
    for metric in steps.bar(metrics, "effect metrics"):
        rows = known[known["metric"] == metric]
        if sorted(rows["job"]) != sorted(tested):
            rows = effects_table(sweep, baseline, [metric], jobs=tested, **stats_kw)
        parts.append(rows)
    table = pd.concat(parts, ignore_index=True)
    page.effects = table
    page.table(table, "effects.csv")
    n_pairs = len(sweep.seeds)
    page.add("<p>Paired by seed (common random numbers). effect = mean of per-seed "
             "differences (point - baseline, metric units) with its 95% bootstrap CI; "
             "d_z = effect / sd of differences; share_higher = share of seeds where the "
             "point exceeds the baseline; p_value: two-sided Wilcoxon signed-rank test, "
             f"p_holm: Holm-adjusted over the {len(tested)} points compared with the "
             "baseline, per metric (duplicate points are tested once). "
             'CSV: <a href="tables/effects.csv">tables/effects.csv</a>.</p>')
    floor_note = holm_floor_note(n_pairs, len(tested))
    headers = {}
    if floor_note:
        page.note(floor_note)
        headers["p_holm"] = f"p_holm (≥ {holm_floor(n_pairs, len(tested)):.2g}, see note)"
    columns = ["job", *sweep.params, "n_pairs", "baseline_mean", "mean", "effect",
               "effect_ci_low", "effect_ci_high", "d_z", "share_higher", "p_value", "p_holm"]
    compared = [j for j in shown if j != baseline]
    for metric in steps.bar(metrics, "effect figures"):
        page.add(f"<h3>{html.escape(axis_label(metric))}</h3>")
        rows = table[table["metric"] == metric]
        page.add(_table_html(rows[columns], headers))
        if compared:
            page.figure(
                figures.plot_paired_effects(sweep, metric, baseline, compared, table=rows),
                f"effects_{metric}",
                f"{metric_info(metric).label}: per-seed differences from the baseline; "
                "bar: mean difference and 95% bootstrap CI.")


def _no_effects(page: _Page, sweep: Sweep, metrics: list[str], baseline: int) -> None:
    """Say that every point duplicates the baseline, and show it: all differences are 0.

    Nothing is tested (a test of identical values has no p-value); the
    figures exist so that experiments naming ``effects_<metric>`` still find
    them, and they show exactly what happened.
    """
    page.add('<h2 id="effects">Effects against the baseline</h2>')
    page.note("Every point duplicates the baseline (identical summary metrics on every "
              "seed): all paired differences are exactly 0, so no effect is estimated or "
              "tested.")
    others = [j for j in sweep.jobs if j != baseline][:figures.MAX_POINTS]
    empty = pd.DataFrame(columns=["metric", "job", "effect", "effect_ci_low", "effect_ci_high"])
    for metric in metrics:
        page.figure(figures.plot_paired_effects(sweep, metric, baseline, others, table=empty),
                    f"effects_{metric}",
                    f"{metric_info(metric).label}: per-seed differences from the baseline, "
                    "all exactly 0 (every point duplicates the baseline).")


def _heatmap_section(
    page: _Page, sweep: Sweep, metrics: list[str], thresholds: Mapping[str, float],
    baseline: int, effects: pd.DataFrame | None, steps: Progress,
) -> None:
    """Add median, paired-effect and exceedance-probability heatmaps of a two-parameter grid."""
    page.add('<h2 id="heatmaps">Two-parameter grid</h2>')
    for metric in steps.bar(metrics, "heatmap metrics"):
        level = threshold(metric, dict(thresholds))
        caption = (f"{metric_info(metric).label}: median across seeds (left, with values; "
                   "colour range covers the metric's natural bounds, or else the 5-95% range "
                   "of all runs) and "
                   "mean paired difference from the baseline (diverging scale centred on 0; "
                   "hatched where its 95% CI covers 0)")
        if level is None:
            caption += ("; no exceedance map: the metric has no default threshold "
                        f"(give one with --threshold {metric}=VALUE).")
        else:
            source = "given" if metric in thresholds else "default of the metric"
            caption += (f"; right: probability of exceeding {format_quantity(level, metric)} "
                        f"({source}).")
        page.figure(figures.plot_heatmaps(sweep, metric, level, baseline, effects),
                    f"heatmap_{metric}", caption)


def _sobol_section(
    page: _Page, sweep: Sweep, metrics: list[str], stats_kw: dict[str, int], steps: Progress,
) -> None:
    """Add Sobol indices: pick-freeze on a Saltelli design, else first order from given data."""
    page.add('<h2 id="sensitivity">Global sensitivity (Sobol indices)</h2>')
    try:
        saltelli_blocks(sweep)
        table = pd.concat([sobol_table(sweep, [m], **stats_kw)
                           for m in steps.bar(metrics, "Sobol metrics")], ignore_index=True)
        text = ("First-order (Saltelli 2010) and total (Jansen) indices of the mean across "
                "seeds, with 95% bootstrap CIs (percentile) over the base rows.")
    except SweepError as layout:
        try:
            table = first_order_table(sweep, metrics, seed=stats_kw["seed"])
        except SweepError as exc:
            page.note(f"Not computed: {layout}; {exc}")
            return
        text = ("First-order indices of the mean across seeds estimated from the points "
                "alone (binned correlation ratio, bias-corrected; 95% CI from a "
                "delete-a-group jackknife). Total indices need the Saltelli layout: "
                f"{layout}")
    page.table(table, "sobol.csv")
    page.add(f"<p>{html.escape(text)} Indices are shares of variance: figures show them on "
             "[0, 1] and say when an estimate or interval end falls outside (sampling "
             'error). CSV: <a href="tables/sobol.csv">tables/sobol.csv</a>.</p>')
    page.add(_table_html(table))
    for metric in metrics:
        page.figure(figures.plot_sobol(sweep, table, metric), f"sobol_{metric}",
                    f"{metric_info(metric).label}: Sobol indices with 95% CIs.")


def _fan_section(
    page: _Page, sweep: Sweep, metrics: list[str], shown: list[int], steps: Progress
) -> None:
    """Add fan charts of the time-series metrics."""
    page.add('<h2 id="timeseries">Time series</h2>')
    for metric in steps.bar(metrics, "fan charts"):
        page.figure(figures.plot_fan_chart(sweep, metric, shown), f"fan_{metric}",
                    f"{metric_info(metric).label}: median and 50%/90% bands across seeds, "
                    "per point, by calendar year.")


def _flow_section(
    page: _Page, sweep: Sweep, shown: list[int], drawable: list[int],
    labels: Mapping[int, str],
) -> None:
    """Add researcher flows between kinds of organisation: figure and table."""
    page.add('<h2 id="flows">Brain drain: researcher flows</h2>')
    table = flow_table(sweep)
    page.table(table, "flows.csv")
    page.figure(figures.plot_flows(sweep, shown, table=table[table["job"].isin(shown)]),
                "flows", f"Mean researcher moves per year between kinds of organisation "
                f"[{FLOW_UNIT}], per point.")
    wide = table[table["job"].isin(drawable)].pivot(index=["from_kind", "to_kind"],
                                                    columns="job", values="mean")
    wide = wide[(wide > 0).any(axis=1)]
    wide = wide.rename(columns=lambda j: labels[j])
    if len(shown) == len(drawable) and not wide.empty:
        page.add(f"<p>Mean moves per year [{FLOW_UNIT}] per pair of kinds (rows) and point "
                 '(columns). CSV: <a href="tables/flows.csv">tables/flows.csv</a>.</p>')
        page.add(_table_html(wide.reset_index()))
    else:
        page.add('<p>CSV: <a href="tables/flows.csv">tables/flows.csv</a>.</p>')


def _render(title: str, page: _Page) -> str:
    """Return the complete HTML document: the answer, the details, then the record."""
    details = "".join(page.sections)
    record = "".join(page.tail)
    nav = " ".join(
        f'<a href="#{anchor}">{text}</a>'
        for anchor, text in (("not-shown", "Not shown"), ("duplicates", "Duplicates"),
                             ("summary", "Distributions"), ("effects", "Effects"),
                             ("heatmaps", "Grid"), ("sensitivity", "Sensitivity"),
                             ("timeseries", "Time series"), ("flows", "Flows"),
                             ("points", "Points"), ("sweep", "Definition"),
                             ("provenance", "Provenance"))
        if f'id="{anchor}"' in details + record
    )
    head = "\n".join(page.head)
    body = "\n".join(page.sections)
    tail = "\n".join(page.tail)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f'<header id="answer">\n<h1>{html.escape(title)}</h1>\n{head}\n</header>\n'
            f'<nav id="details"><b>Details:</b> {nav}</nav>\n<main>\n{body}\n</main>\n'
            f'<footer id="record">\n{tail}\n'
            "<p><small>Generated by race-analyze from the files of this sweep directory; "
            "regenerate with <code>race-analyze SWEEP_DIR</code>.</small></p>\n"
            "</footer>\n</body>\n</html>\n")
