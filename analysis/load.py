"""Load a sweep directory into validated, tidy pandas tables.

The directory layout is fixed by ``docs/contracts.md``: ``sweep.yaml``,
``runs.csv`` (one row per job and seed), ``timeseries.csv`` (one row per
job, seed and month), ``flows.csv`` (researcher moves per job, seed, year and
pair of organisation kinds) and ``provenance.json``. Every check raises
:class:`~analysis.errors.SweepError` with a message that names the file and
says what is wrong: a missing or truncated file, a mixed sweep (jobs with
different swept parameters or different seed lists, rows from other runs) or
an unknown metric.
"""

from __future__ import annotations

import io
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
    FLOWS_CSV,
    PROVENANCE_JSON,
    ROOT_SEED_COLUMN,
    RUNS_CSV,
    SWEEP_YAML,
    TIMESERIES_CSV,
)

RUNS_FILE = RUNS_CSV
TIMESERIES_FILE = TIMESERIES_CSV
FLOWS_FILE = FLOWS_CSV
SWEEP_FILE = SWEEP_YAML
PROVENANCE_FILE = PROVENANCE_JSON

TIMESERIES_KEYS = ("job", "seed", "step")

#: ``runs.csv`` column of a swept root seed (``sweep.yaml`` lists it as ``seed``).
ROOT_SEED = ROOT_SEED_COLUMN
FLOWS_COLUMNS = ("job", "seed", "year", "from_kind", "to_kind", "moves")


@dataclass
class Sweep:
    """A loaded sweep: its definition, provenance and tidy result tables.

    ``runs`` is read and validated at load time; ``timeseries`` and ``flows``
    (larger files) are read and validated on first access.

    Attributes:
        path: The sweep directory.
        definition: Contents of ``sweep.yaml`` as plain Python objects.
        provenance: Contents of ``provenance.json``.
        params: Swept parameters (dotted keys) in ``runs.csv`` column order.
        runs: One row per (job, seed): ``job``, the swept parameters,
            ``replicate``, ``seed`` and every summary metric (NaN = null),
            sorted by job and replicate.
        missing_jobs: Design points listed in ``sweep.yaml`` that have no
            rows in ``runs.csv`` (failed or not yet run).
        job_map: Job id in the files -> job id in the tables. The identity,
            except for sweeps over the root seed (``root_seed`` column): jobs
            that differ only in their root seed are one parameter point, named
            by its smallest job id, with the seeds of all of them.
    """

    path: Path
    definition: dict[str, Any]
    provenance: dict[str, Any]
    params: list[str]
    runs: pd.DataFrame
    missing_jobs: list[int] = field(default_factory=list)
    job_map: dict[int, int] = field(default_factory=dict)

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
        """Summary metrics present in ``runs.csv`` (all of :data:`sim.SUMMARY_METRICS`)."""
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
        return _load_timeseries(self.path / TIMESERIES_FILE, self.runs, self.job_map)

    @cached_property
    def flows(self) -> pd.DataFrame:
        """Researcher moves ``job, seed, year, from_kind, to_kind, moves``, validated."""
        return _load_flows(self.path / FLOWS_FILE, self.runs, self.job_map)

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
            raise SweepError(f"job {job} is not in {self.path / RUNS_FILE}; jobs: {self.jobs}")
        return rows.sort_values("replicate")[metric].to_numpy(dtype=float)


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep directory.

    Args:
        path: The sweep directory (see ``docs/contracts.md``).

    Returns:
        The loaded :class:`Sweep`; time series and flows load on first access.

    Raises:
        SweepError: A file is missing, truncated or malformed, the sweep mixes
            parameter sets or seed lists, or a column names an unknown metric.
    """
    root = Path(path)
    if not root.is_dir():
        raise SweepError(f"{root}: not a directory (expected a sweep directory)")
    definition = _load_definition(root / SWEEP_FILE)
    provenance = _load_provenance(root / PROVENANCE_FILE)
    runs, params = _load_runs(root / RUNS_FILE, definition)
    missing = _check_design_points(root, definition, runs)
    runs, params, job_map = _pool_root_seeds(root / RUNS_FILE, runs, params)
    return Sweep(root, definition, provenance, params, runs, missing, job_map)


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


def short_names(params: Sequence[str]) -> dict[str, str]:
    """Map dotted parameter keys to their last component where that is unambiguous.

    Args:
        params: Dotted keys, e.g. ``["downstream.partner_share"]``.

    Returns:
        Key -> short name (``"partner_share"``), or the full key when two keys
        share a last component.
    """
    last = [p.rsplit(".", 1)[-1] for p in params]
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

    Taken from the resolved config in the first job folder's ``provenance.json``,
    else from a ``scenario.start_year=...`` override in ``sweep.yaml``, else
    :data:`DEFAULT_START_YEAR` (the model's default).

    Args:
        sweep: The loaded sweep.

    Returns:
        The start year.
    """
    folders = sorted((d for d in sweep.path.iterdir() if d.is_dir() and d.name.isdigit()),
                     key=lambda d: int(d.name)) if sweep.path.is_dir() else []
    for folder in folders:
        try:
            prov = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
            return int(prov["config"]["scenario"]["start_year"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
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


def read_csv_checked(path: Path) -> pd.DataFrame:
    """Read a CSV file after checking that it is complete.

    A file is complete when it is non-empty, ends with a newline and every
    line has as many fields as the header; a file cut while being written or
    copied fails one of these.

    Args:
        path: The CSV file.

    Returns:
        The table (empty cells and ``nan`` as NaN; other text stays text).

    Raises:
        SweepError: The file is missing, empty, truncated or unparsable.
    """
    if not path.is_file():
        raise SweepError(f"{path}: missing")
    raw = path.read_bytes()
    if not raw.strip():
        raise SweepError(f"{path}: empty (expected a header line and rows)")
    if not raw.endswith(b"\n"):
        raise SweepError(f"{path}: truncated (the last line has no line end)")
    _check_field_counts(path, raw)
    try:
        return pd.read_csv(io.BytesIO(raw), keep_default_na=False, na_values=["", "nan", "NaN"])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise SweepError(f"{path}: cannot be parsed as CSV: {exc}") from exc


def _check_field_counts(path: Path, raw: bytes) -> None:
    """Raise if a line of an unquoted CSV has a different field count than the header."""
    if b'"' in raw:
        return
    lines = raw.count(b"\n")
    header_fields = raw[: raw.index(b"\n")].count(b",") + 1
    if raw.count(b",") == (header_fields - 1) * lines:
        return
    for number, line in enumerate(raw.split(b"\n")[:-1], start=1):
        fields = line.count(b",") + 1
        if fields != header_fields:
            raise SweepError(
                f"{path}: line {number} has {fields} fields, the header has {header_fields} "
                "(truncated or corrupted file)"
            )


def _integer_column(table: pd.DataFrame, column: str, path: Path) -> None:
    """Convert a key column to int64 in place, or raise naming the file."""
    values = pd.to_numeric(table[column], errors="coerce")
    bad = values.isna() | (values != np.round(values))
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise SweepError(
            f"{path}: column {column!r} needs an integer in every row; line {line} has "
            f"{table[column].iloc[line - 2]!r}"
        )
    table[column] = values.astype(np.int64)


def _numeric_columns(table: pd.DataFrame, columns: Iterable[str], path: Path) -> None:
    """Convert metric columns to float in place (empty cells -> NaN), or raise."""
    for column in columns:
        if pd.api.types.is_bool_dtype(table[column]):
            table[column] = table[column].astype(float)
            continue
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() & table[column].notna()
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise SweepError(
                f"{path}: column {column!r} must be numeric; line {line} has "
                f"{table[column].iloc[line - 2]!r}"
            )
        table[column] = values.astype(float)


def _check_metric_columns(path: Path, present: Sequence[str], expected: Sequence[str]) -> None:
    """Raise if metric columns are unknown or missing."""
    unknown = [c for c in present if c not in expected]
    if unknown:
        raise SweepError(
            f"{path}: unknown metric column(s) {', '.join(unknown)}; known: {', '.join(expected)}"
        )
    missing = [m for m in expected if m not in present]
    if missing:
        raise SweepError(f"{path}: missing metric column(s) {', '.join(missing)}")


def _load_runs(path: Path, definition: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Read and validate ``runs.csv``; return the table and the swept parameters."""
    if not path.is_file():
        raise SweepError(
            f"{path}: missing; build it from the job folders with "
            "analysis.aggregate.aggregate(sweep_dir) (race-analyze does this)"
        )
    table = read_csv_checked(path)
    columns = list(table.columns)
    if not columns or columns[0] != "job" or "replicate" not in columns or "seed" not in columns:
        raise SweepError(
            f"{path}: header must start with job, the swept parameters, replicate, seed; "
            f"got {', '.join(columns[:6])}"
        )
    r = columns.index("replicate")
    if columns[r + 1 : r + 2] != ["seed"]:
        raise SweepError(f"{path}: column 'seed' must follow 'replicate'")
    params = columns[1:r]
    _check_metric_columns(path, columns[r + 2 :], SUMMARY_METRICS)
    declared = [ROOT_SEED if p == "seed" else p for p in definition["params"]]
    if set(params) != set(declared):
        raise SweepError(
            f"{path}: swept parameter columns {params} differ from {SWEEP_FILE} params "
            f"{declared} (mixed sweeps)"
        )
    if table.empty:
        raise SweepError(f"{path}: no rows (no finished runs)")
    for column in ("job", "replicate", "seed"):
        _integer_column(table, column, path)
    _numeric_columns(table, SUMMARY_METRICS, path)
    if ROOT_SEED not in params:
        _check_runs_consistency(path, table, params, definition)
    return table.sort_values(["job", "replicate"], ignore_index=True), params


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


def _load_timeseries(path: Path, runs: pd.DataFrame, job_map: dict[int, int]) -> pd.DataFrame:
    """Read and validate ``timeseries.csv`` against the runs."""
    table = read_csv_checked(path)
    columns = list(table.columns)
    if columns[:3] != list(TIMESERIES_KEYS):
        raise SweepError(f"{path}: header must start with job, seed, step; got {columns[:3]}")
    _check_metric_columns(path, columns[3:], TIMESERIES_METRICS)
    for column in TIMESERIES_KEYS:
        _integer_column(table, column, path)
    _remap_jobs(table, job_map, path)
    _numeric_columns(table, TIMESERIES_METRICS, path)
    _check_same_runs(path, _run_keys(table), runs)
    if table.duplicated(list(TIMESERIES_KEYS)).any():
        job, seed, step = (int(v) for v in table.loc[
            table.duplicated(list(TIMESERIES_KEYS)), list(TIMESERIES_KEYS)].iloc[0])
        raise SweepError(f"{path}: job {job}, seed {seed} has step {step} twice")
    per_run = table.groupby(["job", "seed"])["step"].agg(["count", "min", "max"])
    horizon = int(per_run["count"].max())
    short = per_run[(per_run["count"] != horizon) | (per_run["min"] != 0)
                    | (per_run["max"] != horizon - 1)]
    if not short.empty:
        (job, seed), row = next(iter(short.iterrows()))
        raise SweepError(
            f"{path}: job {job}, seed {seed} has {row['count']} steps "
            f"(months {row['min']}-{row['max']}), other runs have {horizon}: truncated file "
            "or runs with different horizons"
        )
    return table.sort_values(list(TIMESERIES_KEYS), ignore_index=True)


def _load_flows(path: Path, runs: pd.DataFrame, job_map: dict[int, int]) -> pd.DataFrame:
    """Read and validate ``flows.csv`` against the runs (zero flows are omitted)."""
    table = read_csv_checked(path)
    if list(table.columns) != list(FLOWS_COLUMNS):
        raise SweepError(
            f"{path}: header must be {', '.join(FLOWS_COLUMNS)}; got {', '.join(table.columns)}"
        )
    for column in ("job", "seed", "year"):
        _integer_column(table, column, path)
    _remap_jobs(table, job_map, path)
    _numeric_columns(table, ["moves"], path)
    for column in ("from_kind", "to_kind"):
        unknown = sorted(set(table[column].astype(str)) - set(FLOW_KINDS))
        if unknown:
            raise SweepError(
                f"{path}: unknown organisation kind(s) {unknown} in {column}; "
                f"known: {', '.join(FLOW_KINDS)}"
            )
    if (table["moves"] < 0).any() or table["moves"].isna().any():
        raise SweepError(f"{path}: column 'moves' must be a non-negative count in every row")
    extra = _run_keys(table) - _run_keys(runs)
    if extra:
        job, seed = sorted(extra)[0]
        raise SweepError(
            f"{path}: job {job}, seed {seed} is not in {RUNS_FILE} (mixed sweeps or stale file)"
        )
    return table.sort_values(list(FLOWS_COLUMNS[:5]), ignore_index=True)


def _check_same_runs(path: Path, found: set[tuple[int, int]], runs: pd.DataFrame) -> None:
    """Raise if a per-run table covers other (job, seed) pairs than ``runs.csv``."""
    expected = _run_keys(runs)
    if found - expected:
        job, seed = sorted(found - expected)[0]
        raise SweepError(
            f"{path}: job {job}, seed {seed} is not in {RUNS_FILE} (mixed sweeps or stale file)"
        )
    if expected - found:
        job, seed = sorted(expected - found)[0]
        raise SweepError(
            f"{path}: no rows for job {job}, seed {seed} listed in {RUNS_FILE} "
            "(truncated or stale file)"
        )
