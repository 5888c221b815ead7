"""``race-experiment``: run a versioned experiment end to end (sweep, aggregation, report).

Each experiment lives in ``experiments/<name>/``: ``experiment.yaml`` (its
configuration, sweep definition included) and a README with the question,
the command and the findings. ``experiment.yaml`` has these fields::

    name: downstream_partnerships
    title: Downstream partnerships and the race
    question: Do startup partnerships with labs and hyperscalers speed up the race?
    kind: sweep                  # sweep | calibration | dsair
    sweep: {...}                 # a race-sim-sweep definition without name/dir (docs/cli.md)
    analysis:
      metrics: [...]             # summary metrics of the report and the findings
      baseline: downstream.partner_share=0.0       # a job id or key=value[,key=value]
      contrasts: {all partner: downstream.partner_share=1.0}
      extras: [armstrong2016]    # named extra analyses (analysis.findings.EXTRAS)
      key_figures: {lever: downstream.partner_share, by: downstream.early_access_lead_months,
                    metrics: [compute_hhi]}   # paired effect against a lever (optional)
    calibration: {...}           # kind calibration: fit before the sweep (race_cli.calibrate)
    dsair: {...}                 # kind dsair: the analytic DSAIR model (analysis.validation)
    quick:                       # the quick variant: fields replaced in each section
      sweep: {replicates: 4, overrides: [steps=60]}

The command writes into ``OUT`` (default ``results/<name>/<variant>``):
``experiment.yaml`` (the configuration actually run, quick fields applied:
``race-experiment OUT/experiment.yaml --out OTHER`` reruns it identically),
the sweep (``sweep.yaml``, job folders, ``runs.csv``, ...), ``report/index.html``,
``findings.md`` and ``findings.json``. A rerun into the same folder resumes the
sweep and skips finished jobs; a different experiment in it is refused.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from sweeps.specs import (
    ExperimentSpec,
    SpecError,
    check_override,
    inside,
    load_experiment,
    load_yaml,
    one_line,
)
from sweeps.specs import validate as validate_spec

SPEC_FILE = "experiment.yaml"
#: Fields that define what is simulated: a folder holding a run of the same
#: experiment with other values is refused. The others (title, question,
#: analysis) may change between runs: the analysis is redone on the same results.
IDENTITY = ("name", "kind", "variant", "sweep", "calibration", "dsair")
#: Options of the named extra analyses (``analysis.options``) other than ``armstrong2016``,
#: whose options are :data:`analysis.validation.ARMSTRONG_OPTIONS`.
EXTRA_OPTIONS: dict[str, tuple[str, ...]] = {
    "history_trajectories": ("start_year", "job"),
    "sobol": ("metrics", "n_resamples"),
}
BEGIN = "<!-- BEGIN findings:{variant} (written by race-experiment --readme) -->"
END = "<!-- END findings:{variant} -->"


class ExperimentError(ValueError):
    """An experiment that cannot be run; the message names the field and the rule."""


class SweepFailed(ExperimentError):
    """The experiment's sweep ran but some jobs failed (rerunning resumes it)."""


def available() -> dict[str, Path]:
    """Return the experiments shipped in the ``experiments`` package: name -> spec path."""
    root = Path(str(resources.files("experiments")))
    return {p.parent.name: p for p in sorted(root.glob(f"*/{SPEC_FILE}"))}


def locate(name: str) -> Path:
    """Return the spec file of an experiment given by name, folder or file.

    Args:
        name: A shipped experiment's name, or the path of an ``experiment.yaml``
            (or of the folder holding one), e.g. a recorded ``OUT/experiment.yaml``.

    Returns:
        Path of the spec file.

    Raises:
        ExperimentError: No such experiment.
    """
    path = Path(name)
    if path.is_dir() and (path / SPEC_FILE).is_file():
        return path / SPEC_FILE
    if path.is_file():
        return path
    shipped = available()
    if name in shipped:
        return shipped[name]
    raise ExperimentError(f"experiment {name!r}: not a shipped experiment nor a spec file; "
                          f"shipped: {', '.join(shipped)}")


def load_spec(path: Path) -> dict[str, Any]:
    """Read an experiment spec (plain containers) with :func:`sweeps.specs.load_yaml`.

    Shipped, user-written and recorded specs (``OUT/experiment.yaml``) all go
    through this one safe reader.

    Raises:
        ExperimentError: The file cannot be read safely (one line: file, line,
            column where YAML gives them, and the problem).
    """
    try:
        return load_yaml(path)
    except SpecError as exc:
        raise ExperimentError(str(exc)) from None


def split_extra(extra: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split the command line's extra overrides into model overrides and launcher settings.

    Model overrides (keys and config-group choices) are applied to every run and
    recorded in ``experiment.yaml``; the launcher choice (``hydra/launcher=NAME``)
    and ``hydra.launcher.*`` settings go to Hydra only and are not recorded
    (results do not depend on the launcher). Anything else under ``hydra`` and
    any ``_target_`` is refused.

    Args:
        extra: The ``key=value`` arguments typed by the user.

    Returns:
        ``(model, launcher)`` overrides.

    Raises:
        ExperimentError: An override that is not allowed.
    """
    model, launcher = [], []
    for item in extra:
        try:
            item = check_override(item, "command line", command_line=True)
        except SpecError as exc:
            raise ExperimentError(str(exc)) from None
        (launcher if item.startswith("hydra") else model).append(item)
    return model, launcher


def resolve(data: Mapping[str, Any] | ExperimentSpec, quick: bool,
            extra: Sequence[str] = ()) -> dict[str, Any]:
    """Validate a spec and apply the variant; return the configuration to run and record.

    The spec is validated by :class:`sweeps.specs.ExperimentSpec`, and again
    with the quick variant's fields applied.

    Args:
        data: The spec as read from YAML, or its validated model.
        quick: Apply the ``quick`` fields (ignored for a recorded spec, which has
            its ``variant`` already applied).
        extra: Command-line ``key=value`` overrides appended to the sweep's overrides.

    Returns:
        The resolved spec: no ``quick`` field, ``variant`` set, extra overrides appended.

    Raises:
        ExperimentError: An unknown or invalid field.
    """
    try:
        model = data if isinstance(data, ExperimentSpec) else validate_spec(ExperimentSpec, data)
        extra = [check_override(item, "command line") for item in extra]
        spec = model.model_dump(exclude_unset=True)
        spec["kind"] = model.kind
        quick_fields = spec.pop("quick", None) or {}
        if model.variant is None:
            spec["variant"] = "quick" if quick else "full"
            if quick:
                for section, fields in quick_fields.items():
                    spec[section] = {**(spec.get(section) or {}), **(fields or {})}
                validate_spec(ExperimentSpec, spec)
    except SpecError as exc:
        raise ExperimentError(str(exc)) from None
    if spec.get("analysis") is None:
        spec["analysis"] = {}
    if extra:
        if model.kind == "dsair":
            raise ExperimentError(f"overrides {list(extra)}: kind dsair runs no model sweep")
        sweep = spec["sweep"]
        sweep["overrides"] = [*(sweep.get("overrides") or []), *extra]
    return spec


def _check_options(analysis: Mapping[str, Any]) -> None:
    """Check that every ``analysis.options`` key is an option of one of the requested extras.

    Raises:
        ExperimentError: An option that none of the extras takes.
    """
    from analysis.validation import ARMSTRONG_OPTIONS

    extras = analysis.get("extras") or []
    options = {**EXTRA_OPTIONS, "armstrong2016": tuple(ARMSTRONG_OPTIONS)}
    allowed = sorted({o for e in extras for o in options.get(e, ())})
    for option in analysis.get("options") or {}:
        if option not in allowed:
            raise ExperimentError(f"analysis.options.{option}: unknown option of the extras "
                                  f"{extras}; allowed: {', '.join(allowed) or 'none'}")


def _definition(spec: Mapping[str, Any], out: Path, fitted: Mapping[str, Any],
                launcher: Sequence[str] = ()) -> Any:
    """Return the validated sweep definition of a spec (fitted values as overrides).

    Args:
        spec: The resolved spec.
        out: Output folder (the sweep directory).
        fitted: Values fitted by a calibration.
        launcher: The user's launcher choice and settings (:func:`split_extra`).
    """
    from race_cli.design import DefinitionError, parse_definition

    sweep = dict(spec["sweep"])
    sweep["overrides"] = [*(sweep.get("overrides") or []),
                          *(f"{k}={v}" for k, v in fitted.items())]
    try:
        return parse_definition({**sweep, "name": spec["name"]}, launcher, sweep_dir=out)
    except DefinitionError as exc:
        raise ExperimentError(f"sweep.{exc}") from exc


def _check_metrics(spec: Mapping[str, Any]) -> None:
    """Check analysis metrics and extras before anything runs."""
    from analysis.findings import extra_section
    from analysis.load import check_metrics
    from sim.results import SUMMARY_METRICS

    analysis = spec["analysis"]
    metrics = analysis.get("metrics")
    try:
        if metrics is not None:
            check_metrics(metrics, "any")
            contrast_metrics = [m for m in metrics if m in SUMMARY_METRICS]
            if analysis.get("contrasts") and not contrast_metrics:
                raise ExperimentError("analysis.contrasts: needs summary metrics in "
                                      "analysis.metrics")
        for name in analysis.get("extras") or []:
            extra_section(name)
        key = analysis.get("key_figures")
        if key is not None:
            check_metrics(key["metrics"], "summary")
    except ValueError as exc:
        if isinstance(exc, ExperimentError):
            raise
        raise ExperimentError(f"analysis: {exc}") from exc


def _check_points(spec: Mapping[str, Any], defn: Any) -> None:
    """Check that the baseline and every contrast name exactly one point of the design."""
    from types import SimpleNamespace

    import pandas as pd

    from analysis.errors import SweepError
    from analysis.load import resolve_baseline
    from race_cli.design import DefinitionError, check_points, points

    pts = points(defn)
    try:
        check_points(defn, pts)
    except DefinitionError as exc:
        raise ExperimentError(f"sweep.{exc}") from None
    table = pd.DataFrame([[i, *p] for i, p in enumerate(pts)], columns=["job", *defn.params])
    design = SimpleNamespace(params=defn.params, points=table, jobs=list(range(len(pts))),
                             design_kind=defn.kind)
    analysis = spec["analysis"]
    named = {"baseline": analysis.get("baseline")}
    named.update({f"contrasts[{k}]": v for k, v in (analysis.get("contrasts") or {}).items()})
    for where, point in named.items():
        try:
            resolve_baseline(design, point)
        except SweepError as exc:
            raise ExperimentError(f"analysis.{where}: {exc}") from exc
    key = analysis.get("key_figures") or {}
    for field_name in ("lever", "by"):
        if key.get(field_name) is not None and key[field_name] not in defn.params:
            raise ExperimentError(f"analysis.key_figures.{field_name}={key[field_name]!r}: not a "
                                  f"swept parameter; swept: {', '.join(defn.params)}")
    if key and key.get("by") == key.get("lever"):
        raise ExperimentError(f"analysis.key_figures.by={key['by']!r}: the same as lever; "
                              "choose another swept parameter or null")


def validate(spec: Mapping[str, Any], out: Path, launcher: Sequence[str] = ()) -> None:
    """Check everything that can be checked before a model runs or a file is written.

    The same checks run for ``--dry-run`` and before a run records anything:
    fields, the sweep's overrides and every design point against the parameter
    schema (:func:`race_cli.design.check_points`), metrics, extras and their
    options, the baseline and contrasts, and the calibration section.

    Args:
        spec: The resolved spec.
        out: Output folder.
        launcher: The user's launcher choice and settings (:func:`split_extra`).

    Raises:
        ExperimentError: Invalid sweep, analysis or dsair section (``ValueError``
            subclasses of the analysis layer pass through with their message).
    """
    if spec["kind"] == "dsair":
        from analysis.validation import check_dsair_spec

        check_dsair_spec(spec["dsair"])
        return
    _check_options(spec["analysis"])
    _check_metrics(spec)
    _check_points(spec, _definition(spec, out, {}, launcher))


def claim(out: Path, spec: Mapping[str, Any]) -> None:
    """Record the resolved spec in ``out``, or check that ``out`` holds the same experiment.

    Only the fields in :data:`IDENTITY` must match; a changed analysis
    section is recorded in place of the old one.

    Args:
        out: Output folder.
        spec: The resolved spec.

    Raises:
        ExperimentError: ``out`` holds a different experiment.
    """
    import yaml

    from race_cli.outputs import atomic_write_text

    path = out / SPEC_FILE
    text = ("# race-experiment: the configuration this folder was produced with; rerun it "
            "with\n# race-experiment <this file> --out <another folder>\n"
            + yaml.safe_dump(dict(spec), sort_keys=False))
    if path.is_file():
        old, new = load_spec(path), yaml.safe_load(text)
        differing = sorted(k for k in set(old) | set(new)
                           if k in IDENTITY and old.get(k) != new.get(k))
        if differing:
            raise ExperimentError(f"{out} holds a different experiment ({path} differs in "
                                  f"{', '.join(differing)}); rerunning the same experiment "
                                  "resumes it, otherwise choose another --out or delete the "
                                  "folder")
        if old != new:
            atomic_write_text(path, text)
        return
    if out.exists() and any(out.iterdir()):
        raise ExperimentError(f"{out} is not empty and holds no {SPEC_FILE}: refusing to mix "
                              "outputs; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def run_sweep(spec: Mapping[str, Any], out: Path, fitted: Mapping[str, Any],
              launcher: Sequence[str] = (), workers: int | None = None) -> Any:
    """Run (or resume) the experiment's sweep into ``out`` and load it.

    Without a launcher choice the sweep runs through the sweeps runner on local
    processes (:func:`race_cli.design.run_with_runner`); a ``hydra/launcher=...``
    choice on the command line runs it as a Hydra multirun with that launcher.

    Args:
        spec: The resolved spec.
        out: Output folder (the sweep directory).
        fitted: Parameter values fitted by a calibration (added as overrides).
        launcher: The user's launcher choice and settings (:func:`split_extra`).
        workers: Local processes of the runner (default: all cores).

    Returns:
        The loaded sweep (:class:`analysis.load.Sweep`).

    Raises:
        ExperimentError: Some runs failed, or the directory is in use.
    """
    from analysis.aggregate import aggregate
    from analysis.load import load_sweep
    from race_cli.design import point_overrides, points, run_definition, run_with_runner

    defn = _definition(spec, out, fitted, launcher)
    pts = points(defn)
    if launcher:
        status = run_definition(defn, pts)
        if status != 0:
            raise SweepFailed(f"the sweep exited with status {status}; see the job folders "
                              f"in {out} (rerunning resumes it)")
        aggregate(out)
        return load_sweep(out)
    status = run_with_runner(defn, pts, point_overrides(defn, pts), "local", workers=workers)
    if status == 130:
        raise KeyboardInterrupt
    if status != 0:
        raise SweepFailed(f"the sweep exited with status {status}; failed runs are listed in "
                          f"{out / 'failures.json'} (rerunning resumes it)")
    return load_sweep(out)


def run(spec: Mapping[str, Any], out: Path, workers: int | None = None,
        launcher: Sequence[str] = (), progress: bool = False) -> Path:
    """Run a resolved experiment end to end; return the path of its report.

    Args:
        spec: The resolved spec (:func:`resolve`).
        out: Output folder.
        workers: Processes for a calibration's model runs (default: all cores).
        launcher: The user's launcher choice and settings (:func:`split_extra`; not recorded).
        progress: Show the analysis's progress (stages, counts, time left) on standard error.

    Returns:
        Path of ``report/index.html``.
    """
    from analysis.findings import Section, render
    from analysis.report import Progress
    from race_cli.outputs import atomic_write_json, atomic_write_text

    kind, analysis = spec["kind"], spec["analysis"]
    validate(spec, out, launcher)
    claim(out, spec)
    for stale in ("findings.md", "findings.json"):
        (out / stale).unlink(missing_ok=True)
    sections: list[Section] = []
    fitted: dict[str, Any] = {}
    if kind == "calibration":
        from race_cli.calibrate import run_calibration

        fit_section, fitted = run_calibration(spec, out, workers)
        sections.append(fit_section)
    sweep = None
    if kind == "dsair":
        from analysis.validation import dsair_section

        sections.append(dsair_section(spec["dsair"], out))
        report = _dsair_report(spec, out, sections)
    else:
        sweep = run_sweep(spec, out, fitted, launcher, workers)
        extras = analysis.get("extras") or []
        steps = Progress(progress, 10 + len(extras), prefix="race-experiment")
        report = _analyse(spec, out, sweep, sections, steps)
        steps.close()
    title = spec.get("title") or spec["name"]
    header = (f"Variant `{spec['variant']}`." if sweep is None
              else design_header(spec, sweep))
    atomic_write_text(out / "findings.md", render(title, header, sections))
    atomic_write_json(out / "findings.json", {
        "experiment": spec["name"], "variant": spec["variant"],
        "sections": {s.title: s.data for s in sections},
        "figures": [f for s in sections for f in s.figures],
    })
    return report


def design_header(spec: Mapping[str, Any], sweep: Any) -> str:
    """Describe the run for ``findings.md``: the report's design sentence and the overrides."""
    from analysis.findings import design_sentence

    overrides = " ".join(sweep.definition.get("overrides", [])) or "none"
    return f"{design_sentence(sweep, spec['variant'])} Overrides: `{overrides}`."


def _analyse(spec: Mapping[str, Any], out: Path, sweep: Any, sections: list[Any],
             steps: Any) -> Path:
    """Compute the findings, write the report that opens with them; extend ``sections``.

    Args:
        spec: The resolved spec.
        out: Output folder.
        sweep: The loaded sweep.
        sections: Sections so far (a calibration's fit); the findings, the
            extras and the figures are appended.
        steps: The :class:`analysis.report.Progress` of the analysis.

    Returns:
        Path of ``report/index.html``.
    """
    from analysis.findings import Section, contrast_findings, extra_section
    from analysis.report import Answer, KeyFigures, build_report
    from sim.results import SUMMARY_METRICS

    analysis = spec["analysis"]
    n_resamples = int(analysis.get("n_resamples", 4999))
    findings = None
    earlier = list(sections)
    if analysis.get("contrasts"):
        metrics = [m for m in analysis["metrics"] if m in SUMMARY_METRICS]
        steps.plan(len(metrics))
        steps.stage("findings: paired effects of the named contrasts")
        findings = contrast_findings(sweep, metrics, analysis.get("baseline"),
                                     analysis["contrasts"], n_resamples=n_resamples,
                                     progress=steps.bar)
        sections.append(findings.section())
    extras = []
    for name in analysis.get("extras") or []:
        steps.stage(f"extra analysis {name}")
        extras.append(extra_section(name)(sweep, out, analysis.get("options") or {}))
    key = analysis.get("key_figures")
    answer = Answer(spec.get("title") or spec["name"], spec.get("question", ""), findings,
                    [*earlier, *extras],
                    KeyFigures(key["lever"], key.get("by"), list(key["metrics"])) if key else None,
                    spec["variant"])
    report = build_report(sweep, out / "report", metrics=analysis.get("metrics"),
                          baseline=analysis.get("baseline"), n_resamples=n_resamples,
                          progress=steps, answer=answer)
    sections.extend(extras)
    order = list(key["metrics"]) if key else list(analysis.get("metrics") or [])
    keys = sorted((out / "report" / "figures").glob("key_*.png"),
                  key=lambda p: (order.index(p.stem[4:]) if p.stem[4:] in order else len(order),
                                 p.stem))
    if keys:
        lever = ("the named lever" if key else
                 "the lever most rank-correlated with the outcome")
        caption = (f"Outcome of each point against {lever}, every other lever varying as "
                   "sampled, with the mean in equal-count bins of the lever"
                   if sweep.design_kind in ("lhs", "sobol") else
                   "Paired effect against the lever's value with its 95% bootstrap interval")
        sections.append(Section("Key figures", f"{caption} (report/figures/key_*).\n", {},
                                [p.relative_to(out).as_posix() for p in keys]))
    if analysis.get("figures"):
        sections.append(_figures_section(out, analysis["figures"], sweep))
    return report


def _figures_section(out: Path, names: Sequence[str], sweep: Any) -> Any:
    """Return a section showing report figures by name (e.g. ``effects_compute_hhi``).

    A named figure of a metric that carries no information in this sweep
    (constant, saturated or undefined: the report lists it as not shown) is
    left out with a note instead of failing, so a quick or tiny run of an
    experiment still completes.

    Args:
        out: Output folder.
        names: Figure file stems in ``report/figures`` (the report's PNG figures).
        sweep: The loaded sweep (to tell uninformative metrics from missing figures).

    Returns:
        A section listing the figures (paths relative to ``out``).

    Raises:
        ExperimentError: A named figure was not drawn although its metric is informative.
    """
    from analysis.findings import Section
    from analysis.honesty import uninformative_metrics
    from sim.results import SUMMARY_METRICS, TIMESERIES_METRICS

    figures, notes = [], []
    for name in names:
        path = Path("report") / "figures" / f"{name}.png"
        if (out / path).is_file():
            figures.append(path.as_posix())
            continue
        metric = next((m for m in dict.fromkeys(SUMMARY_METRICS + TIMESERIES_METRICS)
                       if name.endswith(f"_{m}")), None)
        reason = uninformative_metrics(sweep, [metric]).get(metric) if metric else None
        if reason is None:
            drawn = sorted(p.stem for p in (out / "report" / "figures").glob("*.png"))
            raise ExperimentError(f"analysis.figures: {name!r} was not drawn by the report; "
                                  f"drawn: {', '.join(drawn)}")
        notes.append(f"- {name}: not drawn, {metric} is {reason}.\n")
    return Section("Figures", "Figures of the HTML report (report/figures/).\n" + "".join(notes),
                   {}, figures)


def _dsair_report(spec: Mapping[str, Any], out: Path, sections: Sequence[Any]) -> Path:
    """Write a small HTML page for an experiment without a model sweep."""
    import html

    from analysis.report import CSS, markdown_html
    from race_cli.outputs import atomic_write_text

    body = [f"<h1>{html.escape(spec.get('title') or spec['name'])}</h1>",
            f'<p class="question" id="question"><b>Question.</b> '
            f"{html.escape(spec.get('question', ''))}</p>"]
    for section in sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>{markdown_html(section.text, '../')}")
        body += [f'<p><img src="../{html.escape(f)}" style="max-width:100%"></p>'
                 for f in section.figures]
    path = out / "report" / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "<!doctype html>\n<html><head><meta charset='utf-8'><title>"
                      + html.escape(spec["name"]) + f"</title><style>{CSS}</style></head><body>\n"
                      + "\n".join(body) + "\n</body></html>\n")
    return path


def write_readme(spec_path: Path, spec: Mapping[str, Any], out: Path) -> Path:
    """Copy the findings and their figures into the experiment's README.

    The findings replace the block between the ``findings:<variant>`` markers
    of ``README.md`` next to the spec; figures are copied to its ``figures/``
    folder (``figures/quick/`` for the quick variant), and figures of an earlier
    run there that the README no longer links are removed.

    Args:
        spec_path: The experiment's spec file (in ``experiments/<name>/``).
        spec: The resolved spec that was run.
        out: Its output folder.

    Returns:
        Path of the README.

    Raises:
        ExperimentError: The README has no markers for the variant.
    """
    import json

    from race_cli.outputs import atomic_write_text

    readme = spec_path.parent / "README.md"
    variant = spec["variant"]
    begin, end = BEGIN.format(variant=variant), END.format(variant=variant)
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if begin not in text or end not in text:
        raise ExperimentError(f"{readme}: no '{begin}' ... '{end}' block to write into")
    findings = (out / "findings.md").read_text(encoding="utf-8")
    figure_dir = Path("figures") / variant if variant == "quick" else Path("figures")
    for figure in json.loads((out / "findings.json").read_text(encoding="utf-8"))["figures"]:
        target = spec_path.parent / figure_dir / Path(figure).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / figure, target)
        findings = findings.replace(f"]({figure})", f"]({(figure_dir / Path(figure).name)})")
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    text = f"{head}{begin}\n{findings}{end}{tail}"
    atomic_write_text(readme, text)
    for stale in sorted((spec_path.parent / figure_dir).glob("*.png")):
        if f"]({(figure_dir / stale.name).as_posix()})" not in text:
            stale.unlink()
    return readme


def dry_run(spec: Mapping[str, Any], out: Path, launcher: Sequence[str] = ()) -> int:
    """Validate a resolved experiment (as :func:`run` does) and print what it would run.

    Args:
        spec: The resolved spec.
        out: Output folder it would write.
        launcher: The user's launcher choice and settings (:func:`split_extra`).

    Returns:
        Exit status 0.
    """
    import yaml

    validate(spec, out, launcher)
    print(f"Experiment {spec['name']} ({spec['variant']}, kind {spec['kind']}) -> {out}")
    if spec["kind"] == "dsair":
        print(yaml.safe_dump({"dsair": spec["dsair"]}, sort_keys=False).rstrip())
        return 0
    from race_cli.design import _table, points

    defn = _definition(spec, out, {}, launcher)
    pts = points(defn)
    print(f"{len(pts)} points x {defn.replicates} seeds = {len(pts) * defn.replicates} runs; "
          f"overrides: {' '.join(defn.overrides) or 'none'}")
    print(_table(defn, pts))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``race-experiment``.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Exit status: 0 on success, 2 for an invalid experiment or output folder,
        1 when the sweep fails, 130 when interrupted (Ctrl-C).
    """
    parser = argparse.ArgumentParser(
        prog="race-experiment",
        description="Run an experiment of experiments/<name>/ end to end: its sweep (resumable), "
                    "aggregation, HTML report and findings. See experiments/README.md.")
    parser.add_argument("experiment", nargs="?",
                        help="experiment name (see --list), or a spec file such as a recorded "
                             "OUT/experiment.yaml")
    parser.add_argument("overrides", nargs="*",
                        help="extra key=value overrides for every model run (recorded), e.g. "
                             "hydra/launcher=slurm")
    parser.add_argument("--quick", action="store_true",
                        help="run the quick variant (about a minute on 2 cores)")
    parser.add_argument("--out", type=Path,
                        help="output folder (default: results/<name>/<variant>)")
    parser.add_argument("--readme", action="store_true",
                        help="copy the findings into the experiment's README.md")
    parser.add_argument("--dry-run", action="store_true",
                        help="validate the experiment and print its design; run nothing")
    parser.add_argument("--list", action="store_true", help="list the shipped experiments")
    args = parser.parse_intermixed_args(argv)
    try:
        if args.list or not args.experiment:
            for name, path in available().items():
                print(f"{name:28s} {load_spec(path).get('title', '')}")
            return 0 if args.list else 2
        spec_path = locate(args.experiment)
        model_extra, launcher = split_extra(args.overrides)
        spec = resolve(load_experiment(spec_path), args.quick, model_extra)
        if args.out is not None:
            out = args.out.resolve()
        else:
            root = Path("results").resolve()
            out = inside(root / spec["name"] / spec["variant"], root, "name")
        if args.dry_run:
            return dry_run(spec, out, launcher)
        report = run(spec, out, launcher=launcher, progress=True)
        if args.readme:
            print(f"README: {write_readme(spec_path, spec, out)}")
    except ExperimentError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1 if isinstance(exc, SweepFailed) else 2
    except ValueError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; rerun to resume", file=sys.stderr)
        return 130
    print(f"findings: {out / 'findings.md'}")
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
