"""Validation of the race model against two published race models.

* :func:`armstrong_section` (the ``armstrong2016`` extra of a sweep) compares
  the model's limiting case with the no-information equilibrium of Armstrong,
  Bostrom & Shulman (2016), "Racing to the precipice: a model of artificial
  intelligence development", AI & Society 31(2): with ``n`` teams whose
  capabilities are uniform on ``[0, mu]`` and enmity ``e``, the symmetric Nash
  equilibrium safety is ``s* = min(1, mu / (n e))``; more teams, more enmity
  and a smaller ``mu`` lower it.
* :func:`dsair_section` (experiments of ``kind: dsair``) computes the DSAIR
  model of Han, Pereira, Santos & Lenaerts (2020), "To regulate or not: a
  social dynamics analysis of an idealised AI race", Journal of Artificial
  Intelligence Research 69 (:mod:`sim.dsair`): the stationary frequency of
  always-unsafe developers against the disaster risk ``p_r``, with the
  thresholds above which society prefers safety (``1 - 1/s``) and safety is
  risk-dominant (``1 - 1/(3 s)``).

Both return a :class:`analysis.findings.Section` whose figures and tables the
experiment's ``findings.md`` and README show.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import SweepError
from analysis.findings import Section, fmt
from analysis.load import Sweep
from analysis.style import OKABE_ITO, new_figure, save_figure, styled
from sim import dsair
from sweeps.store import StoreError

#: Options of :func:`armstrong_section` and their defaults: the largest absolute
#: error of the simulated equilibrium safety counted as agreement (share of
#: effort), the number of settings with ``s* < 1`` that must agree, and the
#: final months whose range of safety shows convergence.
ARMSTRONG_OPTIONS: dict[str, float | int] = {
    "tolerance": 0.03,
    "min_settings": 5,
    "converge_months": 10,
}

#: Settings that make the model the paper's race: labs best-respond without
#: information about rivals' capabilities, share one enmity, and pay one unit
#: of capability for full safety (the paper's score ``c - s``).
ARMSTRONG_REQUIRED: dict[str, Any] = {
    "safety.mode": "best_response",
    "safety.br_information": "none",
    "labs.enmity_spread": 0.0,
    "safety.br_safety_cost": 1.0,
}

#: Model keys of the paper's parameters: teams ``n``, capability width ``mu``, enmity ``e``.
ARMSTRONG_KEYS: dict[str, str] = {
    "n": "scenario.n_labs",
    "mu": "safety.br_mu",
    "e": "labs.enmity_mean",
}

#: Direction in which each parameter moves the equilibrium safety (paper, section 3).
ARMSTRONG_LEVERS: dict[str, tuple[str, int]] = {
    "n": ("more teams", -1),
    "e": ("more enmity", -1),
    "mu": ("larger mu", 1),
}

ARMSTRONG_FIGURE = "armstrong_equilibrium"
DSAIR_FIGURE = "dsair_unsafe_frequency"
DSAIR_CSV = "dsair.csv"

#: Fields of a ``dsair:`` section; the optional ones with their defaults.
DSAIR_REQUIRED = ("b", "c", "B", "W", "Z", "beta", "s", "p_r", "checks", "tolerances")
DSAIR_OPTIONAL: dict[str, Any] = {
    "table_p_r": [0.3, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
    "monte_carlo": None,
}

#: Standard errors (plus one trial) allowed between a Monte Carlo fixation
#: probability and the closed form.
MC_Z = 4.0


class DsairSpecError(ValueError):
    """An invalid ``dsair:`` section; the message names the key, the value and the rule."""


def s_star(n: int, mu: float, e: float) -> float:
    """Equilibrium safety of the no-information race (Armstrong et al. 2016).

    Args:
        n: Number of teams (>= 1).
        mu: Width of the uniform capability distribution (capability units, > 0).
        e: Enmity in [0, 1] (0: rivals' victories cost nothing).

    Returns:
        ``min(1, mu / (n e))``, the symmetric equilibrium safety in [0, 1]
        (1 when ``e = 0``).
    """
    return 1.0 if e <= 0 else min(1.0, mu / (n * e))


def _job_config(sweep: Sweep, job: int) -> dict[str, Any]:
    """Return the resolved parameters of one point (:meth:`sweeps.store.SweepStore.point_config`).

    A sweep run by the runner records them in its store's manifest; a Hydra
    multirun in ``<sweep>/<job>/provenance.json``.
    """
    try:
        return sweep.store.point_config(job)
    except StoreError as exc:
        raise SweepError(str(exc)) from None


def _lookup(config: Mapping[str, Any], dotted: str) -> Any:
    """Return the value of a dotted key in a nested config."""
    value: Any = config
    for part in dotted.split("."):
        value = value[part]
    return value


def _armstrong_points(sweep: Sweep) -> pd.DataFrame:
    """Return ``job, n, mu, e, s_star`` per point, after checking the limiting-case settings.

    Raises:
        SweepError: A point is not the paper's race (see :data:`ARMSTRONG_REQUIRED`).
    """
    rows = []
    for job in sweep.jobs:
        config = _job_config(sweep, job)
        for key, wanted in ARMSTRONG_REQUIRED.items():
            value = _lookup(config, key)
            if value != wanted:
                raise SweepError(
                    f"armstrong2016: job {job} has {key}={value!r}; the paper's no-information "
                    f"race needs {', '.join(f'{k}={v}' for k, v in ARMSTRONG_REQUIRED.items())}")
        n, mu, e = (_lookup(config, ARMSTRONG_KEYS[k]) for k in ("n", "mu", "e"))
        rows.append({"job": job, "n": int(n), "mu": float(mu), "e": float(e),
                     "s_star": s_star(int(n), float(mu), float(e))})
    return pd.DataFrame(rows)


def _armstrong_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the options of :func:`armstrong_section` and fill in the defaults."""
    unknown = sorted(set(options) - set(ARMSTRONG_OPTIONS))
    if unknown:
        raise SweepError(f"analysis.options.{unknown[0]}: unknown option of armstrong2016; "
                         f"allowed: {', '.join(ARMSTRONG_OPTIONS)}")
    merged = {**ARMSTRONG_OPTIONS, **options}
    tolerance = merged["tolerance"]
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) \
            or not 0 < tolerance < 1:
        raise SweepError(f"analysis.options.tolerance={tolerance!r}: a number in (0, 1)")
    for key in ("min_settings", "converge_months"):
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SweepError(f"analysis.options.{key}={value!r}: an integer >= 1")
    return merged


def _comparative_statics(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Check the paper's comparative statics on neighbouring grid points.

    Two points are neighbours for a parameter when they share the other two
    parameters and the parameter takes adjacent values of the grid. Only pairs
    where both points have ``s* < 1`` are checked (at the cap, safety cannot
    rise further).

    Args:
        table: One row per point with ``n, mu, e, s_star`` and the median simulated
            safety ``median``.

    Returns:
        Per parameter: ``label``, ``sign`` (+1 or -1, the predicted direction),
        ``pairs`` checked, ``agree`` (pairs whose simulated change has the
        predicted strict sign) and ``max_gap`` (largest absolute difference
        between the simulated and the predicted change; None without pairs).
    """
    result = {}
    for lever, (label, sign) in ARMSTRONG_LEVERS.items():
        others = [k for k in ARMSTRONG_KEYS if k != lever]
        pairs = agree = 0
        gap = 0.0
        for _, group in table.groupby(others):
            group = group.sort_values(lever)
            for low, high in zip(group.iloc[:-1].itertuples(), group.iloc[1:].itertuples(),
                                 strict=True):
                if low.s_star >= 1 or high.s_star >= 1:
                    continue
                pairs += 1
                change = high.median - low.median
                agree += bool(np.sign(change) == sign)
                gap = max(gap, abs(change - (high.s_star - low.s_star)))
        result[lever] = {"label": label, "sign": sign, "pairs": pairs, "agree": agree,
                         "max_gap": gap if pairs else None}
    return result


def _save(figure: Any, out: Path, name: str) -> str:
    """Save a figure as ``out/figures/<name>.png`` atomically; return the relative path."""
    relative = Path("figures") / f"{name}.png"
    target = out / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{name}.{os.getpid()}.tmp.png")
    try:
        os.replace(save_figure(figure, tmp), target)
    finally:
        tmp.unlink(missing_ok=True)
    return relative.as_posix()


@styled
def _armstrong_figure(table: pd.DataFrame, tolerance: float) -> Any:
    """Simulated against equilibrium safety (45-degree line) and safety against n per mu."""
    figure = new_figure(8.0, 3.6)
    left, right = figure.subplots(1, 2)
    ns = sorted(table["n"].unique())
    colours = {n: OKABE_ITO[i % len(OKABE_ITO)] for i, n in enumerate(ns)}
    grid = np.linspace(0.0, 1.0, 2)
    left.fill_between(grid, grid - tolerance, grid + tolerance, color="0.85",
                      label=f"±{tolerance:g}")
    left.plot(grid, grid, color="0.3", lw=0.8, label="simulated = theory")
    for i, n in enumerate(ns):
        rows = table[table["n"] == n]
        left.errorbar(rows["s_star"], rows["median"],
                      yerr=[rows["median"] - rows["min"], rows["max"] - rows["median"]],
                      fmt="osD^v"[i % 5], ms=8 - 1.5 * (i % 3), mfc="none", mew=1.2,
                      color=colours[n], label=f"n = {n}")
    left.set(xlabel="theory s* = min(1, mu / (n e))", ylabel="simulated final safety share",
             xlim=(0, 1.05), ylim=(0, 1.05), title="Equilibrium safety, every point")
    left.legend(loc="upper left")
    e_top = table["e"].max()
    subset = table[table["e"] == e_top]
    xs = np.linspace(min(ns), max(ns), 50)
    for i, (mu, rows) in enumerate(subset.groupby("mu")):
        colour = OKABE_ITO[(i + 3) % len(OKABE_ITO)]
        rows = rows.sort_values("n")
        right.plot(xs, np.minimum(1.0, mu / (xs * e_top)), color=colour, lw=0.8, ls="--")
        right.plot(rows["n"], rows["median"], "o", color=colour, label=f"mu = {mu:g}")
    right.set(xlabel="teams n", ylabel="final safety share", ylim=(0, 1.05), xticks=ns,
              title=f"More teams, less safety (e = {e_top:g}; dashed: theory)")
    right.legend(loc="upper right")
    return figure


def armstrong_section(sweep: Sweep, out: Path, options: Mapping[str, Any]) -> Section:
    """Compare a sweep's equilibrium safety with Armstrong, Bostrom & Shulman (2016).

    The simulated equilibrium of a point is the final-month value of the time
    series ``safety_share_mean`` in each seed. That series is the mean of the
    labs' safety shares weighted by effective compute ``10^(C - C_max)``
    (:func:`sim.metrics.capability_weighted_mean`), so it lies between the
    lowest and the highest lab's safety; in the paper's symmetric equilibrium
    all labs play the same safety and it equals the plain mean. The theory is
    the no-information equilibrium ``s* = min(1, mu / (n e))`` of the paper,
    with ``n``, ``mu`` and ``e`` read from each point's resolved config
    (``scenario.n_labs``, ``safety.br_mu``, ``labs.enmity_mean``).

    Args:
        sweep: A sweep of the model in the paper's limiting case (see
            :data:`ARMSTRONG_REQUIRED`; ``experiments/validation_armstrong2016``).
        out: Output folder; the figure goes to ``figures/armstrong_equilibrium.png``.
        options: ``tolerance`` (largest absolute error counted as agreement,
            share of effort; default 0.03), ``min_settings`` (settings with
            ``s* < 1`` that must agree; default 5), ``converge_months`` (final
            months whose range of safety is reported; default 10).

    Returns:
        A section with, per point, ``s*``, the simulated median and range over
        seeds and the largest absolute error; the count of settings within the
        tolerance; the comparative statics on neighbouring grid points; the figure.
        It passes when every point is within the tolerance, at least
        ``min_settings`` of them with ``s* < 1``, safety ranges over at most a
        third of the tolerance in the final ``converge_months`` of every run,
        and every neighbouring pair moves in the paper's direction.

    Raises:
        SweepError: Invalid options, or a point that is not the paper's race.
    """
    opts = _armstrong_options(options)
    tolerance = float(opts["tolerance"])
    points = _armstrong_points(sweep)
    series = sweep.timeseries
    last_step = int(series["step"].max())
    final = series[series["step"] == last_step].groupby("job")["safety_share_mean"]
    tail = series[series["step"] > last_step - int(opts["converge_months"])]
    tail_range = tail.groupby(["job", "seed"])["safety_share_mean"].agg(np.ptp)
    table = points.set_index("job").join(final.agg(["median", "min", "max"]))
    table["error"] = np.maximum(abs(table["min"] - table["s_star"]),
                                abs(table["max"] - table["s_star"]))
    table["tail_range"] = tail_range.groupby("job").max()
    table = table.reset_index().sort_values(["n", "mu", "e"], ignore_index=True)
    table["within"] = table["error"] <= tolerance
    interior = table[table["s_star"] < 1]
    capped = table[table["s_star"] >= 1]
    statics = _comparative_statics(table)
    worst = table.loc[table["error"].idxmax()]
    converged = float(table["tail_range"].max()) <= tolerance / 3
    passes = (bool(table["within"].all()) and converged
              and int(interior["within"].sum()) >= int(opts["min_settings"])
              and all(v["pairs"] > 0 and v["agree"] == v["pairs"] for v in statics.values()))

    lines = [
        f"Simulated equilibrium: final-month (month {last_step + 1}) `safety_share_mean` "
        f"over {len(sweep.seeds)} seeds per point (median [min, max]); it weights labs by "
        "effective compute, and in the symmetric equilibrium every lab plays the same "
        "safety. Theory: the no-information equilibrium s* = min(1, mu / (n e)) of "
        "Armstrong, Bostrom & Shulman (2016). Error: the largest |simulated - s*| over "
        "seeds.",
        "",
        f"**{int(interior['within'].sum())} of {len(interior)} settings with s* < 1** and "
        f"{int(capped['within'].sum())} of {len(capped)} at the cap s* = 1 are within "
        f"{tolerance:g} of s* (required: at least {opts['min_settings']} settings with "
        f"s* < 1, every setting within). Largest error {fmt(worst['error'])} at n = "
        f"{int(worst['n'])}, mu = {worst['mu']:g}, e = {worst['e']:g}; the largest range "
        f"of safety over the last {opts['converge_months']} months is "
        f"{fmt(table['tail_range'].max())} ({'' if converged else 'NOT '}converged: at most "
        f"{tolerance / 3:.2g}). Validation {'passes' if passes else 'FAILS'}.",
        "",
        "| n | mu | e | s* | simulated median [min, max] | error | within |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {r.n} | {r.mu:g} | {r.e:g} | {r.s_star:.3f} | {r.median:.3f} "
              f"[{r.min:.3f}, {r.max:.3f}] | {r.error:.3f} | {'yes' if r.within else 'NO'} |"
              for r in table.itertuples()]
    lines += ["", "Comparative statics on neighbouring grid points with s* < 1 (the paper: "
              "more teams, more enmity or a smaller mu -> less safety):", "",
              "| change | predicted | pairs | simulated change has the predicted sign | "
              "largest abs(simulated - predicted change) |", "|---|---|---|---|---|"]
    lines += [f"| {v['label']} | {'more' if v['sign'] > 0 else 'less'} safety | {v['pairs']} "
              f"| {v['agree']} | {fmt(v['max_gap'])} |" for v in statics.values()]

    figure = _save(_armstrong_figure(table, tolerance), out, ARMSTRONG_FIGURE)
    data = {
        "tolerance": tolerance,
        "final_month": last_step + 1,
        "settings": json.loads(table.to_json(orient="records")),
        "interior_within": int(interior["within"].sum()),
        "interior_total": len(interior),
        "capped_within": int(capped["within"].sum()),
        "capped_total": len(capped),
        "max_error": float(table["error"].max()),
        "max_tail_range": float(table["tail_range"].max()),
        "converged": converged,
        "comparative_statics": statics,
        "passes": passes,
    }
    return Section("Armstrong, Bostrom & Shulman (2016): no-information equilibrium",
                   "\n".join(lines) + "\n", data, [figure])


def _number(value: Any, where: str, lo: float, hi: float = math.inf, *,
            lo_open: bool = False, integer: bool = False) -> float:
    """Return ``value`` if it is a number with ``lo <= value <= hi`` (``lo < value`` if open).

    Raises:
        DsairSpecError: Naming ``where`` (the dotted key), the value and the rule.
    """
    kind = "an integer" if integer else "a number"
    ok_type = (isinstance(value, int) if integer else isinstance(value, int | float)) \
        and not isinstance(value, bool)
    low = f"> {lo:g}" if lo_open else f">= {lo:g}"
    rule = f"{kind} {low}" + (f" and <= {hi:g}" if hi < math.inf else "")
    if not ok_type or not math.isfinite(value) or value > hi \
            or (value <= lo if lo_open else value < lo):
        raise DsairSpecError(f"{where}={value!r}: {rule}")
    return value


def _mapping(value: Any, where: str, keys: Sequence[str]) -> Mapping[str, Any]:
    """Check that ``value`` is a mapping with exactly ``keys``."""
    if not isinstance(value, Mapping):
        raise DsairSpecError(f"{where}={value!r}: a mapping with keys {', '.join(keys)}")
    unknown = sorted(set(value) - set(keys))
    missing = [k for k in keys if k not in value]
    if unknown or missing:
        problem = f"unknown key {unknown[0]!r}" if unknown else f"missing key {missing[0]!r}"
        raise DsairSpecError(f"{where}: {problem}; keys: {', '.join(keys)}")
    return value


def _risks(value: Any, where: str) -> list[float]:
    """Check a list of disaster probabilities in [0, 1]."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise DsairSpecError(f"{where}={value!r}: a non-empty list of probabilities in [0, 1]")
    return [float(_number(v, f"{where}[{i}]", 0.0, 1.0)) for i, v in enumerate(value)]


def _risk_grid(value: Any) -> np.ndarray:
    """Return the ``p_r`` grid ``start, start + step, ..., stop`` of a spec."""
    grid = _mapping(value, "dsair.p_r", ("start", "stop", "step"))
    start = _number(grid["start"], "dsair.p_r.start", 0.0, 1.0)
    stop = _number(grid["stop"], "dsair.p_r.stop", 0.0, 1.0)
    step = _number(grid["step"], "dsair.p_r.step", 0.0, 1.0, lo_open=True)
    count = (stop - start) / step
    if stop <= start or abs(count - round(count)) > 1e-6:
        raise DsairSpecError(f"dsair.p_r={dict(grid)!r}: need start < stop and (stop - start) "
                             "a whole number of steps")
    return np.round(start + step * np.arange(round(count) + 1), 10)


def check_dsair_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the ``dsair:`` section of an experiment and fill in the defaults.

    Fields (Han et al. 2020 notation): ``b`` benefit per round (>= 0), ``c``
    cost of safety per round (>= 0), ``B`` prize (> 0), ``W`` rounds of a safe
    race (> 0), ``Z`` population size (integer >= 2), ``beta`` selection
    intensity (>= 0), ``s`` speed-ups (list of numbers > 1), ``p_r`` the grid
    ``{start, stop, step}`` of disaster probabilities in [0, 1]; ``checks``,
    one per speed-up: ``{s, unsafe_up_to, safe_from}`` where ``unsafe_up_to``
    lies in the dilemma zone ``(1 - 1/s, 1 - 1/(3 s))`` and ``safe_from`` above
    it; ``tolerances``: ``{unsafe_min, safe_max}`` (always-unsafe frequency at
    least ``unsafe_min`` for ``p_r <= unsafe_up_to``, at most ``safe_max`` for
    ``p_r >= safe_from``); optional ``table_p_r`` (risks of the findings table)
    and ``monte_carlo``: ``{trials, seed, p_r}`` (simulate the fixation
    probabilities at these risks with :func:`sim.dsair.simulate_fixation`).

    Args:
        spec: The section as read from YAML.

    Returns:
        The validated section with ``p_r`` as an array and defaults filled in.

    Raises:
        DsairSpecError: A missing, unknown or invalid field (the message names
            the key, the value and what is allowed).
    """
    if not isinstance(spec, Mapping):
        raise DsairSpecError(f"dsair={spec!r}: a mapping of the model's parameters")
    allowed = (*DSAIR_REQUIRED, *DSAIR_OPTIONAL)
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise DsairSpecError(f"dsair.{unknown[0]}: unknown field; allowed: {', '.join(allowed)}")
    missing = [k for k in DSAIR_REQUIRED if k not in spec]
    if missing:
        raise DsairSpecError(f"dsair.{missing[0]}: required; fields: {', '.join(allowed)}")
    out: dict[str, Any] = {**DSAIR_OPTIONAL, **spec}
    for key in ("b", "c", "beta"):
        out[key] = float(_number(spec[key], f"dsair.{key}", 0.0))
    for key in ("B", "W"):
        out[key] = float(_number(spec[key], f"dsair.{key}", 0.0, lo_open=True))
    out["Z"] = int(_number(spec["Z"], "dsair.Z", 2, integer=True))
    speeds = spec["s"]
    if isinstance(speeds, str) or not isinstance(speeds, Sequence) or not speeds:
        raise DsairSpecError(f"dsair.s={speeds!r}: a non-empty list of speed-ups > 1")
    out["s"] = [float(_number(v, f"dsair.s[{i}]", 1.0, lo_open=True))
                for i, v in enumerate(speeds)]
    if len(set(out["s"])) != len(out["s"]):
        raise DsairSpecError(f"dsair.s={speeds!r}: each speed-up once")
    out["p_r"] = _risk_grid(spec["p_r"])
    tol = _mapping(spec["tolerances"], "dsair.tolerances", ("unsafe_min", "safe_max"))
    out["tolerances"] = {
        "unsafe_min": float(_number(tol["unsafe_min"], "dsair.tolerances.unsafe_min", 0.0,
                                    1.0, lo_open=True)),
        "safe_max": float(_number(tol["safe_max"], "dsair.tolerances.safe_max", 0.0, 1.0)),
    }
    checks = spec["checks"]
    if isinstance(checks, str) or not isinstance(checks, Sequence):
        raise DsairSpecError(f"dsair.checks={checks!r}: a list of {{s, unsafe_up_to, "
                             "safe_from}, one per speed-up")
    out["checks"] = {}
    for i, check in enumerate(checks):
        where = f"dsair.checks[{i}]"
        check = _mapping(check, where, ("s", "unsafe_up_to", "safe_from"))
        speed = float(_number(check["s"], f"{where}.s", 1.0, lo_open=True))
        if speed not in out["s"] or speed in out["checks"]:
            raise DsairSpecError(f"{where}.s={speed:g}: one check per speed-up of dsair.s "
                                 f"{out['s']}")
        society, dominance = dsair.thresholds(speed)
        up_to = float(_number(check["unsafe_up_to"], f"{where}.unsafe_up_to", 0.0, 1.0))
        if not society < up_to < dominance:
            raise DsairSpecError(f"{where}.unsafe_up_to={up_to:g}: must lie in the dilemma zone "
                                 f"({society:.3f}, {dominance:.3f}) of s={speed:g}, so that the "
                                 "check covers it")
        safe_from = float(_number(check["safe_from"], f"{where}.safe_from", 0.0, 1.0))
        if not dominance < safe_from:
            raise DsairSpecError(f"{where}.safe_from={safe_from:g}: must lie above the "
                                 f"risk-dominance threshold {dominance:.3f} of s={speed:g}")
        out["checks"][speed] = {"unsafe_up_to": up_to, "safe_from": safe_from}
    absent = [s for s in out["s"] if s not in out["checks"]]
    if absent:
        raise DsairSpecError(f"dsair.checks: no check for s={absent[0]:g}; one per speed-up")
    out["table_p_r"] = _risks(out["table_p_r"], "dsair.table_p_r")
    if out["monte_carlo"] is not None:
        mc = _mapping(out["monte_carlo"], "dsair.monte_carlo", ("trials", "seed", "p_r"))
        out["monte_carlo"] = {
            "trials": int(_number(mc["trials"], "dsair.monte_carlo.trials", 1, integer=True)),
            "seed": int(_number(mc["seed"], "dsair.monte_carlo.seed", 0, integer=True)),
            "p_r": _risks(mc["p_r"], "dsair.monte_carlo.p_r"),
        }
    return out


def exact_thresholds(b: float, c: float, prize: float, rounds: float,
                     speed: float) -> tuple[float, float]:
    """Risk thresholds of the DSAIR payoff matrix without the ``B/W >> b, c`` approximation.

    Society prefers safety when the all-AS payoff exceeds the all-AU payoff,
    ``B/(2W) + b/2 - c > (1 - p_r)(s B/(2W) + b/2)``; AS is risk-dominant when
    ``Pi(AS,AS) + Pi(AS,AU) > Pi(AU,AS) + Pi(AU,AU)`` (Han et al. 2020, eqs. of
    section 3 with :func:`sim.dsair.payoff_matrix`).

    Args:
        b: Benefit per round.
        c: Cost of safety per round.
        prize: Prize ``B``.
        rounds: Rounds ``W``.
        speed: Speed-up ``s``.

    Returns:
        ``(society, risk_dominance)``: the disaster probabilities ``p_r`` at
        which each inequality turns (may lie outside [0, 1]).
    """
    safe = dsair.payoff_matrix(b, c, prize, rounds, speed, 0.0)
    society = 1.0 - safe[0, 0] / safe[1, 1]
    dominance = 1.0 - (safe[0, 0] + safe[0, 1]) / (safe[1, 0] + safe[1, 1])
    return float(society), float(dominance)


def _monte_carlo(cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Simulate both fixation probabilities at the Monte Carlo risks, per speed-up.

    A simulated probability agrees with the closed form when they differ by at
    most :data:`MC_Z` binomial standard errors of the closed form plus one
    trial (``1 / trials``).
    """
    mc = cfg["monte_carlo"]
    trials = mc["trials"]
    cases = [(speed, risk, mutant, resident) for speed in cfg["s"] for risk in mc["p_r"]
             for mutant, resident in ((dsair.AU, dsair.AS), (dsair.AS, dsair.AU))]
    streams = np.random.SeedSequence(mc["seed"]).spawn(len(cases))
    rows = []
    for (speed, risk, mutant, resident), stream in zip(cases, streams, strict=True):
        payoffs = dsair.payoff_matrix(cfg["b"], cfg["c"], cfg["B"], cfg["W"], speed, risk)
        exact = dsair.fixation_probability(payoffs, mutant, resident, cfg["Z"], cfg["beta"])
        simulated = dsair.simulate_fixation(payoffs, mutant, resident, cfg["Z"], cfg["beta"],
                                            trials, np.random.default_rng(stream))
        allowed = MC_Z * math.sqrt(exact * (1.0 - exact) / trials) + 1.0 / trials
        rows.append({"s": speed, "p_r": risk,
                     "invasion": "AU into AS" if mutant == dsair.AU else "AS into AU",
                     "closed_form": exact, "simulated": simulated, "trials": trials,
                     "allowed": allowed, "agrees": abs(simulated - exact) <= allowed})
    return rows


@styled
def _dsair_figure(table: pd.DataFrame, cfg: Mapping[str, Any]) -> Any:
    """Always-unsafe frequency against ``p_r``, one panel per speed-up, with its thresholds.

    The dilemma zone (society prefers safety, safety not yet risk-dominant) is shaded.
    """
    speeds = cfg["s"]
    figure = new_figure(3.4 * len(speeds) + 0.4, 3.6)
    axes = np.atleast_1d(figure.subplots(1, len(speeds), sharey=True))
    for i, (speed, ax) in enumerate(zip(speeds, axes, strict=True)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        rows = table[table["s"] == speed]
        society, dominance = dsair.thresholds(speed)
        ax.axvspan(society, dominance, color="0.88", lw=0, label="dilemma zone")
        ax.axvline(society, color="0.25", ls="--", lw=1.0,
                   label="society prefers safety: 1 - 1/s")
        ax.axvline(dominance, color="0.25", ls=":", lw=1.4,
                   label="safety risk-dominant: 1 - 1/(3s)")
        ax.plot(rows["p_r"], rows["au_frequency"], color=colour, lw=1.8, marker=".", ms=4,
                label="always-unsafe frequency")
        ax.set(xlabel="disaster probability of unsafe play p_r", xlim=(0, 1),
               ylim=(-0.02, 1.02),
               title=f"s = {speed:g}: thresholds {society:.3f} and {dominance:.3f}")
    axes[0].set_ylabel("stationary frequency of always-unsafe")
    axes[0].legend(loc="lower left", fontsize=7)
    figure.suptitle(f"DSAIR (Han et al. 2020): b = {cfg['b']:g}, c = {cfg['c']:g}, "
                    f"B = {cfg['B']:g}, W = {cfg['W']:g}, Z = {cfg['Z']}, "
                    f"beta = {cfg['beta']:g}")
    return figure


def dsair_section(spec: Mapping[str, Any], out: Path) -> Section:
    """Compute the DSAIR model of Han, Pereira, Santos & Lenaerts (2020) over a ``p_r`` grid.

    For each speed-up ``s`` and disaster probability ``p_r`` of the grid, the
    stationary frequency of always-unsafe (AU) developers under pairwise
    comparison in the small-mutation limit (:func:`sim.dsair.unsafe_frequency`),
    with the two fixation probabilities behind it. The checks of the spec
    state the paper's result: AU dominates (frequency >= ``unsafe_min``) up to
    ``unsafe_up_to``, a point inside the dilemma zone where society would
    prefer safety, and vanishes (<= ``safe_max``) from ``safe_from``, above the
    risk-dominance threshold.

    Args:
        spec: The experiment's ``dsair:`` section (fields in :func:`check_dsair_spec`).
        out: Output folder: writes ``dsair.csv`` (``s, p_r, zone, au_frequency,
            rho_au_into_as, rho_as_into_au``; zone ``unsafe_preferred``,
            ``dilemma`` or ``safety_dominant`` by the analytic thresholds) and
            ``figures/dsair_unsafe_frequency.png``.

    Returns:
        A section with the thresholds (analytic and exact), the AU frequency at
        the table's risks, the checks with their tolerances, the Monte Carlo
        check of the fixation probabilities (if requested) and the figure.

    Raises:
        DsairSpecError: An invalid spec (before anything is computed or written).
    """
    from sweeps.store import atomic_write_text

    cfg = check_dsair_spec(spec)
    params = (cfg["b"], cfg["c"], cfg["B"], cfg["W"])
    rows = []
    for speed in cfg["s"]:
        society, dominance = dsair.thresholds(speed)
        for risk in np.unique(np.r_[cfg["p_r"], cfg["table_p_r"]]):
            payoffs = dsair.payoff_matrix(*params, speed, risk)
            rows.append({
                "s": speed, "p_r": float(risk),
                "zone": "unsafe_preferred" if risk <= society
                else "dilemma" if risk < dominance else "safety_dominant",
                "au_frequency": dsair.unsafe_frequency(*params, speed, risk, cfg["Z"],
                                                       cfg["beta"]),
                "rho_au_into_as": dsair.fixation_probability(payoffs, dsair.AU, dsair.AS,
                                                             cfg["Z"], cfg["beta"]),
                "rho_as_into_au": dsair.fixation_probability(payoffs, dsair.AS, dsair.AU,
                                                             cfg["Z"], cfg["beta"]),
                "on_grid": bool(np.isclose(cfg["p_r"], risk).any()),
            })
    table = pd.DataFrame(rows)
    tol = cfg["tolerances"]
    results: dict[str, Any] = {}
    for speed in cfg["s"]:
        check = cfg["checks"][speed]
        grid = table[(table["s"] == speed) & table["on_grid"]]
        society, dominance = dsair.thresholds(speed)
        unsafe = grid[grid["p_r"] <= check["unsafe_up_to"] + 1e-12]
        safe = grid[grid["p_r"] >= check["safe_from"] - 1e-12]
        lowest = float(unsafe["au_frequency"].min()) if len(unsafe) else None
        highest = float(safe["au_frequency"].max()) if len(safe) else None
        results[f"{speed:g}"] = {
            "s": speed,
            "society_threshold": society,
            "risk_dominance_threshold": dominance,
            "exact_thresholds": dict(zip(("society", "risk_dominance"),
                                         exact_thresholds(*params, speed), strict=True)),
            "unsafe_up_to": check["unsafe_up_to"],
            "dilemma_zone_covered": (check["unsafe_up_to"] - society) / (dominance - society),
            "min_au_frequency_up_to": lowest,
            "unsafe_points": len(unsafe),
            "unsafe_holds": lowest is not None and lowest >= tol["unsafe_min"],
            "safe_from": check["safe_from"],
            "max_au_frequency_from": highest,
            "safe_points": len(safe),
            "safe_holds": highest is not None and highest <= tol["safe_max"],
            "au_frequency_at": {f"{r:g}": float(table[(table["s"] == speed)
                                                      & np.isclose(table["p_r"], r)]
                                                ["au_frequency"].iloc[0])
                                for r in cfg["table_p_r"]},
        }
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / DSAIR_CSV, table[table["on_grid"]].drop(columns="on_grid")
                      .to_csv(index=False, float_format="%.10g", lineterminator="\n"))
    figure = _save(_dsair_figure(table[table["on_grid"]], cfg), out, DSAIR_FIGURE)

    header = " | ".join(f"s = {r['s']:g}" for r in results.values())
    lines = [
        f"Parameters: b = {cfg['b']:g}, c = {cfg['c']:g}, B = {cfg['B']:g}, W = {cfg['W']:g}, "
        f"Z = {cfg['Z']}, beta = {cfg['beta']:g}; p_r from {cfg['p_r'][0]:g} to "
        f"{cfg['p_r'][-1]:g} in steps of {cfg['p_r'][1] - cfg['p_r'][0]:.3g} "
        f"({len(cfg['p_r'])} points). AU frequency: stationary share of always-unsafe "
        "developers (pairwise comparison, small-mutation limit; full table in "
        f"`{DSAIR_CSV}`).",
        "",
        f"| | {header} |",
        "|---|" + "---|" * len(results),
        "| society prefers safety above 1 - 1/s (exact) | " + " | ".join(
            f"{r['society_threshold']:.3f} ({r['exact_thresholds']['society']:.3f})"
            for r in results.values()) + " |",
        "| safety risk-dominant above 1 - 1/(3s) (exact) | " + " | ".join(
            f"{r['risk_dominance_threshold']:.3f} "
            f"({r['exact_thresholds']['risk_dominance']:.3f})" for r in results.values())
        + " |",
    ]
    for risk in cfg["table_p_r"]:
        cells = []
        for r in results.values():
            zone = ("below society threshold" if risk <= r["society_threshold"]
                    else "dilemma zone" if risk < r["risk_dominance_threshold"]
                    else "above risk dominance")
            cells.append(f"{r['au_frequency_at'][f'{risk:g}']:.4f} ({zone})")
        lines.append(f"| AU frequency at p_r = {risk:g} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Checks (tolerances: AU frequency >= {tol['unsafe_min']:g} where unsafe play wins, "
        f"<= {tol['safe_max']:g} where safety wins; over the grid points):",
        "",
        "| s | p_r range | share of dilemma zone covered | AU frequency | holds |",
        "|---|---|---|---|---|",
    ]
    for r in results.values():
        unsafe_ok = "yes" if r["unsafe_holds"] else "NO"
        safe_ok = "yes" if r["safe_holds"] else "NO"
        lines.append(f"| {r['s']:g} | 0 - {r['unsafe_up_to']:g} ({r['unsafe_points']} points) "
                     f"| {r['dilemma_zone_covered']:.0%} "
                     f"| min {fmt(r['min_au_frequency_up_to'], 4)} | {unsafe_ok} |")
        lines.append(f"| {r['s']:g} | {r['safe_from']:g} - {cfg['p_r'][-1]:g} "
                     f"({r['safe_points']} points) | (above risk dominance) "
                     f"| max {fmt(r['max_au_frequency_from'], 4)} | {safe_ok} |")
    data: dict[str, Any] = {
        "parameters": {k: cfg[k] for k in ("b", "c", "B", "W", "Z", "beta")},
        "tolerances": tol,
        "speeds": results,
        "passes": all(r["unsafe_holds"] and r["safe_holds"] for r in results.values()),
    }
    if cfg["monte_carlo"] is not None:
        mc_rows = _monte_carlo(cfg)
        data["monte_carlo"] = mc_rows
        data["passes"] = data["passes"] and all(r["agrees"] for r in mc_rows)
        lines += [
            "",
            f"Monte Carlo check of the fixation probabilities ({cfg['monte_carlo']['trials']} "
            f"trials each, seed {cfg['monte_carlo']['seed']}; agreement: within "
            f"{MC_Z:g} binomial standard errors + 1/trials):",
            "",
            "| s | p_r | invasion | closed form | simulated | allowed difference | agrees |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [f"| {r['s']:g} | {r['p_r']:g} | {r['invasion']} | {fmt(r['closed_form'])} "
                  f"| {fmt(r['simulated'])} | {fmt(r['allowed'])} "
                  f"| {'yes' if r['agrees'] else 'NO'} |" for r in mc_rows]
    lines += ["", f"Validation {'passes' if data['passes'] else 'FAILS'}."]
    return Section("Han, Pereira, Santos & Lenaerts (2020): DSAIR always-unsafe frequency",
                   "\n".join(lines) + "\n", data, [figure])
