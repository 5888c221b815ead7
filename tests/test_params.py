"""Parameter validation: clear errors before simulating, metadata, policy registries."""

from __future__ import annotations

import dataclasses
import re
import typing

import pytest

from sim import policies
from sim.params import (
    ParamError,
    SimParams,
    from_dict,
    iter_fields,
    projected_workforce_rows,
    replace,
    to_dict,
)
from sim.policies import DOWNSTREAM, SAFETY


@pytest.mark.parametrize(
    ("data", "key", "value", "allowed"),
    [
        ({"talent": {"candidates": "many"}}, "talent.candidates", "'many'", "integer"),
        ({"talent": {"candidates": 2.5}}, "talent.candidates", "2.5", "integer"),
        ({"steps": True}, "steps", "True", "integer"),
        ({"capital": {"hype_elasticity": "high"}}, "capital.hype_elasticity", "'high'", "number"),
        ({"partnership": {"enabled": "yes"}}, "partnership.enabled", "'yes'", "boolean"),
        ({"capital": {"hype_elasticity": float("nan")}}, "capital.hype_elasticity", "nan",
         "finite"),
        ({"talent": 5}, "talent", "5", "mapping"),
    ],
)
def test_wrong_type_names_key_value_and_expected_type(data, key, value, allowed):
    with pytest.raises(ParamError) as err:
        from_dict(data)
    msg = str(err.value)
    assert f"{key}={value}" in msg
    assert allowed in msg


@pytest.mark.parametrize(
    ("data", "key", "value", "allowed"),
    [
        ({"scenario": {"n_startups": -1}}, "scenario.n_startups", "-1", ">= 0"),
        ({"scenario": {"n_researchers": -5}}, "scenario.n_researchers", "-5", ">= 1"),
        ({"scenario": {"n_labs": 0}}, "scenario.n_labs", "0", ">= 1"),
        ({"steps": 0}, "steps", "0", ">= 1"),
        ({"seed": -1}, "seed", "-1", ">= 0"),
        ({"labs": {"train_share": 0.0}}, "labs.train_share", "0.0", "> 0.0"),
    ],
)
def test_negative_or_zero_counts_are_rejected(data, key, value, allowed):
    with pytest.raises(ParamError) as err:
        from_dict(data)
    msg = str(err.value)
    assert f"{key}={value}" in msg
    assert allowed in msg


@pytest.mark.parametrize(
    ("section", "name", "value"),
    [
        ("downstream", "partner_share", 1.5),
        ("downstream", "partner_share", -0.1),
        ("governance", "safety_floor", 2.0),
        ("talent", "search_rate_per_month", -0.01),
        ("partnership", "offer_prob_per_month", 1.0001),
    ],
)
def test_probability_outside_unit_interval_is_rejected(section, name, value):
    with pytest.raises(ParamError) as err:
        from_dict({section: {name: value}})
    msg = str(err.value)
    assert f"{section}.{name}={value!r}" in msg
    assert ">= 0.0" in msg and "<= 1.0" in msg


@pytest.mark.parametrize(
    ("section", "name", "choices"),
    [
        ("safety", "mode", ("heuristic", "best_response")),
        ("downstream", "mode", ("share", "profit")),
        ("safety", "br_information", ("none", "public")),
        ("clouds", "spot_allocation", ("proportional", "wtp")),
    ],
)
def test_unknown_choice_name_lists_allowed_names(section, name, choices):
    with pytest.raises(ParamError) as err:
        from_dict({section: {name: "nope"}})
    msg = str(err.value)
    assert f"{section}.{name}='nope'" in msg
    for choice in choices:
        assert choice in msg


@pytest.mark.parametrize(
    ("data", "key", "allowed"),
    [
        ({"talent": {"candidatez": 3}}, "talent.candidatez", ("candidates", "switching_cost")),
        ({"stepz": 3}, "stepz", ("steps", "seed", "talent")),
    ],
)
def test_unknown_key_names_the_key_and_the_allowed_keys(data, key, allowed):
    with pytest.raises(ParamError) as err:
        from_dict(data)
    msg = str(err.value)
    assert key in msg
    for name in allowed:
        assert name in msg


@pytest.mark.parametrize(
    ("data", "key", "value"),
    [
        ({"talent": {"candidatez": 3}}, "talent.candidatez", "3"),
        ({"stepz": 7}, "stepz", "7"),
    ],
)
def test_unknown_key_message_names_the_value(data, key, value):
    """Issue 2 and the ``sim.params`` docstring: bad input names the key, the value and the rule.

    The unknown-key message of ``from_dict`` names the key and the allowed keys
    but not the value given (``sim/params.py``, ``_build``).
    """
    with pytest.raises(ParamError) as err:
        from_dict(data)
    assert f"{key}={value}" in str(err.value)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"scenario": {"n_labs": 2, "n_inhouse_labs": 3}}, "scenario.n_inhouse_labs=3"),
        ({"scenario": {"n_big_clouds": 0}}, "scenario.n_inhouse_labs=2"),
        ({"scenario": {"n_big_clouds": 0, "n_alt_clouds": 0, "n_inhouse_labs": 0}},
         "at least one cloud"),
        ({"capital": {"lab_capital_share": 0.9, "alt_cloud_capital_share": 0.2}},
         "capital.lab_capital_share=0.9"),
    ],
)
def test_cross_checks_between_parameters(data, fragment):
    with pytest.raises(ParamError, match=re.escape(fragment)):
        from_dict(data)


def test_defaults_validate_and_round_trip():
    default = SimParams()
    assert from_dict({}) == default
    assert from_dict(to_dict(default)) == default
    assert from_dict({"steps": 12.0}).steps == 12
    edge = from_dict({"scenario": {"n_labs": 1, "n_inhouse_labs": 0, "n_startups": 0,
                                   "n_alt_clouds": 0}})
    assert edge.scenario.n_labs == 1 and edge.scenario.n_big_clouds == 3


def test_replace_returns_a_validated_copy():
    base = SimParams()
    new = replace(base, downstream__partner_share=0.9, steps=24, safety__mode="best_response")
    assert (new.downstream.partner_share, new.steps, new.safety.mode) == (0.9, 24, "best_response")
    assert base.downstream.partner_share == 0.3 and base.steps == 120
    assert new.talent == base.talent
    with pytest.raises(ParamError, match=re.escape("downstream.partner_share=2")):
        replace(base, downstream__partner_share=2)
    with pytest.raises(ParamError, match=re.escape("talent.nope")):
        replace(base, talent__nope=1)
    with pytest.raises(ParamError, match=re.escape("nope.x")):
        replace(base, nope__x=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.steps = 3


def test_every_field_has_unit_and_source_metadata():
    fields = list(iter_fields())
    assert len(fields) > 100
    for key, default, meta in fields:
        assert set(meta) >= {"unit", "lo", "hi", "choices", "source"}, key
        assert meta["source"].strip(), f"{key} has no source"
        if isinstance(default, int | float) and not isinstance(default, bool):
            assert meta["unit"].strip(), f"{key} has no unit"
        if isinstance(default, str) and key != "scenario.name":
            assert meta["choices"] and default in meta["choices"], key
        if meta["lo"] is not None:
            assert default >= meta["lo"], key
        if meta["hi"] is not None:
            assert default <= meta["hi"], key


def _leaf_types(cls: type, prefix: str = "") -> typing.Iterator[tuple[str, type]]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        if dataclasses.is_dataclass(hints[f.name]):
            yield from _leaf_types(hints[f.name], key)
        else:
            yield key, hints[f.name]


def test_every_leaf_is_a_typed_scalar_whose_default_has_that_type():
    types = dict(_leaf_types(SimParams))
    defaults = {key: default for key, default, _ in iter_fields()}
    assert types.keys() == defaults.keys()
    for key, tp in types.items():
        assert tp in (int, float, str, bool), key
        assert type(defaults[key]) is tp, key


def _choices(key: str) -> tuple[str, ...]:
    return next(meta["choices"] for k, _, meta in iter_fields() if k == key)


def test_policy_choices_equal_registry_names():
    assert sorted(_choices("safety.mode")) == sorted(SAFETY.names())
    assert sorted(_choices("downstream.mode")) == sorted(DOWNSTREAM.names())


@pytest.mark.parametrize("registry", [SAFETY, DOWNSTREAM])
def test_unknown_policy_name_lists_known_names(registry: policies.Registry):
    with pytest.raises(ParamError) as err:
        registry.get("nope")
    msg = str(err.value)
    assert f"{registry.key}='nope'" in msg
    for name in registry.names():
        assert name in msg
    for name in registry.names():
        assert callable(registry.get(name))


def test_a_workforce_that_would_outgrow_memory_is_refused_before_simulating():
    """A million rows with five graduates a year per initial researcher pass 1e7 rows in
    the second year: refused before simulating, naming the key (before this check a
    held-out configuration reached 8.5 million rows in month 95 and 24 GB)."""
    data = {"scenario": {"n_researchers": 1_000_000}, "talent": {"graduate_rate_per_year": 5.0}}
    with pytest.raises(ParamError, match=r"talent\.graduate_growth_per_year=0\.08: .* allowed: "
                                         r"at most 10,000,000"):
        from_dict({**data, "steps": 120})
    assert from_dict({**data, "steps": 12}).steps == 12


def test_projected_workforce_follows_the_expected_demography():
    """Exact recursion: one month of the default demography from 20,000 rows."""
    params = from_dict({"steps": 1})
    rows, month = projected_workforce_rows(params)
    assert month == 1
    assert rows == pytest.approx(20_000 * (1 - 0.03 / 12) + 0.08 / 12 * 20_000, rel=1e-15)
    # No graduates and some retirement: the peak is the start.
    quiet = from_dict({"steps": 60, "talent": {"graduate_rate_per_year": 0.0}})
    assert projected_workforce_rows(quiet) == (20_000.0, 0)


def test_a_talent_market_too_large_for_memory_is_refused():
    """Rows times (candidates + 1) options bound the talent market's arrays."""
    with pytest.raises(ParamError, match=r"talent\.candidates=1000: .* allowed: at most "
                                         r"90,000,000"):
        from_dict({"scenario": {"n_researchers": 1_000_000}, "talent": {"candidates": 1000}})
    assert from_dict({"scenario": {"n_researchers": 1_000_000}}).talent.candidates == 8
