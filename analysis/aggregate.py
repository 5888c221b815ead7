"""Build a sweep's tidy tables from its job folders or its store (``docs/contracts.md``).

A sweep run by the runner (a ``manifest.json`` in the directory) is rebuilt
through :class:`sweeps.store.SweepStore`: its Parquet aggregate from the parts,
then the CSV export. A Hydra multirun is built from its job folders as below.

Each finished job folder (``SWEEP_DIR/<job>/`` with ``done.json``, written by
``race-sim``) holds ``summary.csv`` (one row per seed), ``timeseries.csv.gz``,
``flows.csv.gz`` and ``provenance.json`` (the job's resolved config and
config-group choices). :func:`aggregate` concatenates them into

- ``runs.csv``: ``job``, every swept parameter (column named by its dotted key,
  or by its config group; a swept root ``seed`` is named ``root_seed``),
  ``replicate``, ``seed``, every summary metric;
- ``timeseries.csv``: ``job``, ``seed``, ``step``, every time-series metric;
- ``flows.csv``: ``job``, ``seed``, ``year``, ``from_kind``, ``to_kind``, ``moves``;

and writes ``provenance.json`` when the sweep directory has none. Rows are
copied as text (no float round trip), streamed, and every file is replaced
atomically. Unfinished or failed jobs are left out (they have no ``done.json``).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from analysis.errors import SweepError
from sweeps.store import (
    DONE_JSON,
    FLOWS_CSV,
    JOB_FLOWS_CSV_GZ,
    JOB_FLOWS_HEADER,
    JOB_SUMMARY_CSV,
    JOB_SUMMARY_HEADER,
    JOB_TIMESERIES_CSV_GZ,
    JOB_TIMESERIES_HEADER,
    PROVENANCE_JSON,
    ROOT_SEED_COLUMN,
    RUNS_CSV,
    SWEEP_YAML,
    TIMESERIES_CSV,
    StoreError,
    SweepStore,
    atomic_write_json,
    atomic_writer,
    cell,
    environment,
    job_dirs,
    load_record,
)


@dataclass(frozen=True)
class Aggregated:
    """What :func:`aggregate` wrote.

    Attributes:
        runs_csv: Path of ``runs.csv``.
        timeseries_csv: Path of ``timeseries.csv``.
        flows_csv: Path of ``flows.csv``.
        jobs: Ids of the finished jobs included, ascending.
        rows: Number of rows of ``runs.csv`` (one per job and seed).
    """

    runs_csv: Path
    timeseries_csv: Path
    flows_csv: Path
    jobs: list[int]
    rows: int


def param_value(key: str, config: Mapping[str, Any], choices: Mapping[str, Any]) -> Any:
    """Return the value of a swept key in a job: a config-group choice or a dotted config key.

    Args:
        key: Swept key, e.g. ``"downstream.partner_share"`` or ``"governance"``.
        config: The job's resolved config (nested mapping).
        choices: The job's config-group choices.

    Returns:
        The value.

    Raises:
        KeyError: The key is neither a group nor a config key.
    """
    if key in choices:
        return choices[key]
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def _lines(path: Path, header: Sequence[str]) -> list[str]:
    """Return the data lines of a job table after checking its header."""
    if path.suffix == ".gz":
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    expected = ",".join(header)
    if not lines or lines[0] != expected:
        found = lines[0] if lines else "(empty file)"
        raise SweepError(
            f"{path}: header differs from this version of race-sim's ({found[:80]} ...); "
            "the job was written by another version: delete the job folder and re-run the sweep"
        )
    return lines[1:]


def _prefix(values: Sequence[Any]) -> str:
    """Return CSV cells for ``values`` followed by a comma."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([cell(v) for v in values])
    return buffer.getvalue() + ","


def _copy(out: TextIO, prefix: str, lines: Sequence[str]) -> None:
    """Write each line with a prefix."""
    out.writelines(prefix + line + "\n" for line in lines)


def aggregate(sweep_dir: str | Path) -> Aggregated:
    """Build ``runs.csv``, ``timeseries.csv`` and ``flows.csv`` of a sweep from its job folders.

    Args:
        sweep_dir: The sweep directory (with ``sweep.yaml``).

    Returns:
        The paths written, the jobs included and the number of runs.

    Raises:
        SweepError: No ``sweep.yaml``, or a finished job whose files do not
            match this version's columns or lack a swept parameter.
    """
    root = Path(sweep_dir)
    record = load_record(root)
    if record is None:
        raise SweepError(f"{root / SWEEP_YAML}: missing; {root} is not a race-sim sweep directory")
    store = SweepStore(root)
    if store.manifest() is not None:
        return _from_store(store)
    params = [str(p) for p in record.get("params") or []]
    finished = [d for d in job_dirs(root) if (d / DONE_JSON).is_file()]
    paths = root / RUNS_CSV, root / TIMESERIES_CSV, root / FLOWS_CSV
    rows = 0
    with atomic_writer(paths[0]) as runs, atomic_writer(paths[1]) as series, \
            atomic_writer(paths[2]) as flows:
        columns = [ROOT_SEED_COLUMN if p == "seed" else p for p in params]
        runs.write(",".join(["job", *columns, *JOB_SUMMARY_HEADER]) + "\n")
        series.write(",".join(["job", *JOB_TIMESERIES_HEADER]) + "\n")
        flows.write(",".join(["job", *JOB_FLOWS_HEADER]) + "\n")
        for folder in finished:
            job = int(folder.name)
            prov = json.loads((folder / PROVENANCE_JSON).read_text(encoding="utf-8"))
            try:
                point = [param_value(p, prov.get("config", {}), prov.get("choices", {}))
                         for p in params]
            except KeyError as exc:
                raise SweepError(f"{folder / PROVENANCE_JSON}: no value for swept parameter "
                                 f"{exc.args[0]!r} (a job of another sweep?)") from exc
            summary = _lines(folder / JOB_SUMMARY_CSV, JOB_SUMMARY_HEADER)
            rows += len(summary)
            _copy(runs, _prefix([job, *point]), summary)
            _copy(series, f"{job},", _lines(folder / JOB_TIMESERIES_CSV_GZ, JOB_TIMESERIES_HEADER))
            _copy(flows, f"{job},", _lines(folder / JOB_FLOWS_CSV_GZ, JOB_FLOWS_HEADER))
    if not (root / PROVENANCE_JSON).is_file():
        atomic_write_json(root / PROVENANCE_JSON, environment())
    return Aggregated(*paths, jobs=[int(d.name) for d in finished], rows=rows)


def _from_store(store: SweepStore) -> Aggregated:
    """Rebuild the Parquet aggregate and the CSV tables of a sweep run by the runner."""
    try:
        with store.locked():
            result = store.aggregate()
            paths = store.export_csv()
    except StoreError as exc:
        raise SweepError(str(exc)) from None
    points = sorted(set(store.table("runs", ["point"]).column("point").to_pylist()))
    if not (store.path / PROVENANCE_JSON).is_file():
        atomic_write_json(store.path / PROVENANCE_JSON, environment())
    return Aggregated(*paths, jobs=points, rows=result.rows)


__all__ = [
    "FLOWS_CSV", "ROOT_SEED_COLUMN", "RUNS_CSV", "TIMESERIES_CSV", "Aggregated", "aggregate",
    "param_value",
]
