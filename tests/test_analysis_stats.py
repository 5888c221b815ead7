"""Statistics tables on synthetic sweeps with known distributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import SweepError
from analysis.load import Sweep, load_sweep
from analysis.stats import (
    _mean_beyond_rounding,
    bootstrap_ci,
    describe,
    effects_table,
    flow_table,
    grid_table,
    holm,
    is_full_grid,
    paired_differences,
    summary_table,
)
from analysis.synthetic import write_synthetic_sweep
from sim.results import FLOW_KINDS, SUMMARY_METRICS

SEEDS = list(range(40))
SHIFT_PER_SHARE = 2.0  # log10 FLOP per unit of partner share: +1.0 OOM at share 0.5
POINTS = [
    {"downstream.partner_share": share, "partnership.exclusivity": exclusive}
    for share in (0.0, 0.5)
    for exclusive in (False, True)
]
RESAMPLES = 1999
# The fixture's noise comes from design_seed=1. Any fixed draw either covers the
# true values or not (95% intervals miss 1 draw in 20, e.g. design_seed=0 misses
# the shift by 2.4 standard errors); test_bootstrap_interval_coverage checks
# the coverage itself over many draws.


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    path = write_synthetic_sweep(
        tmp_path_factory.mktemp("stats") / "sweep", POINTS, SEEDS,
        {"frontier_capability": {"downstream.partner_share": SHIFT_PER_SHARE},
         "compute_hhi": {"partnership.exclusivity": 0.3}},
        crn_sd=0.5, noise_sd=0.2, steps=12, design_seed=1,
    )
    return load_sweep(path)


def test_summary_table_shape_and_values(sweep: Sweep) -> None:
    table = summary_table(sweep, n_resamples=RESAMPLES)
    assert table.shape == (len(SUMMARY_METRICS) * 4, 13)
    assert list(table.columns) == [
        "metric", "job", "downstream.partner_share", "partnership.exclusivity", "n", "n_null",
        "mean", "ci_low", "ci_high", "median", "q05", "q95", "std"]
    assert table["metric"].tolist()[:4] == ["frontier_capability"] * 4
    row = table[(table["metric"] == "frontier_capability") & (table["job"] == 2)].iloc[0]
    values = sweep.metric_values("frontier_capability", 2)
    assert row["n"] == len(SEEDS) and row["n_null"] == 0
    assert row["mean"] == pytest.approx(values.mean())
    assert row["median"] == pytest.approx(np.median(values))
    assert row["q05"] == pytest.approx(np.quantile(values, 0.05))
    assert row["q95"] == pytest.approx(np.quantile(values, 0.95))
    assert row["std"] == pytest.approx(values.std(ddof=1))
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    # The true mean at this point is 30 + 2.0 * 0.5 = 31 log10 FLOP.
    assert row["ci_low"] < 31.0 < row["ci_high"]
    assert row["downstream.partner_share"] == 0.5


def test_null_values_are_counted_and_left_out(sweep: Sweep) -> None:
    table = summary_table(sweep, ["time_to_threshold_months"], n_resamples=RESAMPLES)
    for job, row in zip(sweep.jobs, table.itertuples(), strict=True):
        values = sweep.metric_values("time_to_threshold_months", job)
        assert row.n_null == np.isnan(values).sum()
        assert row.n + row.n_null == len(SEEDS)
        assert row.mean == pytest.approx(np.nanmean(values))
    assert table["n_null"].sum() > 0


def test_pooled_summary(sweep: Sweep) -> None:
    table = summary_table(sweep, ["compute_hhi"], pooled=True, n_resamples=RESAMPLES)
    assert table.shape[0] == 1 and table["job"].iloc[0] == -1
    assert table["n"].iloc[0] == 4 * len(SEEDS)
    assert "downstream.partner_share" not in table.columns


def test_tables_are_deterministic(sweep: Sweep) -> None:
    first = summary_table(sweep, ["leader_gap_oom"], n_resamples=RESAMPLES, seed=3)
    again = summary_table(sweep, ["leader_gap_oom", "compute_hhi"], n_resamples=RESAMPLES,
                          seed=3)
    pd.testing.assert_frame_equal(first, again[again["metric"] == "leader_gap_oom"])
    other = summary_table(sweep, ["leader_gap_oom"], n_resamples=RESAMPLES, seed=4)
    assert not np.allclose(first["ci_low"], other["ci_low"])


def test_known_shift_is_recovered_within_its_ci(sweep: Sweep) -> None:
    table = effects_table(sweep, 0, ["frontier_capability", "compute_hhi"],
                          n_resamples=RESAMPLES)
    assert table.shape == (2 * 3, 19)
    assert list(table.columns)[4:] == [
        "n_pairs", "baseline_mean", "mean", "effect", "effect_ci_low", "effect_ci_high",
        "rel_effect", "median_diff", "d_z", "d_z_ci_low", "d_z_ci_high", "share_higher",
        "wilcoxon_stat", "p_value", "p_holm"]
    row = table[(table["metric"] == "frontier_capability") & (table["job"] == 2)].iloc[0]
    assert row["n_pairs"] == len(SEEDS)
    assert row["effect_ci_low"] < 1.0 < row["effect_ci_high"]
    assert row["effect_ci_low"] > 0.8 and row["effect_ci_high"] < 1.2
    assert row["p_value"] < 1e-6 and row["share_higher"] == 1.0
    assert row["d_z_ci_low"] < row["d_z"] < row["d_z_ci_high"]
    no_effect = table[(table["metric"] == "frontier_capability") & (table["job"] == 1)].iloc[0]
    assert no_effect["effect_ci_low"] < 0.0 < no_effect["effect_ci_high"]
    hhi = table[(table["metric"] == "compute_hhi") & (table["job"] == 1)].iloc[0]
    assert hhi["effect_ci_low"] < 0.3 < hhi["effect_ci_high"]


def test_paired_differences_remove_the_seed_component(sweep: Sweep) -> None:
    pairs = paired_differences(sweep, "frontier_capability", 2, 0)
    assert pairs["seed"].tolist() == SEEDS
    # Differences carry only the independent noise (sd 0.2 * sqrt 2), not the
    # shared seed component (sd 0.5): paired sd well below unpaired sd.
    assert pairs["difference"].std() < 0.4 < pairs["value"].std() + pairs["baseline"].std()


def test_effects_need_a_valid_baseline(sweep: Sweep) -> None:
    with pytest.raises(SweepError, match="baseline job 9"):
        effects_table(sweep, 9, ["compute_hhi"])
    with pytest.raises(SweepError, match="unknown summary metric"):
        effects_table(sweep, 0, ["frontier_training_compute_log10_flop"])


def test_bootstrap_interval_coverage() -> None:
    rng = np.random.default_rng(7)
    covered = [
        low < 1.0 < high
        for low, high in (
            bootstrap_ci(rng.normal(1.0, 0.3, 20), n_resamples=999, rng=rng) for _ in range(200)
        )
    ]
    assert 0.88 <= np.mean(covered) <= 0.99


def test_bootstrap_edge_cases() -> None:
    rng = np.random.default_rng(1)
    assert np.isnan(bootstrap_ci(np.array([1.0]))).all()
    assert bootstrap_ci(np.array([2.0, 2.0, 2.0, np.nan])) == (2.0, 2.0)
    sample = rng.normal(5.0, 1.0, 200)
    low, high = bootstrap_ci(sample, "median", n_resamples=RESAMPLES)
    assert low < np.median(sample) < high and high - low < 0.6
    with pytest.raises(SweepError, match="statistic='mode'"):
        bootstrap_ci(sample, "mode")


def test_describe_and_holm() -> None:
    info = describe(np.array([1.0, 2.0, np.nan, 3.0]))
    assert info["n"] == 3 and info["n_null"] == 1 and info["mean"] == 2.0
    np.testing.assert_allclose(holm([0.01, 0.04, np.nan, 0.03]), [0.03, 0.06, np.nan, 0.06])


def test_grid_table_probability_of_exceeding(sweep: Sweep) -> None:
    assert is_full_grid(sweep)
    table = grid_table(sweep, "frontier_capability", threshold=30.5)
    assert table.shape == (4, 1 + 2 + 4)
    values = sweep.metric_values("frontier_capability", 3)
    row = table[table["job"] == 3].iloc[0]
    assert row["p_exceed"] == pytest.approx(np.mean(values > 30.5))
    assert row["median"] == pytest.approx(np.median(values))
    low, high = table.groupby("downstream.partner_share")["p_exceed"].mean()
    assert low < 0.2 and high > 0.8


def test_flow_table_rates(sweep: Sweep) -> None:
    table = flow_table(sweep, [0, 2])
    assert table.shape == (2 * len(FLOW_KINDS) ** 2, 7)
    flows = sweep.flows
    runs = flows[(flows["job"] == 2) & (flows["from_kind"] == "startup")
                 & (flows["to_kind"] == "lab")]
    expected = runs.groupby("seed")["moves"].sum().reindex(SEEDS, fill_value=0).mean()
    row = table[(table["job"] == 2) & (table["from_kind"] == "startup")
                & (table["to_kind"] == "lab")].iloc[0]
    assert row["mean"] == pytest.approx(expected / 1)  # one year at a 12-month horizon
    # Synthetic rate: 5 + 20 * partner_share moves per year.
    assert row["mean"] == pytest.approx(15.0, abs=2.0)
    assert table[(table["from_kind"] == "exit")]["mean"].sum() == 0.0
    with pytest.raises(SweepError, match=r"jobs \[8\]"):
        flow_table(sweep, [8])


def test_full_grid_detection(tmp_path: Path) -> None:
    diagonal = [{"downstream.partner_share": v, "partnership.equity_share": v}
                for v in (0.1, 0.2, 0.3)]
    path = write_synthetic_sweep(tmp_path / "diag", diagonal, [0, 1], steps=12)
    assert not is_full_grid(load_sweep(path))


def test_an_effect_within_rounding_of_the_sum_is_exactly_zero() -> None:
    """Differences that cancel leave ~1e-17 in floating point; that is reported as 0."""
    cancelling = np.array([0.1, 0.2, -0.3])
    assert np.mean(cancelling) != 0.0
    assert _mean_beyond_rounding(cancelling) == 0.0
    # Tiny values are not rounding error of larger ones: their mean stays.
    assert _mean_beyond_rounding(np.array([1e-17, 0.0])) == 5e-18
    assert _mean_beyond_rounding(np.array([0.1, 0.2])) == np.mean([0.1, 0.2])
