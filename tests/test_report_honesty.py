"""The report shows results, not noise: issue 13 (honest defaults) and issue 12 (--out)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import figures, report
from analysis.cli import main
from analysis.honesty import (
    duplicate_points,
    holm_floor,
    holm_floor_note,
    uninformative_reason,
    wilcoxon_p_floor,
)
from analysis.load import display_labels, load_sweep, start_year
from analysis.metrics_info import format_number, format_quantity, threshold
from analysis.report import MANIFEST, build_report
from analysis.synthetic import write_synthetic_sweep

SATURATED = "saturated: every run at the"
GRID = [{"downstream.partner_share": share, "partnership.exclusivity": exclusive}
        for share in (0.1, 0.6) for exclusive in (False, True)]


@pytest.mark.parametrize(("values", "bounds", "expected"), [
    ([np.nan, np.nan], None, "undefined: every value is null"),
    ([], (0.0, 1.0), "undefined: every value is null"),
    ([1.0, 1.0 - 1e-8, 1.0], (0.0, 1.0), f"{SATURATED} upper bound 1 (within 1e-06)"),
    ([0.0, 0.0, np.nan], (0.0, 1.0), f"{SATURATED} lower bound 0 (within 1e-06)"),
    ([986.0] * 5, None, "constant: every run equals 986"),
    ([0.5, 0.5, 0.5], (0.0, 1.0), "constant: every run equals 0.5"),
    ([np.nan, 3.0, 3.0], None, "constant: every run equals 3"),
    ([1e9, 1e9 + 1e-3], None, "constant: every run equals 1 bn"),
    ([0.1, 0.2], (0.0, 1.0), None),
    ([1.0, 0.99], (0.0, 1.0), None),
    ([1.0, 1.0 - 1e-5], (0.0, 1.0), None),
    ([np.nan, 0.0, 1.0], None, None),
])
def test_uninformative_reason(values, bounds, expected) -> None:
    assert uninformative_reason(np.array(values, dtype=float), bounds) == expected


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (1634.2, 3, "1,630"),
    (1630.0, 3, "1,630"),
    (999.9, 3, "1,000"),
    (20000.0, 3, "20,000"),
    (3.1e9, 2, "3.1 bn"),
    (3.14e9, 3, "3.14 bn"),
    (2.5e6, 3, "2.5 M"),
    (1.2e12, 3, "1.2 tn"),
    (4e16, 3, "4e16"),
    (0.123456, 3, "0.123"),
    (986.0, 3, "986"),
    (986.0, 2, "990"),
    (12.0, 3, "12"),
    (0.0, 3, "0"),
    (-5.7e-08, 3, "-5.7e-08"),
    (0.0012345, 3, "0.00123"),
    (-1234.5, 3, "-1,230"),
    (math.nan, 3, "-"),
])
def test_format_number(value: float, digits: int, expected: str) -> None:
    assert format_number(value, digits) == expected


def test_quantities_carry_readable_units() -> None:
    assert format_quantity(3.1e9, "ai_market_usd_per_month", 2) == "3.1 bn USD/month"
    assert format_quantity(0.4117, "compute_hhi") == "0.412"
    assert format_quantity(1634.2, "moves_academia_to_industry") == "1,630 researchers/yr"
    assert threshold("compute_hhi") == 0.18
    assert threshold("compute_hhi", {"compute_hhi": 0.3}) == 0.3
    assert threshold("frontier_capability") is None


def test_wilcoxon_floor_is_the_exact_smallest_p_value() -> None:
    for n in (6, 10, 12):
        all_positive = np.arange(1, n + 1, dtype=float)
        exact = stats.wilcoxon(all_positive, alternative="two-sided", method="exact").pvalue
        assert wilcoxon_p_floor(n) == pytest.approx(exact, rel=1e-12)
    assert holm_floor(10, 44) == pytest.approx(44 * 2.0 ** -9)
    assert holm_floor(10, 44) == pytest.approx(0.0859375)
    assert holm_floor(3, 100) == 1.0
    assert holm_floor_note(30, 1) == ""
    assert "cannot fall below 0.0859" in holm_floor_note(10, 44)


def _text(index: Path) -> str:
    return index.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def saturated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_sweep(tmp_path_factory.mktemp("honest") / "sweep", GRID,
                                 list(range(8)),
                                 {"compute_hhi": {"downstream.partner_share": 0.5}},
                                 fixed={"incident_prob": 1.0}, same_as={1: 0}, steps=24)


def test_saturated_metric_is_not_shown_and_duplicate_is_flagged(
    saturated_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[list[int]] = []
    original = figures.plot_distributions

    def recording(sweep, metric, jobs=None):
        drawn.append(list(jobs))
        return original(sweep, metric, jobs)

    monkeypatch.setattr(report.figures, "plot_distributions", recording)
    sweep = load_sweep(saturated_dir)
    assert duplicate_points(sweep) == {1: 0}
    index = build_report(sweep, metrics=["incident_prob", "compute_hhi"], n_resamples=199)
    text = _text(index)
    assert 'id="not-shown"' in text
    assert ("<code>incident_prob</code> (P(at least one incident)): saturated: every run at "
            "the upper bound 1 (within 1e-06)") in text
    files = [p.name for p in (index.parent / "figures").iterdir()]
    assert files and not any("incident_prob" in name for name in files)
    summary = pd.read_csv(index.parent / "tables" / "summary.csv")
    assert set(summary["metric"]) == {"compute_hhi"}
    effects = pd.read_csv(index.parent / "tables" / "effects.csv")
    assert set(effects["metric"]) == {"compute_hhi"}
    assert sorted(effects["job"]) == [2, 3]
    assert ("point 1 (partner share 0.1, exclusivity on) duplicates point 0 "
            "(partner share 0.1, exclusivity off)") in text
    assert drawn == [[0, 2, 3]]


def test_labels_name_parameter_values_never_job_numbers(tmp_path: Path) -> None:
    points = [{"downstream.partner_share": s, "partnership.exclusivity": e,
               "partnership.equity_share": q}
              for s in (0.1, 0.6) for e in (False, True) for q in (0.05, 0.2)]
    sweep = load_sweep(write_synthetic_sweep(tmp_path / "three", points, [0, 1, 2], steps=12))
    labels = display_labels(sweep)
    assert labels[0] == "partner share 0.1, exclusivity off, equity share 0.05"
    assert labels[7] == "partner share 0.6, exclusivity on, equity share 0.2"
    assert not any(re.search(r"\bjob \d", label) for label in labels.values())
    fig = figures.plot_distributions(sweep, "compute_hhi")
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    assert ticks == [labels[j] for j in sweep.jobs]
    assert figures.wrap_label(labels[0], 34) == (
        "partner share 0.1, exclusivity off,\nequity share 0.05")
    lhs = [{"downstream.partner_share": v / 20, "partnership.equity_share": (7 * v % 20) / 20}
           for v in range(20)]
    sampled = load_sweep(write_synthetic_sweep(tmp_path / "lhs", lhs, [0, 1], kind="lhs",
                                               steps=12))
    assert display_labels(sampled)[3] == "partner share 0.15, equity share 0.05"


def test_holm_floor_note_appears_only_where_it_binds(tmp_path: Path) -> None:
    many = [{"downstream.partner_share": v / 30} for v in range(28)]
    path = write_synthetic_sweep(tmp_path / "many", many, list(range(10)), steps=12)
    text = _text(build_report(load_sweep(path), metrics=["compute_hhi"], n_resamples=199))
    floor = 27 * 2.0 ** (1 - 10)
    assert floor == pytest.approx(0.052734375)
    assert f"cannot fall below {floor:.3g} &gt; 0.05" in text
    assert f"p_holm (≥ {floor:.2g}, see note)" in text
    few = [{"downstream.partner_share": v} for v in (0.1, 0.6)]
    path = write_synthetic_sweep(tmp_path / "few", few, list(range(30)), steps=12)
    text = _text(build_report(load_sweep(path), metrics=["compute_hhi"], n_resamples=199))
    assert holm_floor(30, 1) == pytest.approx(2.0 ** -29)
    assert "cannot fall below" not in text and "see note" not in text


def test_heatmaps_use_meaningful_thresholds_and_honest_ranges(saturated_dir: Path) -> None:
    sweep = load_sweep(saturated_dir)
    text = _text(build_report(sweep, metrics=["compute_hhi", "frontier_capability"],
                              n_resamples=199))
    assert "probability of exceeding 0.18 (default of the metric)" in text
    assert "no exceedance map: the metric has no default threshold" in text
    assert "median of all runs" not in text
    assert figures.level_range(np.array([0.123, 0.133]), (0.0, 1.0)) == (0.0, 1.0)
    low, high = figures.level_range(np.array([30.0, 30.1]))
    assert high - low == pytest.approx(0.2 * 30.05)
    assert figures.level_range(np.array([0.55, 0.62]), spread=(-0.16, 1.1)) == (-0.16, 1.1)
    fig = figures.plot_heatmaps(sweep, "safety_share_mean", None, baseline=0)
    assert len(fig.axes) == 4
    median_bar, effect_bar = fig.axes[2], fig.axes[3]
    values = sweep.runs["safety_share_mean"]
    medians = sweep.runs.groupby("job")["safety_share_mean"].median()
    q05, q95 = values.quantile([0.05, 0.95])
    assert median_bar.get_ylim() == pytest.approx((min(0.0, q05, medians.min()),
                                                   max(1.0, q95, medians.max())))
    low, high = effect_bar.get_ylim()
    assert low == pytest.approx(-high)


def test_time_axes_are_calendar_years(saturated_dir: Path) -> None:
    sweep = load_sweep(saturated_dir)
    assert start_year(sweep) == 2015
    fig = figures.plot_fan_chart(sweep, "compute_hhi", jobs=[0])
    line = fig.axes[0].get_lines()[0]
    assert line.get_xdata()[0] == 2015.0
    assert line.get_xdata()[12] == 2016.0
    assert fig.axes[0].get_xlabel() == "Year"


def test_out_never_deletes_files_it_did_not_write(
    saturated_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    (out / "figures").mkdir(parents=True)
    (out / "tables").mkdir()
    (out / "figures" / "mine.png").write_bytes(b"my figure")
    (out / "tables" / "mine.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    args = [str(saturated_dir), "--out", str(out), "--n-resamples", "199"]
    assert main([*args, "--metrics", "compute_hhi"]) == 0
    assert (out / "figures" / "distribution_compute_hhi.png").is_file()
    assert "figures/distribution_compute_hhi.png" in (out / MANIFEST).read_text()
    err = capsys.readouterr().err
    assert "race-analyze: [1/9] checking metrics and points" in err
    assert "race-analyze: [9/9] writing index.html (8/8 steps done" in err
    assert main([*args, "--metrics", "leader_gap_oom"]) == 0
    assert not (out / "figures" / "distribution_compute_hhi.png").exists()
    assert (out / "figures" / "distribution_leader_gap_oom.png").is_file()
    assert (out / "figures" / "mine.png").read_bytes() == b"my figure"
    assert (out / "tables" / "mine.csv").read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_all_points_duplicating_the_baseline_are_not_tested(tmp_path: Path) -> None:
    path = write_synthetic_sweep(tmp_path / "inert", GRID[:2], list(range(5)),
                                 same_as={1: 0}, steps=12)
    index = build_report(load_sweep(path), metrics=["compute_hhi"], n_resamples=199)
    text = _text(index)
    assert "Every point duplicates the baseline" in text
    assert not (index.parent / "tables" / "effects.csv").exists()
    assert (index.parent / "figures" / "effects_compute_hhi.png").is_file()
