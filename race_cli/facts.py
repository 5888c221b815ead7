"""``race-facts``: re-test stylized facts 1-6 of the model spec with paired seeds.

Each fact is a paired contrast with common random numbers, as in
``tests/test_stylized_facts.py``: two parameter points that differ in one
lever run over the same seeds ``sim.replicate_seeds(0, N)``, and for every
outcome ``y`` and seed the paired difference is ``d = y(high) - y(low)``.
The contrasts run in three configurations (:data:`CONFIGS`): the defaults at
120 months, 12 labs at 60 months, and 4 labs (1 in-house) at 120 months.

For each (configuration, fact, metric) the report gives the mean of ``d``, a
percentile bootstrap 95% CI of that mean (:data:`BOOTSTRAP_DRAWS` resamples of
the seeds from a generator seeded with :data:`BOOTSTRAP_SEED`), the paired
t-statistic ``mean(d) / (sd(d) / sqrt(N))``, the number of seeds whose
difference has the expected sign, and a verdict (:func:`verdict`):

* ``holds``: t in the expected direction >= :data:`MIN_T` and at least
  :data:`MIN_AGREE` of the seeds have a difference of the expected sign;
* ``reversed``: t in the expected direction <= -:data:`MIN_T` and at least
  :data:`MIN_AGREE` of the seeds have a difference of the opposite sign;
* ``not shown``: anything else.

The expected direction is the spec's hypothesis, also where model v2 is
already known to differ (fact 1's frontier speed). The facts are hypotheses:
the command reports what the model does and forces nothing.

Parameter points are run once per configuration and seed even when several
contrasts use them (runs are keyed by the full parameter set); with the
levers of the spec few arms coincide, and the report states how many runs
were saved.

Usage::

    python -m race_cli.facts --seeds 20 --workers 2 --out docs/stylized_facts.md
    python -m race_cli.facts --quick          # 2 seeds, 12 months, 2,000 researchers
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import sim
from sim.params import ParamError, SimParams, replace
from sim.results import FLOW_KINDS

#: Smallest |t| (paired t-statistic over the seeds) for a verdict other than "not shown".
MIN_T = 2.0
#: Smallest share of seeds whose difference has the sign of the verdict.
MIN_AGREE = 0.75
#: Resamples of the seeds in the bootstrap CI of the mean difference.
BOOTSTRAP_DRAWS = 10_000
#: Seed of the bootstrap generator (the same resampling for every row).
BOOTSTRAP_SEED = 20260101
#: Allowed verdicts.
VERDICTS = ("holds", "reversed", "not shown")

#: Quick mode (for the tests): seeds, months and researchers of every configuration.
QUICK_SEEDS = 2
QUICK_STEPS = 12
QUICK_RESEARCHERS = 2000

ACAD, LAB, STARTUP, HYPER = (FLOW_KINDS.index(k)
                             for k in ("academia", "lab", "startup", "hyperscaler"))


@dataclass(frozen=True)
class Config:
    """One configuration in which every fact is re-tested.

    Attributes:
        name: Short name used in the report and on the command line.
        title: What the configuration is, in words.
        changes: Parameter changes from :class:`SimParams` defaults (``__``-nested keys).
    """

    name: str
    title: str
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class Contrast:
    """Two parameter points differing in one lever, and the outcomes they are compared on.

    Attributes:
        label: The lever and its two values, e.g. ``"safety.k_commercial 0 -> 4"``.
        low: Parameter changes of the low arm (``__``-nested keys).
        high: Parameter changes of the high arm.
        metrics: ``(metric, expected sign of high - low)`` pairs.
    """

    label: str
    low: Mapping[str, Any]
    high: Mapping[str, Any]
    metrics: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Fact:
    """A stylized fact of the model spec and the contrasts that test it.

    Attributes:
        number: Number of the fact in the spec (1-6).
        statement: The fact, as the spec states it.
        contrasts: One or more contrasts; each is reported on its own.
    """

    number: int
    statement: str
    contrasts: tuple[Contrast, ...]


CONFIGS: tuple[Config, ...] = (
    Config("default", "SimParams defaults (8 labs, 2 in-house), 120 months", {}),
    Config("many_labs", "12 labs, 60 months", {"scenario__n_labs": 12, "steps": 60}),
    Config("few_labs", "4 labs (1 in-house), 120 months",
           {"scenario__n_labs": 4, "scenario__n_inhouse_labs": 1}),
)

FACTS: tuple[Fact, ...] = (
    Fact(1, "More or larger exclusive upstream deals raise compute concentration and "
            "frontier speed.",
         (Contrast("no deals -> larger deals (1x valuation, 0.2 offers/month)",
                   {"partnership__enabled": False},
                   {"partnership__deal_size_valuation_share": 1.0,
                    "partnership__offer_prob_per_month": 0.2},
                   (("compute_hhi", +1), ("capability_growth_oom_per_year", +1))),)),
    Fact(2, "Closer races (smaller leader gap, more contenders) lower safety share.",
         (Contrast("initial spread 3 -> 0 OOM, v2 default safety rule (expected value)",
                   {"labs__initial_alg_spread_oom": 3.0},
                   {"labs__initial_alg_spread_oom": 0.0},
                   (("leader_gap_oom", -1), ("contenders", +1), ("safety_share_mean", -1))),
          Contrast("initial spread 3 -> 0 OOM, heuristic safety rule (as the tests)",
                   {"labs__initial_alg_spread_oom": 3.0, "safety__mode": "heuristic"},
                   {"labs__initial_alg_spread_oom": 0.0, "safety__mode": "heuristic"},
                   (("leader_gap_oom", -1), ("contenders", +1), ("safety_share_mean", -1))))),
    Fact(3, "Commercial pressure lowers openness; lower openness slows followers and academia.",
         (Contrast("safety.k_commercial 0 -> 4",
                   {"safety__k_commercial": 0.0}, {"safety__k_commercial": 4.0},
                   (("openness_mean", -1), ("follower_capability_growth_oom_per_year", -1),
                    ("public_knowledge_oom", -1))),)),
    Fact(4, "A higher share of partnered startups channels revenue to partner labs, raises "
            "their capital and hiring, and increases startup-to-lab moves.",
         (Contrast("downstream.partner_share 0 -> 0.9",
                   {"downstream__partner_share": 0.0}, {"downstream__partner_share": 0.9},
                   (("startup_partnered_share", +1), ("lab_partner_revenue_share", +1),
                    ("lab_hires_per_year", +1), ("moves_startup_to_lab", +1))),)),
    Fact(5, "Larger buybacks raise spin-outs.",
         (Contrast("governance.buyback_share 0 -> 0.8",
                   {"governance__buyback_share": 0.0}, {"governance__buyback_share": 0.8},
                   (("lab_spinouts", +1),)),)),
    Fact(6, "Public compute for academia slows the academic brain drain.",
         (Contrast("governance.public_compute_h100e_per_academic 0 -> 5 H100e",
                   {"governance__public_compute_h100e_per_academic": 0.0},
                   {"governance__public_compute_h100e_per_academic": 5.0},
                   (("moves_academia_to_industry", -1), ("academia_share_top_decile", +1))),)),
)


class UsageError(ValueError):
    """A bad command-line argument; the message is one line."""


# ---------------------------------------------------------------------------- statistics


def lab_hires_per_year(flows: np.ndarray) -> float:
    """Return researchers per year moving from academia or startups into labs.

    Args:
        flows: Researcher moves, shape ``(years, K, K)`` over :data:`sim.FLOW_KINDS`.

    Returns:
        Moves into labs (in-house labs of hyperscalers included), researchers/year.
    """
    return float(flows[:, [ACAD, STARTUP]][:, :, [LAB, HYPER]].sum() / flows.shape[0])


def verdict(t_expected: float, agree: int, against: int, n: int) -> str:
    """Classify a paired contrast by the stated tolerance.

    Args:
        t_expected: Paired t-statistic times the expected sign (positive means the
            expected direction).
        agree: Seeds whose difference has the expected sign.
        against: Seeds whose difference has the opposite sign.
        n: Number of seeds.

    Returns:
        ``"holds"`` when ``t_expected >= MIN_T`` and ``agree >= MIN_AGREE * n``,
        ``"reversed"`` when ``t_expected <= -MIN_T`` and ``against >= MIN_AGREE * n``,
        else ``"not shown"``.
    """
    if t_expected >= MIN_T and agree >= MIN_AGREE * n:
        return "holds"
    if t_expected <= -MIN_T and against >= MIN_AGREE * n:
        return "reversed"
    return "not shown"


@dataclass(frozen=True)
class PairedStats:
    """Statistics of the paired differences of one metric.

    Attributes:
        n: Seeds with a defined value in both arms.
        mean_low: Mean of the low arm (metric units).
        mean_high: Mean of the high arm (metric units).
        mean_diff: Mean paired difference high - low (metric units).
        ci_low: Lower end of the bootstrap 95% CI of ``mean_diff``.
        ci_high: Upper end of the bootstrap 95% CI of ``mean_diff``.
        t: Paired t-statistic (``±inf`` when all differences are equal and non-zero,
            0 when all are zero, NaN with fewer than 2 seeds).
        agree: Seeds whose difference has the expected sign.
        against: Seeds whose difference has the opposite sign.
        verdict: One of :data:`VERDICTS`.
    """

    n: int
    mean_low: float
    mean_high: float
    mean_diff: float
    ci_low: float
    ci_high: float
    t: float
    agree: int
    against: int
    verdict: str


def paired_stats(low: Sequence[float], high: Sequence[float], sign: int) -> PairedStats:
    """Compare two arms seed by seed.

    Seeds where either arm is undefined (NaN) are left out; with fewer than 2
    seeds left, the numbers are NaN and the verdict is ``"not shown"``.

    Args:
        low: Metric of the low arm, one value per seed (seed order).
        high: Metric of the high arm, same seeds in the same order.
        sign: Expected sign of ``high - low`` (+1 or -1).

    Returns:
        Means, mean difference with bootstrap 95% CI, paired t, seed counts and verdict.
    """
    lo = np.asarray(low, dtype=float)
    hi = np.asarray(high, dtype=float)
    keep = np.isfinite(lo) & np.isfinite(hi)
    lo, hi = lo[keep], hi[keep]
    d = hi - lo
    n = int(d.size)
    if n < 2:
        nan = math.nan
        return PairedStats(n, nan, nan, nan, nan, nan, nan, 0, 0, "not shown")
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    if sd > 0:
        t = mean / (sd / math.sqrt(n))
    else:
        t = 0.0 if mean == 0 else math.copysign(math.inf, mean)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = d[rng.integers(0, n, size=(BOOTSTRAP_DRAWS, n))].mean(axis=1)
    ci_low, ci_high = (float(x) for x in np.quantile(draws, [0.025, 0.975]))
    agree = int(np.count_nonzero(sign * d > 0))
    against = int(np.count_nonzero(sign * d < 0))
    return PairedStats(n, float(lo.mean()), float(hi.mean()), mean, ci_low, ci_high, t,
                       agree, against, verdict(sign * t, agree, against, n))


# ---------------------------------------------------------------------------- running


def run_outcomes(params: SimParams, seed: int) -> dict[str, float]:
    """Run the model once and return its summary metrics plus lab hiring.

    Runs in a worker process. Undefined summary values (``None``) become NaN.

    Args:
        params: Parameters of the run.
        seed: Root seed.

    Returns:
        Summary metric name -> value, plus ``lab_hires_per_year`` (researchers/year).
    """
    res = sim.run(params, seed)
    out = {k: (math.nan if v is None else float(v)) for k, v in res.summary.items()}
    out["lab_hires_per_year"] = lab_hires_per_year(res.flows)
    return out


@dataclass(frozen=True)
class Plan:
    """Every parameter point of every configuration, deduplicated.

    Attributes:
        arms: ``(config, fact number, contrast index, "low"|"high")`` -> parameters.
        points: Distinct parameter sets per configuration, in a fixed order.
    """

    arms: dict[tuple[str, int, int, str], SimParams]
    points: dict[str, list[SimParams]]


def build_plan(configs: Sequence[Config], overrides: Mapping[str, Any] | None = None) -> Plan:
    """Resolve the parameters of every arm and share identical points.

    Args:
        configs: Configurations to run.
        overrides: Changes applied after each configuration's own (the quick settings).

    Returns:
        The arms and the distinct points per configuration.

    Raises:
        ParamError: If a change is not a valid parameter value.
    """
    arms: dict[tuple[str, int, int, str], SimParams] = {}
    points: dict[str, list[SimParams]] = {}
    for cfg in configs:
        cfg_base = replace(SimParams(), **{**cfg.changes, **(overrides or {})})
        seen: dict[SimParams, None] = {}
        for fact in FACTS:
            for i, contrast in enumerate(fact.contrasts):
                for side, changes in (("low", contrast.low), ("high", contrast.high)):
                    params = replace(cfg_base, **changes)
                    arms[(cfg.name, fact.number, i, side)] = params
                    seen.setdefault(params, None)
        points[cfg.name] = list(seen)
    return Plan(arms, points)


def run_plan(plan: Plan, seeds: Sequence[int], workers: int,
             progress: Callable[[str], None]) -> tuple[dict, dict[str, float]]:
    """Run every distinct point of the plan over the seeds in a process pool.

    Args:
        plan: Points to run.
        seeds: Seeds (the same list at every point: common random numbers).
        workers: Worker processes.
        progress: Called with one-line progress messages.

    Returns:
        ``(outcomes, seconds)``: ``outcomes[(config, point index)]`` is the list of
        per-seed outcome dicts in seed order; ``seconds[config]`` is the summed model
        wall time of the configuration's runs (s).
    """
    jobs = [(cfg, j, params, seed) for cfg, pts in plan.points.items()
            for j, params in enumerate(pts) for seed in seeds]
    results: dict[tuple[str, int, int], dict[str, float]] = {}
    seconds = dict.fromkeys(plan.points, 0.0)
    total = len(jobs)
    step = max(1, total // 20)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_timed_run, params, seed): (cfg, j, seed)
                   for cfg, j, params, seed in jobs}
        for done, future in enumerate(as_completed(futures), start=1):
            cfg, j, seed = futures[future]
            results[(cfg, j, seed)], elapsed = future.result()
            seconds[cfg] += elapsed
            if done % step == 0 or done == total:
                progress(f"{done}/{total} runs done")
    outcomes = {(cfg, j): [results[(cfg, j, s)] for s in seeds]
                for cfg, pts in plan.points.items() for j in range(len(pts))}
    return outcomes, seconds


def _timed_run(params: SimParams, seed: int) -> tuple[dict[str, float], float]:
    """Return :func:`run_outcomes` and its wall time in seconds (worker process)."""
    start = time.perf_counter()
    out = run_outcomes(params, seed)
    return out, time.perf_counter() - start


# ---------------------------------------------------------------------------- report


def fmt(x: float) -> str:
    """Format a number with 4 significant digits; NaN as ``n/a``, infinities as ``±inf``."""
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.4g}"


def evaluate(plan: Plan, outcomes: Mapping) -> dict[tuple[str, int, int, str], PairedStats]:
    """Compute the paired statistics of every (configuration, fact, contrast, metric).

    Args:
        plan: The plan that was run.
        outcomes: Per-seed outcomes per ``(config, point index)`` (see :func:`run_plan`).

    Returns:
        ``(config, fact number, contrast index, metric)`` -> statistics.
    """
    stats = {}
    for cfg, pts in plan.points.items():
        index = {params: j for j, params in enumerate(pts)}
        for fact in FACTS:
            for i, contrast in enumerate(fact.contrasts):
                low = outcomes[(cfg, index[plan.arms[(cfg, fact.number, i, "low")]])]
                high = outcomes[(cfg, index[plan.arms[(cfg, fact.number, i, "high")]])]
                for metric, sign in contrast.metrics:
                    stats[(cfg, fact.number, i, metric)] = paired_stats(
                        [r[metric] for r in low], [r[metric] for r in high], sign)
    return stats


def render(configs: Sequence[Config], plan: Plan, outcomes: Mapping,
           stats: Mapping[tuple[str, int, int, str], PairedStats], seeds: Sequence[int],
           header: Sequence[str], seconds: Mapping[str, float]) -> str:
    """Write the Markdown report: header, summary line per fact, one table per configuration.

    Args:
        configs: Configurations run, in report order.
        plan: The plan that was run.
        outcomes: Per-seed outcomes (used for the deal counts of fact 1).
        stats: Output of :func:`evaluate`.
        seeds: Seeds used.
        header: Lines describing the run (command, commit, date, settings).
        seconds: Summed model wall time per configuration (s).

    Returns:
        The report text.
    """
    n = len(seeds)
    lines = ["# Stylized facts 1-6 under model v2", "", *header, "",
             "## Method", "",
             f"Each fact is a paired contrast over the same {n} seeds "
             f"(`sim.replicate_seeds(0, {n})`, common random numbers); `d` = outcome at the "
             "high arm minus outcome at the low arm, per seed. Columns: mean of each arm, "
             f"mean `d` with a percentile bootstrap 95% CI ({BOOTSTRAP_DRAWS:,} resamples of "
             f"the seeds, generator seed {BOOTSTRAP_SEED}), paired t = mean(d) / (sd(d) / "
             "sqrt(n)), and the seeds whose `d` has the expected sign. Tolerance: **holds** "
             f"when t in the expected direction >= {MIN_T:g} and >= {MIN_AGREE:.0%} of the "
             f"seeds agree; **reversed** when t <= -{MIN_T:g} with >= {MIN_AGREE:.0%} of the "
             "seeds against; otherwise **not shown**. The expected direction is the spec's "
             "hypothesis (+ up, - down). Runs of identical parameter points are shared "
             "between contrasts.", ""]
    lines += ["## Summary", ""]
    for fact in FACTS:
        parts = []
        for cfg in configs:
            items = []
            for i, contrast in enumerate(fact.contrasts):
                tag = f"[{chr(ord('a') + i)}] " if len(fact.contrasts) > 1 else ""
                for metric, _ in contrast.metrics:
                    s = stats[(cfg.name, fact.number, i, metric)]
                    items.append(f"{tag}{metric} {s.verdict} (t = {fmt(s.t)}, "
                                 f"{s.agree}/{s.n})")
            parts.append(f"*{cfg.name}*: " + "; ".join(items))
        lines.append(f"- **Fact {fact.number}** ({fact.statement}) " + " — ".join(parts))
    lines.append("")
    for cfg in configs:
        n_arms = sum(1 for k in plan.arms if k[0] == cfg.name)
        n_points = len(plan.points[cfg.name])
        ref = plan.arms[(cfg.name, 1, 0, "low")]
        lines += [f"## Configuration `{cfg.name}`: {cfg.title}", "",
                  f"As run: {ref.steps} months, {ref.scenario.n_labs} labs "
                  f"({ref.scenario.n_inhouse_labs} in-house), "
                  f"{ref.scenario.n_researchers:,} researchers. "
                  f"{n_points} distinct parameter points for {n_arms} arms "
                  f"({(n_arms - n_points) * n} runs saved by sharing), {n_points * n} runs, "
                  f"{seconds.get(cfg.name, 0.0):.0f} s of model time.", "",
                  "| Fact | Contrast (low -> high) | Metric | Exp. | Mean low | Mean high "
                  "| Mean d | 95% CI of mean d | t | Seeds agreeing | Verdict |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for fact in FACTS:
            for i, contrast in enumerate(fact.contrasts):
                for metric, sign in contrast.metrics:
                    s = stats[(cfg.name, fact.number, i, metric)]
                    lines.append(
                        f"| {fact.number} | {contrast.label} | `{metric}` | "
                        f"{'+' if sign > 0 else '-'} | {fmt(s.mean_low)} | {fmt(s.mean_high)} | "
                        f"{fmt(s.mean_diff)} | [{fmt(s.ci_low)}, {fmt(s.ci_high)}] | "
                        f"{fmt(s.t)} | {s.agree}/{s.n} | {s.verdict} |")
        index = {params: j for j, params in enumerate(plan.points[cfg.name])}
        deals = [float(np.mean([r["upstream_deals"] for r in outcomes[(
            cfg.name, index[plan.arms[(cfg.name, 1, 0, side)]])]])) for side in ("low", "high")]
        lines += ["", f"Check of fact 1's lever: mean upstream deals {fmt(deals[0])} (no deals) "
                      f"vs {fmt(deals[1])} (larger deals).", ""]
    return "\n".join(lines).rstrip() + "\n"


def git_revision() -> str:
    """Return the short git commit of the source tree, or ``"unknown"`` outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                             cwd=Path(__file__).resolve().parent, capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


# ---------------------------------------------------------------------------- command line


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``error: <message>`` and exit with status 2."""
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def _positive_int(text: str) -> int:
    """Parse an integer >= 1 for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse and check the command line (exits with status 2 on a bad argument)."""
    parser = _Parser(prog="race-facts",
                     description="Re-test stylized facts 1-6 of the model spec with paired "
                                 "seeds in three configurations; print a Markdown report.")
    parser.add_argument("--seeds", type=_positive_int, default=20,
                        help="paired seeds per contrast, >= 2 (default 20)")
    parser.add_argument("--workers", type=_positive_int, default=2,
                        help="worker processes (default 2)")
    parser.add_argument("--configs", default=",".join(c.name for c in CONFIGS),
                        help="comma-separated configurations to run (default: all: "
                             + ", ".join(c.name for c in CONFIGS) + ")")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_SEEDS} seeds, {QUICK_STEPS} months, {QUICK_RESEARCHERS:,} "
                             "researchers in every configuration (for the tests)")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error(f"argument --seeds: {args.seeds} must be >= 2 (a paired t needs 2 seeds)")
    known = {c.name for c in CONFIGS}
    names = [x.strip() for x in args.configs.split(",") if x.strip()]
    bad = [x for x in names if x not in known]
    if bad or not names:
        parser.error(f"argument --configs: unknown or empty {bad or args.configs!r}; "
                     f"known: {', '.join(c.name for c in CONFIGS)}")
    args.configs = [c for c in CONFIGS if c.name in names]
    if args.out is not None and not args.out.resolve().parent.is_dir():
        parser.error(f"argument --out: folder {args.out.resolve().parent} does not exist")
    if args.out is not None and args.out.is_dir():
        parser.error(f"argument --out: {args.out} is a folder")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the contrasts, print the report and optionally write it to ``--out``.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Exit status 0 (bad arguments exit with status 2 before anything runs).
    """
    from race_cli.outputs import atomic_write_text

    args = parse_args(argv)
    seeds_n = QUICK_SEEDS if args.quick else args.seeds
    quick = {"steps": QUICK_STEPS, "scenario__n_researchers": QUICK_RESEARCHERS}
    try:
        plan = build_plan(args.configs, quick if args.quick else None)
        seeds = sim.replicate_seeds(0, seeds_n)
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    outcomes, seconds = run_plan(plan, seeds, args.workers,
                                 lambda msg: print(msg, file=sys.stderr, flush=True))
    wall = time.perf_counter() - started
    stats = evaluate(plan, outcomes)
    command = "python -m race_cli.facts " + " ".join(
        sys.argv[1:] if argv is None else list(argv))
    header = [f"- Command: `{command.strip()}`",
              f"- Commit: `{git_revision()}`",
              f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
              f"- Seeds: {seeds_n} paired seeds, `sim.replicate_seeds(0, {seeds_n})`"
              + (f"; quick mode: {QUICK_STEPS} months and {QUICK_RESEARCHERS:,} researchers "
                 "in every configuration" if args.quick else ""),
              f"- Wall time: {wall:.0f} s with {args.workers} worker process(es)"]
    report = render(args.configs, plan, outcomes, stats, seeds, header, seconds)
    if args.out is not None:
        atomic_write_text(args.out, report)
    print(report, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
