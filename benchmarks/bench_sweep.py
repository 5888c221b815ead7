"""Sweep efficiency of the project's local parallel path, against a plain multiprocessing pool.

Runs ``--runs`` simulations (default 200) of the default scenario at ``--steps``
months (default 24) twice:

1. through ``race-sim -m hydra/launcher=parallel`` (the joblib launcher on all
   cores), as ``jobs_per_core x cores`` jobs of ``replicates`` seeds each, so
   that Hydra's per-job overhead is amortised; the wall time is that of the
   whole command (interpreter start, composition, worker start-up, writing
   every job's files, the aggregation at the end and the shutdown of the workers);
   the time from the multirun's start (``.progress.json``) to its aggregated
   tables is printed too;
2. through ``multiprocessing.Pool(cores)`` calling :func:`sim.run` directly
   (spawn start method, which ``import mesa`` selects anyway).

Sweep efficiency = (sum of per-run model times / cores) / wall time; the goal
for the sweep is >= 0.85. Model times of the sweep come from each job's
``done.json``. Usage::

    python benchmarks/bench_sweep.py [--runs 200] [--steps 24] [--jobs-per-core 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_SEED = 1000


def timed_run(args: tuple[int, int]) -> float:
    """Simulate the default scenario for ``steps`` months with ``seed``; return model seconds."""
    import sim
    from sim.params import SimParams, replace

    steps, seed = args
    params = replace(SimParams(), steps=steps)
    start = time.perf_counter()
    sim.run(params, seed)
    return time.perf_counter() - start


def bench_sweep(runs: int, steps: int, cores: int, jobs: int,
                workdir: Path) -> tuple[float, float, list]:
    replicates = runs // jobs
    seeds = ",".join(str(BASE_SEED + j * replicates) for j in range(jobs))
    sweep_dir = workdir / "sweep"
    command = [
        sys.executable, "-c", "from race_cli.main import main; main()", "--multirun",
        f"hydra.sweep.dir={sweep_dir}", "hydra/launcher=parallel",
        f"hydra.launcher.n_jobs={cores}", f"steps={steps}", f"seed={seeds}",
        f"replicates={replicates}",
    ]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"sweep failed ({result.returncode}):\n{result.stderr[-3000:]}")
    model = []
    for done in sorted(sweep_dir.glob("[0-9]*/done.json")):
        model += json.loads(done.read_text())["model_seconds"]
    if len(model) != jobs * replicates:
        sys.exit(f"expected {jobs * replicates} runs, found {len(model)}")
    start = json.loads((sweep_dir / ".progress.json").read_text())["start_unix"]
    inner = (sweep_dir / "runs.csv").stat().st_mtime - start
    return wall, inner, model


def bench_pool(runs: int, steps: int, cores: int) -> tuple[float, list]:
    tasks = [(steps, BASE_SEED + i) for i in range(runs)]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(cores) as pool:
        model = pool.map(timed_run, tasks, chunksize=1)
    return time.perf_counter() - start, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=200, help="simulations (default 200)")
    parser.add_argument("--steps", type=int, default=24, help="months per run (default 24)")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: all cores)")
    parser.add_argument("--jobs-per-core", type=int, default=2,
                        help="Hydra jobs per core; each runs runs/jobs seeds (default 2)")
    args = parser.parse_args()
    jobs = args.cores * args.jobs_per_core
    if args.runs % jobs:
        sys.exit(f"--runs {args.runs} must be a multiple of cores x jobs-per-core = {jobs}")

    print(f"{args.runs} runs of the default scenario, {args.steps} months, {args.cores} cores; "
          f"load average before: {os.getloadavg()[0]:.2f} (other processes skew the figures)")
    workdir = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        wall, inner, model = bench_sweep(args.runs, args.steps, args.cores, jobs, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    efficiency = sum(model) / args.cores / wall
    print(f"race-sim -m hydra/launcher=parallel: {jobs} jobs x {args.runs // jobs} replicates")
    print(f"  wall time             {wall:8.2f} s")
    print(f"  sum of model times    {sum(model):8.2f} s  ({sum(model) / len(model) * 1e3:.0f} ms "
          "per run)")
    print(f"  sweep efficiency      {efficiency:8.3f}   (goal >= 0.85)")
    print(f"  from the multirun's start to its aggregated tables: {inner:.2f} s, efficiency "
          f"{sum(model) / args.cores / inner:.3f} (without interpreter start-up and exit)")

    pool_wall, pool_model = bench_pool(args.runs, args.steps, args.cores)
    pool_efficiency = sum(pool_model) / args.cores / pool_wall
    print(f"multiprocessing.Pool({args.cores}), spawn, chunksize 1")
    print(f"  wall time             {pool_wall:8.2f} s")
    print(f"  sum of model times    {sum(pool_model):8.2f} s")
    print(f"  pool efficiency       {pool_efficiency:8.3f}")
    print(f"sweep wall / pool wall  {wall / pool_wall:8.3f}")
    print(f"sweep efficiency / pool efficiency {efficiency / pool_efficiency:8.3f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
