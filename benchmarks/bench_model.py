"""Benchmark of the race model: time per month by phase, default run time, scaling.

Run with ``python benchmarks/bench_model.py`` (``--help`` for options). It prints

1. which heavy libraries (Mesa, matplotlib, pandas) a bare ``import sim.params``
   and ``race-sim --help`` load (targets: none);
2. the default scenario (120 months, 20,000 researchers, 300 startups): model
   time per month broken down by the phases of a step (``Results.phase_seconds``)
   and the wall time of the whole run, median and fastest of ``--repeats`` runs
   (target: <= 0.5 s on one core, goal 0.3 s);
3. the time per researcher-month at 10^4, 10^5 and 10^6 researchers over
   ``--scale-months`` months, with startups scaled in proportion to researchers
   (the default 300 per 20,000) and labs, clouds and talent pools at their
   defaults, and the ratio 10^6 : 10^4 (goal <= 1.5, i.e. linear);
4. the race at each size over ``--race-months`` months, with the workforce
   standing for the default 20,000 people (``scenario.represented_researchers``)
   and the default 300 startups, so only the resolution changes: frontier
   capability at the end, the number of months in which every lab trained (had
   compute), the mean safety share and lab staff in people, so that the race
   at 10^6 researchers can be compared with the default's.

"Model time" is the wall time of ``sim.run`` (set-up, steps and collecting the
results) in a warm process; interpreter start and imports are excluded. Each
figure is the median over repeats because the machine may be shared; the
default run also prints the fastest run, the usual estimate of the code's own
cost (Python's ``timeit``), since on a shared host the same code can run 1.5x
slower from one minute to the next.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import sim
from sim.model import RaceModel
from sim.observation import results
from sim.params import SimParams, replace

HEAVY = ("mesa", "matplotlib", "pandas")

#: Prints, as JSON, which heavy modules are loaded after ``import sim.params``.
IMPORT_PROBE = (
    "import json, sys; import sim.params; "
    f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
)

#: Runs ``race-sim --help`` in-process, then prints which heavy modules it loaded.
HELP_PROBE = (
    "import contextlib, io, json, sys\n"
    "sys.argv = ['race-sim', '--help']\n"
    "from race_cli.main import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n"
    "        main()\n"
    "    except SystemExit:\n"
    "        pass\n"
    f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
)


def heavy_imports(probe: str) -> str:
    """Run ``probe`` in a fresh interpreter; return the heavy modules it reports, or the error."""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        return f"probe failed: {proc.stderr.strip().splitlines()[-1:]}"
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    return "none (ok)" if not loaded else f"{', '.join(loaded)} (NOT ok)"


def timed_run(params: SimParams, seed: int) -> tuple[float, dict[str, float]]:
    """Wall time of one ``sim.run`` (seconds) and its per-phase seconds."""
    start = time.perf_counter()
    res = sim.run(params, seed)
    return time.perf_counter() - start, res.phase_seconds


def verdict(seconds: float, target: float) -> str:
    """``"ok"`` when ``seconds`` is within ``target``, else ``"above target"``."""
    return "ok" if seconds <= target else "above target"


def bench_default(repeats: int, seed: int) -> None:
    """Print the default run's time per month by phase and its total time (medians)."""
    params = SimParams()
    timed_run(replace(params, steps=3), seed)
    walls, phases = [], []
    for _ in range(repeats):
        wall, phase = timed_run(params, seed)
        walls.append(wall)
        phases.append(phase)
    steps = params.steps
    print(f"\nDefault scenario: {steps} months, {params.scenario.n_researchers:,} researchers, "
          f"{params.scenario.n_startups} startups, {params.scenario.n_labs} labs, "
          f"median of {repeats} runs (seed {seed})")
    print(f"  {'phase':<12}{'ms/month':>10}{'share':>8}")
    medians = {name: statistics.median(p[name] for p in phases) for name in phases[0]}
    in_phases = sum(medians.values())
    for name, sec in medians.items():
        print(f"  {name:<12}{1e3 * sec / steps:>10.3f}{sec / in_phases:>8.1%}")
    print(f"  {'all phases':<12}{1e3 * in_phases / steps:>10.3f}")
    wall, fastest = statistics.median(walls), min(walls)
    print(f"  whole run: median {wall:.3f} s, fastest {fastest:.3f} s "
          f"(runs: {', '.join(f'{w:.3f}' for w in walls)})")
    print(f"  target <= 0.5 s: median {verdict(wall, 0.5)}, fastest {verdict(fastest, 0.5)} "
          "(on a shared host the fastest run is the cost of the code, the spread the host's)")


def bench_scaling(sizes: list[int], months: int, repeats: int, seed: int) -> None:
    """Print the time per researcher-month at each size and the ratio largest : smallest."""
    default = SimParams()
    per_researcher = default.scenario.n_startups / default.scenario.n_researchers
    print(f"\nScaling: {months} months; startups = {per_researcher:.3%} of researchers "
          f"(default ratio); labs, clouds, pools at defaults; median of {repeats} runs")
    print(f"  {'researchers':>12}{'startups':>10}{'run s':>9}{'us/researcher-month':>22}")
    cost = {}
    for n in sizes:
        params = replace(default, steps=months, scenario__n_researchers=n,
                         scenario__n_startups=max(1, round(per_researcher * n)))
        walls = [timed_run(params, seed)[0] for _ in range(repeats)]
        wall = statistics.median(walls)
        cost[n] = wall / (n * months)
        print(f"  {n:>12,}{params.scenario.n_startups:>10,}{wall:>9.2f}{1e6 * cost[n]:>22.3f}")
    lo, hi = min(sizes), max(sizes)
    ratio = cost[hi] / cost[lo]
    verdict = "ok" if ratio <= 1.5 else "above goal"
    print(f"  ratio {hi:,} : {lo:,} = {ratio:.2f} (goal <= 1.5: {verdict})")


def bench_race_at_scale(sizes: list[int], months: int, seed: int) -> None:
    """Print, per workforce size, the frontier, months every lab trained and mean safety."""
    default = SimParams()
    print(f"\nThe race at scale: {months} months, seed {seed}; the default world (its "
          f"{default.scenario.n_researchers:,} people and {default.scenario.n_startups} "
          "startups) at each resolution")
    print(f"  {'researchers':>12}{'frontier OOM':>14}{'all labs trained':>18}"
          f"{'safety':>8}{'lab staff':>11}")
    for n in sizes:
        params = replace(default, steps=months, scenario__n_researchers=n,
                         scenario__represented_researchers=float(
                             default.scenario.n_researchers))
        model = RaceModel(params, seed)
        trained = 0
        for _ in range(months):
            model.step()
            trained += all(lab.compute_h100e > 0 for lab in model.labs)
        res = results(model)
        staff = int(model.orgs.staff[model.labs.org_ids].sum())
        print(f"  {n:>12,}{res.summary['frontier_capability']:>14.2f}"
              f"{trained:>12} of {months:<3}{res.summary['safety_share_mean']:>8.3f}{staff:>11,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of the default scenario")
    parser.add_argument("--scale-repeats", type=int, default=3, help="runs per scaling size")
    parser.add_argument("--scale-months", type=int, default=24, help="months per scaling run")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="numbers of researchers for the scaling runs")
    parser.add_argument("--race-months", type=int, default=120,
                        help="months per run of the race-at-scale comparison")
    parser.add_argument("--seed", type=int, default=20151, help="root seed of every run")
    args = parser.parse_args()

    print(f"race-sim benchmark: Python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"Heavy imports after `import sim.params`: {heavy_imports(IMPORT_PROBE)}")
    print(f"Heavy imports after `race-sim --help`:   {heavy_imports(HELP_PROBE)}")
    bench_default(args.repeats, args.seed)
    bench_scaling(sorted(args.sizes), args.scale_months, args.scale_repeats, args.seed)
    bench_race_at_scale(sorted(args.sizes), args.race_months, args.seed)


if __name__ == "__main__":
    main()
