"""History fit: simulated 2015-2024 trajectories against published figures.

The ``history_2015`` experiment calibrates the model to recent history
(``shared/design/calibration-targets.md``) and then runs the calibrated
scenario over fresh seeds. :func:`history_section` (the ``history_trajectories``
extra of ``race-experiment``) checks the targeted summary metrics against their
pass bands over those seeds and draws the simulated trajectories (median and
5-95% band over seeds) against the published ones:

- frontier training compute: growth of 4-5x per year (Epoch AI, "Training
  compute of frontier AI models grows by 4-5x per year"; Sevilla et al. 2022,
  arXiv 2202.05924), and for the level the largest runs of 2023 in Epoch AI's
  database of notable models (GPT-4 2.1e25 FLOP, Gemini Ultra 5.0e25 FLOP);
- share of new North American AI PhDs going to industry: 44.4% (2010) and 65%
  (2019) (Stanford AI Index 2021), almost 70% (2020) (Ahmed, Wahed & Thompson,
  Science 2023);
- big-3 (AWS, Azure, Google Cloud) share of the cloud market: 67% (Q4 2022),
  66% (Q4 2023), 62% (Q3 2025) (Synergy Research Group);
- the cost of frontier training runs: growth of ~2.4x per year, 90% CI 2.0-2.9
  (Cottier et al. 2024, arXiv 2405.21015). With compute growing 4x per year this
  target holds only if the price of compute falls with the cost of hardware.

Scale checks, not targeted by the fit, test whether the targets are met by an
economy of plausible size: the price of an H100e-hour in the last year against
the ~$2/h H100 rental of 2024, and the AI market against world GDP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import SweepError
from analysis.findings import Section, fmt
from analysis.load import Sweep
from analysis.style import OKABE_ITO, new_figure, save_figure, styled

#: Figure written by :func:`history_section`, relative to the output folder.
FIGURE = "figures/history_trajectories.png"


@dataclass(frozen=True)
class Check:
    """A summary metric checked against its pass band.

    Attributes:
        metric: Summary metric (:data:`sim.results.SUMMARY_METRICS`).
        label: What it measures.
        window: Months it covers: ``run`` (the whole run), ``first`` or ``last``
            (the first or last 12 months).
        lo: Lower end of the pass band (metric unit).
        hi: Upper end of the pass band (metric unit).
        source: Where the band comes from.
    """

    metric: str
    label: str
    window: str
    lo: float
    hi: float
    source: str


#: The history fit's pass bands (the issue's acceptance criteria, built on the sources above).
CHECKS: tuple[Check, ...] = (
    Check("training_compute_growth_per_year", "frontier training compute growth [x/year]",
          "run", 3.5, 6.0, "Epoch AI 4-5x/year; Sevilla et al. 2022"),
    Check("industry_share_new_phds_start", "share of new PhDs going to industry", "first",
          0.40, 0.50, "AI Index 2021: 44.4% (2010), 65% (2019)"),
    Check("industry_share_new_phds_end", "share of new PhDs going to industry", "last",
          0.60, 0.75, "AI Index 2021: 65% (2019); Ahmed et al. 2023: ~70% (2020)"),
    Check("big3_cloud_share", "big-3 share of cloud revenue", "last", 0.55, 0.75,
          "Synergy Research Group: 62-67% (2022-2025)"),
    Check("training_cost_growth_per_year", "frontier training cost growth [x/year]", "run",
          2.0, 2.9, "Cottier et al. 2024: 2.4x/year (90% CI 2.0-2.9)"),
)

#: Scale checks: untargeted summary metrics whose published band tests whether the fit is
#: plausible (the targets can be met by an economy of the wrong size).
SCALE_CHECKS: tuple[Check, ...] = (
    Check("compute_price_usd_per_h100e_hour", "compute price [USD per H100e-hour]", "last",
          1.0, 4.0, "H100 rental ~$2/h in 2024 (source of clouds.price_usd_per_h100e_hour), "
          "within a factor of 2"),
)

#: Untargeted summary metrics reported for context: metric -> label.
CONTEXT: dict[str, str] = {
    "capability_growth_oom_per_year": "frontier effective-compute (capability) growth "
                                      "[OOM/year]",
}

#: Untargeted monthly flows reported as annual totals over the last 12 months: metric -> label.
CONTEXT_FLOWS: dict[str, str] = {
    "ai_market_usd_per_month": "AI market revenue (all labs and startups), last 12 months "
                               "[USD/year]",
    "capital_supply_usd_per_month": "investor capital supplied, last 12 months [USD/year]",
}

#: World GDP in 2024 [USD/year] (IMF World Economic Outlook, ~110 trillion USD): an AI
#: market above it flags an implausible calibration.
WORLD_GDP_USD = 1.1e14

#: Published shares of new North American AI PhDs going to industry: (year, share, source).
PHD_INDUSTRY: tuple[tuple[float, float, str], ...] = (
    (2010.5, 0.444, "AI Index 2021"),
    (2019.5, 0.65, "AI Index 2021"),
    (2020.5, 0.70, "Ahmed et al. 2023"),
)

#: Big-3 cloud market share (AWS + Azure + Google Cloud): (year, share) (Synergy Research Group).
BIG3_SHARE: tuple[tuple[float, float], ...] = ((2022.9, 0.67), (2023.9, 0.66), (2025.7, 0.62))

#: Epoch AI's estimates of the largest training runs of 2023: (year, log10 FLOP, model).
FRONTIER_RUNS: tuple[tuple[float, float, str], ...] = (
    (2023.2, float(np.log10(2.1e25)), "GPT-4"),
    (2023.9, float(np.log10(5.0e25)), "Gemini Ultra"),
)

#: Epoch AI's growth band of frontier training compute [x/year].
COMPUTE_GROWTH_BAND: tuple[float, float] = (4.0, 5.0)


def _quantiles(sweep: Sweep, job: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the months and the 5, 50 and 95% quantiles across seeds, shape (3, steps)."""
    rows = sweep.timeseries[sweep.timeseries["job"] == job]
    table = rows.pivot(index="seed", columns="step", values=metric)
    with np.errstate(all="ignore"):
        bands = np.nanquantile(table.to_numpy(dtype=float), [0.05, 0.5, 0.95], axis=0)
    return table.columns.to_numpy(dtype=float), bands


def _band(ax: Any, years: np.ndarray, bands: np.ndarray, color: str) -> None:
    """Draw a simulated median with its 5-95% band across seeds."""
    ax.fill_between(years, bands[0], bands[2], color=color, alpha=0.25, linewidth=0,
                    label="simulated 5-95%")
    ax.plot(years, bands[1], color=color, linewidth=1.6, label="simulated median")


@styled
def plot_history(sweep: Sweep, job: int, start_year: float) -> Any:
    """Plot simulated trajectories of the history scenario against published figures.

    Three panels: frontier training compute (log10 FLOP) with the 4-5x/year
    growth band of Epoch AI and the 3.5-6x/year pass band drawn from the
    simulated median's first month (the model is calibrated on growth, not on
    the level), and Epoch AI's estimates of the largest 2023 runs; the share of new PhDs
    going to industry (trailing 12 months) with the AI Index and Ahmed et al.
    figures and the pass bands of the first and last 12 months; the big-3
    share of cloud revenue with Synergy's market shares and the pass band of
    the last 12 months.

    Args:
        sweep: The loaded sweep.
        job: The point to plot.
        start_year: Calendar year of month 0.

    Returns:
        The figure.
    """
    fig = new_figure(10.5, 3.3)
    axes = fig.subplots(1, 3)
    sim_color, data_color, band_color = OKABE_ITO[0], OKABE_ITO[3], OKABE_ITO[2]
    months, compute = _quantiles(sweep, job, "frontier_training_compute_log10_flop")
    years = start_year + months / 12.0
    ax = axes[0]
    if np.isfinite(compute[1]).any():
        first = int(np.flatnonzero(np.isfinite(compute[1]))[0])
        span = years - years[first]
        lo, hi = (compute[1][first] + span * np.log10(g) for g in COMPUTE_GROWTH_BAND)
        ax.fill_between(years, lo, hi, color=band_color, alpha=0.25, linewidth=0,
                        label="Epoch AI: 4-5x/year")
        for i, growth in enumerate((CHECKS[0].lo, CHECKS[0].hi)):
            ax.plot(years, compute[1][first] + span * np.log10(growth), color=band_color,
                    linestyle="--", linewidth=1.0,
                    label=f"pass band {fmt(CHECKS[0].lo)}-{fmt(CHECKS[0].hi)}x/year"
                    if i == 0 else None)
    _band(ax, years, compute, sim_color)
    ax.plot([r[0] for r in FRONTIER_RUNS], [r[1] for r in FRONTIER_RUNS], "o",
            color=data_color, label="Epoch AI: GPT-4, Gemini Ultra")
    ax.set_ylabel("Largest training run [log10 FLOP]")
    ax.set_title("Frontier training compute")
    ax.legend(loc="upper left", frameon=False)

    ax = axes[1]
    _, phd = _quantiles(sweep, job, "industry_share_new_phds")
    _band(ax, years, phd, sim_color)
    first, last = CHECKS[1], CHECKS[2]
    end = years[-1] + 1.0 / 12.0
    ax.fill_between([start_year, start_year + 1.0], first.lo, first.hi, color=band_color,
                    alpha=0.25, linewidth=0, label="pass bands")
    ax.fill_between([end - 1.0, end], last.lo, last.hi, color=band_color, alpha=0.25,
                    linewidth=0)
    for i, (year, share, source) in enumerate(PHD_INDUSTRY):
        marker = "o" if source.startswith("AI Index") else "s"
        ax.plot(year, share, marker, color=data_color, linestyle="none",
                label=source if i in (0, 2) else None)
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("Share going to industry (trailing 12 months)")
    ax.set_title("New AI PhDs going to industry")
    ax.legend(loc="lower right", frameon=False)

    ax = axes[2]
    _, big3 = _quantiles(sweep, job, "big3_cloud_share")
    _band(ax, years, big3, sim_color)
    share = CHECKS[3]
    ax.fill_between([end - 1.0, end], share.lo, share.hi, color=band_color, alpha=0.25,
                    linewidth=0, label="pass band")
    ax.plot(*zip(*BIG3_SHARE, strict=True), "o", color=data_color,
            label="Synergy Research Group")
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("Big-3 share of cloud revenue")
    ax.set_title("AWS + Azure + Google Cloud")
    ax.legend(loc="lower left", frameon=False)
    for ax in axes:
        ax.set_xlabel("Year")
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    fig.suptitle(f"History scenario: simulated median and 5-95% band over "
                 f"{len(sweep.seeds)} seeds against published figures")
    return fig


def _stats(values: np.ndarray) -> dict[str, float | None]:
    """Median, 5% and 95% quantiles over seeds (``None`` when no value is defined)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"median": None, "q05": None, "q95": None, "n": 0}
    q05, median, q95 = np.quantile(finite, [0.05, 0.5, 0.95])
    return {"median": float(median), "q05": float(q05), "q95": float(q95), "n": int(finite.size)}


def _check(sweep: Sweep, job: int, check: Check,
           windows: Mapping[str, str]) -> tuple[dict[str, Any], str]:
    """Return a check's statistics over seeds and its row of the checks table."""
    values = sweep.metric_values(check.metric, job)
    stats = _stats(values)
    inside = float(np.mean((values >= check.lo) & (values <= check.hi)))
    ok = stats["median"] is not None and check.lo <= stats["median"] <= check.hi
    row = (f"| {check.label} | {windows[check.window]} | {fmt(check.lo)}-{fmt(check.hi)} | "
           f"{fmt(stats['median'])} | {fmt(stats['q05'])}-{fmt(stats['q95'])} | "
           f"{fmt(inside, 2)} | {'pass' if ok else 'FAIL'} | {check.source} |")
    return {**stats, "band": [check.lo, check.hi], "share_in_band": inside, "pass": ok}, row


def history_section(sweep: Sweep, out: Path, options: Mapping[str, Any]) -> Section:
    """Check the history fit over the sweep's seeds and draw the trajectories figure.

    Args:
        sweep: The loaded sweep of the calibrated scenario (one point).
        out: Output folder; the figure goes to ``out/figures/history_trajectories.png``.
        options: ``start_year`` (calendar year of month 0, default 2015) and
            ``job`` (the point to check, default the first).

    Returns:
        A section with, for each targeted metric and each scale check
        (:data:`SCALE_CHECKS`), the median and 5-95% range over seeds against
        its pass band (pass: the median is inside), the share of seeds inside
        the band, and untargeted context: capability
        growth, and the AI market and investor capital of the last 12 months
        (annual totals; the scale the fit implies).

    Raises:
        SweepError: Unknown option or job.
    """
    unknown = sorted(set(options) - {"start_year", "job"})
    if unknown:
        raise SweepError(f"analysis.options.{unknown[0]}: unknown option of "
                         "history_trajectories; allowed: start_year, job")
    start_year = float(options.get("start_year", 2015))
    job = int(options.get("job", sweep.jobs[0]))
    if job not in sweep.jobs:
        raise SweepError(f"analysis.options.job={job}: not a job of the sweep; jobs: "
                         f"{sweep.jobs}")
    seeds = sweep.seeds
    steps = int(sweep.timeseries["step"].max()) + 1
    first, last = int(start_year), int(start_year + (steps - 1) // 12)
    windows = {"run": f"{first}-{last}", "first": f"{first}", "last": f"{last}"}
    lines = [f"Calibrated scenario over {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}), which "
             f"are not the calibration's seeds, {steps} months from {first}: median and 5-95% "
             "range over seeds; pass when the median is inside the band. Year(s): the months "
             "a metric averages (growth: the log-linear trend over the run).", "",
             "| metric | year(s) | band | median | 5-95% | seeds in band | pass | source |",
             "|---|---|---|---|---|---|---|---|"]
    data: dict[str, Any] = {"seeds": seeds, "job": job, "checks": {}, "scale_checks": {},
                            "context": {}}
    header = lines[-2:]
    for check in CHECKS:
        data["checks"][check.metric], row = _check(sweep, job, check, windows)
        lines.append(row)
    lines += ["", "Scale checks (not targeted by the fit; a plausible fit passes them too):",
              "", *header]
    for check in SCALE_CHECKS:
        data["scale_checks"][check.metric], row = _check(sweep, job, check, windows)
        lines.append(row)
    lines += ["", "Not targeted (context):", ""]
    for metric, label in CONTEXT.items():
        stats = _stats(sweep.metric_values(metric, job))
        data["context"][metric] = stats
        lines.append(f"- {label}: median {fmt(stats['median'])}, 5-95% "
                     f"{fmt(stats['q05'])}-{fmt(stats['q95'])}")
    rows = sweep.timeseries[(sweep.timeseries["job"] == job)
                            & (sweep.timeseries["step"] >= steps - 12)]
    for metric, label in CONTEXT_FLOWS.items():
        stats = _stats(12.0 * rows.groupby("seed")[metric].mean().to_numpy(dtype=float))
        data["context"][metric] = stats
        lines.append(f"- {label}: median {fmt(stats['median'])}, 5-95% "
                     f"{fmt(stats['q05'])}-{fmt(stats['q95'])}")
    passed = sum(c["pass"] for c in data["checks"].values())
    scale = sum(c["pass"] for c in data["scale_checks"].values())
    lines += ["", f"{passed} of {len(CHECKS)} history targets pass; {scale} of "
              f"{len(SCALE_CHECKS)} scale checks pass."]
    market = data["context"]["ai_market_usd_per_month"]["median"]
    if market is not None and market > WORLD_GDP_USD:
        lines.append(f"Implausible scale: the simulated AI market ({fmt(market)} USD/year) "
                     f"exceeds world GDP (~{fmt(WORLD_GDP_USD)} USD/year, IMF 2024).")
    save_figure(plot_history(sweep, job, start_year), out / FIGURE)
    return Section("History fit", "\n".join(lines) + "\n", data, [FIGURE])
