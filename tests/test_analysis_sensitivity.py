"""Sobol indices from stored Saltelli designs, against analytically known values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import SweepError
from analysis.load import load_sweep
from analysis.sensitivity import (
    first_order_given_data,
    first_order_table,
    saltelli_blocks,
    saltelli_points,
    sobol_indices_from_values,
    sobol_table,
)
from analysis.synthetic import write_synthetic_sweep

BOUNDS = {
    "downstream.partner_share": (0.0, 1.0),
    "partnership.equity_share": (0.0, 1.0),
    "governance.safety_floor": (0.0, 1.0),
}
TOLERANCE = 0.05  # absolute, on indices in [0, 1], at N = 256 base rows


def test_saltelli_points_have_the_required_layout() -> None:
    points = saltelli_points(BOUNDS, 8, seed=3)
    assert points.shape == (8 * 5, 3) and list(points.columns) == list(BOUNDS)
    x = points.to_numpy()
    a, b = x[:8], x[8:16]
    for i in range(3):
        block = x[(2 + i) * 8:(3 + i) * 8]
        np.testing.assert_array_equal(np.delete(block, i, axis=1), np.delete(a, i, axis=1))
        np.testing.assert_array_equal(block[:, i], b[:, i])
    assert np.all((x >= 0.0) & (x <= 1.0))
    pd.testing.assert_frame_equal(points, saltelli_points(BOUNDS, 8, seed=3))
    with pytest.raises(ValueError, match="power of 2"):
        saltelli_points(BOUNDS, 6, seed=3)


def test_additive_function_indices_from_a_sweep_directory(tmp_path: Path) -> None:
    # Y = X1 + 2 X2 (+ 0 X3), X ~ U(0, 1) independent: V = 1/12 + 4/12, so
    # S1 = ST1 = 0.2, S2 = ST2 = 0.8, S3 = ST3 = 0.
    points = saltelli_points(BOUNDS, 256, seed=11)
    path = write_synthetic_sweep(
        tmp_path / "sobol", points.to_dict("records"), [0],
        {"frontier_capability": {"downstream.partner_share": 1.0,
                                 "partnership.equity_share": 2.0}},
        kind="sobol", noise_sd=0.0, steps=12,
    )
    sweep = load_sweep(path)
    blocks = saltelli_blocks(sweep)
    assert blocks.n_base == 256 and blocks.ab.shape == (3, 256)
    table = sobol_table(sweep, ["frontier_capability"], n_resamples=999)
    assert list(table["param"]) == list(BOUNDS)
    assert list(table.columns) == ["metric", "param", "first", "first_low", "first_high",
                                   "total", "total_low", "total_high", "n_base", "method"]
    expected = np.array([0.2, 0.8, 0.0])
    for key in ("first", "total"):
        np.testing.assert_allclose(table[key], expected, atol=TOLERANCE)
        assert np.all(table[f"{key}_low"] <= expected + 1e-12)
        assert np.all(table[f"{key}_high"] >= expected - 1e-12)
    assert (table["n_base"] == 256).all()


def test_ishigami_indices() -> None:
    # Ishigami (a = 7, b = 0.1) on U(-pi, pi)^3; analytic indices from
    # Saltelli et al. (2008), Global Sensitivity Analysis: The Primer.
    a, b = 7.0, 0.1
    variance = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    first = np.array([v1, v2, 0.0]) / variance
    total = np.array([v1 + v13, v2, v13]) / variance

    bounds = {k: (-np.pi, np.pi) for k in ("x1", "x2", "x3")}
    x = saltelli_points(bounds, 4096, seed=5).to_numpy()
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    n = 4096
    est = sobol_indices_from_values(y[:n], y[n:2 * n], y[2 * n:].reshape(3, n),
                                    n_resamples=199)
    np.testing.assert_allclose(est["first"], first, atol=TOLERANCE)
    np.testing.assert_allclose(est["total"], total, atol=TOLERANCE)
    assert np.all(est["first_low"] < est["first_high"])


def test_constant_output_gives_undefined_indices() -> None:
    est = sobol_indices_from_values(np.ones(8), np.ones(8), np.ones((2, 8)))
    assert np.isnan(est["first"]).all() and np.isnan(est["total_low"]).all()


def test_wrong_layout_is_rejected_with_the_job(tmp_path: Path) -> None:
    points = saltelli_points(BOUNDS, 4, seed=1)
    points.loc[13, "governance.safety_floor"] = 0.123  # AB_1, row 1: X3 should come from A
    path = write_synthetic_sweep(tmp_path / "bad", points.to_dict("records"), [0],
                                 kind="sobol", steps=12)
    with pytest.raises(SweepError, match=r"job 13 should equal job 1 \(matrix A\).*Saltelli"):
        saltelli_blocks(load_sweep(path))


def test_job_count_must_fit_the_layout(tmp_path: Path) -> None:
    points = saltelli_points(BOUNDS, 4, seed=1).iloc[:-1]
    path = write_synthetic_sweep(tmp_path / "short", points.to_dict("records"), [0],
                                 kind="sobol", steps=12)
    with pytest.raises(SweepError, match="19 jobs for d=3 parameters"):
        sobol_table(load_sweep(path), ["compute_hhi"])


def test_first_order_from_given_data() -> None:
    rng = np.random.default_rng(12)
    x = rng.random((1024, 3))
    est = first_order_given_data(x, x[:, 0] + 2.0 * x[:, 1], rng=np.random.default_rng(1))
    truth = np.array([0.2, 0.8, 0.0])
    np.testing.assert_allclose(est["first"], truth, atol=TOLERANCE)
    assert np.all((est["first_low"] <= truth) & (truth <= est["first_high"]))
    # An input with few distinct values is binned by value.
    levels = np.column_stack([rng.integers(0, 3, 256), rng.random(256)])
    est = first_order_given_data(levels, levels[:, 0] + rng.normal(0.0, 0.1, 256))
    assert est["first"][0] > 0.95 and abs(est["first"][1]) < 0.05


def test_given_data_interval_coverage() -> None:
    truth = np.array([0.2, 0.8, 0.0])
    covered = []
    for rep in range(60):
        rng = np.random.default_rng(500 + rep)
        x = rng.random((64, 3))
        est = first_order_given_data(x, x[:, 0] + 2.0 * x[:, 1], rng=rng)
        covered.append((est["first_low"] <= truth) & (truth <= est["first_high"]))
    assert np.all(np.mean(covered, axis=0) >= 0.85)


def test_first_order_table_for_a_latin_hypercube(tmp_path: Path) -> None:
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=2, rng=np.random.default_rng(8)).random(128)
    points = [{"downstream.partner_share": a, "partnership.equity_share": b} for a, b in unit]
    path = write_synthetic_sweep(tmp_path / "lhs", points, [0],
                                 {"compute_hhi": {"partnership.equity_share": 1.0}},
                                 kind="lhs", noise_sd=0.0, steps=12)
    table = first_order_table(load_sweep(path), ["compute_hhi"])
    assert list(table["param"]) == ["downstream.partner_share", "partnership.equity_share"]
    assert list(table.columns) == ["metric", "param", "first", "first_low", "first_high",
                                   "total", "total_low", "total_high", "n_base", "method"]
    assert table["total"].isna().all() and (table["method"] == "binned (given data)").all()
    np.testing.assert_allclose(table["first"], [0.0, 1.0], atol=TOLERANCE)
    with pytest.raises(SweepError, match="need at least 16"):
        first_order_table(load_sweep(write_synthetic_sweep(
            tmp_path / "few", points[:8], [0], kind="lhs", steps=12)), ["compute_hhi"])
