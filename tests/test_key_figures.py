"""Key figures that do not mislead (issue 13): few lever values, honest ranges, sampled designs.

Everything runs on small synthetic sweeps (``analysis.synthetic``) and checks
the matplotlib artists that the figure functions return: which kinds of
artist are drawn, where, and the axis ranges.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer

from analysis import figures
from analysis.load import load_sweep
from analysis.report import (
    Answer,
    KeyFigures,
    build_report,
    sampled_key_figures,
    strongest_lever,
)
from analysis.stats import effects_table
from analysis.synthetic import write_synthetic_sweep

SHARE = "downstream.partner_share"
LEAD = "downstream.early_access_lead_months"
DEAL = "partnership.deal_size_valuation_share"
SEEDS = list(range(10, 16))


def _grid(tmp_path: Path, shares: tuple[float, ...], effects: dict, **kwargs) -> object:
    """A full grid of partner share x early-access lead (0, 12 months)."""
    points = [{SHARE: s, LEAD: lead} for s in shares for lead in (0.0, 12.0)]
    return load_sweep(write_synthetic_sweep(tmp_path / "grid", points, SEEDS, effects,
                                            steps=12, **kwargs))


@pytest.mark.parametrize(("values", "reference", "centre", "expected"), [
    ([0.001, 0.0005], 0.13, 0.0, (-0.0065 - 0.00078, 0.0065 + 0.00078)),
    ([0.02, -0.01], 0.13, 0.0, (-0.01 - 0.0018, 0.02 + 0.0018)),
    ([3.0, np.nan], 0.0, 0.0, (-3.0 - 0.36, 3.0 + 0.36)),
    ([0.0, 0.0], np.nan, 0.0, (-1.12, 1.12)),
    ([10.1, 9.9], 10.0, 10.0, (9.5 - 0.06, 10.5 + 0.06)),
])
def test_effect_range_covers_zero_the_values_and_a_minimum_span(
        values: list, reference: float, centre: float, expected: tuple) -> None:
    assert figures.effect_range(values, reference, centre) == pytest.approx(expected)


def test_two_lever_values_draw_dodged_interval_bars_and_no_line(tmp_path: Path) -> None:
    sweep = _grid(tmp_path, (0.0, 1.0), {"compute_hhi": {SHARE: 0.1}})
    table = effects_table(sweep, 0, ["compute_hhi"], n_resamples=99)
    fig = figures.plot_lever_effect(sweep, "compute_hhi", SHARE, 0, LEAD, table=table)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert [c.get_label() for c in bars] == ["0 mo", "12 mo"]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    offset = figures.DODGE / 2
    rows = table.set_index("job")
    for bar, shift, jobs in zip(bars, (-offset, offset), ([0, 2], [1, 3]), strict=True):
        line = bar.lines[0]
        assert line.get_linestyle() == "None" and line.get_marker() != "None"
        np.testing.assert_allclose(line.get_xdata(), [0.0 + shift, 1.0 + shift])
        expected = [0.0 if j == 0 else rows.loc[j, "effect"] for j in jobs]
        np.testing.assert_allclose(line.get_ydata(), expected)
    segments = bars[0].lines[2][0].get_segments()
    assert segments[1][:, 1] == pytest.approx([rows.loc[2, "effect_ci_low"],
                                               rows.loc[2, "effect_ci_high"]])
    assert list(ax.get_xticks()) == [0.0, 1.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]
    assert ax.get_xlim() == pytest.approx((-0.5, 1.5))
    low, high = ax.get_ylim()
    assert low < 0.0 < high
    assert any(line.get_linestyle() == "--" and np.allclose(line.get_ydata(), 0.0)
               for line in ax.get_lines())


def test_three_lever_values_keep_line_and_band_with_markers(tmp_path: Path) -> None:
    sweep = _grid(tmp_path, (0.0, 0.5, 1.0), {"compute_hhi": {SHARE: 0.1}})
    fig = figures.plot_lever_effect(sweep, "compute_hhi", SHARE, 0, LEAD, n_resamples=99)
    ax = fig.axes[0]
    assert not ax.containers
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    lines = [line for line in ax.get_lines() if line.get_label() in ("0 mo", "12 mo")]
    assert len(lines) == 2
    for line in lines:
        assert line.get_linestyle() == "-" and line.get_marker() not in ("None", "", None)
        np.testing.assert_array_equal(line.get_xdata(), [0.0, 0.5, 1.0])


def test_a_negligible_effect_looks_negligible(tmp_path: Path) -> None:
    """An effect of 0.001 on a level of 1 (0.1%) must not fill the effect axes or colours."""
    sweep = _grid(tmp_path, (0.0, 1.0), {"compute_hhi": {SHARE: 0.001}}, crn_sd=1e-4,
                  noise_sd=1e-4)
    level = figures.baseline_mean(sweep, "compute_hhi", 0)
    assert level == pytest.approx(1.0, abs=1e-3)
    minimum = figures.MIN_EFFECT_FRACTION * abs(level)
    table = effects_table(sweep, 0, ["compute_hhi"], n_resamples=99)
    key = figures.plot_lever_effect(sweep, "compute_hhi", SHARE, 0, LEAD, table=table)
    low, high = key.axes[0].get_ylim()
    assert low <= -minimum and high >= minimum
    assert high - low == pytest.approx(2 * minimum * (1 + 2 * figures.RANGE_MARGIN))
    paired = figures.plot_paired_effects(sweep, "compute_hhi", 0, table=table)
    low, high = paired.axes[0].get_xlim()
    assert low <= -minimum and high >= minimum
    maps = figures.plot_heatmaps(sweep, "compute_hhi", baseline=0, effects=table)
    norm = maps.axes[1].images[0].norm
    assert (norm.vmin, norm.vmax) == pytest.approx((-minimum, minimum))


def test_a_large_effect_sets_the_colour_range(tmp_path: Path) -> None:
    sweep = _grid(tmp_path, (0.0, 1.0), {"compute_hhi": {SHARE: 0.5}})
    maps = figures.plot_heatmaps(sweep, "compute_hhi", baseline=0)
    wide = sweep.runs.pivot(index="seed", columns="job", values="compute_hhi")
    top = wide.sub(wide[0], axis=0).mean().abs().max()
    norm = maps.axes[1].images[0].norm
    assert (norm.vmin, norm.vmax) == pytest.approx((-top, top))


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A Latin-hypercube-like sweep: 40 points, deal size sampled on a log scale."""
    rng = np.random.default_rng(5)
    deals = np.exp(rng.uniform(np.log(0.05), np.log(1.0), 40))
    shares = rng.uniform(0.0, 1.0, 40)
    points = [{SHARE: float(s), DEAL: float(d)} for s, d in zip(shares, deals, strict=True)]
    root = tmp_path_factory.mktemp("lhs")
    path = write_synthetic_sweep(root / "sweep", points, [1, 2, 3], {"compute_hhi": {DEAL: 0.4}},
                                 kind="lhs", steps=12, scales={DEAL: "log", SHARE: "linear"})
    return load_sweep(path)


def test_sampled_design_draws_point_intervals_and_binned_means_on_a_log_axis(
        sampled: object) -> None:
    fig = figures.plot_sampled_lever(sampled, "compute_hhi", DEAL)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    means = sampled.runs.groupby("job")["compute_hhi"].mean()
    np.testing.assert_allclose(bars.lines[0].get_ydata(), means.to_numpy())
    first = sampled.runs[sampled.runs["job"] == 0]["compute_hhi"].to_numpy()
    half = 4.302652729911275 * first.std(ddof=1) / np.sqrt(3)  # Student t(0.975, 2 dof)
    assert bars.lines[2][0].get_segments()[0][:, 1] == pytest.approx(
        [first.mean() - half, first.mean() + half])
    (binned,) = [line for line in ax.get_lines() if "quantile bins" in line.get_label()]
    bins = figures.quantile_bins(sampled.points[DEAL].to_numpy(), log=True)
    assert np.bincount(bins).tolist() == [5] * 8
    assert len(binned.get_xdata()) == 8
    first = sampled.points[DEAL].to_numpy()[bins == 0]
    assert binned.get_xdata()[0] == pytest.approx(np.exp(np.log(first).mean()))
    assert binned.get_ydata()[0] == pytest.approx(means.to_numpy()[bins == 0].mean())
    low, high = ax.get_ylim()
    level = means.mean()
    assert low <= level * (1 - figures.MIN_EFFECT_FRACTION)
    assert high >= level * (1 + figures.MIN_EFFECT_FRACTION)


def test_sampled_report_gets_a_key_figure_for_the_strongest_lever(
        sampled: object, tmp_path: Path) -> None:
    assert sampled_key_figures(sampled, ["compute_hhi", "leader_gap_oom"]) == KeyFigures(
        DEAL, None, ["compute_hhi", "leader_gap_oom"])
    index = build_report(sampled, tmp_path / "report", metrics=["compute_hhi"],
                         n_resamples=99, answer=Answer("Sampled", "Which lever matters?"))
    page = index.read_text(encoding="utf-8")
    assert page.index('id="key-figures"') < page.index('id="summary"')
    assert "Student-t 95% interval of each point&#x27;s mean over its 3 seeds" in page
    assert (tmp_path / "report" / "figures" / "key_compute_hhi.png").stat().st_size > 10_000


def test_sparse_lever_report_says_bars_not_bands(tmp_path: Path) -> None:
    sweep = _grid(tmp_path, (0.0, 1.0), {"compute_hhi": {SHARE: 0.1}})
    answer = Answer("Two shares", "Does sharing matter?",
                    key_figures=KeyFigures(SHARE, LEAD, ["compute_hhi"]))
    page = build_report(sweep, tmp_path / "report", metrics=["compute_hhi"], n_resamples=99,
                        answer=answer).read_text(encoding="utf-8")
    lead = page[page.index('<p class="lead">'):]
    lead = lead[:lead.index("</p>")]
    assert "bars: 95% bootstrap interval; only 2 values simulated" in lead
    assert "one series per early access lead" in lead and "band" not in lead
    assert "at least 5% of the baseline mean" in lead


def test_few_sampled_points_and_one_seed_draw_bin_segments_and_no_bars(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    points = [{SHARE: float(s), DEAL: 0.5} for s in rng.uniform(0.0, 1.0, 12)]
    sweep = load_sweep(write_synthetic_sweep(tmp_path / "sobol", points, [7],
                                             {"compute_hhi": {SHARE: 0.4}}, kind="sobol",
                                             steps=12))
    ax = figures.plot_sampled_lever(sweep, "compute_hhi", SHARE).axes[0]
    (dots,) = ax.containers
    assert dots.get_label() == "point (1 seed)"
    assert all(bar.size == 0 for bar in dots.lines[2][0].get_segments())  # no interval
    (segments,) = [c for c in ax.collections if "quantile bins" in str(c.get_label())]
    assert segments.get_label() == "mean in 2 quantile bins"
    shares = sweep.points[SHARE].to_numpy()
    bins = figures.quantile_bins(shares)
    values = sweep.runs.set_index("job")["compute_hhi"].sort_index().to_numpy()
    for segment, b in zip(segments.get_segments(), (0, 1), strict=True):
        assert segment[:, 0] == pytest.approx([shares[bins == b].min(), shares[bins == b].max()])
        assert segment[:, 1] == pytest.approx([values[bins == b].mean()] * 2)
    assert not [line for line in ax.get_lines() if "quantile" in line.get_label()]
    assert ax.get_xscale() == "linear"
    assert ax.get_title(loc="right") == "12 sampled points, 1 seed each"


def test_sampled_report_draws_each_outcome_against_its_own_strongest_lever(
        tmp_path: Path) -> None:
    """Concentration driven by deal size, brain drain by partner share: one lever each."""
    rng = np.random.default_rng(11)
    points = [{SHARE: float(s), DEAL: float(d)}
              for s, d in zip(rng.uniform(0, 1, 30), rng.uniform(0.05, 1, 30), strict=True)]
    sweep = load_sweep(write_synthetic_sweep(
        tmp_path / "lhs", points, [1, 2], {"compute_hhi": {DEAL: 0.4},
                                           "moves_startup_to_lab": {SHARE: 400.0}},
        kind="lhs", steps=12))
    assert strongest_lever(sweep, "compute_hhi") == DEAL
    assert strongest_lever(sweep, "moves_startup_to_lab") == SHARE
    index = build_report(sweep, tmp_path / "report",
                         metrics=["compute_hhi", "moves_startup_to_lab"], n_resamples=99,
                         answer=Answer("Sampled", "Which lever matters for what?"))
    page = index.read_text(encoding="utf-8")
    assert "Each outcome against the lever most rank-correlated with it" in page
    figs = tmp_path / "report" / "figures"
    assert {p.name for p in figs.glob("key_*.png")} == {"key_compute_hhi.png",
                                                         "key_moves_startup_to_lab.png"}
    # The same choice drawn directly: the horizontal axes name different levers.
    labels = {figures.plot_sampled_lever(sweep, m, strongest_lever(sweep, m)).axes[0]
              .get_xlabel() for m in ("compute_hhi", "moves_startup_to_lab")}
    assert len(labels) == 2


def test_log10_levels_get_no_floor_from_a_share_of_their_level(tmp_path: Path) -> None:
    """0.2 OOM of frontier capability is a factor 1.6, not 0.6% of 32: no 5% floor."""
    assert np.isnan(figures.scale_reference("frontier_capability", 32.0))
    assert figures.scale_reference("compute_hhi", 0.2) == 0.2
    sweep = _grid(tmp_path, (0.0, 0.5, 1.0), {"frontier_capability": {SHARE: 0.2}})
    ax = figures.plot_lever_effect(sweep, "frontier_capability", SHARE, 0,
                                   n_resamples=99).axes[0]
    low, high = ax.get_ylim()
    level = figures.baseline_mean(sweep, "frontier_capability", 0)
    assert level > 10 and high - low < 2 * figures.MIN_EFFECT_FRACTION * level
    assert high > 0.15
