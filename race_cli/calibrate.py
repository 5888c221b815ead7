"""Calibration step of ``race-experiment`` (experiments of ``kind: calibration``).

The ``calibration`` section of an experiment declares what is fitted and to what::

    calibration:
      seeds: [1, 2, 3, 4, 5, 6]      # common random numbers: the same seeds at every point
      screen: {points: 32, seed: 2015}  # optional Latin-hypercube screen before Powell
      max_evaluations: 80            # Powell's budget of objective evaluations
      start: {capital.market_elasticity: 0.15}   # optional start values
      free:                          # dotted key -> bounds
        capital.market_elasticity: {lo: 0.05, hi: 1.0}
      targets:                       # summary metric -> target value, scale, pass band, source
        training_compute_growth_per_year:
          {value: 4.5, scale: 0.5, band: [3.5, 6.0], source: Epoch AI}

The model parameters are those of the experiment's sweep (its single design
point, e.g. ``scenario: [history_2015]``, and its overrides, composed with
Hydra exactly as ``race-sim`` composes them); a free parameter missing from
``start`` starts from that composed value. The objective (simulated moments,
:func:`sim.calibration.objective_value`) is evaluated at the start and at the
``screen`` points, a Latin hypercube over the bounds; Powell's method
(:func:`sim.calibration.fit`) then starts from the best of them. The screen
makes the fit global enough for an objective that is rough at small scales
(a run's discrete events shift with the parameters even under common random
numbers), where a local search from a poor start stalls.

:func:`run_calibration` validates the section before anything is simulated,
fits, writes ``OUT/fit.json`` and returns the fitted values, which the runner
applies as overrides to the sweep. A ``fit.json`` written for the same section
and the same parameters is reused: rerunning an experiment does not refit.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from race_cli.experiment import ExperimentError
from sim.results import SUMMARY_METRICS
from sweeps.specs import CalibrationSpec, SpecError, validate

if TYPE_CHECKING:
    from analysis.findings import Section
    from sim.calibration import FreeParam, Target
    from sim.params import SimParams

#: Output file of the fit, in the experiment's output folder.
FIT_FILE = "fit.json"

#: Significant digits of the fitted values applied to the sweep (and written to
#: a scenario file): finer than the optimiser's tolerance (1e-3 of each range).
FITTED_DIGITS = 4

#: Optimiser description recorded in ``fit.json``.
METHOD = ("simulated method of moments (McFadden 1989): minimise sum_k ((m_k - target_k) / "
          "scale_k)^2, m_k the mean over seeds (common random numbers); scipy.optimize.minimize "
          "Powell with bounds on coordinates rescaled to [0, 1] (sim.calibration.fit)")


@dataclass(frozen=True)
class Calibration:
    """A validated ``calibration`` section, in the forms the fit takes.

    The section's fields are declared once, in :class:`sweeps.specs.CalibrationSpec`;
    the properties give them as :mod:`sim.calibration` takes them.

    Attributes:
        spec: The validated section.
    """

    spec: CalibrationSpec

    @property
    def free(self) -> list[FreeParam]:
        """Parameters to fit, with their bounds."""
        from sim.calibration import FreeParam

        return [FreeParam(key, b.lo, b.hi) for key, b in self.spec.free.items()]

    @property
    def start(self) -> dict[str, float]:
        """Explicit start values by dotted key (others start from the composed config)."""
        return dict(self.spec.start or {})

    @property
    def targets(self) -> list[Target]:
        """Moments to match."""
        from sim.calibration import Target

        return [Target(metric, t.value, t.scale, t.source)
                for metric, t in self.spec.targets.items()]

    @property
    def bands(self) -> dict[str, tuple[float, float]]:
        """Pass band ``(lo, hi)`` of each target metric (the metric's unit)."""
        return {metric: (t.band[0], t.band[1]) for metric, t in self.spec.targets.items()}

    @property
    def seeds(self) -> list[int]:
        """Seeds averaged at every evaluation."""
        return list(self.spec.seeds)

    @property
    def max_evaluations(self) -> int:
        """Budget of objective evaluations of Powell's method."""
        return self.spec.max_evaluations

    @property
    def screen_points(self) -> int:
        """Latin-hypercube points evaluated before Powell (0: none)."""
        return self.spec.screen.points if self.spec.screen else 0

    @property
    def screen_seed(self) -> int:
        """Seed of the Latin hypercube."""
        return self.spec.screen.seed if self.spec.screen else 0


def parse_calibration(section: Any) -> Calibration:
    """Validate an experiment's ``calibration`` section (:class:`sweeps.specs.CalibrationSpec`).

    Args:
        section: The section as read from YAML.

    Returns:
        The validated calibration.

    Raises:
        ExperimentError: A field is missing, unknown or invalid; the message
            names the field, its value and what is allowed.
    """
    try:
        return Calibration(validate(CalibrationSpec, section, "calibration"))
    except SpecError as exc:
        raise ExperimentError(str(exc)) from None


def model_overrides(spec: Mapping[str, Any], out: Path) -> list[str]:
    """Return the overrides that compose the model parameters of a calibration.

    They are the choices and values of the sweep's single design point followed
    by the sweep's model overrides (``hydra...`` overrides excluded).

    Args:
        spec: The resolved experiment spec.
        out: Output folder (the sweep directory).

    Returns:
        ``key=value`` overrides for the primary config.

    Raises:
        ExperimentError: The sweep is invalid or has more than one point.
    """
    from race_cli.design import DefinitionError, parse_definition, points

    try:
        defn = parse_definition({**spec["sweep"], "name": spec["name"]}, sweep_dir=out)
    except DefinitionError as exc:
        raise ExperimentError(f"sweep.{exc}") from exc
    pts = points(defn)
    if len(pts) != 1:
        raise ExperimentError(f"sweep.params: a calibration runs its sweep at the fitted point "
                              f"only; the design has {len(pts)} points, expected 1 (e.g. "
                              "scenario: [history_2015])")
    point = [f"{key}={value}" for key, value in zip(defn.params, pts[0], strict=True)]
    return [*point, *defn.overrides]


def compose_params(overrides: Sequence[str]) -> SimParams:
    """Compose the primary config with ``overrides`` and convert it to parameters.

    Args:
        overrides: ``key=value`` overrides (config-group choices and model keys).

    Returns:
        The validated parameters, as ``race-sim`` would run them.

    Raises:
        ExperimentError: An unknown key, a wrong type or a value out of range.
    """
    from hydra import compose, initialize_config_module
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from race_cli import schema
    from sim.params import ParamError

    problem = schema.check_override_keys(list(overrides))
    if problem is not None:
        raise ExperimentError(f"sweep: {problem}")
    schema.register()
    try:
        with initialize_config_module(config_module="configs", version_base="1.3"):
            cfg = compose(config_name="config", overrides=list(overrides))
        return schema.to_params(cfg)[0]
    except (HydraException, OmegaConfBaseException, ParamError) as exc:
        raise ExperimentError(f"sweep: {exc}") from exc


@dataclass(frozen=True)
class _Run:
    """The part of a run's results that calibration reads: the seed and the summary metrics."""

    seed: int
    summary: dict[str, Any]


class _Recorder(Executor):
    """Run the seeds of each objective evaluation through the sweeps runner; keep the summaries.

    :func:`sim.calibration.simulated_moments` maps the model over the seeds once
    per evaluation, so the ``i``-th call of :meth:`map` is evaluation ``i`` of
    the fit's history. Each evaluation is one design of one point (the
    parameters as overrides) run by :func:`sweeps.runner.run_design` into a
    store under ``scratch``. Prints one progress line per evaluation to stderr.

    Attributes:
        summaries: Per evaluation, the summary of every seed's run.
    """

    def __init__(self, executor: Executor, budget: int, scratch: Path) -> None:
        self.executor = executor
        self.budget = budget
        self.scratch = scratch
        self.summaries: list[list[dict[str, Any]]] = []
        self.started = time.perf_counter()

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None,
            chunksize: int = 1) -> Iterator[Any]:
        """Run the evaluation's seeds through the runner and return their summaries.

        Args:
            fn: The model (``sim.run``); the runner runs ``sim.run(sim.from_dict(point), seed)``.
            *iterables: The parameters (the same for every seed) and the seeds.
            timeout: Unused (the runner waits for every run).
            chunksize: Unused (one run per task, so the seeds run in parallel).

        Returns:
            One record per seed with its ``summary``, in seed order.

        Raises:
            ExperimentError: A run failed.
        """
        from sim.params import to_dict
        from sweeps.runner import run_design
        from sweeps.store import SweepStore

        params_list, seeds = (list(values) for values in iterables)
        store = SweepStore(self.scratch / f"evaluation_{len(self.summaries):05d}")
        report = run_design([to_dict(params_list[0])], seeds, self.executor, store,
                            chunk_size=1, progress=False)
        if report.interrupted:
            raise KeyboardInterrupt
        if report.failures:
            first = report.failures[0]
            raise ExperimentError(f"calibration: the run with seed {first.seed} failed: "
                                  f"{first.error}")
        table = store.table("runs").to_pylist()
        by_seed = {row["seed"]: row for row in table}
        results = [_Run(int(seed), {m: by_seed[int(seed)][m] for m in SUMMARY_METRICS})
                   for seed in seeds]
        self.summaries.append([r.summary for r in results])
        print(f"calibration: evaluation {len(self.summaries)} of at most {self.budget + 2}, "
              f"{time.perf_counter() - self.started:.0f} s", file=sys.stderr)
        return iter(results)


def _mean(summaries: Sequence[Mapping[str, Any]], metric: str) -> float:
    """Mean of a summary metric over runs; NaN when undefined in any run."""
    values = [s[metric] for s in summaries]
    if any(v is None or not math.isfinite(v) for v in values):
        return math.nan
    return float(sum(values) / len(values))


def _json_number(value: float) -> float | None:
    """Return a finite float, or ``None`` for NaN and infinities (JSON has neither)."""
    return float(value) if math.isfinite(value) else None


def _round(value: float, digits: int = FITTED_DIGITS) -> float:
    """Round to ``digits`` significant digits."""
    return float(f"{value:.{digits}g}")


def screen_points(cal: Calibration, start: Mapping[str, float]) -> list[dict[str, float]]:
    """Return the points evaluated before Powell: the start, then a Latin hypercube.

    Args:
        cal: The validated calibration.
        start: Start values by dotted key.

    Returns:
        No points without a screen; else the start followed by
        ``cal.screen_points`` points of a Latin hypercube over the bounds
        (``scipy.stats.qmc.LatinHypercube`` seeded with ``cal.screen_seed``).
    """
    from scipy.stats import qmc

    if not cal.screen_points:
        return []
    unit = qmc.LatinHypercube(d=len(cal.free), rng=cal.screen_seed).random(cal.screen_points)
    return [dict(start), *({fp.key: fp.lo + float(u) * (fp.hi - fp.lo)
                            for fp, u in zip(cal.free, row, strict=True)} for row in unit)]


def fit_calibration(cal: Calibration, base: SimParams, workers: int | None) -> dict[str, Any]:
    """Fit a validated calibration and return the ``fit.json`` record (without identity).

    Evaluates the start and the screen points (:func:`screen_points`), then runs
    Powell's method (:func:`sim.calibration.fit`) from the best of them. The
    optimum is the best point evaluated at any stage, screen included; the
    fitted values are the optimum rounded to
    :data:`FITTED_DIGITS` significant digits. When the objective is undefined
    everywhere (a target moment undefined on these seeds, e.g. at a horizon of
    a few months), the start values are kept.

    Args:
        cal: The validated calibration.
        base: Composed parameters (free parameters missing from ``start`` start here).
        workers: Processes running the seeds of an evaluation (default: all cores);
            each evaluation runs through :func:`sweeps.runner.run_design`.

    Returns:
        The record: method, seeds, screen, free parameters (bounds, start,
        Powell's start, optimum, fitted), targets (value, scale, band, source,
        moments at start and fit, standardised errors, pass), objective at start
        and fit, every evaluation (stage, values, objective, moments), wall time.
    """
    import sim
    from sim.calibration import fit, objective_value, simulated_moments, with_values
    from sweeps import executors

    base = with_values(base, cal.start)
    start = {fp.key: min(max(_value(base, fp.key), fp.lo), fp.hi) for fp in cal.free}
    candidates = screen_points(cal, start)
    metrics = [t.metric for t in cal.targets]
    workers = workers or os.cpu_count() or 1
    began = time.perf_counter()
    pool = executors.local(min(workers, len(cal.seeds))) if workers > 1 else ThreadPoolExecutor(1)
    scratch = tempfile.TemporaryDirectory(prefix="race-sim-calibration-")
    recorder = _Recorder(pool, len(candidates) + cal.max_evaluations, Path(scratch.name))
    screened: list[tuple[dict[str, float], float]] = []
    try:
        for values in candidates:
            moments = simulated_moments(with_values(base, values), metrics, cal.seeds, sim.run,
                                        recorder)
            screened.append((values, objective_value(moments, cal.targets)))
        powell_start = min(screened, key=lambda e: e[1])[0] if screened else start
        result = fit(with_values(base, powell_start), cal.free, cal.targets, cal.seeds, sim.run,
                     max_evaluations=cal.max_evaluations, executor=recorder)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        scratch.cleanup()
    history = [("screen", *e) for e in screened] + [("powell", *e) for e in result.history]
    moments = [{m: _mean(runs, m) for m in metrics} for runs in recorder.summaries]
    if len(moments) != len(history):
        raise RuntimeError(f"calibration: {len(moments)} recorded evaluations for "
                           f"{len(history)} in the history")
    best = min(range(len(history)), key=lambda i: history[i][2])
    finite = math.isfinite(history[best][2])
    optimum = dict(history[best][1]) if finite else dict(start)
    fitted = {k: _round(v) for k, v in optimum.items()}
    at_fit = moments[best] if finite else moments[0]
    objective_fit = history[best][2] if finite else history[0][2]
    targets = {}
    for t in cal.targets:
        lo, hi = cal.bands[t.metric]
        m0, m1 = moments[0][t.metric], at_fit[t.metric]
        targets[t.metric] = {
            "value": t.value, "scale": t.scale, "band": [lo, hi], "source": t.source,
            "start": _json_number(m0), "fit": _json_number(m1),
            "z_start": _json_number((m0 - t.value) / t.scale),
            "z_fit": _json_number((m1 - t.value) / t.scale),
            "pass": bool(math.isfinite(m1) and lo <= m1 <= hi),
        }
    return {
        "method": METHOD,
        "seeds": cal.seeds,
        "screen": {"points": cal.screen_points, "seed": cal.screen_seed},
        "max_evaluations": cal.max_evaluations,
        "evaluations": len(history),
        "objective": {"start": _json_number(history[0][2]),
                      "fit": _json_number(objective_fit)},
        "free": {fp.key: {"lo": fp.lo, "hi": fp.hi, "start": start[fp.key],
                          "powell_start": powell_start[fp.key], "optimum": optimum[fp.key],
                          "fitted": fitted[fp.key]}
                 for fp in cal.free},
        "targets": targets,
        "history": [{"stage": stage, "values": values, "objective": _json_number(obj),
                     "moments": {m: _json_number(v) for m, v in moms.items()}}
                    for (stage, values, obj), moms in zip(history, moments, strict=True)],
        "seconds": time.perf_counter() - began,
    }


def _value(params: SimParams, key: str) -> float:
    """Return a parameter value by dotted key."""
    node: Any = params
    for part in key.split("."):
        node = getattr(node, part)
    return float(node)


def _count(n: int, noun: str) -> str:
    """Return ``"1 evaluation"``, ``"2 evaluations"``, ..."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def fit_section(record: Mapping[str, Any]) -> Section:
    """Describe a fit (``fit.json`` record) as a findings section.

    Args:
        record: The record written by :func:`run_calibration`.

    Returns:
        A section with the free parameters (bounds, start, fitted) and the
        targets (target, band, moments at start and at the fit, standardised
        error, pass) as markdown tables.
    """
    from analysis.findings import Section, fmt

    seeds = record["seeds"]
    obj = record["objective"]
    screen = record["screen"]["points"]
    how = (f"the start and {screen} Latin-hypercube points (seed {record['screen']['seed']}), "
           "then Powell's method from the best of them" if screen else
           "Powell's method from the start")
    lines = [
        f"Simulated method of moments: {len(record['free'])} free parameters fitted to "
        f"{len(record['targets'])} targets; {how} (bounds, budget "
        f"{_count(record['max_evaluations'], 'evaluation')}). Each evaluation is the mean over "
        f"seeds {', '.join(map(str, seeds))} (common random numbers); "
        f"{_count(record['evaluations'], 'evaluation')} in {record['seconds']:.0f} s. "
        "Objective sum(((m - target) / scale)^2): "
        f"{fmt(obj['start'])} at the start, {fmt(obj['fit'])} at the fit; z = (m - target) / "
        "scale, and a moment is in band when it lies in the issue's pass band.",
        "",
        "| parameter | bounds | start | Powell start | fitted |",
        "|---|---|---|---|---|",
    ]
    for key, p in record["free"].items():
        lines.append(f"| `{key}` | [{fmt(p['lo'])}, {fmt(p['hi'])}] | {fmt(p['start'], 4)} "
                     f"| {fmt(p['powell_start'], 4)} | {fmt(p['fitted'], 4)} |")
    lines += ["", "| target metric | target (scale) | band | at start | at fit | z at fit "
              "| in band | source |", "|---|---|---|---|---|---|---|---|"]
    for metric, t in record["targets"].items():
        lines.append(
            f"| {metric} | {fmt(t['value'])} ({fmt(t['scale'])}) | {fmt(t['band'][0])}-"
            f"{fmt(t['band'][1])} | {fmt(t['start'])} | {fmt(t['fit'])} | {fmt(t['z_fit'], 2)} "
            f"| {'pass' if t['pass'] else 'FAIL'} | {t['source']} |")
    if obj["fit"] is None:
        lines += ["", "The objective is undefined (a target moment is undefined on these "
                  "seeds, e.g. at a very short horizon): the start values are kept."]
    data = {k: record[k] for k in ("seeds", "screen", "evaluations", "objective", "free",
                                   "targets")}
    return Section("Calibration fit", "\n".join(lines) + "\n", data)


def run_calibration(spec: Mapping[str, Any], out: Path,
                    workers: int | None) -> tuple[Section, dict[str, float]]:
    """Fit the calibration of an experiment, or reuse its earlier fit.

    Validates the ``calibration`` section and composes the model parameters
    before anything is simulated; fits; writes ``out/fit.json`` atomically.
    An existing ``fit.json`` for the same section, the same overrides and the
    same starting parameters (every model parameter, start values applied) is
    reused without refitting.

    Args:
        spec: The resolved experiment spec (kind ``calibration``).
        out: Output folder.
        workers: Processes running the seeds of an evaluation (default: all cores).

    Returns:
        The findings section of the fit and the fitted values by dotted key
        (rounded to :data:`FITTED_DIGITS` significant digits), to apply as
        overrides to the sweep.

    Raises:
        ExperimentError: Invalid calibration section or sweep parameters.
    """
    from race_cli.outputs import atomic_write_json
    from sim.calibration import with_values
    from sim.params import to_dict

    cal = parse_calibration(spec.get("calibration"))
    overrides = model_overrides(spec, out)
    base = compose_params(overrides)
    identity = {"calibration": json.loads(json.dumps(spec["calibration"])),
                "overrides": overrides,
                "params": json.loads(json.dumps(to_dict(with_values(base, cal.start))))}
    path = out / FIT_FILE
    record = None
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        if {k: old.get(k) for k in identity} == identity:
            record = old
            print(f"calibration: reusing {path}", file=sys.stderr)
    if record is None:
        record = {**identity, **fit_calibration(cal, base, workers)}
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, record)
    fitted = {key: float(p["fitted"]) for key, p in record["free"].items()}
    return fit_section(record), fitted
