"""docs/model.md stays in step with the code: parameter table and metric names."""

import importlib.util
import re
from pathlib import Path

import pytest

from sim.params import iter_fields
from sim.results import SUMMARY_METRICS, TIMESERIES_METRICS

DOCS = Path(__file__).resolve().parents[1] / "docs"
MODEL_MD = DOCS / "model.md"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_param_table", DOCS / "gen_param_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
TEXT = MODEL_MD.read_text(encoding="utf-8")


def _metrics_section() -> str:
    start = TEXT.index("\n## 8. Outcome metrics")
    return TEXT[start: TEXT.index("\n## ", start + 1)]


def test_parameter_table_is_current():
    """The committed table equals a fresh rendering; run docs/gen_param_table.py if not."""
    assert GEN.extract_section(TEXT) == GEN.render_table(), (
        "docs/model.md parameter table is stale: run `python docs/gen_param_table.py`")


@pytest.mark.parametrize(("key", "default"), [(k, d) for k, d, _ in iter_fields()])
def test_every_parameter_documented_with_its_default(key, default):
    row = f"| `{key}` | `{GEN.format_number(default)}` |"
    assert row in GEN.extract_section(TEXT), f"no table row starting {row!r}"


def test_generator_is_idempotent(tmp_path):
    copy = tmp_path / "model.md"
    copy.write_text(TEXT, encoding="utf-8")
    assert GEN.main([str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == TEXT


def test_replace_section_rejects_missing_markers():
    with pytest.raises(ValueError, match="expected one"):
        GEN.replace_section("no markers here", "table")


@pytest.mark.parametrize(("value", "text"), [
    (True, "true"), ("heuristic", '"heuristic"'), (20_000, "20000"), (0.0, "0.0"),
    (25.0, "25.0"), (0.25, "0.25"), (3.0e8, "3e8"), (1.5e9, "1.5e9"), (5e-4, "5e-4"),
    (-0.9, "-0.9"),
])
def test_format_number(value, text):
    assert GEN.format_number(value) == text


@pytest.mark.parametrize(("default", "meta", "text"), [
    (0.5, {"lo": 0.0, "hi": 1.0}, "[0.0, 1.0]"),
    (1.5, {"lo": 0.0, "hi": 60.0, "lo_open": True}, "(0.0, 60.0]"),
    (3e8, {"lo": 0.0}, ">= 0.0"),
    (1e21, {"lo": 0.0, "lo_open": True}, "> 0.0"),
    ("share", {"choices": ("share", "profit")}, "one of: `share`, `profit`"),
    (False, {}, "true/false"),
    ("default", {}, "any"),
])
def test_format_allowed(default, meta, text):
    assert GEN.format_allowed(default, meta) == text


@pytest.mark.parametrize("name", sorted(set(TIMESERIES_METRICS) | set(SUMMARY_METRICS)))
def test_every_metric_documented(name):
    """Each metric has a row in a table of the outcome-metrics section."""
    assert re.search(rf"^\| `{name}` \|", _metrics_section(), flags=re.MULTILINE), (
        f"metric {name!r} has no row in docs/model.md section 8")


def test_metric_tables_match_the_code_exactly():
    """Section 8.1 lists the time-series metrics and 8.2 the summary metrics, in code order."""
    section = _metrics_section()
    ts_part, summary_part = section.split("### 8.2", 1)
    summary_part = summary_part.split("### 8.3", 1)[0]
    row = re.compile(r"^\| `(\w+)` \|", flags=re.MULTILINE)
    assert tuple(row.findall(ts_part)) == TIMESERIES_METRICS
    assert tuple(row.findall(summary_part)) == SUMMARY_METRICS
