"""Files written by a run or a sweep job, written atomically.

A **single run** (``race-sim`` with ``replicates=1``, not a multirun) writes
into its output directory ``timeseries.csv``, ``flows.csv``,
``money_flows.csv`` (each outside account's inflow and outflow per year),
``provenance.json``, ``overview.png`` and, last, ``summary.json``: its
presence marks a finished run.

A **job** (each job of a multirun, or a single run with ``replicates > 1``)
runs several seeds and writes compact per-seed tables: ``summary.csv`` (one
row per seed), ``timeseries.csv.gz`` and ``flows.csv.gz`` (long tables with a
``seed`` column), ``provenance.json`` and, last, ``done.json``: its presence
marks a finished job, which a re-run of the sweep skips. A job that raised
writes ``error.json`` instead. :mod:`sweeps.ingest` reads the job tables of a
sweep into its Parquet aggregate (:func:`analysis.aggregate.aggregate`).

Every file is written to a temporary file in the same directory and moved into
place with :func:`os.replace`, so a reader never sees a partial file. Numbers
are written with full precision (``repr``), so identical runs give identical
bytes; undefined values (``None``, NaN) are empty CSV cells and JSON ``null``.
The file names, headers, atomic writers and provenance record are defined in
:mod:`sweeps.store` (the one owner of the file contract) and re-exported here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.results import SUMMARY_METRICS, TIMESERIES_METRICS
from sweeps.store import (
    DONE_JSON,
    ERROR_JSON,
    FLOWS_CSV,
    FLOWS_HEADER,
    JOB_FLOWS_CSV_GZ,
    JOB_FLOWS_HEADER,
    JOB_SUMMARY_CSV,
    JOB_SUMMARY_HEADER,
    JOB_TIMESERIES_CSV_GZ,
    JOB_TIMESERIES_HEADER,
    MONEY_FLOWS_CSV,
    MONEY_FLOWS_HEADER,
    OVERVIEW_PNG,
    PROVENANCE_JSON,
    SUMMARY_JSON,
    TIMESERIES_CSV,
    TIMESERIES_HEADER,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    atomic_writer,
    cell,
    csv_text,
    environment,
    gzip_bytes,
    json_value,
)

if TYPE_CHECKING:
    from sim.results import Results

#: Headline outcomes printed after a run: (summary metric, label, unit).
HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("frontier_capability", "Frontier capability at the end", "log10 effective FLOP"),
    ("capability_growth_oom_per_year", "Frontier growth", "OOM/year"),
    ("leader_gap_oom", "Leader's gap over the runner-up", "OOM"),
    ("contenders", "Contenders within 0.5 OOM", "labs"),
    ("safety_share_mean", "Mean safety share", "share of effort"),
    ("incident_count", "Incidents", "count"),
    ("time_to_threshold_months", "Months to capability threshold", "months"),
    ("compute_hhi", "Compute concentration", "HHI 0-1"),
    ("talent_hhi_top_decile", "Top-talent concentration", "HHI 0-1"),
    ("academia_share_top_decile", "Academia's share of top talent", "share"),
    ("moves_academia_to_industry", "Moves academia -> industry", "researchers"),
    ("moves_startup_to_lab", "Moves startup -> lab", "researchers"),
    ("lab_spinouts", "Lab spin-outs", "startups"),
    ("startup_survival", "Startup survival", "share"),
)


def timeseries_rows(results: Results, prefix: Sequence[Any] = ()) -> list[list[Any]]:
    """Return one row per month: ``prefix``, the step and every time-series metric.

    Args:
        results: Results of one run.
        prefix: Leading cells of every row (e.g. the seed).

    Returns:
        Rows in :data:`TIMESERIES_HEADER` order after the prefix.
    """
    columns = [results.timeseries[name] for name in TIMESERIES_METRICS]
    steps = len(columns[0]) if columns else 0
    return [[*prefix, step, *(column[step] for column in columns)] for step in range(steps)]


def summary_values(results: Results) -> list[Any]:
    """Return the summary metrics of a run in :data:`SUMMARY_METRICS` order (JSON values)."""
    return [json_value(results.summary.get(name)) for name in SUMMARY_METRICS]


def provenance(seeds: Sequence[int], config: Mapping[str, Any],
               overrides: Sequence[str], choices: Mapping[str, Any]) -> dict[str, Any]:
    """Return the provenance record of a run or job.

    Args:
        seeds: Seeds run, in replicate order.
        config: Resolved configuration (plain containers, without the ``hydra`` node).
        overrides: Command-line overrides of the task.
        choices: Selected option of every config group.

    Returns:
        Environment (:func:`environment`), seeds, overrides, choices, config and
        the UTC time of writing.
    """
    return {
        **environment(),
        "seed": seeds[0],
        "seeds": list(seeds),
        "overrides": list(overrides),
        "choices": dict(choices),
        "config": dict(config),
        "written_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_single_run(out_dir: Path, results: Results, prov: Mapping[str, Any]) -> None:
    """Write the files of one run; ``summary.json`` last.

    Args:
        out_dir: The run's output directory (exists).
        results: Results of the run.
        prov: Provenance record (:func:`provenance`).
    """
    atomic_write_text(out_dir / TIMESERIES_CSV,
                      csv_text(TIMESERIES_HEADER, timeseries_rows(results)))
    atomic_write_text(out_dir / FLOWS_CSV, csv_text(FLOWS_HEADER, results.flow_rows()))
    atomic_write_text(out_dir / MONEY_FLOWS_CSV,
                      csv_text(MONEY_FLOWS_HEADER, results.money_flow_rows()))
    atomic_write_json(out_dir / PROVENANCE_JSON, dict(prov))
    plot_overview(out_dir / OVERVIEW_PNG, results)
    summary = {"seed": int(results.seed)}
    summary.update(zip(SUMMARY_METRICS, summary_values(results), strict=True))
    atomic_write_json(out_dir / SUMMARY_JSON, summary)


def write_job(out_dir: Path, runs: Sequence[Results], model_seconds: Sequence[float],
              prov: Mapping[str, Any]) -> None:
    """Write the compact files of a job that ran several seeds; ``done.json`` last.

    Args:
        out_dir: The job's output directory (exists).
        runs: Results per seed, in replicate order.
        model_seconds: Wall time of each run, in seconds.
        prov: Provenance record (:func:`provenance`).
    """
    summary_rows = [[i, r.seed, *summary_values(r)] for i, r in enumerate(runs)]
    series_rows = [row for r in runs for row in timeseries_rows(r, (r.seed,))]
    flow_rows = [(r.seed, *row) for r in runs for row in r.flow_rows()]
    atomic_write_text(out_dir / JOB_SUMMARY_CSV, csv_text(JOB_SUMMARY_HEADER, summary_rows))
    atomic_write_bytes(out_dir / JOB_TIMESERIES_CSV_GZ,
                       gzip_bytes(csv_text(JOB_TIMESERIES_HEADER, series_rows)))
    atomic_write_bytes(out_dir / JOB_FLOWS_CSV_GZ,
                       gzip_bytes(csv_text(JOB_FLOWS_HEADER, flow_rows)))
    atomic_write_json(out_dir / PROVENANCE_JSON, dict(prov))
    (out_dir / ERROR_JSON).unlink(missing_ok=True)
    atomic_write_json(out_dir / DONE_JSON, {
        "seeds": [int(r.seed) for r in runs],
        "model_seconds": [float(s) for s in model_seconds],
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    })


def write_error(out_dir: Path, error: BaseException, trace: str) -> None:
    """Record why a job failed in ``error.json`` (a later run of the sweep retries the job).

    Args:
        out_dir: The job's output directory.
        error: The exception raised.
        trace: Its formatted traceback.
    """
    atomic_write_json(out_dir / ERROR_JSON, {
        "error": f"{type(error).__name__}: {error}",
        "traceback": trace,
        "failed_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    })


def _format(value: Any) -> str:
    """Format a headline value with 4 significant digits (``-`` when undefined)."""
    value = json_value(value)
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.4g}"


def headline_table(runs: Sequence[Results]) -> str:
    """Return a plain-text table of the headline outcomes.

    One run gives one value column; several seeds give mean, min and max over
    the seeds (undefined values left out).

    Args:
        runs: Results of one or more seeds.

    Returns:
        The table as one string of lines.
    """
    rows = []
    for name, label, unit in HEADLINES:
        if name not in SUMMARY_METRICS:
            continue
        values = [json_value(r.summary.get(name)) for r in runs]
        if len(runs) == 1:
            rows.append((label, unit, _format(values[0])))
            continue
        defined = [v for v in values if v is not None]
        stats = (sum(defined) / len(defined), min(defined), max(defined)) if defined else ()
        rows.append((label, unit, *(_format(v) for v in stats or (None,) * 3)))
    seeds = ", ".join(str(r.seed) for r in runs[:6]) + (", ..." if len(runs) > 6 else "")
    head = ("outcome", "unit", "value") if len(runs) == 1 else ("outcome", "unit", "mean",
                                                                  "min", "max")
    widths = [max(len(str(row[i])) for row in (head, *rows)) for i in range(len(head))]
    lines = [f"Headline outcomes (seed{'s' if len(runs) > 1 else ''} {seeds}, "
             f"{len(runs[0].timeseries[TIMESERIES_METRICS[0]])} months)"]
    for row in (head, *rows):
        lines.append("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    return "\n".join(lines)


def plot_overview(path: Path, results: Results) -> None:
    """Draw the overview figure of one run (PNG, matplotlib Agg, written atomically).

    Four panels over calendar time: capability ``C`` per lab (log10 effective
    FLOP), safety share per lab and its mean, concentration (Herfindahl indices
    of compute, capability share and top-decile talent, 0-1) and academia's
    share of the top skill decile of researchers.

    Args:
        path: Destination ``.png`` file.
        results: Results of the run.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    steps = results.lab_capability.shape[0]
    years = results.start_year + np.arange(steps) / 12.0
    ts = results.timeseries
    fig = Figure(figsize=(11, 8))
    FigureCanvasAgg(fig)
    (ax_cap, ax_safe), (ax_conc, ax_acad) = fig.subplots(2, 2, sharex=True)
    fig.subplots_adjust(left=0.07, right=0.985, bottom=0.07, top=0.92, wspace=0.22, hspace=0.18)

    for j, name in enumerate(results.lab_names):
        ax_cap.plot(years, results.lab_capability[:, j], lw=1.2, label=name)
    if "frontier_capability" in ts:
        ax_cap.plot(years, ts["frontier_capability"], "k--", lw=1.5, label="frontier")
    ax_cap.set_title("Capability per lab")
    ax_cap.set_ylabel("capability C (log10 effective FLOP)")
    if len(results.lab_names) <= 12:
        ax_cap.legend(fontsize=7, ncol=2)

    for j in range(results.lab_safety.shape[1]):
        ax_safe.plot(years, results.lab_safety[:, j], lw=0.8, alpha=0.6)
    if "safety_share_mean" in ts:
        ax_safe.plot(years, ts["safety_share_mean"], "k", lw=2, label="mean over labs")
        ax_safe.legend(fontsize=8)
    ax_safe.set_title("Safety share per lab")
    ax_safe.set_ylabel("safety share s (share of effort, 0-1)")
    ax_safe.set_ylim(0, 1)

    for name, label in (("compute_hhi", "compute"), ("capability_share_hhi", "capability share"),
                        ("talent_hhi_top_decile", "top-decile talent")):
        if name in ts:
            ax_conc.plot(years, ts[name], lw=1.5, label=label)
    ax_conc.set_title("Concentration")
    ax_conc.set_ylabel("Herfindahl index (0-1)")
    ax_conc.set_ylim(0, 1)
    ax_conc.legend(fontsize=8)

    if "academia_share_top_decile" in ts:
        ax_acad.plot(years, ts["academia_share_top_decile"], color="tab:green", lw=1.5)
    ax_acad.set_title("Academia's share of top-decile researchers")
    ax_acad.set_ylabel("share of top-decile researchers (0-1)")
    ax_acad.set_ylim(0, 1)

    for ax in (ax_conc, ax_acad):
        ax.set_xlabel("year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (ax_cap, ax_safe, ax_conc, ax_acad):
        ax.grid(alpha=0.3)
    fig.suptitle(f"race-sim run, seed {results.seed}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())


__all__ = [
    "DONE_JSON",
    "ERROR_JSON",
    "FLOWS_CSV",
    "JOB_FLOWS_CSV_GZ",
    "JOB_FLOWS_HEADER",
    "JOB_SUMMARY_CSV",
    "JOB_SUMMARY_HEADER",
    "JOB_TIMESERIES_CSV_GZ",
    "JOB_TIMESERIES_HEADER",
    "MONEY_FLOWS_CSV",
    "MONEY_FLOWS_HEADER",
    "OVERVIEW_PNG",
    "PROVENANCE_JSON",
    "SUMMARY_JSON",
    "TIMESERIES_CSV",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "atomic_writer",
    "cell",
    "csv_text",
    "environment",
    "headline_table",
    "plot_overview",
    "provenance",
    "write_error",
    "write_job",
    "write_single_run",
]
