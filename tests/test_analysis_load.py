"""Loading sweep directories and ingesting job folders: tidy tables, one-line errors."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from omegaconf import OmegaConf

from analysis import cli as analysis_cli
from analysis.aggregate import aggregate
from analysis.errors import SweepError
from analysis.load import check_metrics, load_sweep, point_labels, resolve_baseline
from analysis.metrics_info import METRIC_INFO, axis_label, format_param_value, param_label
from analysis.synthetic import write_synthetic_sweep
from sim.results import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS
from sweeps.store import (
    JOB_FLOWS_HEADER,
    JOB_SUMMARY_HEADER,
    JOB_TIMESERIES_HEADER,
    csv_text,
    gzip_bytes,
    schemas,
    write_parquet,
)

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


def test_values_round_trip_from_runs_parquet(sweep_dir: Path) -> None:
    sweep = load_sweep(sweep_dir)
    raw = pd.read_parquet(sweep_dir / "runs.parquet")
    expected = raw[raw["point"] == 2].sort_values("replicate")["frontier_capability"].to_numpy()
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
    # Dimensionless, written "1 (of lab valuation)" in the table: no unit after the value.
    assert param_label("partnership.deal_size_valuation_share", "size") == "size"
    assert format_param_value("partnership.deal_size_valuation_share", 0.25) == "0.25"
    assert format_param_value("governance.buyback_interval_months", 6) == "6 mo"


def test_unknown_metric_names_are_rejected() -> None:
    assert check_metrics(["leader_gap_oom"], "summary") == ["leader_gap_oom"]
    with pytest.raises(SweepError, match=r"unknown summary metric.*capabilty"):
        check_metrics(["capabilty"], "summary")
    with pytest.raises(SweepError, match=r"unknown timeseries metric.*time_to_threshold"):
        check_metrics(["time_to_threshold_months"], "timeseries")


def _rewrite(path: Path, kind: str, edit) -> None:
    """Replace a table of the sweep's Parquet aggregate by ``edit(table)`` (``job`` = point)."""
    table = pd.read_parquet(path / f"{kind}.parquet").rename(columns={"point": "job"})
    frame = edit(table).rename(columns={"job": "point"})
    write_parquet(path / f"{kind}.parquet",
                  pa.Table.from_pandas(frame, schema=schemas()[kind], preserve_index=False))


def _rewrite_runs(path: Path, edit) -> None:
    _rewrite(path, "runs", edit)


def _edit_manifest(path: Path, edit) -> None:
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    edit(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _as_job_folders(path: Path) -> Path:
    """Turn a synthetic sweep into a Hydra multirun's job folders (its aggregate removed)."""
    sweep = load_sweep(path)
    runs = pd.read_parquet(path / "runs.parquet")
    series = pd.read_parquet(path / "timeseries.parquet")
    flows = pd.read_parquet(path / "flows.parquet")
    for job in sweep.jobs:
        folder = path / str(job)
        folder.mkdir()
        values = dict(zip(sweep.params, sweep.points.set_index("job").loc[job, sweep.params],
                          strict=True))
        for name, header, table, gz in (
                ("summary.csv", JOB_SUMMARY_HEADER, runs, False),
                ("timeseries.csv.gz", JOB_TIMESERIES_HEADER, series, True),
                ("flows.csv.gz", JOB_FLOWS_HEADER, flows, True)):
            rows = table.loc[table["point"] == job, list(header)].itertuples(index=False)
            text = csv_text(header, rows)
            (folder / name).write_bytes(gzip_bytes(text) if gz else text.encode("utf-8"))
        config = OmegaConf.create()
        for key, value in values.items():
            OmegaConf.update(config, key, value.item() if hasattr(value, "item") else value)
        (folder / "provenance.json").write_text(json.dumps(
            {"config": OmegaConf.to_container(config), "choices": {}}),
                                                encoding="utf-8")
        (folder / "done.json").write_text("{}", encoding="utf-8")
    for name in ("runs.parquet", "timeseries.parquet", "flows.parquet", "manifest.json"):
        (path / name).unlink()
    return path


@pytest.fixture()
def jobs(sweep_dir: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sweep as job folders, not yet ingested, that a test may damage."""
    return _as_job_folders(Path(shutil.copytree(sweep_dir, tmp_path / "jobs")))


def _rewrite_job_file(path: Path, edit) -> None:
    """Replace the text of a job's CSV file (gzip-compressed or not) by ``edit(text)``."""
    gz = path.suffix == ".gz"
    text = (gzip.decompress(path.read_bytes()) if gz else path.read_bytes()).decode("utf-8")
    text = edit(text)
    path.write_bytes(gzip_bytes(text) if gz else text.encode("utf-8"))


def test_job_folders_ingest_to_the_same_tables(sweep_dir: Path, jobs: Path) -> None:
    result = aggregate(jobs)
    assert result.jobs == [0, 1, 2, 3] and result.rows == 4 * len(SEEDS)
    expected, ingested = load_sweep(sweep_dir), load_sweep(jobs)
    pd.testing.assert_frame_equal(ingested.runs, expected.runs)
    pd.testing.assert_frame_equal(ingested.timeseries, expected.timeseries)
    pd.testing.assert_frame_equal(ingested.flows, expected.flows)
    assert (jobs / "runs.csv").read_text(encoding="utf-8").splitlines()[0].startswith(
        "job,downstream.partner_share,partnership.exclusivity,replicate,seed,")


def test_missing_files_are_named(broken: Path) -> None:
    (broken / "runs.parquet").unlink()
    with pytest.raises(SweepError, match=r"runs\.parquet: missing"):
        load_sweep(broken)
    (broken / "manifest.json").unlink()
    with pytest.raises(SweepError, match=r"manifest\.json: missing.*aggregate"):
        load_sweep(broken)


def test_folder_aggregated_by_an_older_version(jobs: Path, tmp_path: Path) -> None:
    """runs.csv without Parquet: race-analyze re-ingests the job folders, else says how."""
    aggregate(jobs)
    expected = load_sweep(jobs).runs
    for name in ("runs.parquet", "timeseries.parquet", "flows.parquet", "manifest.json"):
        (jobs / name).unlink()
    old = Path(shutil.copytree(jobs, tmp_path / "old", ignore=shutil.ignore_patterns("[0-9]*")))
    with pytest.raises(SweepError, match=r"old: aggregated by an older version of race-sim "
                       r"\(runs\.csv without runs\.parquet\); rerun race-analyze on a folder "
                       "that has its job folders"):
        load_sweep(old)
    assert analysis_cli.main([str(old), "--out", str(tmp_path / "report")]) == 2
    analysis_cli.run(analysis_cli.build_parser().parse_args(
        [str(jobs), "--out", str(tmp_path / "report"), "--metrics", "compute_hhi"]))
    pd.testing.assert_frame_equal(load_sweep(jobs).runs, expected)


def test_truncated_job_csv(jobs: Path) -> None:
    path = jobs / "2" / "summary.csv"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(SweepError, match=r"2/summary\.csv: truncated"):
        aggregate(jobs)


def test_truncated_gzip_file(jobs: Path) -> None:
    path = jobs / "1" / "timeseries.csv.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(SweepError, match=r"1/timeseries\.csv\.gz: not a readable gzip file"):
        aggregate(jobs)


def test_short_line_is_reported_with_its_number(jobs: Path) -> None:
    def cut(text: str) -> str:
        lines = text.splitlines(keepends=True)
        lines[3] = ",".join(lines[3].split(",")[:10]) + "\n"
        return "".join(lines)

    _rewrite_job_file(jobs / "0" / "summary.csv", cut)
    with pytest.raises(SweepError, match=r"0/summary\.csv: line 4 has 10 fields"):
        aggregate(jobs)


def test_empty_job_csv(jobs: Path) -> None:
    (jobs / "3" / "summary.csv").write_text("", encoding="utf-8")
    with pytest.raises(SweepError, match=r"3/summary\.csv: empty"):
        aggregate(jobs)


def test_truncated_timeseries_is_caught_on_access(broken: Path) -> None:
    _rewrite(broken, "timeseries", lambda t: t.iloc[:-5])
    sweep = load_sweep(broken)
    with pytest.raises(SweepError, match=r"timeseries\.parquet: job 3, seed 105 has 13 steps"):
        _ = sweep.timeseries


def test_timeseries_missing_a_run(broken: Path) -> None:
    _rewrite(broken, "timeseries", lambda t: t[t["seed"] != 101])
    with pytest.raises(SweepError, match=r"timeseries\.parquet: no rows for job 0, seed 101"):
        _ = load_sweep(broken).timeseries


def test_unknown_metric_column(jobs: Path) -> None:
    _rewrite_job_file(jobs / "1" / "summary.csv",
                      lambda text: text.replace("compute_hhi", "compute_hhhi", 1))
    with pytest.raises(SweepError, match=r"1/summary\.csv: columns differ from this version "
                       r"of race-sim's \(unknown: compute_hhhi; missing: compute_hhi"):
        aggregate(jobs)


def test_unknown_timeseries_metric_column(jobs: Path) -> None:
    _rewrite_job_file(jobs / "0" / "timeseries.csv.gz", lambda text: "".join(
        line + (",mystery_index\n" if i == 0 else ",1.0\n")
        for i, line in enumerate(text.splitlines())))
    with pytest.raises(SweepError, match=r"0/timeseries\.csv\.gz: columns differ .*"
                       r"unknown: mystery_index"):
        aggregate(jobs)


def test_job_without_a_swept_parameter(jobs: Path) -> None:
    (jobs / "2" / "provenance.json").write_text(json.dumps({"config": {}, "choices": {}}),
                                                encoding="utf-8")
    with pytest.raises(SweepError, match=r"2/provenance\.json: no value for swept parameter "
                       "'downstream.partner_share'"):
        aggregate(jobs)


def test_mixed_parameter_sets(broken: Path) -> None:
    _edit_manifest(broken, lambda m: m["labels"][3].__setitem__(1, None))
    with pytest.raises(SweepError, match=r"job 3 has no value for 'partnership\.exclusivity'"):
        load_sweep(broken)


def test_parameter_columns_must_match_the_definition(broken: Path) -> None:
    _edit_manifest(broken, lambda m: m["params"].__setitem__(1, "governance.exclusivity_ban"))
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
    with pytest.raises(SweepError, match=r"job 7 has no swept values in manifest\.json"):
        load_sweep(broken)

    def label(manifest: dict) -> None:
        manifest["jobs"].append(7)
        manifest["labels"].append(manifest["labels"][3])

    _edit_manifest(broken, label)
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


def test_non_numeric_metric_value(jobs: Path) -> None:
    def corrupt(text: str) -> str:
        lines = text.splitlines(keepends=True)
        header = lines[0].strip().split(",")
        cells = lines[5].split(",")
        cells[header.index("compute_hhi")] = "n/a"
        lines[5] = ",".join(cells)
        return "".join(lines)

    _rewrite_job_file(jobs / "2" / "summary.csv", corrupt)
    with pytest.raises(SweepError, match=r"2/summary\.csv: column 'compute_hhi' must be "
                       "numeric; line 6"):
        aggregate(jobs)


def test_non_integer_or_negative_moves(jobs: Path) -> None:
    path = jobs / "1" / "flows.csv.gz"
    original = gzip.decompress(path.read_bytes()).decode("utf-8")
    first = original.splitlines()[1]
    _rewrite_job_file(path, lambda text: text.replace(first, first + ".5", 1))
    with pytest.raises(SweepError, match=r"1/flows\.csv\.gz: column 'moves' needs an integer"):
        aggregate(jobs)
    _rewrite_job_file(path, lambda text: original.replace(
        first, first.rsplit(",", 1)[0] + ",-3", 1))
    with pytest.raises(SweepError, match=r"1/flows\.csv\.gz: column 'moves' must be a "
                       "non-negative count"):
        aggregate(jobs)


def test_flows_with_unknown_kind(broken: Path) -> None:
    def rename(table: pd.DataFrame) -> pd.DataFrame:
        table.loc[0, "to_kind"] = "government"
        return table

    _rewrite(broken, "flows", rename)
    with pytest.raises(SweepError, match=r"flows\.parquet: unknown organisation kind.*government"):
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
    for kind in ("runs", "timeseries", "flows"):
        def shift(table: pd.DataFrame) -> pd.DataFrame:
            table.loc[table["job"].isin([1, 3]), "seed"] += offset
            return table

        _rewrite(path, kind, shift)

    def root_seed(manifest: dict) -> None:
        manifest["params"].append("seed")
        for job, row in zip(manifest["jobs"], manifest["labels"], strict=True):
            row.append(offset if job in (1, 3) else 0)

    _edit_manifest(path, root_seed)
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


def test_duplicate_month_in_timeseries(jobs: Path) -> None:
    _rewrite_job_file(jobs / "0" / "timeseries.csv.gz",
                      lambda text: text + text.splitlines(keepends=True)[1])
    with pytest.raises(SweepError, match=r"0/timeseries\.csv\.gz: seed 100 has step 0 twice"):
        aggregate(jobs)


def test_short_names_keep_the_section_of_generic_or_shared_names() -> None:
    from analysis.load import short_names

    assert short_names(["downstream.partner_share", "partnership.enabled", "safety.mode",
                        "downstream.mode", "talent.b_wage", "labs.b_wage", "governance"]) == {
        "downstream.partner_share": "partner_share",
        "partnership.enabled": "partnership_enabled",
        "safety.mode": "safety_mode",
        "downstream.mode": "downstream_mode",
        "talent.b_wage": "talent.b_wage",
        "labs.b_wage": "labs.b_wage",
        "governance": "governance",
    }
