"""Every figure function draws and writes a non-empty image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import figures
from analysis.errors import SweepError
from analysis.load import Sweep, load_sweep
from analysis.sensitivity import saltelli_points, sobol_table
from analysis.style import save_figure
from analysis.synthetic import write_synthetic_sweep

POINTS = [
    {"downstream.partner_share": share, "partnership.exclusivity": exclusive}
    for share in (0.0, 0.5)
    for exclusive in (False, True)
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    path = write_synthetic_sweep(tmp_path_factory.mktemp("fig") / "grid", POINTS,
                                 list(range(8)),
                                 {"frontier_capability": {"downstream.partner_share": 2.0}},
                                 steps=24)
    return load_sweep(path)


@pytest.fixture(scope="module")
def sobol(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    bounds = {"downstream.partner_share": (0.0, 1.0), "partnership.equity_share": (0.0, 0.5)}
    points = saltelli_points(bounds, 16, seed=2)
    path = write_synthetic_sweep(tmp_path_factory.mktemp("fig") / "sobol",
                                 points.to_dict("records"), [0, 1],
                                 {"compute_hhi": {"partnership.equity_share": 1.0}},
                                 kind="sobol", steps=12)
    return load_sweep(path)


def _written(fig, path: Path, fmt: str | None = None) -> Path:
    out = save_figure(fig, path, fmt)
    assert out.is_file() and out.stat().st_size > 2000
    return out


def test_distributions(grid: Sweep, tmp_path: Path) -> None:
    fig = figures.plot_distributions(grid, "time_to_threshold_months")
    box, cdf = fig.axes
    assert box.get_xlabel() == "Time to capability threshold [months]"
    assert cdf.get_ylabel() == "Share of seeds at or below"
    assert sorted(t.get_text() for t in box.get_yticklabels()) == [
        "partner share 0, exclusivity off", "partner share 0, exclusivity on",
        "partner share 0.5, exclusivity off", "partner share 0.5, exclusivity on"]
    assert "null values left out" in fig.texts[0].get_text()
    out = _written(fig, tmp_path / "dist.png")
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_fan_chart(grid: Sweep, tmp_path: Path) -> None:
    fig = figures.plot_fan_chart(grid, "ai_market_usd_per_month", jobs=[0, 3])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    assert fig.get_supylabel() == "AI market [USD/month]"
    assert visible[0].get_yscale() == "log"
    assert all(ax.get_xlabel() == "Year" for ax in visible)
    assert visible[0].get_xlim()[0] >= 2015 - 1
    _written(fig, tmp_path / "fan.svg")


def test_heatmaps(grid: Sweep, tmp_path: Path) -> None:
    fig = figures.plot_heatmaps(grid, "frontier_capability", threshold=30.5)
    assert fig.axes[0].get_xlabel() == "partner_share"
    assert "> 30.5 log10 effective FLOP" in fig.axes[1].get_title()
    hhi = figures.plot_heatmaps(grid, "compute_hhi", threshold=0.25)
    assert hhi.axes[1].get_title() == "Share of seeds with\nCompute concentration (HHI) > 0.25"
    _written(fig, tmp_path / "heat", "pdf")


def test_heatmaps_need_a_full_grid_and_values(grid: Sweep, sobol: Sweep) -> None:
    with pytest.raises(SweepError, match="full grid over exactly two parameters"):
        figures.plot_heatmaps(sobol, "compute_hhi")
    all_null = Sweep(grid.path, grid.definition, grid.provenance, grid.params,
                     grid.runs.assign(upstream_deals=np.nan))
    with pytest.raises(SweepError, match=r"every value of upstream_deals .* is null"):
        figures.plot_heatmaps(all_null, "upstream_deals")
    fig = figures.plot_distributions(all_null, "upstream_deals")
    assert "all values null" in [t.get_text() for t in fig.axes[0].texts]


def test_paired_effects(grid: Sweep, tmp_path: Path) -> None:
    fig = figures.plot_paired_effects(grid, "frontier_capability", baseline=0,
                                      n_resamples=999)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Difference in Frontier capability [log10 effective FLOP]"
    assert len(ax.get_yticklabels()) == 3
    _written(fig, tmp_path / "effects.png")


def test_sobol_bars(sobol: Sweep, tmp_path: Path) -> None:
    table = sobol_table(sobol, ["compute_hhi"], n_resamples=199)
    fig = figures.plot_sobol(sobol, table, "compute_hhi")
    assert fig.axes[0].get_ylabel() == "Sobol index (share of variance)"
    assert fig.axes[0].get_ylim() == (0.0, 1.0)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [
        "partner_share", "equity_share"]
    _written(fig, tmp_path / "sobol.png")


def test_flows(grid: Sweep, tmp_path: Path) -> None:
    fig = figures.plot_flows(grid, jobs=[0, 2])
    assert fig.axes[-1].get_ylabel() == "Moves [researchers/yr]"
    _written(fig, tmp_path / "flows.png")


def test_parameter_scatter(sobol: Sweep, tmp_path: Path) -> None:
    fig = figures.plot_parameter_scatter(sobol, "compute_hhi")
    assert fig.axes[1].get_xlabel() == "equity_share"
    assert fig.get_supylabel() == "Median of Compute concentration (HHI)\n[index]"
    _written(fig, tmp_path / "scatter.png")


def test_figure_arguments_are_checked(grid: Sweep) -> None:
    with pytest.raises(SweepError, match="not in the sweep"):
        figures.plot_distributions(grid, "compute_hhi", jobs=[0, 9])
    with pytest.raises(SweepError, match="unknown timeseries metric"):
        figures.plot_fan_chart(grid, "time_to_threshold_months")
    with pytest.raises(SweepError, match="allowed: png, svg, pdf"):
        save_figure(figures.plot_flows(grid, jobs=[0]), Path("unused.gif"))


@pytest.mark.parametrize("locs, labels", [
    # Spacing 0.025: every tick keeps three decimals' worth (-0.125, not -0.13).
    ([0.05, 0.025, 0.0, -0.025, -0.1, -0.125], ["0.05", "0.025", "0", "-0.025", "-0.1", "-0.125"]),
    ([0.123, 0.125, 0.127], ["0.123", "0.125", "0.127"]),
    ([20.0, 22.5, 25.0, 27.5], ["20", "22.5", "25", "27.5"]),
    ([1630.0, 1640.0, 1650.0], ["1,630", "1,640", "1,650"]),
    ([1e9, 2e9, 3e9], ["1 bn", "2 bn", "3 bn"]),
    ([0.9999999, 1.0, 1.0000001], ["0.9999999", "1", "1.0000001"]),
])
def test_tick_labels_show_the_decimals_their_spacing_needs(locs, labels) -> None:
    formatter = figures.HumanFormatter()
    formatter.set_locs(locs)
    assert [formatter(x) for x in locs] == labels
