"""The report is the experiment's answer (issue 13): question, design, findings, key figures.

Everything runs on synthetic sweeps (``analysis.synthetic``), never the model,
so the module takes a few seconds; one report is built once and checked from
several sides, including a real headless Chromium (``test_first_screen_*``).
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from analysis import figures
from analysis.findings import contrast_findings, design_sentence, findings_markdown, render
from analysis.load import load_sweep
from analysis.report import Answer, KeyFigures, Progress, build_report, default_key_figures
from analysis.stats import effects_table
from analysis.synthetic import write_synthetic_sweep
from race_cli import experiment as ex

SHARE = "downstream.partner_share"
EXCLUSIVE = "partnership.exclusivity"
GRID = [{SHARE: share, EXCLUSIVE: exclusive}
        for share in (0.0, 0.5, 1.0) for exclusive in (False, True)]
SEEDS = list(range(100, 108))
METRICS = ["frontier_capability", "compute_hhi", "incident_prob"]
#: The report analyses fewer metrics than the findings, to stay fast (fewer detail figures).
REPORT_METRICS = ["compute_hhi", "incident_prob"]
EFFECTS = {"frontier_capability": {SHARE: 2.0}, "compute_hhi": {SHARE: 0.1, EXCLUSIVE: -0.05}}
QUESTION = "Do startup partnerships concentrate the industry and speed up the race?"
CONTRASTS = {"half partner": f"{SHARE}=0.5,{EXCLUSIVE}=false",
             "all partner, exclusive": f"{SHARE}=1.0,{EXCLUSIVE}=true"}
BASELINE = f"{SHARE}=0.0,{EXCLUSIVE}=false"


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A synthetic grid with a saturated metric, its findings, findings.md and report."""
    root = tmp_path_factory.mktemp("answer")
    path = write_synthetic_sweep(root / "sweep", GRID, SEEDS, EFFECTS,
                                 fixed={"incident_prob": 1.0}, steps=24)
    sweep = load_sweep(path)
    findings = contrast_findings(sweep, METRICS, BASELINE, CONTRASTS,
                                 n_resamples=199)
    markdown = render("Synthetic partnerships", design_sentence(sweep, "quick"),
                      [findings.section()])
    answer = Answer("Synthetic partnerships", QUESTION, findings,
                    key_figures=KeyFigures(SHARE, EXCLUSIVE, ["compute_hhi", "incident_prob",
                                                              "frontier_capability"]),
                    variant="quick")
    index = build_report(sweep, root / "report", metrics=REPORT_METRICS, baseline=BASELINE,
                         n_resamples=199, answer=answer)
    return {"sweep": sweep, "findings": findings, "markdown": markdown, "index": index,
            "html": index.read_text(encoding="utf-8")}


def _table(html: str, css_class: str) -> str:
    """The HTML of the first table with the given class."""
    start = html.index(f'<table class="{css_class}">')
    return html[start:html.index("</table>", start)]


def _numbers(text: str) -> list[float]:
    """Every number in a text, in order (thousands separators removed)."""
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?",
                                         text.replace(",", " ").replace("&#x27;", "'"))]


def test_first_section_is_question_design_findings_then_details(answered: dict) -> None:
    html = answered["html"]
    order = [html.index(QUESTION), html.index('id="design"'),
             html.index("Quick variant: a full grid of partner share (0, 0.5, 1) x exclusivity "
                        "(off, on): 6 points, each run with the same 8 seeds (100-107) for 24 "
                        "months (2015-2016)."),
             html.index('id="findings"'), html.index('<table class="findings">'),
             html.index('id="key-figures"'), html.index('id="details"')]
    assert order == sorted(order)
    for detail in ('id="not-shown"', 'id="summary"', 'id="effects"', 'id="heatmaps"',
                   'id="timeseries"', 'id="flows"'):
        assert html.index(detail) > order[-1]
    record = [html.index(f'id="{a}"') for a in ("points", "sweep", "provenance")]
    assert record == sorted(record) and record[0] > html.index('id="flows"')
    assert "</header>" in html[order[-2]:order[-1]]


def test_findings_md_and_report_state_the_same_numbers(answered: dict) -> None:
    findings, markdown = answered["findings"], answered["markdown"]
    md_rows = [r for r in markdown.splitlines() if r.startswith("| ") and "---" not in r]
    html_rows = re.findall(r"<tr>(.*?)</tr>", _table(answered["html"], "findings"))
    assert len(md_rows) == len(html_rows) == 1 + len(findings.metrics) == 1 + 2
    for contrast in findings.contrasts:
        assert f"**{contrast.label}**: {contrast.point} (job {contrast.job})" in markdown
        assert f"{contrast.label}<br><span class=\"sub\">{contrast.point}</span>" in html_rows[0]
    for md_row, html_row in zip(md_rows[1:], html_rows[1:], strict=True):
        text = re.sub(r"<[^>]+>", " ", html_row)
        assert _numbers(md_row) == _numbers(text), (md_row, text)
    effect = findings.contrasts[1].effects["compute_hhi"]
    exact = effects_table(answered["sweep"], 0, ["compute_hhi"], jobs=[1, 2, 3, 4, 5],
                          n_resamples=199)
    row = exact[exact["job"] == 5].iloc[0]
    assert (effect.effect, effect.ci_low, effect.ci_high, effect.p_holm) == (
        row["effect"], row["effect_ci_low"], row["effect_ci_high"], row["p_holm"])
    assert effect.n_higher + effect.n_lower == len(SEEDS)
    assert f"{effect.n_higher}/8 higher" in md_rows[2] and effect.effect > 0.02
    assert findings_markdown(findings) in markdown


def test_saturated_metric_is_listed_not_plotted_nor_in_findings(answered: dict) -> None:
    html, findings = answered["html"], answered["findings"]
    assert findings.metrics == ["frontier_capability", "compute_hhi"]
    assert findings.hidden == {
        "incident_prob": "saturated: every run at the upper bound 1 (within 1e-06)"}
    head = html[:html.index('id="details"')]
    assert "Not shown: P(at least one incident) [probability] (incident_prob), saturated" in head
    assert "P(at least one incident)" not in _table(html, "findings")
    drawn = [p.name for p in (answered["index"].parent / "figures").iterdir()]
    assert "key_compute_hhi.png" in drawn and "key_frontier_capability.png" in drawn
    assert not [name for name in drawn if "incident_prob" in name]
    assert "incident_prob" in answered["markdown"].split("| outcome", 1)[1].split("\n- ")[1]


def test_no_job_number_without_its_parameter_values(answered: dict) -> None:
    text = re.sub(r"<[^>]+>", " ", answered["html"])
    text = text[:text.index("Parameter points")]
    hits = list(re.finditer(r"\bjob \d+\b", text))
    assert hits
    for hit in hits:
        window = text[max(0, hit.start() - 120):hit.end() + 120]
        assert "partner share" in window, window
    assert not re.search(r"\bjob \d+\b", answered["markdown"].split("| outcome")[1])


def test_key_figure_draws_effect_bands_per_value_of_a_second_lever(answered: dict) -> None:
    sweep = answered["sweep"]
    assert figures.lever_lines(sweep, SHARE, EXCLUSIVE, 0) == {
        False: [(0.0, 0), (0.5, 2), (1.0, 4)], True: [(0.0, 1), (0.5, 3), (1.0, 5)]}
    table = effects_table(sweep, 0, ["compute_hhi"], n_resamples=199)
    fig = figures.plot_lever_effect(sweep, "compute_hhi", SHARE, 0, EXCLUSIVE, table=table)
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label() in ("off", "on")]
    assert [line.get_label() for line in lines] == ["off", "on"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [0.0, 0.5, 1.0])
    rows = table.set_index("job")
    np.testing.assert_allclose(lines[0].get_ydata(), [0.0, rows.loc[2, "effect"],
                                                      rows.loc[4, "effect"]])
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    top = bands[0].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(rows.loc[4, "effect_ci_high"])
    assert rows.loc[4, "effect_ci_low"] < rows.loc[4, "effect"] < top
    assert any(np.allclose(line.get_ydata(), 0.0) for line in ax.get_lines()
               if line.get_linestyle() == "--")
    assert ax.get_xscale() == "linear" and "partner share" in ax.get_xlabel()
    assert "Effect on Compute concentration (HHI)" in ax.get_ylabel()


def test_log_sampled_lever_gets_a_log_axis(tmp_path: Path) -> None:
    points = [{"scenario.incident_rate": r} for r in (0.001, 0.01, 0.1)]
    sweep = load_sweep(write_synthetic_sweep(tmp_path / "log", points, [1, 2, 3, 4],
                                             {"compute_hhi": {"scenario.incident_rate": 1.0}},
                                             steps=12))
    fig = figures.plot_lever_effect(sweep, "compute_hhi", "scenario.incident_rate", 0,
                                    n_resamples=99)
    assert fig.axes[0].get_xscale() == "log"
    assert default_key_figures(sweep, ["compute_hhi"], 0) == KeyFigures(
        "scenario.incident_rate", None, ["compute_hhi"])


def test_key_figure_of_a_whole_number_lever_has_whole_number_ticks(tmp_path: Path) -> None:
    points = [{"scenario.n_labs": n} for n in (2, 3, 4, 5)]
    sweep = load_sweep(write_synthetic_sweep(tmp_path / "n", points, [1, 2, 3, 4],
                                             {"compute_hhi": {"scenario.n_labs": 0.05}},
                                             steps=12))
    ax = figures.plot_lever_effect(sweep, "compute_hhi", "scenario.n_labs", 0,
                                   n_resamples=99).axes[0]
    low, high = ax.get_xlim()
    shown = [t for t in ax.get_xticks() if low <= t <= high]
    assert shown == [2.0, 3.0, 4.0, 5.0]


def test_design_sentence_of_a_one_seed_design(tmp_path: Path) -> None:
    points = [{SHARE: share} for share in (0.0, 1.0)]
    sweep = load_sweep(write_synthetic_sweep(tmp_path / "one", points, [7], {}, steps=12))
    assert design_sentence(sweep) == (
        "Partner share (0, 1): 2 points, each run with the same seed (7) for 12 months "
        "(2015-2015).")


def test_key_figure_of_options_keeps_the_design_order_and_draws_no_line(tmp_path: Path) -> None:
    """Config-group options have no order: bars in the spec's order, nothing joins them."""
    options = ["none", "safety_floor", "antitrust", "public_compute"]
    points = [{SHARE: 0.5, "governance": option} for option in options]
    sweep = load_sweep(write_synthetic_sweep(tmp_path / "gov", points, [1, 2, 3, 4], {},
                                             steps=12))
    assert figures.lever_lines(sweep, "governance", None, 0) == {
        None: [(option, job) for job, option in enumerate(options)]}
    fig = figures.plot_lever_effect(sweep, "compute_hhi", "governance", 0, n_resamples=99)
    ax = fig.axes[0]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == options
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert [c.get_label() for c in ax.containers] == ["all points"]
    assert all(line.get_linestyle() in ("None", "--") for line in ax.get_lines())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_counts_and_time_left_on_a_terminal() -> None:
    stream = _Terminal()
    steps = Progress(True, 2, prefix="race-experiment", stream=stream)
    steps.plan(3)
    steps.stage("figures")
    assert list(steps.bar(["a", "b", "c"], "fan charts")) == ["a", "b", "c"]
    steps.close()
    text = stream.getvalue()
    assert "race-experiment: [1/2] figures" in text and "3/3 steps" in text
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d", text)
    assert text.rstrip().endswith("s") and "done in" in text
    log = io.StringIO()
    quiet = Progress(True, 1, stream=log)
    quiet.plan(2)
    quiet.stage("tables")
    assert log.getvalue() == "race-analyze: [1/1] tables (0/2 steps done, 0 s)\n"


def test_tables_scroll_inside_the_page(answered: dict) -> None:
    html = answered["html"]
    assert ".scroll { overflow-x: auto" in html
    assert html.count("<table") == html.count('<div class="scroll"><table')


@pytest.mark.parametrize(("key", "message"), [
    ({"lever": "downstream.nope", "metrics": ["compute_hhi"]},
     "analysis.key_figures.lever='downstream.nope': not a swept parameter; swept: "),
    ({"lever": SHARE, "by": SHARE, "metrics": ["compute_hhi"]},
     f"analysis.key_figures.by='{SHARE}': the same as lever"),
    ({"lever": SHARE, "metrics": ["compute_hhi"] * 5},
     "analysis.key_figures.metrics=['compute_hhi', "),
    ({"lever": SHARE, "metrics": ["hhi"]}, "unknown summary metric(s) hhi"),
    ({"lever": SHARE, "metric": ["compute_hhi"]},
     "analysis.key_figures.metric: unknown field; allowed: lever, by, metrics"),
])
def test_bad_key_figures_fail_before_running(key: dict, message: str, tmp_path: Path) -> None:
    spec = ex.load_spec(ex.available()["downstream_partnerships"])
    spec["analysis"]["key_figures"] = key
    with pytest.raises(ex.ExperimentError) as caught:
        ex.validate(ex.resolve(spec, quick=True), tmp_path / "out")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def test_first_screen_holds_question_findings_and_key_figure(answered: dict,
                                                            tmp_path: Path) -> None:
    """Load the report in headless Chromium at 1400 x 1000 px and measure the first screen."""
    if not (CHROMIUM and DRIVER):
        pytest.fail("headless Chromium is required for this test: install the Debian packages "
                    "'chromium' and 'chromium-driver' (apt-get install -y chromium "
                    "chromium-driver; .ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-sync",
                 "--disable-component-update", "--hide-scrollbars",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        driver.get(answered["index"].as_uri())
        height = driver.execute_script("return window.innerHeight")
        width = driver.execute_script("return document.documentElement.clientWidth")
        assert (width, height) == (1400, 1000)

        def top(css: str) -> float:
            return driver.find_element(By.CSS_SELECTOR, css).rect["y"]

        question = driver.find_element(By.ID, "question")
        assert QUESTION in question.text and top("#question") < 200
        table = driver.find_element(By.CSS_SELECTOR, "table.findings")
        assert top("#design") < top("#findings") < top("table.findings")
        assert table.rect["y"] + table.rect["height"] < height
        assert top(".keyfigs img") < height
        assert driver.execute_script(
            "return document.documentElement.scrollWidth") <= width
        shot = tmp_path / "first_screen.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()
