"""The file contract of a sweep directory: names, schemas, Parquet parts, manifest, lock.

This is the one module that names the files of a sweep and fixes their
columns; the runner writes through it and :mod:`analysis` reads through it.

Layout of a sweep directory run by :func:`sweeps.runner.run_design`::

    SWEEP_DIR/
      manifest.json          design hash, points (parameter overrides), seeds, versions
      .lock                  held (fcntl.flock) while a sweep runs here
      parts/                 one set of Parquet files per finished task (zstd):
        <task>.timeseries.parquet   point, seed, step, every time-series metric
        <task>.flows.parquet        point, seed, year, from_kind, to_kind, moves
        <task>.runs.parquet         point, replicate, seed, every summary metric
      failures.json          pairs that failed in the last run: point, seed, error
      runs.parquet           the aggregate: every part's runs, sorted by (point, seed)
      timeseries.parquet     ... sorted by (point, seed, step)
      flows.parquet          ... sorted by (point, seed, year, from_kind, to_kind)
      runs.csv, timeseries.csv, flows.csv   CSV export (``export_csv``), columns of
                             ``docs/contracts.md``: ``job`` is the point index

A task writes its time series and flows first and its ``runs`` file last, each
to a temporary file renamed into place (:func:`os.replace`): a part exists
when its ``runs`` file does, so a task killed half-way leaves nothing that
counts. Finished pairs are read back from the ``runs`` files
(:meth:`SweepStore.done_pairs`) so a rerun submits only what is missing.
:meth:`SweepStore.aggregate` sorts rows by (point, seed): the aggregate is
byte-identical whatever the order in which tasks finished or how often the
sweep was interrupted. Summary metrics are stored as float64 (``null`` for
an undefined value), time series as float64 (NaN kept), counts as int64.

The module also holds the names of the per-job folders written by Hydra
multiruns (``race-sim -m``), the atomic writers and the provenance record,
so that no reader has to import the command-line package. A multirun's
finished job folders are ingested (:mod:`sweeps.ingest`) into the same
aggregate through :meth:`SweepStore.write_aggregate`, with a manifest whose
``source`` is :data:`JOBS_SOURCE` (the swept values of each job; the design
stays in ``sweep.yaml``), so every reader sees Parquet only.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import functools
import gzip
import hashlib
import io
import json
import math
import os
import platform
import secrets
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.results import SUMMARY_METRICS, TIMESERIES_METRICS

if TYPE_CHECKING:
    import pyarrow as pa

# --- files of a sweep directory ------------------------------------------------------------

SWEEP_YAML = "sweep.yaml"
PROVENANCE_JSON = "provenance.json"
MANIFEST_JSON = "manifest.json"
LOCK_FILE = ".lock"
PARTS_DIR = "parts"
RUNNING_DIR = ".running"
FAILURES_JSON = "failures.json"
RUNS_PARQUET = "runs.parquet"
TIMESERIES_PARQUET = "timeseries.parquet"
FLOWS_PARQUET = "flows.parquet"
RUNS_CSV = "runs.csv"
TIMESERIES_CSV = "timeseries.csv"
FLOWS_CSV = "flows.csv"
#: Column of a swept root ``seed`` in runs.csv (``seed`` is each run's own seed).
ROOT_SEED_COLUMN = "root_seed"
#: Kinds of tables in a part, in the order a task writes them (``runs`` last: the commit).
PART_TABLES = ("timeseries", "flows", "runs")
MANIFEST_FORMAT = 1
#: Manifest ``source`` of an aggregate ingested from a Hydra multirun's job folders
#: (:func:`sweeps.ingest.ingest_jobs`); a manifest without ``source`` is the runner's.
JOBS_SOURCE = "hydra-jobs"

# --- files of a single run and of a Hydra multirun job folder ------------------------------

SUMMARY_JSON = "summary.json"
MONEY_FLOWS_CSV = "money_flows.csv"
OVERVIEW_PNG = "overview.png"
JOB_SUMMARY_CSV = "summary.csv"
JOB_TIMESERIES_CSV_GZ = "timeseries.csv.gz"
JOB_FLOWS_CSV_GZ = "flows.csv.gz"
DONE_JSON = "done.json"
ERROR_JSON = "error.json"

#: Column headers of the CSV files.
TIMESERIES_HEADER: tuple[str, ...] = ("step", *TIMESERIES_METRICS)
FLOWS_HEADER: tuple[str, ...] = ("year", "from_kind", "to_kind", "moves")
MONEY_FLOWS_HEADER: tuple[str, ...] = ("year", "account", "inflow_usd", "outflow_usd")
JOB_SUMMARY_HEADER: tuple[str, ...] = ("replicate", "seed", *SUMMARY_METRICS)
JOB_TIMESERIES_HEADER: tuple[str, ...] = ("seed", *TIMESERIES_HEADER)
JOB_FLOWS_HEADER: tuple[str, ...] = ("seed", *FLOWS_HEADER)
#: Per table kind of the aggregate, the job folder's file of that table and its header.
JOB_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "runs": (JOB_SUMMARY_CSV, JOB_SUMMARY_HEADER),
    "timeseries": (JOB_TIMESERIES_CSV_GZ, JOB_TIMESERIES_HEADER),
    "flows": (JOB_FLOWS_CSV_GZ, JOB_FLOWS_HEADER),
}

#: Distributions whose versions go into provenance.json and manifest.json.
PACKAGES: tuple[str, ...] = (
    "race-sim", "mesa", "numpy", "scipy", "pandas", "matplotlib", "hydra-core", "omegaconf",
    "hydra-joblib-launcher", "hydra-submitit-launcher", "joblib", "submitit", "pyarrow",
    "dask", "distributed",
)

#: Parquet compression of parts and aggregates.
COMPRESSION = "zstd"


class StoreError(Exception):
    """A sweep directory that cannot be used as asked; the message says why in one line."""


class StoreLocked(StoreError):
    """Another sweep holds the directory's lock."""


# --- atomic writes and CSV cells -----------------------------------------------------------

def _temp_path(path: Path) -> Path:
    """Return an unused temporary file name next to ``path`` (unique per process and call)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_writer(path: str | Path, binary: bool = False) -> Iterator[Any]:
    """Open a file for writing that appears at ``path`` only when the block succeeds.

    The data go to a temporary file in the same directory, are flushed to disk
    and renamed into place; on any exception the temporary file is removed and
    ``path`` is left untouched.

    Args:
        path: Destination file; its directory must exist.
        binary: Open in binary mode instead of UTF-8 text.

    Yields:
        A handle on the temporary file.
    """
    path = Path(path)
    tmp = _temp_path(path)
    mode = {"mode": "xb"} if binary else {"mode": "x", "encoding": "utf-8", "newline": ""}
    try:
        with open(tmp, **mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, binary=True) as handle:
        handle.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_writer`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON atomically; NaN and inf are not allowed (use ``None``)."""
    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def gzip_bytes(text: str) -> bytes:
    """Compress ``text`` with gzip, without timestamp or file name (same text, same bytes)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as handle:
        handle.write(text.encode("utf-8"))
    return buffer.getvalue()


def json_value(value: Any) -> Any:
    """Convert a metric value to a JSON value: numpy scalars to Python, NaN/inf/None to ``None``."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    value = float(value)
    return value if math.isfinite(value) else None


def cell(value: Any) -> str:
    """Format one CSV cell: full-precision numbers, empty for ``None`` or NaN."""
    value = json_value(value)
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Return a CSV document (Unix line ends) with a header line and formatted rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue()


# --- provenance ----------------------------------------------------------------------------

@functools.cache
def _git_revision(root: Path) -> dict[str, Any] | None:
    """Return the git commit and dirty flag of ``root`` if it is a git checkout, else ``None``."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                                  text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root.resolve():
        return None
    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    if commit is None:
        return None
    return {"commit": commit, "dirty": bool(status)}


@functools.cache
def environment() -> dict[str, Any]:
    """Return package versions, the git revision of the code and the Python version.

    The git revision is that of the checkout holding the ``sweeps`` package
    (``None`` when the package is installed outside a git checkout).

    Returns:
        ``{"packages": {name: version or None}, "git": {...} or None, "python": ...,
        "platform": ...}``.
    """
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "packages": packages,
        "git": _git_revision(Path(__file__).resolve().parent.parent),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


# --- Hydra multirun job folders ------------------------------------------------------------

def load_record(sweep_dir: Path) -> dict[str, Any] | None:
    """Return the contents of ``sweep_dir/sweep.yaml``, or ``None`` when there is none.

    Args:
        sweep_dir: The sweep directory.

    Returns:
        The record as plain Python containers.
    """
    from omegaconf import OmegaConf

    path = Path(sweep_dir) / SWEEP_YAML
    if not path.is_file():
        return None
    return OmegaConf.to_container(OmegaConf.load(path), resolve=False)


def job_dirs(sweep_dir: Path) -> list[Path]:
    """Return the job folders of a Hydra multirun (numeric names), in job order."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        return []
    return sorted((p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()),
                  key=lambda p: int(p.name))


# --- schemas of the Parquet tables ---------------------------------------------------------

@functools.cache
def schemas() -> dict[str, pa.Schema]:
    """Return the Arrow schema of each table kind (``runs``, ``timeseries``, ``flows``).

    Returns:
        Table kind -> schema; ``point`` is the index of the design point,
        ``seed`` the run's own seed.
    """
    import pyarrow as pa

    i64, f64, text = pa.int64(), pa.float64(), pa.string()
    return {
        "runs": pa.schema([("point", i64), ("replicate", i64), ("seed", i64),
                           *((m, f64) for m in SUMMARY_METRICS)]),
        "timeseries": pa.schema([("point", i64), ("seed", i64), ("step", i64),
                                 *((m, f64) for m in TIMESERIES_METRICS)]),
        "flows": pa.schema([("point", i64), ("seed", i64), ("year", i64),
                            ("from_kind", text), ("to_kind", text), ("moves", i64)]),
    }


#: File of each table kind's aggregate.
AGGREGATE_FILES: dict[str, str] = {"runs": RUNS_PARQUET, "timeseries": TIMESERIES_PARQUET,
                                   "flows": FLOWS_PARQUET}

#: Sort keys of each table kind in the aggregate.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "runs": ("point", "seed"),
    "timeseries": ("point", "seed", "step"),
    "flows": ("point", "seed", "year", "from_kind", "to_kind"),
}


@dataclass(frozen=True)
class Failure:
    """A (point, seed) pair that did not produce results.

    Attributes:
        point: Index of the design point.
        seed: Seed of the run.
        error: One line: the exception, or why the worker died.
    """

    point: int
    seed: int
    error: str


def part_tables(rows: Sequence[tuple[int, int, int, Any]]) -> dict[str, pa.Table]:
    """Convert finished runs to the three tables of a part.

    Args:
        rows: ``(point, replicate, seed, results)`` per run, where ``results``
            has ``summary`` (metric -> value), ``timeseries`` (metric -> array
            of months) and ``flow_rows()`` like :class:`sim.Results`.

    Returns:
        Table kind -> Arrow table in :func:`schemas` order (``rows`` must not be empty).
    """
    import numpy as np
    import pyarrow as pa

    kinds = schemas()
    summary_rows, blocks, keys, flow_rows = [], [], [], []
    for point, replicate, seed, results in rows:
        values = (json_value(results.summary.get(m)) for m in SUMMARY_METRICS)
        summary_rows.append((point, replicate, seed,
                             *(None if v is None else float(v) for v in values)))
        block = np.column_stack([np.asarray(results.timeseries[m], dtype=np.float64)
                                 for m in TIMESERIES_METRICS])
        blocks.append(block)
        keys.append((point, seed, block.shape[0]))
        flow_rows += [(point, seed, *row) for row in results.flow_rows()]
    series = np.vstack(blocks)
    key_columns = {
        "point": np.repeat([k[0] for k in keys], [k[2] for k in keys]).astype(np.int64),
        "seed": np.repeat([k[1] for k in keys], [k[2] for k in keys]).astype(np.int64),
        "step": np.concatenate([np.arange(k[2], dtype=np.int64) for k in keys]),
    }
    series_columns = {**key_columns, **{m: series[:, i] for i, m in
                                        enumerate(TIMESERIES_METRICS)}}
    return {
        "timeseries": pa.Table.from_pydict(series_columns, schema=kinds["timeseries"]),
        "flows": pa.Table.from_pylist([dict(zip(kinds["flows"].names, row, strict=True))
                                       for row in flow_rows], schema=kinds["flows"]),
        "runs": pa.Table.from_pylist([dict(zip(kinds["runs"].names, row, strict=True))
                                      for row in summary_rows], schema=kinds["runs"]),
    }


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write a table as one Parquet file (zstd), atomically.

    Args:
        path: Destination; its directory must exist.
        table: The table (its chunks are combined first, so the bytes depend
            only on the rows and the schema).
    """
    import pyarrow.parquet as pq

    with atomic_writer(path, binary=True) as handle:
        pq.write_table(table.combine_chunks(), handle, compression=COMPRESSION)


def read_parquet(path: str | Path, kind: str, columns: Sequence[str] | None = None) -> pa.Table:
    """Read one Parquet table of a sweep directory after checking it against its schema.

    Args:
        path: A part or aggregate file.
        kind: Its table kind (``runs``, ``timeseries`` or ``flows``).
        columns: Columns to read (default: all).

    Returns:
        The table.

    Raises:
        StoreError: The file is missing, is not a readable Parquet file
            (truncated or corrupt), or its columns or types differ from
            :func:`schemas` (written by another version).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: missing")
    try:
        handle = pq.ParquetFile(path)
        found = handle.schema_arrow
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"{path}: not a readable Parquet file (truncated or corrupt): "
                         f"{_one_line(exc)}") from None
    expected = schemas()[kind]
    if found.names != expected.names:
        missing = [n for n in expected.names if n not in found.names]
        unknown = [n for n in found.names if n not in expected.names]
        raise StoreError(
            f"{path}: columns differ from the {kind} schema of this version (missing: "
            f"{', '.join(missing[:5]) or '-'}; unknown: {', '.join(unknown[:5]) or '-'}; or "
            "another order); written by another version of race-sim: rerun the sweep")
    wrong = [f"{f.name} is {f.type}, expected {e.type}" for f, e in zip(found, expected,
                                                                        strict=True)
             if not f.type.equals(e.type)]
    if wrong:
        raise StoreError(f"{path}: {'; '.join(wrong[:3])} (written by another version of "
                         "race-sim: rerun the sweep)")
    try:
        return handle.read(columns=list(columns) if columns else None)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"{path}: not a readable Parquet file (truncated or corrupt): "
                         f"{_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    """Return an exception as ``Type: message`` on one line (at most 200 characters)."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


def design_hash(points: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> str:
    """Return the SHA-256 of a design: its points (overrides) and seeds as canonical JSON.

    Args:
        points: Parameter overrides per point (nested mappings).
        seeds: Seeds run at every point.

    Returns:
        Hex digest.
    """
    text = json.dumps({"points": list(points), "seeds": [int(s) for s in seeds]},
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flatten(point: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return a nested mapping of overrides as dotted key -> value."""
    flat: dict[str, Any] = {}
    for key, value in point.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


@dataclass(frozen=True)
class Aggregate:
    """What :meth:`SweepStore.aggregate` wrote.

    Attributes:
        runs: Path of ``runs.parquet``.
        timeseries: Path of ``timeseries.parquet``.
        flows: Path of ``flows.parquet``.
        rows: Number of runs (rows of ``runs.parquet``).
    """

    runs: Path
    timeseries: Path
    flows: Path
    rows: int


class SweepStore:
    """A sweep directory written by the runner (see the module docstring for its layout).

    The object holds only the path (it pickles cheaply to workers); the lock,
    when held, belongs to the process that took it.

    Args:
        path: The sweep directory (created on :meth:`prepare`).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock_handle: Any = None
        self._lock_depth = 0
        self._manifest: dict[str, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.__init__(state["path"])

    def __repr__(self) -> str:
        return f"SweepStore({str(self.path)!r})"

    # -- lock --------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[SweepStore]:
        """Hold the directory's lock for the block (re-entrant on this object).

        Yields:
            This store.

        Raises:
            StoreLocked: Another process (or another store object) holds the lock.
        """
        if self._lock_depth == 0:
            self.path.mkdir(parents=True, exist_ok=True)
            handle = open(self.path / LOCK_FILE, "a+", encoding="utf-8")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise StoreLocked(
                    f"{self.path}: another sweep is running in this directory (it holds "
                    f"{self.path / LOCK_FILE}); wait for it to end or choose another "
                    "directory") from None
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            self._lock_handle = handle
        self._lock_depth += 1
        try:
            yield self
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_UN)
                self._lock_handle.close()
                self._lock_handle = None

    # -- manifest ----------------------------------------------------------------------

    def manifest(self) -> dict[str, Any] | None:
        """Return the contents of ``manifest.json``, or ``None`` when there is none."""
        path = self.path / MANIFEST_JSON
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None

    def prepare(self, points: Sequence[Mapping[str, Any]], seeds: Sequence[int],
                params: Sequence[str] | None = None,
                labels: Sequence[Sequence[Any]] | None = None) -> dict[str, Any]:
        """Write the manifest of a new sweep, or check that the directory holds this sweep.

        Args:
            points: Parameter overrides per point (nested mappings of plain values).
            seeds: Seeds run at every point, in replicate order.
            params: Column names of the points in the CSV export (default: the
                dotted keys of the overrides, in order of first appearance).
            labels: Per point, the value of each of ``params`` (default: taken
                from the overrides).

        Returns:
            The manifest.

        Raises:
            StoreError: The directory holds a different design.
        """
        digest = design_hash(points, seeds)
        existing = self.manifest()
        if existing is not None:
            if existing.get("design_sha256") != digest:
                raise StoreError(
                    f"{self.path} holds a different design ({MANIFEST_JSON}: "
                    f"{existing.get('points_count')} points x {len(existing.get('seeds', []))} "
                    f"seeds, now {len(points)} x {len(seeds)}, or other values); rerunning the "
                    "same design resumes it, a different one needs another directory")
            return existing
        if params is None:
            flats = [flatten(p) for p in points]
            params = list(dict.fromkeys(k for flat in flats for k in flat))
            labels = [[flat.get(k) for k in params] for flat in flats]
        elif labels is None or len(labels) != len(points):
            raise StoreError("prepare: labels must give one row per point with params")
        manifest = {
            "format": MANIFEST_FORMAT,
            "design_sha256": digest,
            "points_count": len(points),
            "seeds": [int(s) for s in seeds],
            "params": list(params),
            "labels": [list(row) for row in labels],
            "points": [dict(p) for p in points],
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": environment(),
        }
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / PARTS_DIR).mkdir(exist_ok=True)
        atomic_write_text(self.path / MANIFEST_JSON,
                          json.dumps(manifest, separators=(",", ":"), default=str) + "\n")
        return manifest

    def point_config(self, point: int) -> dict[str, Any]:
        """Return the full parameters a point ran with.

        For the runner's sweeps, the point's overrides on the defaults; for an
        aggregate ingested from a Hydra multirun, the resolved config recorded
        in the job folder's ``provenance.json``.

        Args:
            point: Index of the design point (the job of a Hydra multirun).

        Returns:
            Nested mapping of every model parameter (:func:`sim.params.to_dict`).

        Raises:
            StoreError: No manifest, or no such point (or no readable job provenance).
        """
        from sim.params import from_dict, to_dict

        if self._manifest is None:
            self._manifest = self.manifest()
        if (self._manifest or {}).get("source") == JOBS_SOURCE:
            path = self.path / str(point) / PROVENANCE_JSON
            try:
                return dict(json.loads(path.read_text(encoding="utf-8"))["config"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"{path}: no resolved 'config' of job {point} "
                                 f"({_one_line(exc)})") from None
        points = (self._manifest or {}).get("points")
        if points is None or not 0 <= point < len(points):
            raise StoreError(f"{self.path / MANIFEST_JSON}: no point {point}")
        return to_dict(from_dict(points[point]))

    def point_labels(self) -> dict[int, list[Any]]:
        """Return the manifest's swept values per point: point -> one value per ``params``.

        The runner's manifest labels every design point in order; an ingested
        Hydra multirun labels its finished jobs (manifest key ``jobs``).

        Raises:
            StoreError: The manifest is unreadable.
        """
        manifest = self.manifest() or {}
        labels = manifest.get("labels") or []
        points = manifest.get("jobs") if manifest.get("source") == JOBS_SOURCE else None
        return dict(zip(range(len(labels)) if points is None else points, labels, strict=False))

    # -- parts (worker side) -----------------------------------------------------------

    def mark_started(self, task_id: str) -> None:
        """Leave a marker that a task has started (removed when its part is written)."""
        folder = self.path / RUNNING_DIR
        folder.mkdir(exist_ok=True)
        (folder / task_id).touch()

    def started(self, task_id: str) -> bool:
        """Return whether a task started and did not finish writing its part."""
        return (self.path / RUNNING_DIR / task_id).exists()

    def clear_started(self, task_id: str) -> None:
        """Remove a task's start marker."""
        (self.path / RUNNING_DIR / task_id).unlink(missing_ok=True)

    def clear_all_started(self) -> None:
        """Remove the start markers of a finished run (the folder, when empty)."""
        folder = self.path / RUNNING_DIR
        if folder.is_dir():
            for marker in folder.iterdir():
                marker.unlink(missing_ok=True)
            folder.rmdir()

    def write_part(self, task_id: str, rows: Sequence[tuple[int, int, int, Any]]) -> None:
        """Write the part of one task: time series, flows, then runs (the commit).

        Args:
            task_id: Unique name of the task (file-name safe).
            rows: ``(point, replicate, seed, results)`` per finished run.
        """
        if rows:
            folder = self.path / PARTS_DIR
            for kind, table in part_tables(rows).items():
                write_parquet(folder / f"{task_id}.{kind}.parquet", table)
        self.clear_started(task_id)

    # -- reading -----------------------------------------------------------------------

    def _part_files(self, kind: str) -> list[Path]:
        """Return the committed part files of a table kind, sorted by name."""
        folder = self.path / PARTS_DIR
        if not folder.is_dir():
            return []
        committed = sorted(p.name[: -len(".runs.parquet")]
                           for p in folder.glob("*.runs.parquet"))
        return [folder / f"{task}.{kind}.parquet" for task in committed]

    def done_pairs(self) -> set[tuple[int, int]]:
        """Return the (point, seed) pairs with committed results.

        Raises:
            StoreError: A part's runs file is unreadable (:func:`read_parquet`).
        """
        pairs: set[tuple[int, int]] = set()
        for path in self._part_files("runs"):
            table = read_parquet(path, "runs", ["point", "seed"])
            pairs.update(zip(table.column("point").to_pylist(),
                             table.column("seed").to_pylist(), strict=True))
        return pairs

    def _read_parts(self, kind: str) -> pa.Table:
        """Concatenate the committed parts of a table kind (duplicated pairs dropped).

        Raises:
            StoreError: A committed part lacks this kind's file, or a file is
                unreadable (:func:`read_parquet`).
        """
        import pyarrow as pa

        schema = schemas()[kind]
        tables, seen = [], set()
        for path in self._part_files(kind):
            if not path.is_file():
                commit = path.with_name(path.name.replace(f".{kind}.parquet", ".runs.parquet"))
                raise StoreError(f"{path}: missing, though its task's {commit.name} exists (an "
                                 f"incomplete part: delete {commit} and rerun the sweep to redo "
                                 "that task)")
            table = read_parquet(path, kind).cast(schema)
            pairs = set(zip(table.column("point").to_pylist(), table.column("seed").to_pylist(),
                            strict=True))
            if pairs & seen:  # the same pair committed twice (a task retried after a timeout)
                keep = [(p, s) not in seen for p, s in zip(
                    table.column("point").to_pylist(), table.column("seed").to_pylist(),
                    strict=True)]
                table = table.filter(pa.array(keep))
            seen |= pairs
            tables.append(table)
        table = pa.concat_tables(tables) if tables else schema.empty_table()
        return table.sort_by([(key, "ascending") for key in SORT_KEYS[kind]])

    def table(self, kind: str, columns: Sequence[str] | None = None,
              from_parts: bool = False) -> pa.Table:
        """Read an aggregated table (``runs``, ``timeseries`` or ``flows``).

        Args:
            kind: Table kind.
            columns: Columns to read (default: all).
            from_parts: Read the parts even when the aggregate file exists
                (see :meth:`aggregate_is_current`).

        Returns:
            The table, from the aggregate file when present or when there are
            no parts (an aggregate ingested from job folders), else from the parts.

        Raises:
            StoreError: A file is missing or unreadable (:func:`read_parquet`).
        """
        path = self.path / AGGREGATE_FILES[kind]
        if not from_parts and (path.is_file() or not (self.path / PARTS_DIR).is_dir()):
            return read_parquet(path, kind, columns)
        table = self._read_parts(kind)
        return table.select(list(columns)) if columns else table

    def aggregate_is_current(self) -> bool:
        """Return whether ``runs.parquet`` holds exactly the runs of the committed parts.

        It does not after a rerun that was interrupted before its aggregate was
        written. A store whose ``parts/`` holds no part (kept as its aggregate
        only) counts as current when ``runs.parquet`` exists.

        Raises:
            StoreError: A file is unreadable (:func:`read_parquet`).
        """
        path = self.path / RUNS_PARQUET
        if not path.is_file():
            return False
        parts = self.done_pairs()
        if not parts:
            return True
        table = read_parquet(path, "runs", ["point", "seed"])
        return parts == set(zip(table.column("point").to_pylist(),
                                table.column("seed").to_pylist(), strict=True))

    def aggregate(self) -> Aggregate:
        """Read the parts into ``runs.parquet``, ``timeseries.parquet`` and ``flows.parquet``.

        Rows are sorted by (point, seed[, step | year, kinds]), so the files
        are byte-identical whatever the order in which the parts were written.

        Returns:
            The paths written and the number of runs.
        """
        paths = {kind: self.path / name for kind, name in AGGREGATE_FILES.items()}
        rows = 0
        for kind, path in paths.items():
            table = self._read_parts(kind)
            if kind == "runs":
                rows = table.num_rows
            write_parquet(path, table)
        return Aggregate(paths["runs"], paths["timeseries"], paths["flows"], rows)

    def write_aggregate(self, tables: Mapping[str, pa.Table], params: Sequence[str],
                        labels: Mapping[int, Sequence[Any]]) -> Aggregate:
        """Write the aggregate and manifest of runs read elsewhere (a Hydra multirun's jobs).

        The tables are cast to :func:`schemas` and sorted like :meth:`aggregate`'s,
        so they read exactly like a runner sweep's. The manifest (written last)
        has ``source`` :data:`JOBS_SOURCE`, the swept ``params`` and, per job
        in ``jobs``, its ``labels``; it records no design (that is ``sweep.yaml``).

        Args:
            tables: Table kind -> the runs' rows (``point`` = job).
            params: Swept keys (the CSV export's columns; ``seed`` = a swept root seed).
            labels: Job -> its value of each of ``params``.

        Returns:
            The paths written and the number of runs.
        """
        paths = {kind: self.path / name for kind, name in AGGREGATE_FILES.items()}
        for kind, path in paths.items():
            table = tables[kind].cast(schemas()[kind])
            write_parquet(path, table.sort_by([(key, "ascending") for key in SORT_KEYS[kind]]))
        jobs = sorted(labels)
        atomic_write_text(self.path / MANIFEST_JSON, json.dumps({
            "format": MANIFEST_FORMAT,
            "source": JOBS_SOURCE,
            "params": list(params),
            "jobs": jobs,
            "labels": [list(labels[job]) for job in jobs],
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": environment(),
        }, separators=(",", ":"), default=str) + "\n")
        self._manifest = None
        return Aggregate(paths["runs"], paths["timeseries"], paths["flows"],
                         tables["runs"].num_rows)

    # -- failures ----------------------------------------------------------------------

    def write_failures(self, failures: Sequence[Failure]) -> Path:
        """Record the pairs that failed in the last run (sorted by point, seed)."""
        ordered = sorted(failures, key=lambda f: (f.point, f.seed))
        path = self.path / FAILURES_JSON
        atomic_write_json(path, [{"point": f.point, "seed": f.seed, "error": f.error}
                                 for f in ordered])
        return path

    def failures(self) -> list[Failure]:
        """Return the failures recorded by the last run (empty when none).

        Raises:
            StoreError: ``failures.json`` is not a list of ``{point, seed, error}``.
        """
        path = self.path / FAILURES_JSON
        if not path.is_file():
            return []
        try:
            return [Failure(int(f["point"]), int(f["seed"]), str(f["error"]))
                    for f in json.loads(path.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{path}: expected a JSON list of {{point, seed, error}} "
                             f"({_one_line(exc)})") from None

    # -- CSV export --------------------------------------------------------------------

    def export_csv(self, out_dir: str | Path | None = None) -> list[Path]:
        """Write ``runs.csv``, ``timeseries.csv`` and ``flows.csv`` for spreadsheets and analysis.

        Columns follow ``docs/contracts.md``: ``job`` is the point index, then
        (``runs.csv``) the swept parameters as recorded in the manifest (a
        swept root ``seed`` is named ``root_seed``), ``replicate``, ``seed``
        and every summary metric. Floats are written in full precision.

        Args:
            out_dir: Destination folder (default: the sweep directory).

        Returns:
            The paths written.
        """
        manifest = self.manifest() or {}
        params = [ROOT_SEED_COLUMN if p == "seed" else str(p)
                  for p in manifest.get("params", [])]
        labels = self.point_labels()
        out = Path(out_dir) if out_dir is not None else self.path
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for kind, name, header in (
                ("runs", RUNS_CSV, ["job", *params, *JOB_SUMMARY_HEADER]),
                ("timeseries", TIMESERIES_CSV, ["job", *JOB_TIMESERIES_HEADER]),
                ("flows", FLOWS_CSV, ["job", *JOB_FLOWS_HEADER])):
            table = self.table(kind)
            columns = [c for c in table.column_names if c != "point"]
            data = [table.column(c).to_pylist() for c in columns]
            points = table.column("point").to_pylist()
            with atomic_writer(out / name) as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                for i, point in enumerate(points):
                    label = labels[point] if kind == "runs" else []
                    writer.writerow([str(point), *(cell(v) for v in label),
                                     *(cell(col[i]) for col in data)])
            written.append(out / name)
        return written


__all__ = [
    "AGGREGATE_FILES", "DONE_JSON", "ERROR_JSON", "FAILURES_JSON", "FLOWS_CSV", "FLOWS_PARQUET",
    "JOBS_SOURCE", "JOB_TABLES", "LOCK_FILE", "MANIFEST_JSON", "PARTS_DIR", "PROVENANCE_JSON",
    "ROOT_SEED_COLUMN", "RUNS_CSV", "RUNS_PARQUET", "SWEEP_YAML", "TIMESERIES_CSV",
    "TIMESERIES_PARQUET", "Aggregate",
    "Failure", "StoreError", "StoreLocked", "SweepStore", "atomic_write_bytes",
    "atomic_write_json", "atomic_write_text", "atomic_writer", "cell", "csv_text",
    "environment", "job_dirs", "load_record", "read_parquet", "schemas",
]
