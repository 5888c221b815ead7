"""Writers of run and job files: cell formatting, atomic writes, deterministic gzip, provenance."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest

from race_cli import outputs
from sweeps import store


@pytest.mark.parametrize(
    ("value", "cell"),
    [(None, ""), (math.nan, ""), (np.float64("nan"), ""), (0.1, "0.1"), (np.float64(1 / 3),
     "0.3333333333333333"), (np.int64(7), "7"), (3, "3"), (True, "True"), (1e-300, "1e-300")],
)
def test_cells_keep_full_precision_and_leave_undefined_empty(value, cell):
    assert outputs.cell(value) == cell


def test_json_values_are_plain_and_finite():
    assert outputs.json_value(np.float32(0.5)) == 0.5
    assert outputs.json_value(math.inf) is None
    assert isinstance(outputs.json_value(np.int64(2)), int)


def test_csv_text_has_header_and_unix_lines():
    text = outputs.csv_text(("a", "b"), [(1, None), (0.25, "x,y")])
    assert text == 'a,b\n1,\n0.25,"x,y"\n'


def test_atomic_writes_replace_whole_files_and_clean_up(tmp_path):
    target = tmp_path / "f.json"
    outputs.atomic_write_json(target, {"x": 1})
    assert json.loads(target.read_text()) == {"x": 1}
    with pytest.raises(ValueError):
        outputs.atomic_write_json(target, {"x": math.nan})
    assert json.loads(target.read_text()) == {"x": 1}, "a failed write keeps the old file"
    with pytest.raises(RuntimeError), outputs.atomic_writer(tmp_path / "g.csv") as handle:
        handle.write("partial")
        raise RuntimeError("interrupted")
    assert not (tmp_path / "g.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"], "no temporary files left"


def test_gzip_is_deterministic_and_round_trips():
    data = outputs.gzip_bytes("seed,step\n1,0\n")
    assert data == outputs.gzip_bytes("seed,step\n1,0\n")
    assert gzip.decompress(data) == b"seed,step\n1,0\n"


def test_git_revision_is_none_outside_a_git_checkout(tmp_path):
    assert store._git_revision(Path(tmp_path)) is None
    env = outputs.environment()
    assert env["python"].count(".") == 2
    assert set(store.PACKAGES) == set(env["packages"])
