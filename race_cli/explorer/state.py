"""Settings, validation, model runs and exports of the explorer, without a browser.

A *setting* is a mapping from dotted parameter key to value (the explorer's
levers, :data:`LEVERS`, plus any extra ``key=value`` overrides the user
types). Every setting becomes :class:`sim.params.SimParams` through
:func:`sim.from_dict`, exactly like the ``race-sim`` command line, so a bad
value fails with the same one-line :class:`sim.ParamError` message.

The current settings are compared with a baseline (the explorer's defaults or
settings the user pinned) over the same seeds (common random numbers) and the
same horizon. :class:`Runner` caches every run by (parameters, seed), so the
baseline is simulated once, and runs missing runs in a pool of worker
processes when there are several.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

import sim
from sim.params import ParamError, SimParams, iter_fields

#: Dotted parameter key -> (default, metadata) of every leaf parameter of :mod:`sim.params`.
PARAM_META: dict[str, tuple[Any, dict[str, Any]]] = {
    key: (default, meta) for key, default, meta in iter_fields()}

#: Largest number of replicates (seeds) the explorer runs per setting.
MAX_REPLICATES = 10

#: Horizon of the explorer's default scenario, in months: 5 years keep an update
#: under a second on 2 cores (the model's own default is 120 months).
DEFAULT_HORIZON_MONTHS = 60

#: Default root seed: the model's.
DEFAULT_SEED: int = PARAM_META["seed"][0]

#: Name of the exported experiment (and of its file, ``<name>.yaml``).
EXPORT_NAME = "explorer_settings"


@dataclass(frozen=True)
class Lever:
    """A model parameter shown as a slider or a switch.

    The value range is the parameter's declared range in :mod:`sim.params`.
    ``view_lo``/``view_hi`` narrow what the slider shows where the declared
    range is open-ended or far wider than the interesting region (e.g. up to
    1,000 labs); they never widen it, and typed overrides may still use any
    declared value.

    Attributes:
        key: Dotted parameter key, e.g. ``"downstream.partner_share"``.
        label: Name shown next to the control.
        help: One sentence on what the lever does, with its unit.
        step: Slider step in the parameter's unit (unused for switches).
        view_lo: Smallest value the slider shows, or ``None`` for the declared minimum.
        view_hi: Largest value the slider shows, or ``None`` for the declared maximum.
        default: The explorer's default, or ``None`` for the model's default.
    """

    key: str
    label: str
    help: str
    step: float = 1.0
    view_lo: float | None = None
    view_hi: float | None = None
    default: Any = None

    @property
    def meta(self) -> dict[str, Any]:
        """Metadata declared in :mod:`sim.params` (unit, lo, hi, choices, source)."""
        return PARAM_META[self.key][1]

    @property
    def model_default(self) -> Any:
        """Default of the parameter in :mod:`sim.params`."""
        return PARAM_META[self.key][0]

    @property
    def initial(self) -> Any:
        """Value the explorer starts with: :attr:`default` or the model's default."""
        return self.model_default if self.default is None else self.default

    @property
    def kind(self) -> str:
        """``"bool"``, ``"int"`` or ``"float"``: the parameter's type."""
        value = self.model_default
        if isinstance(value, bool):
            return "bool"
        return "int" if isinstance(value, int) else "float"

    @property
    def unit(self) -> str:
        """Unit of the parameter (``""`` for dimensionless values and switches)."""
        unit = str(self.meta.get("unit") or "")
        return "" if unit == "1" else unit

    def bounds(self) -> tuple[float, float]:
        """Return the slider's ``(min, max)``: the declared range, narrowed by the view.

        Raises:
            ValueError: The lever is a switch, or the declared range has no
                maximum and the lever gives no ``view_hi``.
        """
        if self.kind == "bool":
            raise ValueError(f"{self.key}: a switch has no range")
        lo, hi = self.meta.get("lo"), self.meta.get("hi")
        if lo is not None and self.meta.get("lo_open"):
            lo = lo + self.step
        if self.view_lo is not None:
            lo = self.view_lo if lo is None else max(lo, self.view_lo)
        if self.view_hi is not None:
            hi = self.view_hi if hi is None else min(hi, self.view_hi)
        if lo is None or hi is None:
            raise ValueError(f"{self.key}: declared range [{lo}, {hi}] needs a view bound")
        return lo, hi


def display_unit(lever: Lever) -> str:
    """Return a lever's unit for people (``"share of lab valuation"`` for ``"1 (of ...)"``).

    Args:
        lever: The lever.

    Returns:
        The unit, ``""`` for dimensionless shares and switches.
    """
    unit = lever.unit
    if unit.startswith("1 (of ") and unit.endswith(")"):
        return "share of " + unit[len("1 (of "):-1]
    return unit


#: The explorer's levers, in the order of the controls.
LEVERS: tuple[Lever, ...] = (
    Lever("downstream.partner_share", "Downstream partner share",
          "Share of startups that partner with a lab or hyperscaler (early model access, "
          "cross-selling, cloud lock-in) instead of staying independent.", step=0.05),
    Lever("downstream.early_access_lead_months", "Early-access lead",
          "Months of frontier progress a partnered startup gets before independents.",
          step=1.0, view_hi=36.0),
    Lever("downstream.cross_selling_share", "Cross-selling",
          "Extra revenue a partnered startup makes through its partner's customers, as a "
          "share of its own revenue.", step=0.05, view_hi=1.0),
    Lever("partnership.deal_size_valuation_share", "Upstream deal size",
          "Cash and compute credits of a hyperscaler-lab deal, as a share of the lab's "
          "valuation.", step=0.05, view_hi=2.0),
    Lever("partnership.exclusivity", "Exclusive cloud clause",
          "Partnered labs must buy their compute from the investing hyperscaler."),
    Lever("governance.buyback_share", "Employee buybacks",
          "Share of vested staff equity labs buy back at each tender offer.", step=0.05),
    Lever("governance.public_compute_h100e_per_academic", "Public compute",
          "Compute the government gives each academic researcher (NAIRR-like).",
          step=0.1, view_hi=5.0),
    Lever("governance.safety_floor", "Safety floor",
          "Least share of effort a lab must spend on safety (labs above "
          "governance.safety_floor_compute_h100e, default 0 H100e: every lab).", step=0.05),
    Lever("governance.antitrust", "Antitrust review",
          "Merger-style review: upstream deals that raise compute concentration (HHI) "
          "beyond the guideline thresholds are blocked."),
    Lever("governance.noncompete_penalty", "Non-compete penalty",
          "Utility a researcher loses by changing employer (the switching cost is 1).",
          step=0.1, view_hi=5.0),
    Lever("scenario.n_labs", "Number of labs",
          "Frontier labs at the start, in-house labs of hyperscalers included (2 of them).",
          step=1, view_hi=16),
    Lever("steps", "Horizon",
          "Months simulated from January 2015; the baseline uses the same horizon.",
          step=12, view_lo=12, view_hi=240, default=DEFAULT_HORIZON_MONTHS),
)

#: Lever key -> lever.
LEVER_BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}

#: Keys the baseline takes from the current settings (same time axis).
SHARED_KEYS: tuple[str, ...] = ("steps",)

#: Summary metrics of the headline table, in order.
HEADLINE_METRICS: tuple[str, ...] = (
    "frontier_capability",
    "capability_growth_oom_per_year",
    "safety_share_mean",
    "compute_hhi",
    "leader_gap_oom",
    "moves_academia_to_industry",
    "moves_startup_to_lab",
    "lab_revenue_usd_per_year",
)


def default_settings() -> dict[str, Any]:
    """Return the explorer's default settings: lever key -> initial value."""
    return {lever.key: lever.initial for lever in LEVERS}


def initial_settings(horizon: int | None = None,
                     overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings the explorer starts with (and its default baseline).

    Args:
        horizon: Horizon in months, or ``None`` for :data:`DEFAULT_HORIZON_MONTHS`.
        overrides: Other parameters, dotted key -> value (``race-explore key=value``),
            e.g. a smaller population; they apply to current and baseline settings.

    Returns:
        Dotted key -> value: every lever, then the overrides.

    Raises:
        ParamError: The horizon or an override is invalid.
    """
    settings = {**default_settings(), **(overrides or {})}
    if horizon is not None:
        settings["steps"] = horizon
    to_params(settings)
    return settings


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Turn dotted keys into the nested mapping :func:`sim.from_dict` takes.

    Args:
        flat: Dotted key -> value, e.g. ``{"talent.candidates": 12}``.

    Returns:
        For example ``{"talent": {"candidates": 12}}``.

    Raises:
        ParamError: A key is both a value and a section (``a=1`` and ``a.b=2``).
    """
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        node = nested
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ParamError(f"{key}={value!r}: {part} is a value, not a section")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ParamError(f"{key}={value!r}: {key} is a section, not a value")
        node[parts[-1]] = value
    return nested


def to_params(settings: Mapping[str, Any]) -> SimParams:
    """Validate settings exactly like the command line does.

    Args:
        settings: Dotted key -> value.

    Returns:
        The validated parameters.

    Raises:
        ParamError: One line naming the key, the value and what is allowed.
    """
    return sim.from_dict(nest(settings))


def parse_overrides(text: str) -> dict[str, Any]:
    """Parse ``key=value`` overrides separated by spaces, as typed on a command line.

    Values are read as YAML scalars, like Hydra's command line reads them
    (``0.5`` a number, ``true`` a boolean, ``share`` a string).

    Args:
        text: For example ``"talent.candidates=12 governance.antitrust=true"``.

    Returns:
        Dotted key -> value.

    Raises:
        ParamError: An item is not ``key=value``, a key is not a dotted name, or
            a value is not a single scalar.
    """
    parsed: dict[str, Any] = {}
    for item in text.split():
        key, sep, raw = item.partition("=")
        if not sep or not key or not all(part.isidentifier() for part in key.split(".")):
            raise ParamError(f"{item!r}: expected key=value with a dotted parameter key, "
                             "e.g. talent.candidates=12")
        try:
            value = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            value = raw
        if isinstance(value, dict | list) or value is None:
            raise ParamError(f"{key}={raw!r}: expected a number, true/false or a name")
        parsed[key] = value
    return parsed


def format_value(value: Any) -> str:
    """Format a parameter value as the command line writes it (``true``, ``0.5``, ``8``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(float(value))
    return str(value)


def changed(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the settings whose value differs from the model's default, in order."""
    out = {}
    for key, value in settings.items():
        default = PARAM_META[key][0] if key in PARAM_META else None
        if key not in PARAM_META or value != default or type(value) is not type(default):
            out[key] = value
    return out


def override_line(settings: Mapping[str, Any], replicates: int = 1,
                  seed: int = DEFAULT_SEED) -> str:
    """Return the ``race-sim`` command that runs the settings.

    Args:
        settings: Dotted key -> value (the model's defaults are left out).
        replicates: Seeds per setting.
        seed: Root seed.

    Returns:
        For example ``"race-sim downstream.partner_share=0.5 steps=60 seed=20151"``.
    """
    items = [f"{k}={format_value(v)}" for k, v in changed(settings).items() if k != "seed"]
    items.append(f"seed={seed}")
    if replicates > 1:
        items.append(f"replicates={replicates}")
    return "race-sim " + " ".join(items)


def _point(values: Mapping[str, Any]) -> str:
    """Return a design point as ``race-experiment`` names one: ``k=v,k=v``."""
    return ",".join(f"{k}={format_value(v)}" for k, v in values.items())


def experiment_spec(current: Mapping[str, Any], baseline: Mapping[str, Any],
                    replicates: int = 1, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Return an experiment (``experiments/*/experiment.yaml`` format) for the settings.

    The keys where current and baseline differ are swept on a grid of their two
    values (2^k points, the baseline and the current settings among them);
    keys that agree and differ from the model's defaults become overrides. The
    contrast ``explorer settings`` compares the current settings with the
    baseline on the headline metrics.

    Args:
        current: The current settings.
        baseline: The baseline settings (shared keys such as the horizon are
            taken from ``current``).
        replicates: Seeds per point.
        seed: Root seed.

    Returns:
        The spec as plain containers.
    """
    base = {**baseline, **{k: current[k] for k in SHARED_KEYS if k in current}}
    keys = list(dict.fromkeys([*current, *base]))
    value_of = {k: current.get(k, PARAM_META[k][0] if k in PARAM_META else None) for k in keys}
    base_of = {k: base.get(k, PARAM_META[k][0] if k in PARAM_META else None) for k in keys}
    differ = [k for k in keys if value_of[k] != base_of[k]]
    common = changed({k: value_of[k] for k in keys if k not in differ and k != "seed"})
    analysis: dict[str, Any] = {"metrics": list(HEADLINE_METRICS)}
    if differ:
        params = {k: [base_of[k], value_of[k]] for k in differ}
        analysis["baseline"] = _point({k: base_of[k] for k in differ})
        analysis["contrasts"] = {"explorer settings": _point({k: value_of[k] for k in differ})}
        changes = ", ".join(f"{k}={format_value(value_of[k])}" for k in differ)
        question = (f"What changes when {changes}, compared with the baseline "
                    f"({_point({k: base_of[k] for k in differ})})?")
    else:
        first = next(iter(common), "steps")
        params = {first: [value_of.get(first, PARAM_META[first][0])]}
        common.pop(first, None)
        question = "What does the race look like under these settings?"
    sweep = {"design": {"kind": "grid"}, "params": params, "replicates": int(replicates),
             "seed": int(seed), "launcher": "parallel",
             "overrides": [f"{k}={format_value(v)}" for k, v in common.items()]}
    return {"name": EXPORT_NAME, "title": "Settings exported from the explorer",
            "question": question, "kind": "sweep", "sweep": sweep, "analysis": analysis}


def experiment_yaml(current: Mapping[str, Any], baseline: Mapping[str, Any],
                    replicates: int = 1, seed: int = DEFAULT_SEED) -> str:
    """Return :func:`experiment_spec` as the text of an ``experiment.yaml`` file."""
    spec = experiment_spec(current, baseline, replicates, seed)
    head = ("# Exported by race-explore. Run: race-experiment explorer_settings.yaml\n"
            "# (race-experiment explorer_settings.yaml --dry-run shows the design first)\n")
    return head + yaml.safe_dump(spec, sort_keys=False, width=88)


def write_atomic(path: os.PathLike[str] | str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (no half files)."""
    tmp = f"{os.fspath(path)}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _simulate(params: SimParams, seed: int) -> sim.Results:
    """Run one simulation (module level so a worker process can pickle it)."""
    return sim.run(params, seed)


def _warm_up() -> int:
    """Import the model in a worker process; return its process id."""
    import sim.model  # noqa: F401

    return os.getpid()


class Runner:
    """Runs settings over seeds, with a cache of results and optional worker processes.

    Attributes:
        workers: Worker processes for several missing runs (1: run in this process).
    """

    def __init__(self, workers: int | None = None, cache_size: int = 256) -> None:
        """Create a runner.

        Args:
            workers: Worker processes (default: the CPUs available, at most 2).
            cache_size: Runs kept in memory (least recently used dropped first).
        """
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        self.workers = max(1, min(2, cpus) if workers is None else workers)
        self._cache: OrderedDict[tuple[SimParams, int], sim.Results] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()
        self._pool: Executor | None = None

    def start(self) -> None:
        """Start the worker processes and import the model in them (no-op for 1 worker)."""
        if self.workers > 1 and self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
            for future in [self._pool.submit(_warm_up) for _ in range(self.workers)]:
                future.result()

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def cached(self, params: SimParams, seed: int) -> bool:
        """Return whether the run of ``params`` with ``seed`` is in the cache."""
        with self._lock:
            return (params, seed) in self._cache

    def run(self, jobs: Sequence[tuple[SimParams, int]]) -> list[sim.Results]:
        """Return the results of ``(params, seed)`` jobs, simulating only the missing ones.

        Args:
            jobs: Parameters and seed of each run.

        Returns:
            Results in the order of ``jobs``.
        """
        with self._lock:
            missing = list(dict.fromkeys(j for j in jobs if j not in self._cache))
        if len(missing) > 1 and self.workers > 1:
            self.start()
            assert self._pool is not None
            done = list(self._pool.map(_simulate, *zip(*missing, strict=True)))
        else:
            done = [_simulate(params, seed) for params, seed in missing]
        with self._lock:
            for job, result in zip(missing, done, strict=True):
                self._cache[job] = result
            out = []
            for job in jobs:
                result = self._cache.get(job)
                if result is None:
                    result = done[missing.index(job)]
                else:
                    self._cache.move_to_end(job)
                out.append(result)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return out


@dataclass(frozen=True)
class Comparison:
    """Runs of the current settings and of the baseline over the same seeds.

    Attributes:
        current: Results of the current settings, one per seed.
        baseline: Results of the baseline, one per seed (same seeds, same order).
        seeds: The seeds.
        seconds: Wall time to obtain the results (cached runs cost nothing), in seconds.
        simulated: Number of runs simulated for this comparison (the rest came from
            the cache).
    """

    current: list[sim.Results]
    baseline: list[sim.Results]
    seeds: list[int]
    seconds: float
    simulated: int


def baseline_for(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict[str, Any]:
    """Return the baseline settings with the shared keys (horizon) of the current ones."""
    return {**baseline, **{k: current[k] for k in SHARED_KEYS if k in current}}


def compare(runner: Runner, current: Mapping[str, Any], baseline: Mapping[str, Any],
            replicates: int = 1, seed: int = DEFAULT_SEED) -> Comparison:
    """Validate and run the current settings and the baseline with the same seeds.

    Args:
        runner: Runs and caches simulations.
        current: Current settings (dotted key -> value).
        baseline: Baseline settings; its horizon is the current one.
        replicates: Seeds per setting, 1 to :data:`MAX_REPLICATES`.
        seed: Root seed; the seeds are ``sim.replicate_seeds(seed, replicates)``.

    Returns:
        The comparison.

    Raises:
        ParamError: An invalid setting, replicate count or seed (one line).
    """
    if isinstance(replicates, bool) or not isinstance(replicates, int) or not (
            1 <= replicates <= MAX_REPLICATES):
        raise ParamError(f"replicates={replicates!r}: must be an integer in "
                         f"[1, {MAX_REPLICATES}]")
    params = to_params({**current, "seed": seed})
    base = to_params({**baseline_for(current, baseline), "seed": seed})
    seeds = sim.replicate_seeds(seed, replicates)
    jobs = [(params, s) for s in seeds] + [(base, s) for s in seeds]
    simulated = len({j for j in jobs if not runner.cached(*j)})
    start = time.perf_counter()
    results = runner.run(jobs)
    seconds = time.perf_counter() - start
    return Comparison(results[:replicates], results[replicates:], seeds, seconds, simulated)


@dataclass(frozen=True)
class HeadlineRow:
    """One headline number: the current settings against the baseline.

    Attributes:
        metric: Summary metric name (:data:`sim.SUMMARY_METRICS`).
        label: Name for people.
        unit: Unit of the values.
        current: Median over seeds of the current settings (NaN if undefined).
        baseline: Median over seeds of the baseline (NaN if undefined).
        difference: Median over seeds of the paired difference current - baseline.
        higher: Seeds in which the current value is above the baseline's.
        lower: Seeds in which it is below.
        seeds: Seeds in which both are defined.
    """

    metric: str
    label: str
    unit: str
    current: float
    baseline: float
    difference: float
    higher: int
    lower: int
    seeds: int


def _values(runs: Iterable[sim.Results], metric: str) -> np.ndarray:
    """Return a summary metric over runs as floats (NaN where undefined)."""
    return np.array([math.nan if r.summary.get(metric) is None else float(r.summary[metric])
                     for r in runs])


def _median(values: np.ndarray) -> float:
    """Return the median of the finite values (NaN when there are none)."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else math.nan


def headline(comparison: Comparison,
             metrics: Sequence[str] = HEADLINE_METRICS) -> list[HeadlineRow]:
    """Return the headline numbers of a comparison: medians and the paired difference.

    Args:
        comparison: Runs of current and baseline settings over the same seeds.
        metrics: Summary metrics to report.

    Returns:
        One row per metric.
    """
    from analysis.metrics_info import metric_info

    rows = []
    for metric in metrics:
        cur = _values(comparison.current, metric)
        base = _values(comparison.baseline, metric)
        diff = cur - base
        both = np.isfinite(diff)
        info = metric_info(metric)
        rows.append(HeadlineRow(metric, info.label, info.unit, _median(cur), _median(base),
                                _median(diff), int(np.sum(diff[both] > 0)),
                                int(np.sum(diff[both] < 0)), int(both.sum())))
    return rows
