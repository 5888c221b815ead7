"""Runner overhead, sweep efficiency and store size / read time of :mod:`sweeps`.

Three measurements, printed as figures:

1. **Scale and overhead**: a ``--points`` design (default 100,000) end to end
   through :func:`sweeps.runner.run_design` on local processes, with a trivial
   task function (a one-month :class:`sim.Results` of zeros) so that only the
   runner is timed: manifest, filtering done pairs, chunking, submission,
   pickling, writing the Parquet parts, the aggregate. Per-point overhead is
   the wall time per point, and the same times the number of workers (the
   processor time per point); the target is <= 5 ms.
2. **Sweep efficiency**: ``--runs`` (default 200) runs of the default scenario
   at ``--steps`` months (default 24) on ``--cores`` processes. Each run's
   model time is measured inside the worker; efficiency = (sum of model times
   / cores) / wall time, the wall time covering the pool's start-up, the runs,
   the parts, the aggregate and the shutdown. The target is >= 0.95.
3. **Store**: size of the Parquet aggregate of (2) against the CSV export of
   the same tables (the format the Hydra path writes), the time to read
   one summary column and one time-series column from each, and the time
   :func:`analysis.load.load_sweep` takes to load the whole sweep (runs,
   time series and flows, validated) from the store against ``read_csv`` of
   the three CSV tables.

Usage::

    python benchmarks/bench_runner.py [--points 100000] [--runs 200] [--steps 24] [--cores 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sweeps.store import SweepStore

#: Environment variable naming the folder where timed runs leave their model times.
TIMES_ENV = "RACE_SIM_BENCH_TIMES"


def trivial(point, seed):
    """Return one month of zero results without running the model (isolates the runner)."""
    import numpy as np

    from sim import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS, Results

    k = len(FLOW_KINDS)
    return Results(seed=int(seed), timeseries={m: np.zeros(1) for m in TIMESERIES_METRICS},
                   summary=dict.fromkeys(SUMMARY_METRICS, 0.0),
                   flows=np.zeros((1, k, k), dtype=np.int64), lab_names=[],
                   lab_capability=np.zeros((1, 0)), lab_safety=np.zeros((1, 0)),
                   start_year=2015)


def timed_simulate(point, seed):
    """Run the model like the runner's default task and append its model time to a file."""
    from sweeps.runner import simulate

    start = time.perf_counter()
    results = simulate(point, seed)
    seconds = time.perf_counter() - start
    with open(Path(os.environ[TIMES_ENV]) / f"{os.getpid()}.txt", "a", encoding="utf-8") as out:
        out.write(f"{seconds!r}\n")
    return results


def bench_overhead(points: int, cores: int, workdir: Path) -> None:
    from sweeps import executors
    from sweeps.runner import run_design

    design = [{"x": float(i)} for i in range(points)]
    start = time.perf_counter()
    pool = executors.local(cores)
    report = run_design(design, [1], pool, workdir / "overhead", progress=False,
                        task_fn=trivial)
    pool.shutdown()
    wall = time.perf_counter() - start
    assert report.done == points and not report.failures
    print(f"[overhead] {points} points x 1 seed, trivial task, {cores} processes: "
          f"wall {wall:.1f} s; {wall / points * 1e3:.3f} ms per point of wall time, "
          f"{wall * cores / points * 1e3:.3f} ms of processor time per point (target <= 5 ms)")


def bench_efficiency(runs: int, steps: int, cores: int, workdir: Path) -> Path:
    from sweeps import executors
    from sweeps.runner import run_design

    times = workdir / "times"
    times.mkdir()
    os.environ[TIMES_ENV] = str(times)
    design = [{"steps": steps}]
    seeds = list(range(1000, 1000 + runs))
    store = workdir / "efficiency"
    start = time.perf_counter()
    pool = executors.local(cores)
    report = run_design(design, seeds, pool, store, progress=False, task_fn=timed_simulate)
    pool.shutdown()
    wall = time.perf_counter() - start
    assert report.done == runs and not report.failures
    model = [float(line) for f in times.iterdir() for line in f.read_text().split()]
    ideal = sum(model) / cores
    print(f"[efficiency] {runs} default runs x {steps} months on {cores} processes: wall "
          f"{wall:.1f} s, model time {sum(model):.1f} s (mean {sum(model) / len(model):.3f} s "
          f"per run), ideal {ideal:.1f} s, efficiency {ideal / wall:.3f} (target >= 0.95)")
    return store


def bench_store(store_dir: Path) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    from sim import SUMMARY_METRICS, TIMESERIES_METRICS
    from sweeps.store import SweepStore

    store = SweepStore(store_dir)
    csv_dir = store_dir / "csv"
    store.export_csv(csv_dir)
    for kind, column in (("runs", SUMMARY_METRICS[0]), ("timeseries", TIMESERIES_METRICS[0])):
        parquet = store_dir / f"{kind}.parquet"
        csv = csv_dir / f"{kind}.csv"
        reads = {}
        for label, read in (
                ("parquet", lambda p=parquet, c=column: pq.ParquetFile(p).read(columns=[c])),
                ("csv", lambda p=csv, c=column: pd.read_csv(p, usecols=[c]))):
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                read()
                best = min(best, time.perf_counter() - start)
            reads[label] = best
        size_p, size_c = parquet.stat().st_size, csv.stat().st_size
        print(f"[store] {kind}: Parquet {size_p / 1e3:.1f} kB vs CSV {size_c / 1e3:.1f} kB "
              f"({size_c / size_p:.1f}x smaller); read one column {reads['parquet'] * 1e3:.2f} ms "
              f"vs {reads['csv'] * 1e3:.2f} ms ({reads['csv'] / reads['parquet']:.1f}x faster)")
    bench_load(store, csv_dir)


def bench_load(store: SweepStore, csv_dir: Path) -> None:
    """Time :func:`analysis.load.load_sweep` on the store against reading its CSV export.

    ``load_sweep`` reads the three Parquet tables and validates them; the CSV
    side is only ``pandas.read_csv`` of ``runs.csv``, ``timeseries.csv`` and
    ``flows.csv`` (no checks), a lower bound of what loading the CSV tables
    cost before a Hydra multirun was ingested into the store.
    """
    import pandas as pd

    from analysis.load import load_sweep

    def from_store() -> int:
        sweep = load_sweep(store.path)
        return len(sweep.runs) + len(sweep.timeseries) + len(sweep.flows)

    def from_csv() -> int:
        return sum(len(pd.read_csv(csv_dir / f"{kind}.csv"))
                   for kind in ("runs", "timeseries", "flows"))

    wall, cpu, rows = {}, {}, {}
    for _ in range(10):
        for label, load in (("parquet", from_store), ("csv", from_csv)):
            start, start_cpu = time.perf_counter(), time.process_time()
            rows[label] = load()
            wall[label] = min(wall.get(label, float("inf")), time.perf_counter() - start)
            cpu[label] = min(cpu.get(label, float("inf")), time.process_time() - start_cpu)
    assert rows["parquet"] == rows["csv"]
    print(f"[store] whole sweep (runs, time series, flows; {rows['csv']} rows), best of 10: "
          f"load_sweep from the store {wall['parquet'] * 1e3:.1f} ms wall / "
          f"{cpu['parquet'] * 1e3:.1f} ms processor vs read_csv of the export "
          f"{wall['csv'] * 1e3:.1f} / {cpu['csv'] * 1e3:.1f} ms "
          f"(time ratio CSV : store {wall['csv'] / wall['parquet']:.2f} wall, "
          f"{cpu['csv'] / cpu['parquet']:.2f} processor)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--points", type=int, default=100_000,
                        help="points of the overhead design (default 100000; 0 skips)")
    parser.add_argument("--runs", type=int, default=200,
                        help="model runs of the efficiency sweep (default 200; 0 skips)")
    parser.add_argument("--steps", type=int, default=24, help="months per run (default 24)")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: all cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        workdir = Path(tmp)
        if args.points:
            bench_overhead(args.points, args.cores, workdir)
        if args.runs:
            bench_store(bench_efficiency(args.runs, args.steps, args.cores, workdir))


if __name__ == "__main__":
    main()
