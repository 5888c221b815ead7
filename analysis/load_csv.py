"""Read the CSV tables of a Hydra multirun (``race-sim -m``, ``--executor hydra``).

A Hydra multirun leaves one folder per job with CSV files written by
``race-sim``; :func:`analysis.aggregate.aggregate` concatenates them as text
into ``runs.csv``, ``timeseries.csv`` and ``flows.csv`` (``docs/contracts.md``).
Text files can be cut while written or copied and carry no types, so this
module checks what a typed columnar store makes impossible: a complete file
(final line end, the header's field count on every line), the expected
columns, integer keys and numeric metrics. Each check raises
:class:`~analysis.errors.SweepError` with one line naming the file. Sweeps run
by the runner are read from their Parquet store instead
(:func:`analysis.load.load_sweep`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import SweepError
from sim.results import SUMMARY_METRICS, TIMESERIES_METRICS
from sweeps.store import ROOT_SEED_COLUMN, SWEEP_YAML

#: Key columns of ``timeseries.csv``.
TIMESERIES_KEYS = ("job", "seed", "step")
#: Columns of ``flows.csv``.
FLOWS_COLUMNS = ("job", "seed", "year", "from_kind", "to_kind", "moves")


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



def read_runs(path: Path, definition: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Read ``runs.csv`` with typed columns; return the table and the swept parameters.

    Args:
        path: The file.
        definition: Contents of ``sweep.yaml`` (its ``params`` must match the columns).

    Returns:
        The table (``job``, ``replicate``, ``seed`` as int64, metrics as float64,
        NaN = null) and the swept parameter columns in file order.

    Raises:
        SweepError: The file is missing, truncated or malformed, or its
            parameter columns differ from ``sweep.yaml``.
    """
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
    declared = [ROOT_SEED_COLUMN if p == "seed" else p for p in definition["params"]]
    if set(params) != set(declared):
        raise SweepError(
            f"{path}: swept parameter columns {params} differ from {SWEEP_YAML} params "
            f"{declared} (mixed sweeps)"
        )
    if table.empty:
        raise SweepError(f"{path}: no rows (no finished runs)")
    for column in ("job", "replicate", "seed"):
        _integer_column(table, column, path)
    _numeric_columns(table, SUMMARY_METRICS, path)
    return table, params


def read_timeseries(path: Path) -> pd.DataFrame:
    """Read ``timeseries.csv`` with typed columns and one row per (job, seed, step).

    Args:
        path: The file.

    Returns:
        ``job, seed, step`` (int64) and every time-series metric (float64).

    Raises:
        SweepError: The file is missing, truncated or malformed, or repeats a month.
    """
    table = read_csv_checked(path)
    columns = list(table.columns)
    if columns[:3] != list(TIMESERIES_KEYS):
        raise SweepError(f"{path}: header must start with job, seed, step; got {columns[:3]}")
    _check_metric_columns(path, columns[3:], TIMESERIES_METRICS)
    for column in TIMESERIES_KEYS:
        _integer_column(table, column, path)
    _numeric_columns(table, TIMESERIES_METRICS, path)
    if table.duplicated(list(TIMESERIES_KEYS)).any():
        job, seed, step = (int(v) for v in table.loc[
            table.duplicated(list(TIMESERIES_KEYS)), list(TIMESERIES_KEYS)].iloc[0])
        raise SweepError(f"{path}: job {job}, seed {seed} has step {step} twice")
    return table


def read_flows(path: Path) -> pd.DataFrame:
    """Read ``flows.csv`` with typed columns.

    Args:
        path: The file.

    Returns:
        ``job, seed, year`` (int64), ``from_kind, to_kind`` (text), ``moves``
        (float64, a non-negative count).

    Raises:
        SweepError: The file is missing, truncated or malformed, or a count is
            negative or empty.
    """
    table = read_csv_checked(path)
    if list(table.columns) != list(FLOWS_COLUMNS):
        raise SweepError(
            f"{path}: header must be {', '.join(FLOWS_COLUMNS)}; got {', '.join(table.columns)}"
        )
    for column in ("job", "seed", "year"):
        _integer_column(table, column, path)
    _numeric_columns(table, ["moves"], path)
    if (table["moves"] < 0).any() or table["moves"].isna().any():
        raise SweepError(f"{path}: column 'moves' must be a non-negative count in every row")
    return table
