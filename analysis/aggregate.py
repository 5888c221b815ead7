"""Build a sweep's Parquet aggregate and CSV export from its store or its job folders.

A sweep run by the runner (a runner's ``manifest.json`` in the directory) is
rebuilt through :class:`sweeps.store.SweepStore`: its Parquet aggregate from
the parts. A Hydra multirun's finished job folders are ingested into the same
typed aggregate (``runs.parquet``, ``timeseries.parquet``, ``flows.parquet``;
``point`` = job) by :func:`sweeps.ingest.ingest_jobs`, which checks their CSV
files on the way in. Either way the CSV export follows (``runs.csv``,
``timeseries.csv``, ``flows.csv`` for spreadsheets; see ``docs/contracts.md``),
and ``provenance.json`` is written when the sweep directory has none.
:mod:`analysis.load` reads only the Parquet files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.errors import SweepError
from sweeps.store import (
    JOBS_SOURCE,
    PROVENANCE_JSON,
    SWEEP_YAML,
    StoreError,
    SweepStore,
    atomic_write_json,
    environment,
    load_record,
)


@dataclass(frozen=True)
class Aggregated:
    """What :func:`aggregate` wrote.

    Attributes:
        runs_csv: Path of ``runs.csv``.
        timeseries_csv: Path of ``timeseries.csv``.
        flows_csv: Path of ``flows.csv``.
        jobs: Points (jobs of a Hydra multirun) with results, ascending.
        rows: Number of runs (one per job and seed).
    """

    runs_csv: Path
    timeseries_csv: Path
    flows_csv: Path
    jobs: list[int]
    rows: int


def aggregate(sweep_dir: str | Path) -> Aggregated:
    """Build the Parquet aggregate and the CSV export of a sweep.

    Args:
        sweep_dir: The sweep directory (with ``sweep.yaml``).

    Returns:
        The CSV paths written, the points included and the number of runs.

    Raises:
        SweepError: No ``sweep.yaml``, another sweep holds the directory, or a
            part or finished job's file is unreadable, does not match this
            version's columns or lacks a swept parameter (one line naming the file).
    """
    from sweeps.ingest import ingest_jobs

    root = Path(sweep_dir)
    record = load_record(root)
    if record is None:
        raise SweepError(f"{root / SWEEP_YAML}: missing; {root} is not a race-sim sweep directory")
    store = SweepStore(root)
    try:
        manifest = store.manifest()
        with store.locked():
            if manifest is None or manifest.get("source") == JOBS_SOURCE:
                result, points = ingest_jobs(store, [str(p) for p in record.get("params") or []])
            else:
                result = store.aggregate()
                points = sorted(set(store.table("runs", ["point"]).column("point").to_pylist()))
            paths = store.export_csv()
    except StoreError as exc:
        raise SweepError(str(exc)) from None
    if not (root / PROVENANCE_JSON).is_file():
        atomic_write_json(root / PROVENANCE_JSON, environment())
    return Aggregated(*paths, jobs=points, rows=result.rows)


__all__ = ["Aggregated", "aggregate"]
