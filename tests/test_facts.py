"""Tests of ``race_cli.facts``: the verdict rule, the quick report and bad arguments."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from race_cli import facts

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("t_expected", "agree", "against", "n", "expected"), [
    (2.0, 15, 5, 20, "holds"),           # both thresholds met exactly
    (1.999, 20, 0, 20, "not shown"),     # t just short
    (2.0, 14, 6, 20, "not shown"),       # 70% agree is short of 75%
    (math.inf, 3, 0, 4, "holds"),
    (-2.0, 0, 15, 20, "reversed"),       # both thresholds met exactly, against
    (-1.999, 0, 20, 20, "not shown"),
    (-2.5, 5, 14, 20, "not shown"),      # 70% against
    (-math.inf, 0, 4, 4, "reversed"),
    (0.0, 0, 0, 20, "not shown"),        # all differences zero
    (math.nan, 0, 0, 0, "not shown"),
])
def test_verdict_rule(t_expected, agree, against, n, expected):
    assert facts.verdict(t_expected, agree, against, n) == expected


@pytest.mark.parametrize(("d", "sign", "t", "agree", "against", "expected"), [
    # mean 1, sd sqrt(0.04 / 3): t = 1 / (sd / 2) = 10 sqrt(3)
    ([0.9, 1.1, 0.9, 1.1], +1, 10 * math.sqrt(3), 4, 0, "holds"),
    ([0.9, 1.1, 0.9, 1.1], -1, 10 * math.sqrt(3), 0, 4, "reversed"),
    # mean 0: t = 0
    ([1.0, -1.0, 1.0, -1.0], +1, 0.0, 2, 2, "not shown"),
    # 3 of 4 agree (75%), mean 0.5, sd 1: t = 0.5 / (1 / 2) = 1 -> t too small
    ([1.0, 1.0, 1.0, -1.0], +1, 1.0, 3, 1, "not shown"),
    # large t but only 3 of 5 agree (60%)
    ([10.0, 10.0, 10.0, -0.5, -0.5], +1, None, 3, 2, "not shown"),
    # all equal and non-zero: t = inf
    ([2.0, 2.0, 2.0], +1, math.inf, 3, 0, "holds"),
    ([0.0, 0.0, 0.0], -1, 0.0, 0, 0, "not shown"),
])
def test_paired_stats_on_hand_made_differences(d, sign, t, agree, against, expected):
    s = facts.paired_stats([0.0] * len(d), d, sign)
    assert s.n == len(d)
    assert s.mean_diff == pytest.approx(sum(d) / len(d))
    if t is not None:
        assert s.t == pytest.approx(t)
    assert (s.agree, s.against, s.verdict) == (agree, against, expected)
    assert s.ci_low <= s.mean_diff <= s.ci_high
    assert min(d) <= s.ci_low and s.ci_high <= max(d)


def test_paired_stats_skips_undefined_seeds_and_is_reproducible():
    low = [0.0, 0.0, math.nan, 0.0]
    high = [1.0, 2.0, 5.0, 3.0]
    first, again = facts.paired_stats(low, high, +1), facts.paired_stats(low, high, +1)
    assert first == again
    assert first.n == 3 and first.mean_diff == pytest.approx(2.0)
    short = facts.paired_stats([0.0, math.nan], [1.0, 1.0], +1)
    assert short.n == 1 and math.isnan(short.t) and short.verdict == "not shown"


ROW = re.compile(r"^\| (\d) \| (.+?) \| `(\w+)` \| ([+-]) \| (.+?) \| (.+?) \| (.+?) \| "
                 r"\[(.+?), (.+?)\] \| (.+?) \| (\d+)/(\d+) \| (.+?) \|$")


def test_quick_report_has_every_configuration_and_fact(tmp_path, capsys):
    out = tmp_path / "facts.md"
    assert facts.main(["--quick", "--workers", "2", "--out", str(out)]) == 0
    report = out.read_text(encoding="utf-8")
    assert capsys.readouterr().out == report
    sections = re.split(r"^## Configuration `(\w+)`", report, flags=re.MULTILINE)
    names = sections[1::2]
    assert names == [c.name for c in facts.CONFIGS]
    for body in sections[2::2]:
        assert "12 months" in body and "2,000 researchers" in body
        rows = [ROW.match(line) for line in body.splitlines() if line.startswith("| ")
                and line[2].isdigit()]
        assert rows and all(rows)
        got = {(int(r[1]), r[3]) for r in rows}
        want = {(f.number, m) for f in facts.FACTS for c in f.contrasts for m, _ in c.metrics}
        assert got == want
        assert {n for n, _ in got} == {1, 2, 3, 4, 5, 6}
        for r in rows:
            for value in (r[5], r[6], r[7], r[8], r[9]):
                assert math.isfinite(float(value)), r[0]
            assert not math.isnan(float(r[10])), r[0]
            assert int(r[12]) == facts.QUICK_SEEDS and int(r[11]) <= int(r[12])
            assert r[13] in facts.VERDICTS
    summary = report.split("## Summary", 1)[1].split("## Configuration", 1)[0]
    for f in facts.FACTS:
        assert summary.count(f"- **Fact {f.number}**") == 1


@pytest.mark.parametrize("argv", [
    ["--seeds", "1"], ["--seeds", "0"], ["--seeds", "two"], ["--workers", "0"],
    ["--configs", "default,huge"], ["--configs", ","], ["--out", "/no/such/folder/facts.md"],
    ["--unknown"],
])
def test_bad_arguments_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        facts.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_module_entry_point_exits_2_on_bad_argument(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "race_cli.facts", "--seeds", "1"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert result.stdout == ""
