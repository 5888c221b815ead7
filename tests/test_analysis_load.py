"""Loading sweep directories: tidy tables and clear errors for broken inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import SweepError
from analysis.load import check_metrics, load_sweep, point_labels, resolve_baseline
from analysis.metrics_info import METRIC_INFO, axis_label, param_label
from analysis.synthetic import write_synthetic_sweep
from sim.results import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS

SEEDS = list(range(100, 106))
POINTS = [
    {"downstream.partner_share": share, "partnership.exclusivity": exclusive}
    for share in (0.0, 0.5)
    for exclusive in (False, True)
]


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_sweep(tmp_path_factory.mktemp("grid") / "sweep", POINTS, SEEDS,
                                 {"frontier_capability": {"downstream.partner_share": 2.0}},
                                 steps=18)


@pytest.fixture()
def broken(sweep_dir: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sweep directory that a test may damage."""
    return Path(shutil.copytree(sweep_dir, tmp_path / "copy"))


def test_tables_have_the_contract_shapes(sweep_dir: Path) -> None:
    sweep = load_sweep(sweep_dir)
    assert sweep.params == ["downstream.partner_share", "partnership.exclusivity"]
    assert sweep.jobs == [0, 1, 2, 3]
    assert sweep.seeds == SEEDS
    assert sweep.design_kind == "grid"
    assert sweep.metrics == list(SUMMARY_METRICS)
    assert sweep.runs.shape == (4 * len(SEEDS), 1 + 2 + 2 + len(SUMMARY_METRICS))
    assert sweep.points["n_seeds"].tolist() == [len(SEEDS)] * 4
    assert sweep.points["downstream.partner_share"].tolist() == [0.0, 0.0, 0.5, 0.5]
    assert sweep.timeseries.shape == (4 * len(SEEDS) * 18, 3 + len(TIMESERIES_METRICS))
    assert set(sweep.flows["from_kind"]) <= set(FLOW_KINDS)
    assert sweep.missing_jobs == []


def test_values_round_trip_from_runs_csv(sweep_dir: Path) -> None:
    sweep = load_sweep(sweep_dir)
    raw = pd.read_csv(sweep_dir / "runs.csv")
    expected = raw[raw["job"] == 2].sort_values("replicate")["frontier_capability"].to_numpy()
    np.testing.assert_array_equal(sweep.metric_values("frontier_capability", 2), expected)
    nulls = raw["time_to_threshold_months"].isna().sum()
    assert nulls > 0, "the synthetic sweep should contain null summary values"
    assert sweep.runs["time_to_threshold_months"].isna().sum() == nulls


def test_point_labels_and_baseline(sweep_dir: Path) -> None:
    sweep = load_sweep(sweep_dir)
    labels = point_labels(sweep)
    assert labels[2] == "partner_share=0.5, exclusivity=false"
    assert resolve_baseline(sweep) == 0
    assert resolve_baseline(sweep, "3") == 3
    assert resolve_baseline(sweep, "partner_share=0.5,exclusivity=true") == 3
    assert resolve_baseline(sweep, "downstream.partner_share=0.5, exclusivity=false") == 2
    with pytest.raises(SweepError, match="matches 2 points"):
        resolve_baseline(sweep, "partner_share=0.5")
    with pytest.raises(SweepError, match="not a swept parameter"):
        resolve_baseline(sweep, "salary=3")
    with pytest.raises(SweepError, match="no such job"):
        resolve_baseline(sweep, 9)


def test_metric_table_covers_every_model_metric() -> None:
    assert set(SUMMARY_METRICS) | set(TIMESERIES_METRICS) <= set(METRIC_INFO)
    assert set(METRIC_INFO) <= set(SUMMARY_METRICS) | set(TIMESERIES_METRICS)
    assert axis_label("leader_gap_oom") == "Leader gap [OOM]"
    assert axis_label("incident_count", timeseries=True) == "Incidents [incidents/month]"
    assert param_label("downstream.partner_share", "partner_share") == "partner_share"
    assert param_label("partnership.exclusivity") == "partnership.exclusivity"


def test_unknown_metric_names_are_rejected() -> None:
    assert check_metrics(["leader_gap_oom"], "summary") == ["leader_gap_oom"]
    with pytest.raises(SweepError, match=r"unknown summary metric.*capabilty"):
        check_metrics(["capabilty"], "summary")
    with pytest.raises(SweepError, match=r"unknown timeseries metric.*time_to_threshold"):
        check_metrics(["time_to_threshold_months"], "timeseries")


def _rewrite_runs(path: Path, edit) -> None:
    table = pd.read_csv(path / "runs.csv")
    edit(table).to_csv(path / "runs.csv", index=False)


def test_missing_files_are_named(broken: Path) -> None:
    (broken / "runs.csv").unlink()
    with pytest.raises(SweepError, match=r"runs\.csv: missing.*aggregate"):
        load_sweep(broken)


def test_missing_sweep_yaml_and_provenance(broken: Path, tmp_path: Path) -> None:
    (broken / "provenance.json").write_text('{"git_revision": "abc', encoding="utf-8")
    with pytest.raises(SweepError, match=r"provenance\.json: not valid JSON"):
        load_sweep(broken)
    (broken / "sweep.yaml").unlink()
    with pytest.raises(SweepError, match=r"sweep\.yaml: missing"):
        load_sweep(broken)
    with pytest.raises(SweepError, match="not a directory"):
        load_sweep(tmp_path / "nowhere")


def test_truncated_runs_csv(broken: Path) -> None:
    raw = (broken / "runs.csv").read_bytes()
    (broken / "runs.csv").write_bytes(raw[: len(raw) - 40])
    with pytest.raises(SweepError, match=r"runs\.csv: truncated"):
        load_sweep(broken)


def test_short_line_is_reported_with_its_number(broken: Path) -> None:
    lines = (broken / "runs.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = ",".join(lines[3].split(",")[:10]) + "\n"
    (broken / "runs.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(SweepError, match=r"runs\.csv: line 4 has 10 fields"):
        load_sweep(broken)


def test_empty_runs_csv(broken: Path) -> None:
    (broken / "runs.csv").write_text("", encoding="utf-8")
    with pytest.raises(SweepError, match=r"runs\.csv: empty"):
        load_sweep(broken)


def test_truncated_timeseries_is_caught_on_access(broken: Path) -> None:
    lines = (broken / "timeseries.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (broken / "timeseries.csv").write_text("".join(lines[:-5]), encoding="utf-8")
    sweep = load_sweep(broken)
    with pytest.raises(SweepError, match=r"timeseries\.csv: job 3, seed 105 has 13 steps"):
        _ = sweep.timeseries


def test_timeseries_missing_a_run(broken: Path) -> None:
    table = pd.read_csv(broken / "timeseries.csv")
    table[table["seed"] != 101].to_csv(broken / "timeseries.csv", index=False)
    with pytest.raises(SweepError, match=r"timeseries\.csv: no rows for job 0, seed 101"):
        _ = load_sweep(broken).timeseries


def test_unknown_metric_column(broken: Path) -> None:
    _rewrite_runs(broken, lambda t: t.rename(columns={"compute_hhi": "compute_hhhi"}))
    with pytest.raises(SweepError, match=r"runs\.csv: unknown metric column\(s\) compute_hhhi"):
        load_sweep(broken)


def test_unknown_timeseries_metric_column(broken: Path) -> None:
    table = pd.read_csv(broken / "timeseries.csv")
    table["mystery_index"] = 1.0
    table.to_csv(broken / "timeseries.csv", index=False)
    with pytest.raises(SweepError, match=r"timeseries\.csv: unknown metric.*mystery_index"):
        _ = load_sweep(broken).timeseries


def test_mixed_parameter_sets(broken: Path) -> None:
    def blank(table: pd.DataFrame) -> pd.DataFrame:
        table["partnership.exclusivity"] = table["partnership.exclusivity"].astype(object)
        table.loc[table["job"] == 3, "partnership.exclusivity"] = None
        return table

    _rewrite_runs(broken, blank)
    with pytest.raises(SweepError, match=r"job 3 has no value for 'partnership\.exclusivity'"):
        load_sweep(broken)


def test_parameter_columns_must_match_the_definition(broken: Path) -> None:
    _rewrite_runs(broken, lambda t: t.rename(
        columns={"partnership.exclusivity": "governance.exclusivity_ban"}))
    with pytest.raises(SweepError, match=r"differ from sweep\.yaml params.*mixed"):
        load_sweep(broken)


def test_seed_lists_must_agree_between_points(broken: Path) -> None:
    def reseed(table: pd.DataFrame) -> pd.DataFrame:
        table.loc[(table["job"] == 2) & (table["replicate"] == 1), "seed"] = 999
        return table

    _rewrite_runs(broken, reseed)
    with pytest.raises(SweepError, match=r"job 2 has seeds .*common random numbers"):
        load_sweep(broken)


def test_missing_run_of_one_point(broken: Path) -> None:
    _rewrite_runs(broken, lambda t: t[~((t["job"] == 1) & (t["replicate"] == 4))])
    with pytest.raises(SweepError, match=r"job 1 has seeds .*4:-"):
        load_sweep(broken)


def test_duplicate_rows_from_two_sweeps(broken: Path) -> None:
    _rewrite_runs(broken, lambda t: pd.concat([t, t[t["job"] == 0].head(1)]))
    with pytest.raises(SweepError, match="job 0 has seed 100 twice"):
        load_sweep(broken)


def test_jobs_beyond_the_design(broken: Path) -> None:
    def extra(table: pd.DataFrame) -> pd.DataFrame:
        more = table[table["job"] == 3].copy()
        more["job"] = 7
        return pd.concat([table, more])

    _rewrite_runs(broken, extra)
    with pytest.raises(SweepError, match=r"jobs \[7\] are not among the 4 design points"):
        load_sweep(broken)


def test_missing_design_points_are_listed(broken: Path) -> None:
    _rewrite_runs(broken, lambda t: t[t["job"] != 1])
    sweep = load_sweep(broken)
    assert sweep.missing_jobs == [1]
    assert sweep.jobs == [0, 2, 3]


def test_replicates_must_match_the_definition(broken: Path) -> None:
    text = (broken / "sweep.yaml").read_text(encoding="utf-8")
    (broken / "sweep.yaml").write_text(text.replace("replicates: 6", "replicates: 8"),
                                       encoding="utf-8")
    with pytest.raises(SweepError, match=r"6 seeds but sweep\.yaml says replicates=8"):
        load_sweep(broken)


def test_non_numeric_metric_value(broken: Path) -> None:
    def corrupt(table: pd.DataFrame) -> pd.DataFrame:
        table["compute_hhi"] = table["compute_hhi"].astype(object)
        table.loc[5, "compute_hhi"] = "n/a"
        return table

    _rewrite_runs(broken, corrupt)
    with pytest.raises(SweepError, match=r"column 'compute_hhi' must be numeric; line 7"):
        load_sweep(broken)


def test_flows_with_unknown_kind(broken: Path) -> None:
    table = pd.read_csv(broken / "flows.csv")
    table.loc[0, "to_kind"] = "government"
    table.to_csv(broken / "flows.csv", index=False)
    with pytest.raises(SweepError, match=r"flows\.csv: unknown organisation kind.*government"):
        _ = load_sweep(broken).flows


def test_invalid_yaml(broken: Path) -> None:
    (broken / "sweep.yaml").write_text("name: [unclosed\nparams: {", encoding="utf-8")
    with pytest.raises(SweepError, match=r"sweep\.yaml: not valid YAML"):
        load_sweep(broken)


def test_provenance_must_be_an_object(broken: Path) -> None:
    (broken / "provenance.json").write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(SweepError, match="expected a JSON object"):
        load_sweep(broken)


def _root_seed_sweep(path: Path, offset: int) -> Path:
    """Two partner shares x two root seeds (jobs 1 and 3 start at seed ``offset``)."""
    points = [{"downstream.partner_share": share} for share in (0.0, 0.0, 0.5, 0.5)]
    write_synthetic_sweep(path, points, [0, 1, 2], steps=12)
    for name in ("runs.csv", "timeseries.csv", "flows.csv"):
        table = pd.read_csv(path / name)
        table.loc[table["job"].isin([1, 3]), "seed"] += offset
        if name == "runs.csv":
            table.insert(2, "root_seed", np.where(table["job"].isin([1, 3]), offset, 0))
        table.to_csv(path / name, index=False)
    text = (path / "sweep.yaml").read_text(encoding="utf-8")
    text = text.replace("- downstream.partner_share\n", "- downstream.partner_share\n- seed\n", 1)
    (path / "sweep.yaml").write_text(text, encoding="utf-8")
    return path


def test_root_seed_blocks_are_pooled_into_points(tmp_path: Path) -> None:
    sweep = load_sweep(_root_seed_sweep(tmp_path / "blocks", 3))
    assert sweep.params == ["downstream.partner_share"]
    assert sweep.jobs == [0, 2] and sweep.seeds == [0, 1, 2, 3, 4, 5]
    assert sweep.job_map == {0: 0, 1: 0, 2: 2, 3: 2}
    assert sweep.points["n_seeds"].tolist() == [6, 6]
    assert sorted(sweep.timeseries["job"].unique()) == [0, 2]
    assert sweep.timeseries.groupby(["job", "seed"]).size().eq(12).all()
    assert sorted(sweep.flows["job"].unique()) == [0, 2]
    assert point_labels(sweep)[2] == "partner_share=0.5"


def test_overlapping_root_seed_blocks_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="job 0 has seed 2 twice"):
        load_sweep(_root_seed_sweep(tmp_path / "overlap", 2))


def test_duplicate_month_in_timeseries(broken: Path) -> None:
    table = pd.read_csv(broken / "timeseries.csv")
    pd.concat([table, table.iloc[[0]]]).to_csv(broken / "timeseries.csv", index=False)
    with pytest.raises(SweepError, match="job 0, seed 100 has step 0 twice"):
        _ = load_sweep(broken).timeseries
