"""Command line ``race-analyze SWEEP_DIR``: build the HTML report of a sweep.

A thin layer over the Python API (:func:`analysis.load.load_sweep`,
:func:`analysis.report.build_report`). Only ``argparse`` and ``pathlib`` are
imported at start-up, so ``--help`` answers at once; pandas, scipy and
matplotlib load when a report is built. Every sweep is read from its
Parquet store; a Hydra multirun whose job folders have not been aggregated
yet (no ``manifest.json``, also a folder aggregated by an older version into
``runs.csv`` only) is first ingested with ``analysis.aggregate.aggregate``.
Runs listed in ``failures.json`` whose points are left out are named on
standard error.
Each stage prints its name to standard error (``race-analyze: [3/8] paired
effects ...``), with progress bars when standard error is a terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.errors import SweepError


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``race-analyze``."""
    parser = argparse.ArgumentParser(
        prog="race-analyze",
        description=(
            "Analyse a sweep directory: tables of outcome statistics, paired effects "
            "against a baseline, Sobol indices (Saltelli designs), researcher flows, "
            "figures, and a self-contained HTML report in SWEEP_DIR/report/index.html."
        ),
    )
    parser.add_argument("sweep_dir", type=Path, metavar="SWEEP_DIR",
                        help="sweep directory (a Parquet store with manifest.json, or a Hydra "
                             "multirun's sweep.yaml and job folders)")
    parser.add_argument("--metrics", nargs="+", metavar="METRIC",
                        help="metrics to analyse (summary or time-series names; default: "
                             "a set of racing, safety, concentration and brain-drain metrics)")
    parser.add_argument("--baseline", metavar="POINT",
                        help="baseline point: a job id or key=value[,key=value] "
                             "(default: the first job)")
    parser.add_argument("--format", choices=("png", "svg", "pdf"), default="png",
                        dest="fmt", help="figure format (default: png)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="report folder (default: SWEEP_DIR/report); only files an "
                             "earlier report wrote there are replaced or removed")
    parser.add_argument("--threshold", action="append", default=[], metavar="METRIC=VALUE",
                        help="level for the exceedance heatmap of a summary metric, in its "
                             "units (repeatable; default: the metric's meaningful level in "
                             "analysis.metrics_info.THRESHOLDS, none for metrics without one)")
    parser.add_argument("--n-resamples", type=int, default=4999, metavar="N",
                        help="bootstrap resamples per confidence interval (default: 4999)")
    parser.add_argument("--seed", type=int, default=0,
                        help="base seed of the bootstraps (default: 0)")
    return parser


def parse_thresholds(items: Sequence[str]) -> dict[str, float]:
    """Parse ``METRIC=VALUE`` options into a mapping.

    Args:
        items: Option values such as ``"compute_hhi=0.3"``.

    Returns:
        Metric -> threshold in the metric's units.

    Raises:
        SweepError: An item is not ``METRIC=number``.
    """
    thresholds = {}
    for item in items:
        metric, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError(item)
            thresholds[metric.strip()] = float(value)
        except ValueError as exc:
            raise SweepError(f"--threshold {item!r}: expected METRIC=number") from exc
    return thresholds


def failure_note(sweep: Any) -> str | None:
    """Return one line naming the points left out because their runs failed, if any.

    Args:
        sweep: The loaded :class:`analysis.load.Sweep`.

    Returns:
        The line, or ``None`` when ``failures.json`` lists no run without results.
    """
    from sweeps.store import FAILURES_JSON

    if not sweep.failures:
        return None
    first = sweep.failures[0]
    points = sorted({f.point for f in sweep.failures})
    more = " ..." if len(points) > 10 else ""
    return (f"{len(sweep.failures)} run(s) failed, so point(s) "
            f"{', '.join(map(str, points[:10]))}{more} are left out (all listed in "
            f"{sweep.path / FAILURES_JSON}; e.g. point {first.point} seed {first.seed}: "
            f"{first.error})")


def run(args: argparse.Namespace) -> Path:
    """Load the sweep (aggregating job folders if needed) and write its report.

    Args:
        args: Parsed command-line options.

    Returns:
        Path of the written ``index.html``.
    """
    sweep_dir: Path = args.sweep_dir
    if not sweep_dir.is_dir():
        raise SweepError(f"{sweep_dir}: not a directory (expected a sweep directory)")
    from sweeps.store import MANIFEST_JSON, job_dirs

    if not (sweep_dir / MANIFEST_JSON).is_file() and job_dirs(sweep_dir):
        from analysis.aggregate import aggregate

        print(f"race-analyze: aggregating the job folders of {sweep_dir}", file=sys.stderr,
              flush=True)
        aggregate(sweep_dir)
    print(f"race-analyze: loading {sweep_dir}", file=sys.stderr, flush=True)
    from analysis.load import load_sweep
    from analysis.report import build_report

    sweep = load_sweep(sweep_dir)
    note = failure_note(sweep)
    if note:
        print(f"race-analyze: {note}", file=sys.stderr, flush=True)
    return build_report(
        sweep,
        args.out,
        metrics=args.metrics,
        baseline=args.baseline,
        fmt=args.fmt,
        thresholds=parse_thresholds(args.threshold),
        n_resamples=args.n_resamples,
        seed=args.seed,
        progress=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``race-analyze``; return the exit status (0 ok, 2 invalid input).

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        Exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.n_resamples < 100:
        parser.error("--n-resamples must be at least 100")
    try:
        index = run(args)
    except SweepError as exc:
        print(f"race-analyze: error: {exc}", file=sys.stderr)
        return 2
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
