"""Load a sweep directory into validated, tidy pandas tables.

The directory layout is fixed by ``docs/contracts.md`` and owned by
:mod:`sweeps.store`; every sweep is read from its Parquet store, whose
columns arrive typed, so only what can still be wrong is checked.

A sweep run by the runner (``race-sim-sweep``, ``race-experiment``,
:func:`sweeps.runner.run_design`) is read from its aggregate
(``runs.parquet``, ``timeseries.parquet``, ``flows.parquet``), or from the
parts when the aggregate is missing or older than them. Checked: a part
missing or unreadable, runs that do not match the manifest (points, seeds,
replicates), and pairs without results, which are either listed in
``failures.json`` (reported with their errors) or missing (an interrupted sweep).

A Hydra multirun (``race-sim -m``, ``race-sim-sweep --executor hydra``) is
read from the same aggregate, ingested from its job folders by
:func:`analysis.aggregate.aggregate` (which checks their CSV files); its
manifest names each job's swept values, its design is ``sweep.yaml``'s.
A folder aggregated by an older version (``runs.csv`` without Parquet) is
refused with a one-line error saying to rerun ``race-analyze`` on a folder
that has its job folders (which rebuilds the aggregate).

Both kinds then pass the same checks that the tables form one sweep: one
value per swept parameter and point, the same seed list at every point
(common random numbers), time series and flows covering the same runs. Every
check raises :class:`~analysis.errors.SweepError` with a message of one line
that names the file and says what is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import SweepError
from sim.results import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS
from sweeps.store import (
    AGGREGATE_FILES,
    FAILURES_JSON,
    JOBS_SOURCE,
    MANIFEST_JSON,
    PARTS_DIR,
    PROVENANCE_JSON,
    ROOT_SEED_COLUMN,
    RUNS_CSV,
    SWEEP_YAML,
    Failure,
    StoreError,
    SweepStore,
)

RUNS_FILE = AGGREGATE_FILES["runs"]
SWEEP_FILE = SWEEP_YAML
PROVENANCE_FILE = PROVENANCE_JSON
#: Key columns of the time series (its sort key).
TIMESERIES_KEYS = ("job", "seed", "step")
#: Columns of the flows table (the first five are its sort key).
FLOWS_COLUMNS = ("job", "seed", "year", "from_kind", "to_kind", "moves")

#: Column of a swept root seed in the runs table (``sweep.yaml`` lists it as ``seed``).
ROOT_SEED = ROOT_SEED_COLUMN


@dataclass
class Sweep:
    """A loaded sweep: its definition, provenance and tidy result tables.

    ``runs`` is read and validated at load time; ``timeseries`` and ``flows``
    (larger tables) are read and validated on first access.

    Attributes:
        path: The sweep directory.
        definition: Contents of ``sweep.yaml`` as plain Python objects (for a
            store without one, ``name``, ``params`` and ``replicates`` from
            its manifest).
        provenance: Contents of ``provenance.json`` (a store without one: the
            versions in its manifest).
        params: Swept parameters (dotted keys or config groups) in manifest order.
        runs: One row per (job, seed): ``job``, the swept parameters,
            ``replicate``, ``seed`` and every summary metric (NaN = null),
            sorted by job and replicate.
        missing_jobs: Design points that have no runs (failed or not yet run).
        job_map: Job id in the files -> job id in the tables. The identity,
            except for sweeps over the root seed (``root_seed`` column): jobs
            that differ only in their root seed are one parameter point, named
            by its smallest job id, with the seeds of all of them.
        failures: Runs listed in ``failures.json`` without results (the
            points of :attr:`missing_jobs` whose every run failed).
        store: The Parquet store the tables come from (by default, that of
            :attr:`path`).
        from_parts: Read the store's parts rather than its aggregate (which
            is missing or older than the parts).
    """

    path: Path
    definition: dict[str, Any]
    provenance: dict[str, Any]
    params: list[str]
    runs: pd.DataFrame
    missing_jobs: list[int] = field(default_factory=list)
    job_map: dict[int, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    store: SweepStore | None = field(default=None, repr=False, compare=False)
    from_parts: bool = False

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = SweepStore(self.path)

    @property
    def name(self) -> str:
        """Name of the sweep (``sweep.yaml`` key ``name``, else the folder name)."""
        return str(self.definition.get("name") or self.path.name)

    @property
    def design_kind(self) -> str:
        """Kind of design (``grid``, ``lhs`` or ``sobol``; ``grid`` when not stated)."""
        design = self.definition.get("design")
        if isinstance(design, dict) and design.get("kind"):
            return str(design["kind"])
        return "grid"

    @property
    def runs_path(self) -> Path:
        """Where :attr:`runs` was read: ``runs.parquet`` or ``parts/``."""
        return self.path / (PARTS_DIR if self.from_parts else RUNS_FILE)

    @property
    def jobs(self) -> list[int]:
        """Job ids (one per parameter point), ascending."""
        return sorted(int(j) for j in self.runs["job"].unique())

    @property
    def seeds(self) -> list[int]:
        """The seed list shared by every job, in replicate order."""
        first = self.runs[self.runs["job"] == self.jobs[0]]
        return [int(s) for s in first.sort_values("replicate")["seed"]]

    @property
    def metrics(self) -> list[str]:
        """Summary metrics present in ``runs`` (all of :data:`sim.SUMMARY_METRICS`)."""
        return [c for c in self.runs.columns if c in SUMMARY_METRICS]

    @cached_property
    def points(self) -> pd.DataFrame:
        """One row per job: ``job``, the swept parameters and ``n_seeds``."""
        grouped = self.runs.groupby("job", sort=True)
        table = grouped[self.params].first().reset_index()
        table["n_seeds"] = grouped.size().to_numpy()
        return table

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """Long table ``job, seed, step`` + every time-series metric, validated."""
        path, table = self._table("timeseries")
        _remap_jobs(table, self.job_map, path)
        table = table.sort_values(list(TIMESERIES_KEYS), ignore_index=True)
        _check_horizons(path, table)
        _check_same_runs(path, _run_keys(table[table["step"] == 0]), self.runs)
        return table

    @cached_property
    def flows(self) -> pd.DataFrame:
        """Researcher moves ``job, seed, year, from_kind, to_kind, moves``, validated."""
        path, table = self._table("flows")
        _remap_jobs(table, self.job_map, path)
        for column in ("from_kind", "to_kind"):
            unknown = sorted(set(map(str, table[column].unique())) - set(FLOW_KINDS))
            if unknown:
                raise SweepError(
                    f"{path}: unknown organisation kind(s) {unknown} in {column}; "
                    f"known: {', '.join(FLOW_KINDS)}"
                )
        extra = _run_keys(table[["job", "seed"]].drop_duplicates()) - _run_keys(self.runs)
        if extra:
            job, seed = sorted(extra)[0]
            raise SweepError(f"{path}: job {job}, seed {seed} is not among the sweep's runs "
                             "(mixed sweeps or stale file)")
        return table.sort_values(list(FLOWS_COLUMNS[:5]), ignore_index=True)

    def _table(self, kind: str) -> tuple[Path, pd.DataFrame]:
        """Read the ``timeseries`` or ``flows`` table from the store; return its source too.

        The store's ``point`` column is renamed ``job``.
        """
        path = self.path / (PARTS_DIR if self.from_parts else AGGREGATE_FILES[kind])
        try:
            table = self.store.table(kind, from_parts=self.from_parts).to_pandas()
        except StoreError as exc:
            raise SweepError(str(exc)) from None
        return path, table.rename(columns={"point": "job"})

    def metric_values(self, metric: str, job: int) -> np.ndarray:
        """Return one summary metric at one job, in seed order (NaN = null).

        Args:
            metric: Summary metric name.
            job: Job id.

        Returns:
            Array of shape ``(n_seeds,)``.
        """
        check_metrics([metric], "summary")
        rows = self.runs[self.runs["job"] == job]
        if rows.empty:
            raise SweepError(f"job {job} is not in {self.runs_path}; jobs: {self.jobs}")
        return rows.sort_values("replicate")[metric].to_numpy(dtype=float)


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep directory.

    Args:
        path: The sweep directory (see ``docs/contracts.md``): a Parquet store
            written by the runner or ingested from a Hydra multirun's job folders.

    Returns:
        The loaded :class:`Sweep`; time series and flows load on first access.

    Raises:
        SweepError: A file is missing, unreadable or malformed (a folder
            aggregated by an older version included), runs do not match the
            manifest, a point lacks some of its runs (failed or not run), the
            sweep mixes parameter sets or seed lists, or a column names an
            unknown metric.
    """
    root = Path(path)
    if not root.is_dir():
        raise SweepError(f"{root}: not a directory (expected a sweep directory)")
    if not (root / MANIFEST_JSON).is_file():
        if (root / RUNS_CSV).is_file():
            raise SweepError(
                f"{root}: aggregated by an older version of race-sim ({RUNS_CSV} without "
                f"{RUNS_FILE}); rerun race-analyze on a folder that has its job folders to "
                "rebuild the aggregate")
        raise SweepError(
            f"{root / MANIFEST_JSON}: missing; build the aggregate from the job folders with "
            "analysis.aggregate.aggregate(sweep_dir) (race-analyze does this)")
    try:
        source = (SweepStore(root).manifest() or {}).get("source")
    except StoreError as exc:
        raise SweepError(str(exc)) from None
    return _load_jobs(root) if source == JOBS_SOURCE else _load_store(root)


def check_metrics(metrics: Iterable[str], kind: str = "any") -> list[str]:
    """Check metric names and return them as a list.

    Args:
        metrics: Requested metric names.
        kind: ``"summary"``, ``"timeseries"`` or ``"any"`` (either).

    Returns:
        The names, in the given order.

    Raises:
        SweepError: A name is not a known metric of that kind.
    """
    known = {
        "summary": SUMMARY_METRICS,
        "timeseries": TIMESERIES_METRICS,
        "any": tuple(dict.fromkeys(SUMMARY_METRICS + TIMESERIES_METRICS)),
    }[kind]
    names = list(metrics)
    unknown = [m for m in names if m not in known]
    if unknown:
        raise SweepError(
            f"unknown {'' if kind == 'any' else kind + ' '}metric(s) {', '.join(unknown)}; "
            f"known: {', '.join(known)}"
        )
    return names


#: Last components that say nothing without their section ("enabled off" of what?).
GENERIC_NAMES = frozenset({"enabled", "mode"})


def short_names(params: Sequence[str]) -> dict[str, str]:
    """Map dotted parameter keys to their last component where that is unambiguous.

    Args:
        params: Dotted keys, e.g. ``["downstream.partner_share"]``.

    Returns:
        Key -> short name (``"partner_share"``); a generic last component
        (:data:`GENERIC_NAMES`) keeps its section (``"partnership_enabled"``),
        and two keys that share a short name keep their full key.
    """
    last = []
    for p in params:
        parts = p.rsplit(".", 2)
        name = parts[-1]
        last.append(f"{parts[-2]}_{name}" if name in GENERIC_NAMES and len(parts) > 1 else name)
    return {p: (s if last.count(s) == 1 else p) for p, s in zip(params, last, strict=True)}


def format_value(value: Any) -> str:
    """Format a parameter value compactly (floats with 4 significant digits)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


def point_labels(sweep: Sweep) -> dict[int, str]:
    """Return a ``key=value`` label per job (for error messages and findings tables).

    Args:
        sweep: The loaded sweep.

    Returns:
        Job id -> label naming all swept values (also in sampled designs and
        with many parameters), such as ``"partner_share=0.5, exclusivity=false"``;
        ``"all runs"`` when only the root seed was swept. Figures use
        :func:`display_labels`.
    """
    return _labels(sweep, lambda p, name, value: f"{name}={format_value(value)}")


def display_labels(sweep: Sweep) -> dict[int, str]:
    """Return a label per job for people: short parameter names, values and units.

    Every point is named by the values of all swept parameters, also in
    sampled designs and with many parameters (never ``"job N"``).

    Args:
        sweep: The loaded sweep.

    Returns:
        Job id -> label such as ``"partner share 0.6, lead 6 mo, exclusivity on"``;
        ``"all runs"`` when only the root seed was swept.
    """
    from analysis.metrics_info import format_param_value, param_words

    return _labels(sweep, lambda p, name, value: (f"{param_words(p, name)} "
                                                  f"{format_param_value(p, value)}"))


def _labels(sweep: Sweep, render: Callable[[str, str, Any], str]) -> dict[int, str]:
    """Return ``job -> ", ".join(render(param, short name, value))`` over swept parameters."""
    if not sweep.params:
        return {int(j): "all runs" for j in sweep.points["job"]}
    names = short_names(sweep.params)
    labels = {}
    for row in sweep.points.itertuples(index=False):
        values = dict(zip(sweep.points.columns, row, strict=True))
        labels[int(values["job"])] = ", ".join(render(p, names[p], values[p])
                                               for p in sweep.params)
    return labels



#: Calendar year of month 0 when neither the sweep nor a job records one (``scenario.start_year``).
DEFAULT_START_YEAR = 2015


def start_year(sweep: Sweep) -> int:
    """Return the calendar year of month 0 of the sweep's runs (``scenario.start_year``).

    Taken from the parameters of the first point in the store's manifest, or
    from the resolved config in the first job folder's ``provenance.json`` (a
    Hydra multirun), else from a ``scenario.start_year=...`` override in
    ``sweep.yaml``, else :data:`DEFAULT_START_YEAR` (the model's default).

    Args:
        sweep: The loaded sweep.

    Returns:
        The start year.
    """
    try:
        config = sweep.store.point_config(sweep.jobs[0])
        return int(config["scenario"]["start_year"])
    except (StoreError, ValueError, KeyError, TypeError):
        pass
    for item in sweep.definition.get("overrides") or []:
        key, _, value = str(item).lstrip("+").partition("=")
        if key.strip() == "scenario.start_year":
            try:
                return int(value)
            except ValueError:
                break
    return DEFAULT_START_YEAR


def resolve_baseline(sweep: Sweep, spec: str | int | None = None) -> int:
    """Return the job id of the baseline point.

    Args:
        sweep: The loaded sweep.
        spec: ``None`` (the first job), a job id (int or digit string), or
            parameter values ``"key=value[,key=value...]"`` that match exactly
            one point; keys may be dotted or short names, values are compared
            numerically when both sides are numbers.

    Returns:
        The baseline job id.

    Raises:
        SweepError: The job does not exist or the values match no point or
            several points.
    """
    if spec is None:
        return sweep.jobs[0]
    text = str(spec).strip()
    if text.lstrip("-").isdigit():
        job = int(text)
        if job not in sweep.jobs:
            raise SweepError(f"--baseline {text}: no such job; jobs: {sweep.jobs}")
        return job
    wanted = _parse_assignments(text, sweep.params)
    mask = np.ones(len(sweep.points), dtype=bool)
    for key, value in wanted.items():
        mask &= np.array([_same_value(v, value) for v in sweep.points[key]], dtype=bool)
    matches = sweep.points.loc[mask, "job"].tolist()
    if len(matches) != 1:
        labels = point_labels(sweep)
        listing = "; ".join(f"job {j}: {labels[j]}" for j in sweep.jobs[:20])
        raise SweepError(
            f"--baseline {text!r} matches {len(matches)} points (need exactly 1); "
            f"points: {listing}"
        )
    return int(matches[0])


def _parse_assignments(text: str, params: Sequence[str]) -> dict[str, str]:
    """Parse ``key=value,key=value`` into dotted keys -> raw values."""
    by_short = {s: p for p, s in short_names(params).items()}
    result = {}
    for part in text.split(","):
        if "=" not in part:
            raise SweepError(
                f"--baseline {text!r}: expected a job id or key=value pairs separated by commas"
            )
        key, value = (s.strip() for s in part.split("=", 1))
        dotted = key if key in params else by_short.get(key)
        if dotted is None:
            raise SweepError(
                f"--baseline {text!r}: {key!r} is not a swept parameter; "
                f"swept: {', '.join(params)}"
            )
        result[dotted] = value
    return result


def _same_value(actual: Any, wanted: str) -> bool:
    """Compare a table value with a command-line value (numbers numerically)."""
    if isinstance(actual, bool | np.bool_):
        return str(bool(actual)).lower() == wanted.lower()
    try:
        return math.isclose(float(actual), float(wanted), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(actual) == wanted


def _load_definition(path: Path) -> dict[str, Any]:
    """Read ``sweep.yaml`` into plain objects; it must be a mapping with ``params``."""
    if not path.is_file():
        raise SweepError(f"{path}: missing (every sweep directory has its sweep definition)")
    import yaml

    try:
        with path.open(encoding="utf-8") as stream:
            data = yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SweepError(f"{path}: not valid YAML (truncated?): {exc}") from exc
    if not isinstance(data, dict):
        raise SweepError(f"{path}: expected a mapping with keys name, params, design, ...")
    params = data.get("params")
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise SweepError(f"{path}: key 'params' must list the swept dotted keys")
    return data


def _load_provenance(path: Path) -> dict[str, Any]:
    """Read ``provenance.json`` (package versions, git revision, Python version)."""
    if not path.is_file():
        raise SweepError(f"{path}: missing (the sweep tooling writes provenance with the runs)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SweepError(f"{path}: not valid JSON (truncated?): {exc}") from exc
    if not isinstance(data, dict):
        raise SweepError(f"{path}: expected a JSON object")
    return data



# --- the Parquet aggregate of a Hydra multirun ---------------------------------------------

def _load_jobs(root: Path) -> Sweep:
    """Read a Hydra multirun's aggregate, ingested from its job folders (see :func:`load_sweep`).

    Its design is ``sweep.yaml``'s (the manifest names only each finished
    job's swept values), so the runs are checked against it: parameter
    columns, replicates, jobs beyond the design points.
    """
    definition = _load_definition(root / SWEEP_FILE)
    provenance = _load_provenance(root / PROVENANCE_FILE)
    store = SweepStore(root)
    source = root / RUNS_FILE
    try:
        params, labels = _manifest_jobs(root / MANIFEST_JSON, store.manifest() or {})
        table = store.table("runs").to_pandas().rename(columns={"point": "job"})
    except StoreError as exc:
        raise SweepError(str(exc)) from None
    columns = [ROOT_SEED if p == "seed" else p for p in params]
    declared = [ROOT_SEED if p == "seed" else p for p in definition["params"]]
    if set(columns) != set(declared):
        raise SweepError(f"{root / MANIFEST_JSON}: swept parameters {columns} differ from "
                         f"{SWEEP_FILE} params {declared} (mixed sweeps)")
    if table.empty:
        raise SweepError(f"{source}: no rows (no finished runs)")
    unlabelled = sorted(set(table["job"].tolist()) - set(labels))
    if unlabelled:
        raise SweepError(f"{source}: job {unlabelled[0]} has no swept values in "
                         f"{MANIFEST_JSON} (a stale aggregate: rerun race-analyze)")
    values = pd.DataFrame([labels[j] for j in table["job"].tolist()], columns=columns)
    runs = pd.concat([table[["job"]], values, table.drop(columns=["job"])], axis=1)
    if ROOT_SEED not in columns:
        _check_runs_consistency(source, runs, columns, definition)
    runs = runs.sort_values(["job", "replicate"], ignore_index=True)
    missing = _check_design_points(root, definition, runs)
    runs, columns, job_map = _pool_root_seeds(source, runs, columns)
    return Sweep(root, definition, provenance, columns, runs, missing, job_map, store=store)


def _manifest_jobs(path: Path, manifest: dict[str, Any]) -> tuple[list[str],
                                                                 dict[int, list[Any]]]:
    """Return the swept parameters and each job's values of an ingested manifest, checked."""
    params, jobs, labels = (manifest.get(k) for k in ("params", "jobs", "labels"))
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise SweepError(f"{path}: key 'params' must list the swept parameters")
    if not isinstance(jobs, list) or not all(isinstance(j, int) for j in jobs):
        raise SweepError(f"{path}: key 'jobs' must list the finished jobs")
    if not isinstance(labels, list) or len(labels) != len(jobs) or not all(
            isinstance(r, list) and len(r) == len(params) for r in labels):
        raise SweepError(f"{path}: key 'labels' must give one value per swept parameter for "
                         "every job")
    return params, dict(zip(jobs, labels, strict=True))


# --- the Parquet store of a sweep run by the runner ----------------------------------------

def _load_store(root: Path) -> Sweep:
    """Read a sweep directory written by the runner (see :func:`load_sweep`)."""
    store = SweepStore(root)
    try:
        manifest = store.manifest() or {}
        seeds, params, labels = _manifest_design(root / MANIFEST_JSON, manifest)
        failures = store.failures()
        from_parts = not store.aggregate_is_current()
        table = store.table("runs", from_parts=from_parts).to_pandas()
    except StoreError as exc:
        raise SweepError(str(exc)) from None
    source = root / (PARTS_DIR if from_parts else AGGREGATE_FILES["runs"])
    if (root / SWEEP_FILE).is_file():
        definition = _load_definition(root / SWEEP_FILE)
        if list(definition["params"]) != params:
            raise SweepError(f"{root / MANIFEST_JSON}: params {params} differ from "
                             f"{SWEEP_FILE} params {definition['params']} (mixed sweeps)")
        design = definition.get("design")
        listed = design.get("points") if isinstance(design, dict) else None
        if isinstance(listed, list) and len(listed) != len(labels):
            raise SweepError(f"{root / MANIFEST_JSON}: {len(labels)} points but {SWEEP_FILE} "
                             f"lists {len(listed)} (mixed sweeps)")
    else:
        definition = {"name": root.name, "params": params, "replicates": len(seeds)}
    if isinstance(definition.get("replicates"), int) and definition["replicates"] != len(seeds):
        raise SweepError(f"{root / MANIFEST_JSON}: {len(seeds)} seeds but {SWEEP_FILE} says "
                         f"replicates={definition['replicates']} (mixed sweeps)")
    if (root / PROVENANCE_FILE).is_file():
        provenance = _load_provenance(root / PROVENANCE_FILE)
    else:
        provenance = dict(manifest.get("versions") or {})
    table = table.rename(columns={"point": "job"})
    _check_against_manifest(source, table, len(labels), seeds)
    failed = _check_complete(root, source, table, seeds, failures)
    columns = [ROOT_SEED if p == "seed" else p for p in params]
    values = pd.DataFrame([list(row) for row in labels], columns=columns)
    jobs = table["job"].to_numpy()
    runs = pd.concat([table[["job"]], values.iloc[jobs].reset_index(drop=True),
                      table.drop(columns=["job"])], axis=1)
    runs = runs.sort_values(["job", "replicate"], ignore_index=True)
    missing = sorted(set(range(len(labels))) - set(jobs.tolist()))
    runs, columns, job_map = _pool_root_seeds(source, runs, columns)
    return Sweep(root, definition, provenance, columns, runs, missing, job_map, failed,
                 store, from_parts)


def _manifest_design(path: Path, manifest: dict[str, Any]) -> tuple[list[int], list[str],
                                                                     list[list[Any]]]:
    """Return the seeds, swept parameters and per-point labels of a manifest, checked."""
    seeds, params, labels = (manifest.get(k) for k in ("seeds", "params", "labels"))
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
        raise SweepError(f"{path}: key 'seeds' must list the seeds run at every point")
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise SweepError(f"{path}: key 'params' must list the swept parameters")
    if not isinstance(labels, list) or not all(isinstance(r, list) and len(r) == len(params)
                                               for r in labels):
        raise SweepError(f"{path}: key 'labels' must give one value per swept parameter for "
                         "every point")
    if manifest.get("points_count", len(labels)) != len(labels):
        raise SweepError(f"{path}: points_count={manifest.get('points_count')} but "
                         f"{len(labels)} points are labelled")
    return seeds, params, labels


def _check_against_manifest(source: Path, table: pd.DataFrame, n_points: int,
                            seeds: list[int]) -> None:
    """Raise if a run's point, seed or replicate is not the manifest's."""
    outside = table[(table["job"] < 0) | (table["job"] >= n_points)]
    if not outside.empty:
        raise SweepError(f"{source}: point {int(outside['job'].iloc[0])} is not among the "
                         f"{n_points} points of {MANIFEST_JSON} (a part of another design?)")
    position = {seed: replicate for replicate, seed in enumerate(seeds)}
    expected = table["seed"].map(position)
    wrong = expected.isna() | (expected != table["replicate"])
    if wrong.any():
        row = table[wrong].iloc[0]
        raise SweepError(
            f"{source}: point {int(row['job'])} has seed {int(row['seed'])} as replicate "
            f"{int(row['replicate'])}; {MANIFEST_JSON} seeds are {_seed_text(seeds)} (a part of "
            "another design?)")


def _check_complete(root: Path, source: Path, table: pd.DataFrame, seeds: list[int],
                    failures: list[Failure]) -> list[Failure]:
    """Check that every point with runs has all of its seeds; return the failed runs.

    A run missing at a point that has others breaks the common seed list:
    raise, quoting the error recorded in ``failures.json`` or saying that the
    run is missing (an interrupted sweep). Points without any run are allowed
    (they become :attr:`Sweep.missing_jobs`); the failures among them are returned.
    """
    done = _run_keys(table)
    failed = [f for f in failures if (f.point, f.seed) not in done]
    if table.empty:
        reason = (f"all {len(failed)} listed in {root / FAILURES_JSON} failed, e.g. point "
                  f"{failed[0].point} seed {failed[0].seed}: {failed[0].error}" if failed
                  else "the sweep has not finished any")
        raise SweepError(f"{source}: no runs ({reason})")
    counts = table.groupby("job").size()
    partial = sorted((int(j), s) for j in counts.index[counts < len(seeds)] for s in seeds
                     if (int(j), s) not in done)
    if partial:
        point, seed = partial[0]
        listed = {(f.point, f.seed): f for f in failed}
        broken = sum(1 for pair in partial if pair in listed)
        if (point, seed) in listed:
            why = (f"failed ({root / FAILURES_JSON}: {listed[point, seed].error}; "
                   f"{broken} such failed run(s))")
        else:
            why = "has no results and is not in failures.json (an interrupted sweep?)"
        raise SweepError(
            f"{source}: point {point} seed {seed} {why}; every point must run the same "
            f"seed list, so rerun the sweep to complete the {len(partial)} missing run(s)")
    return failed


def _seed_text(seeds: Sequence[int]) -> str:
    """Format a seed list compactly (at most 8 seeds)."""
    return "[" + ", ".join(map(str, seeds[:8])) + (", ...]" if len(seeds) > 8 else "]")


def _check_horizons(path: Path, table: pd.DataFrame) -> None:
    """Raise unless every run has months ``0 .. horizon - 1`` with one horizon.

    Args:
        path: The file named in the message.
        table: Time series sorted by (job, seed, step).
    """
    if table.empty:
        return
    keys = table[["job", "seed"]].to_numpy()
    first = np.ones(len(table), dtype=bool)
    first[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, len(table)))
    position = np.arange(len(table)) - np.repeat(starts, lengths)
    horizon = int(lengths.max())
    bad = np.flatnonzero((table["step"].to_numpy() != position)
                         | (np.repeat(lengths, lengths) != horizon))
    if bad.size:
        job, seed = (int(v) for v in keys[bad[0]])
        run = table["step"].to_numpy()[(keys[:, 0] == job) & (keys[:, 1] == seed)]
        raise SweepError(
            f"{path}: job {job}, seed {seed} has {len(run)} steps (months {int(run.min())}-"
            f"{int(run.max())}), other runs have {horizon}: truncated file or runs with "
            "different horizons"
        )


# --- checks shared by both layouts ---------------------------------------------------------

def _pool_root_seeds(
    path: Path, table: pd.DataFrame, params: list[str]
) -> tuple[pd.DataFrame, list[str], dict[int, int]]:
    """Merge jobs that differ only in a swept root seed into one parameter point.

    A sweep over ``seed`` (column ``root_seed``) spreads the seeds of a point
    over several jobs. Each point takes the smallest job id of its jobs, its
    runs are renumbered ``replicate = 0, 1, ...`` in seed order, and the
    usual checks (one value per parameter, the same seed list at every point)
    apply to the merged points.

    Returns:
        The runs, the swept parameters without ``root_seed`` and the job map.
    """
    jobs = sorted(int(j) for j in table["job"].unique())
    if ROOT_SEED not in params:
        return table, params, {j: j for j in jobs}
    others = [p for p in params if p != ROOT_SEED]
    merged = table.drop(columns=[ROOT_SEED])
    if others:
        keys = merged[others].astype(str).agg("\x1f".join, axis=1)
        point = merged.groupby(keys)["job"].transform("min")
    else:
        point = pd.Series(min(jobs), index=merged.index)
    job_map = dict(zip(merged["job"].astype(int), point.astype(int), strict=True))
    merged["job"] = point.astype(np.int64)
    merged = merged.sort_values(["job", "seed"], ignore_index=True)
    merged["replicate"] = merged.groupby("job").cumcount().astype(np.int64)
    _check_runs_consistency(path, merged, others, {})
    return merged, others, job_map


def _check_runs_consistency(
    path: Path, table: pd.DataFrame, params: list[str], definition: dict[str, Any]
) -> None:
    """Check that rows form one sweep: one value per parameter and job, one seed list."""
    duplicated = table.duplicated(["job", "seed"])
    if duplicated.any():
        row = table.loc[duplicated, ["job", "seed"]].iloc[0]
        raise SweepError(
            f"{path}: job {int(row['job'])} has seed {int(row['seed'])} twice (rows of two "
            "sweeps mixed, or root-seed blocks that overlap?)"
        )
    for param in params:
        empty = table[param].isna()
        if empty.any():
            job = int(table.loc[empty, "job"].iloc[0])
            raise SweepError(
                f"{path}: job {job} has no value for {param!r}: its runs swept a different "
                "set of parameters (mixed sweeps)"
            )
        per_job = table.groupby("job")[param].nunique()
        if (per_job > 1).any():
            job = int(per_job[per_job > 1].index[0])
            raise SweepError(
                f"{path}: job {job} has several values of {param!r} (rows of two sweeps mixed?)"
            )
    seeds = table.pivot(index="job", columns="replicate", values="seed")
    first_job = int(seeds.index[0])
    first = seeds.iloc[0]
    differs = (seeds.ne(first, axis=1)).any(axis=1)
    if differs.any():
        job = int(differs[differs].index[0])
        raise SweepError(
            f"{path}: job {job} has seeds {_seed_list(seeds.loc[job])}, job {first_job} has "
            f"{_seed_list(first)}: every point must run the same seed list (common random "
            "numbers); mixed sweeps or missing runs"
        )
    replicates = definition.get("replicates")
    if isinstance(replicates, int) and first.notna().sum() != replicates:
        raise SweepError(
            f"{path}: each job has {first.notna().sum()} seeds but {SWEEP_FILE} says replicates="
            f"{replicates} (unfinished or mixed sweep)"
        )


def _seed_list(row: pd.Series) -> str:
    """Format one job's seeds by replicate (``-`` for a missing replicate), at most 8."""
    items = [f"{r}:{'-' if pd.isna(s) else int(s)}" for r, s in row.items()]
    return "[" + ", ".join(items[:8]) + (", ...]" if len(items) > 8 else "]")


def _check_design_points(root: Path, definition: dict[str, Any], runs: pd.DataFrame) -> list[int]:
    """Return design points without results; raise if runs.csv has jobs beyond the design."""
    design = definition.get("design")
    points = design.get("points") if isinstance(design, dict) else None
    if not isinstance(points, list):
        return []
    jobs = set(int(j) for j in runs["job"].unique())
    beyond = sorted(j for j in jobs if j >= len(points) or j < 0)
    if beyond:
        raise SweepError(
            f"{root / RUNS_FILE}: jobs {beyond[:10]} are not among the {len(points)} design "
            f"points of {root / SWEEP_FILE} (mixed sweeps)"
        )
    return sorted(set(range(len(points))) - jobs)


def _run_keys(table: pd.DataFrame) -> set[tuple[int, int]]:
    """Return the set of (job, seed) pairs of a table."""
    return set(zip(table["job"].tolist(), table["seed"].tolist(), strict=True))


def _remap_jobs(table: pd.DataFrame, job_map: dict[int, int], path: Path) -> None:
    """Rename job ids in place to parameter points (see :attr:`Sweep.job_map`)."""
    if all(k == v for k, v in job_map.items()):
        return
    mapped = table["job"].map(job_map)
    if mapped.isna().any():
        job = int(table.loc[mapped.isna(), "job"].iloc[0])
        raise SweepError(f"{path}: job {job} is not in {RUNS_FILE} (mixed sweeps or stale file)")
    table["job"] = mapped.astype(np.int64)


def _check_same_runs(path: Path, found: set[tuple[int, int]], runs: pd.DataFrame) -> None:
    """Raise if a per-run table covers other (job, seed) pairs than the runs table."""
    expected = _run_keys(runs)
    if found - expected:
        job, seed = sorted(found - expected)[0]
        raise SweepError(
            f"{path}: job {job}, seed {seed} is not among the sweep's runs (mixed sweeps or "
            "stale file)"
        )
    if expected - found:
        job, seed = sorted(expected - found)[0]
        raise SweepError(
            f"{path}: no rows for job {job}, seed {seed} of the sweep's runs (truncated or "
            "stale file)"
        )

