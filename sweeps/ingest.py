"""Ingest a Hydra multirun's job folders into the store: the checked CSV reader.

A Hydra multirun (``race-sim -m``, ``race-sim-sweep --executor hydra``) leaves
one folder per job. Each finished one (``SWEEP_DIR/<job>/`` with
``done.json``, written by ``race-sim``) holds ``summary.csv`` (one row per
seed), ``timeseries.csv.gz``, ``flows.csv.gz`` and ``provenance.json`` (the
job's resolved config and config-group choices). :func:`ingest_jobs` reads
them into the same typed Parquet aggregate the runner writes
(:meth:`sweeps.store.SweepStore.write_aggregate`, ``point`` = job), with a
manifest naming the swept values of each job; readers then see only Parquet.

These text files are the last place where results exist as text, which can
be cut while written or copied and carries no types, so they are checked
here, once: a complete file (final line end, the header's field count on
every line), this version's columns, integer keys, numeric metrics, one row
per month and a non-negative integer count of moves. Each check raises
:class:`~sweeps.store.StoreError` with one line naming the file. Numbers are
parsed as :func:`pandas.read_csv` parses them, as the CSV tables were read
before this ingest existed, so a sweep's numbers do not depend on the version
that aggregated it. Unfinished or failed jobs (no ``done.json``) are left out.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sweeps.store import (
    DONE_JSON,
    JOB_TABLES,
    PROVENANCE_JSON,
    Aggregate,
    StoreError,
    SweepStore,
    job_dirs,
    schemas,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Per table kind, the integer columns of its job file (keys and counts).
INTEGER_COLUMNS: dict[str, tuple[str, ...]] = {
    "runs": ("replicate", "seed"),
    "timeseries": ("seed", "step"),
    "flows": ("seed", "year", "moves"),
}
#: Columns of the job tables that hold text (organisation kinds); every other column is a number.
TEXT_COLUMNS = ("from_kind", "to_kind")


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


def read_csv_checked(path: Path) -> pd.DataFrame:
    """Read a job's CSV file (gzip when its name ends in ``.gz``) after checking it is complete.

    A file is complete when it is non-empty, ends with a newline and every
    line has as many fields as the header; a file cut while being written or
    copied fails one of these.

    Args:
        path: The CSV file.

    Returns:
        The table (empty cells and ``nan`` as NaN; other text stays text).

    Raises:
        StoreError: The file is missing, empty, truncated or unparsable.
    """
    import pandas as pd

    if not path.is_file():
        raise StoreError(f"{path}: missing")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as exc:
        raise StoreError(f"{path}: not a readable gzip file (truncated or corrupt): "
                         f"{type(exc).__name__}: {exc}") from None
    if not raw.strip():
        raise StoreError(f"{path}: empty (expected a header line and rows)")
    if not raw.endswith(b"\n"):
        raise StoreError(f"{path}: truncated (the last line has no line end)")
    _check_field_counts(path, raw)
    try:
        return pd.read_csv(io.BytesIO(raw), keep_default_na=False, na_values=["", "nan", "NaN"])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise StoreError(f"{path}: cannot be parsed as CSV: {' '.join(str(exc).split())}") \
            from None


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
            raise StoreError(
                f"{path}: line {number} has {fields} fields, the header has {header_fields} "
                "(truncated or corrupted file)"
            )


def _integer_column(table: pd.DataFrame, column: str, path: Path) -> None:
    """Convert a key or count column to int64 in place, or raise naming the file and line."""
    import numpy as np
    import pandas as pd

    values = pd.to_numeric(table[column], errors="coerce")
    bad = values.isna() | (values != np.round(values))
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise StoreError(
            f"{path}: column {column!r} needs an integer in every row; line {line} has "
            f"{table[column].iloc[line - 2]!r}"
        )
    table[column] = values.astype(np.int64)


def _numeric_columns(table: pd.DataFrame, columns: Iterable[str], path: Path) -> None:
    """Convert metric columns to float in place (empty cells -> NaN), or raise naming the line."""
    import numpy as np
    import pandas as pd

    for column in columns:
        if pd.api.types.is_bool_dtype(table[column]):
            table[column] = table[column].astype(float)
            continue
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() & table[column].notna()
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise StoreError(
                f"{path}: column {column!r} must be numeric; line {line} has "
                f"{table[column].iloc[line - 2]!r}"
            )
        table[column] = values.astype(float)


def read_job_table(path: Path, kind: str) -> pd.DataFrame:
    """Read one table of a job folder with this version's columns and types, checked.

    Args:
        path: The job's ``summary.csv``, ``timeseries.csv.gz`` or ``flows.csv.gz``.
        kind: Its table kind (``runs``, ``timeseries`` or ``flows``,
            :data:`sweeps.store.JOB_TABLES`).

    Returns:
        The table: keys and counts as int64, metrics as float64 (NaN = empty
        cell), organisation kinds as text.

    Raises:
        StoreError: The file is missing, truncated or malformed, has other
            columns than this version writes, repeats a month or has a
            negative count.
    """
    header, integers = JOB_TABLES[kind][1], INTEGER_COLUMNS[kind]
    table = read_csv_checked(path)
    columns = [str(c) for c in table.columns]
    if columns != list(header):
        unknown = [c for c in columns if c not in header]
        missing = [c for c in header if c not in columns]
        raise StoreError(
            f"{path}: columns differ from this version of race-sim's (unknown: "
            f"{', '.join(unknown[:5]) or '-'}; missing: {', '.join(missing[:5]) or '-'}; or "
            "another order); the job was written by another version: delete the job folder "
            "and re-run the sweep")
    for column in integers:
        _integer_column(table, column, path)
    _numeric_columns(table, [c for c in header if c not in (*integers, *TEXT_COLUMNS)], path)
    if kind == "timeseries" and table.duplicated(["seed", "step"]).any():
        seed, step = (int(v) for v in table.loc[table.duplicated(["seed", "step"]),
                                                ["seed", "step"]].iloc[0])
        raise StoreError(f"{path}: seed {seed} has step {step} twice")
    if kind == "flows" and (table["moves"] < 0).any():
        raise StoreError(f"{path}: column 'moves' must be a non-negative count in every row")
    return table


def _job_labels(folder: Path, params: Sequence[str]) -> list[Any]:
    """Return a job's value of each swept parameter, from its ``provenance.json``."""
    path = folder / PROVENANCE_JSON
    try:
        prov = json.loads(path.read_text(encoding="utf-8"))
        config, choices = prov.get("config", {}), prov.get("choices", {})
    except (OSError, ValueError, AttributeError) as exc:
        raise StoreError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    try:
        return [param_value(p, config, choices) for p in params]
    except KeyError as exc:
        raise StoreError(f"{path}: no value for swept parameter {exc.args[0]!r} (a job of "
                         "another sweep?)") from None


def _arrow(kind: str, frames: Sequence[pd.DataFrame]) -> pa.Table:
    """Concatenate one table kind of every job into an Arrow table of the store's schema.

    Empty cells become nulls (the runner's ``null`` = an undefined summary
    metric), except in time series, which keep NaN like the runner's parts.
    """
    import pandas as pd
    import pyarrow as pa

    schema = schemas()[kind]
    table = pd.concat(frames, ignore_index=True) if frames else None
    if table is None or table.empty:
        return schema.empty_table()
    return pa.Table.from_arrays(
        [pa.array(table[f.name].to_numpy(), type=f.type, from_pandas=kind != "timeseries")
         for f in schema], schema=schema)


def ingest_jobs(store: SweepStore, params: Sequence[str]) -> tuple[Aggregate, list[int]]:
    """Read the finished job folders of a Hydra multirun into the store's Parquet aggregate.

    Args:
        store: The sweep directory (holding the job folders).
        params: Swept keys recorded in ``sweep.yaml`` (dotted config keys or
            config groups; ``seed`` = a swept root seed).

    Returns:
        The aggregate written and the finished jobs included, ascending.

    Raises:
        StoreError: A finished job's file is missing, truncated or malformed,
            or its provenance lacks a swept parameter; the message names the file.
    """
    frames: dict[str, list[pd.DataFrame]] = {kind: [] for kind in JOB_TABLES}
    labels: dict[int, list[Any]] = {}
    for folder in job_dirs(store.path):
        if not (folder / DONE_JSON).is_file():
            continue
        job = int(folder.name)
        labels[job] = _job_labels(folder, params)
        for kind, (name, _) in JOB_TABLES.items():
            table = read_job_table(folder / name, kind)
            table.insert(0, "point", job)
            frames[kind].append(table)
    tables = {kind: _arrow(kind, jobs) for kind, jobs in frames.items()}
    return store.write_aggregate(tables, params, labels), sorted(labels)


__all__ = ["INTEGER_COLUMNS", "ingest_jobs", "param_value", "read_csv_checked", "read_job_table"]
