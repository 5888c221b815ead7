"""The HTML report and the race-analyze command line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.cli import main, parse_thresholds
from analysis.errors import SweepError
from analysis.load import load_sweep
from analysis.report import build_report
from analysis.sensitivity import saltelli_points
from analysis.synthetic import write_synthetic_sweep
from sweeps.store import write_parquet

POINTS = [
    {"downstream.partner_share": share, "partnership.exclusivity": exclusive}
    for share in (0.0, 0.5)
    for exclusive in (False, True)
]
METRICS = ["frontier_capability", "ai_market_usd_per_month"]


@pytest.fixture(scope="module")
def grid_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_sweep(tmp_path_factory.mktemp("report") / "grid", POINTS,
                                 list(range(6)),
                                 {"frontier_capability": {"downstream.partner_share": 2.0}},
                                 steps=24)


def _links(index: Path) -> list[str]:
    return re.findall(r'(?:src|href)="([^"#]+)"', index.read_text(encoding="utf-8"))


def _check_links(index: Path) -> list[str]:
    """Assert every linked file exists and every figure file is linked; return figure links."""
    links = _links(index)
    for link in links:
        assert not link.startswith(("/", "http")), link
        assert (index.parent / link).is_file(), link
    figures = sorted({link for link in links if link.startswith("figures/")})
    on_disk = sorted(p.relative_to(index.parent).as_posix()
                     for p in (index.parent / "figures").iterdir())
    assert figures == on_disk
    return figures


def test_report_links_every_figure_and_regenerates_identically(grid_dir: Path) -> None:
    sweep = load_sweep(grid_dir)
    index = build_report(sweep, metrics=METRICS, baseline="partner_share=0,exclusivity=false",
                         n_resamples=999)
    assert index == grid_dir / "report" / "index.html"
    figures = _check_links(index)
    assert figures == sorted([
        "figures/distribution_frontier_capability.png",
        "figures/effects_frontier_capability.png",
        "figures/heatmap_frontier_capability.png",
        "figures/fan_frontier_capability.png",
        "figures/fan_ai_market_usd_per_month.png",
        "figures/flows.png",
        "figures/key_frontier_capability.png",
    ])
    text = index.read_text(encoding="utf-8")
    for anchor in ("sweep", "provenance", "points", "summary", "effects", "heatmaps",
                   "timeseries", "flows"):
        assert f'id="{anchor}"' in text
    assert "git_revision" in text and "synthetic" in text
    tables = {p.name: p.read_bytes() for p in (index.parent / "tables").iterdir()}
    assert set(tables) == {"points.csv", "summary.csv", "effects.csv", "flows.csv"}
    html_before = index.read_bytes()
    images = {p.name: p.read_bytes() for p in (index.parent / "figures").iterdir()}
    build_report(load_sweep(grid_dir), metrics=METRICS, n_resamples=999)
    assert index.read_bytes() == html_before
    assert {p.name: p.read_bytes() for p in (index.parent / "tables").iterdir()} == tables
    assert {p.name: p.read_bytes() for p in (index.parent / "figures").iterdir()} == images


def test_sobol_sweep_report_has_sensitivity(tmp_path: Path) -> None:
    bounds = {"downstream.partner_share": (0.0, 1.0), "partnership.equity_share": (0.0, 1.0)}
    points = saltelli_points(bounds, 8, seed=4)
    path = write_synthetic_sweep(tmp_path / "sobol", points.to_dict("records"), [0, 1],
                                 {"compute_hhi": {"partnership.equity_share": 1.0}},
                                 kind="sobol", steps=12)
    index = build_report(load_sweep(path), metrics=["upstream_deals"], n_resamples=199)
    figures = _check_links(index)
    assert figures == ["figures/flows.png", "figures/key_upstream_deals.png",
                       "figures/scatter_upstream_deals.png", "figures/sobol_upstream_deals.png"]
    text = index.read_text(encoding="utf-8")
    assert 'id="sensitivity"' in text and "tables/sobol.csv" in text
    assert "Fan charts and flow figures show the baseline and 8 evenly spaced of the 32" in text
    assert "Skipped: the sobol design samples points at random" in text
    assert "Figures of paired effects" not in text


def test_sampled_design_without_the_layout_gets_first_order_indices(tmp_path: Path) -> None:
    points = [{"downstream.partner_share": v / 20, "partnership.equity_share": (7 * v % 20) / 20}
              for v in range(20)]
    path = write_synthetic_sweep(tmp_path / "lhs", points, [0, 1], kind="lhs", steps=12)
    index = build_report(load_sweep(path), metrics=["upstream_deals"], n_resamples=199)
    text = index.read_text(encoding="utf-8")
    assert "Total indices need the Saltelli layout" in text
    assert "binned (given data)" in text
    assert "figures/sobol_upstream_deals.png" in _check_links(index)


def test_report_rejects_bad_requests(grid_dir: Path, tmp_path: Path) -> None:
    sweep = load_sweep(grid_dir)
    with pytest.raises(SweepError, match="unknown metric"):
        build_report(sweep, tmp_path, metrics=["frontier_capabilty"])
    with pytest.raises(SweepError, match="--format gif"):
        build_report(sweep, tmp_path, fmt="gif")
    with pytest.raises(SweepError, match="--threshold for unknown summary metric"):
        build_report(sweep, tmp_path, thresholds={"ai_market_usd_per_month": 1.0})


def test_cli_writes_the_report_and_drops_older_figures(
    grid_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    status = main([str(grid_dir), "--metrics", "upstream_deals", "--baseline", "1",
                   "--format", "svg", "--out", str(out), "--threshold", "upstream_deals=1.1",
                   "--n-resamples", "499", "--seed", "3"])
    assert status == 0
    assert capsys.readouterr().out.strip() == f"report: {out / 'index.html'}"
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "thresholds: upstream_deals=1.1" in text and "baseline: job 1" in text
    assert "figures/heatmap_upstream_deals.svg" in _check_links(out / "index.html")
    assert main([str(grid_dir), "--metrics", "lab_spinouts", "--format", "svg",
                 "--out", str(out), "--n-resamples", "499"]) == 0
    figures = _check_links(out / "index.html")
    assert "figures/distribution_lab_spinouts.svg" in figures
    assert not any("upstream_deals" in f for f in figures)


def test_cli_reports_broken_inputs(grid_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    broken = Path(shutil.copytree(grid_dir, tmp_path / "broken"))
    raw = (broken / "runs.parquet").read_bytes()
    (broken / "runs.parquet").write_bytes(raw[:-7])
    assert main([str(broken)]) == 2
    assert re.search(r"race-analyze: error: .*runs\.parquet: not a readable Parquet file",
                     capsys.readouterr().err)
    assert main([str(grid_dir), "--metrics", "nonsense", "--out", str(tmp_path)]) == 2
    assert "unknown metric(s) nonsense" in capsys.readouterr().err
    assert main([str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(grid_dir), "--format", "gif"])


def test_cli_aggregates_job_folders_when_there_is_no_aggregate(
    grid_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Job folders without manifest.json (new, or aggregated into runs.csv by an older version)."""
    sweep_dir = Path(shutil.copytree(grid_dir, tmp_path / "sweep"))
    stash = (sweep_dir / "manifest.json").read_bytes()
    (sweep_dir / "manifest.json").unlink()
    (sweep_dir / "runs.csv").write_text("job,replicate,seed\n", encoding="utf-8")
    (sweep_dir / "0").mkdir()
    calls = []

    def aggregate(path: Path) -> None:
        calls.append(Path(path))
        (Path(path) / "manifest.json").write_bytes(stash)

    def build_report(sweep, out, **options) -> Path:
        assert sweep.runs.shape[0] == 4 * 6 and options["metrics"] == ["compute_hhi"]
        return sweep.path / "index.html"

    monkeypatch.setitem(sys.modules, "analysis.aggregate",
                        types.SimpleNamespace(aggregate=aggregate))
    monkeypatch.setattr("analysis.report.build_report", build_report)
    assert main([str(sweep_dir), "--metrics", "compute_hhi"]) == 0
    assert calls == [sweep_dir]


def test_threshold_parsing() -> None:
    assert parse_thresholds(["compute_hhi=0.3", "leader_gap_oom = 1e-1"]) == {
        "compute_hhi": 0.3, "leader_gap_oom": 0.1}
    with pytest.raises(SweepError, match="expected METRIC=number"):
        parse_thresholds(["compute_hhi"])
    with pytest.raises(SweepError, match="expected METRIC=number"):
        parse_thresholds(["compute_hhi=high"])


def test_public_api_names_resolve() -> None:
    import analysis

    for name in analysis.__all__:
        assert getattr(analysis, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'plot_everything'"):
        _ = analysis.plot_everything


def test_help_is_fast_and_imports_no_heavy_library() -> None:
    code = ("import sys, analysis.cli; "
            "heavy = {'matplotlib', 'pandas', 'scipy'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
    result = subprocess.run([sys.executable, "-m", "analysis.cli", "--help"],
                            capture_output=True, text=True, check=True, timeout=20)
    assert result.stdout.startswith("usage: race-analyze")
    for option in ("SWEEP_DIR", "--metrics", "--baseline", "--format", "--out"):
        assert option in result.stdout


def test_all_null_metric_gets_a_note_instead_of_empty_figures(grid_dir: Path,
                                                             tmp_path: Path) -> None:
    sweep_dir = Path(shutil.copytree(grid_dir, tmp_path / "sweep"))
    runs = pq.read_table(sweep_dir / "runs.parquet")
    column = runs.schema.get_field_index("upstream_deals")
    write_parquet(sweep_dir / "runs.parquet", runs.set_column(
        column, "upstream_deals", pa.nulls(runs.num_rows, pa.float64())))
    index = build_report(load_sweep(sweep_dir), metrics=["upstream_deals"], n_resamples=199)
    text = index.read_text(encoding="utf-8")
    assert "<code>upstream_deals</code> (Upstream deals): undefined: every value is null" in text
    assert _check_links(index) == ["figures/flows.png"]
