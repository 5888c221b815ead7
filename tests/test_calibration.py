"""Simulated method of moments: exact objective, and recovery on a known toy model."""

from dataclasses import dataclass

import pytest

from sim.calibration import FreeParam, Target, fit, objective_value, simulated_moments
from sim.params import ParamError, SimParams


@dataclass
class _Toy:
    summary: dict


def _toy_run(params: SimParams, seed: int) -> _Toy:
    """A deterministic 'model' whose moments are known functions of two parameters."""
    x = params.capital.hype_elasticity
    y = params.talent.b_wage
    return _Toy({"a": 2.0 * x + 0.001 * seed, "b": y * y, "c": None})


def test_objective_value_is_sum_of_squared_standardised_deviations():
    targets = [Target("a", 1.0, 0.5), Target("b", 0.0, 2.0)]
    assert objective_value({"a": 2.0, "b": 1.0}, targets) == pytest.approx(4.0 + 0.25)
    assert objective_value({"a": float("nan"), "b": 1.0}, targets) == float("inf")


def test_simulated_moments_average_over_seeds_and_map_none_to_nan():
    m = simulated_moments(SimParams(), ["a", "c"], [0, 2], _toy_run)
    assert m["a"] == pytest.approx(2.0 * SimParams().capital.hype_elasticity + 0.001)
    assert m["c"] != m["c"]


def test_fit_recovers_known_parameters():
    targets = [Target("a", 0.6, 0.01), Target("b", 2.25, 0.01)]
    free = [FreeParam("capital.hype_elasticity", 0.0, 1.0), FreeParam("talent.b_wage", 0.5, 3.0)]
    res = fit(SimParams(), free, targets, [0], _toy_run, max_evaluations=200)
    assert res.values["capital.hype_elasticity"] == pytest.approx(0.3, abs=1e-3)
    assert res.values["talent.b_wage"] == pytest.approx(1.5, abs=1e-3)
    assert res.objective < 1e-2 < res.start_objective
    assert res.n_evaluations == len(res.history) <= 200 + 2


@pytest.mark.parametrize("budget", [3, 6, 10, 13])
def test_fit_returns_the_best_point_evaluated_when_the_budget_runs_out(budget):
    """On these budgets Powell stops at a point worse than one it evaluated earlier."""
    targets = [Target("a", 0.6, 0.01), Target("b", 2.25, 0.01)]
    free = [FreeParam("capital.hype_elasticity", 0.0, 1.0), FreeParam("talent.b_wage", 0.5, 3.0)]
    res = fit(SimParams(), free, targets, [0], _toy_run, max_evaluations=budget)
    best_values, best_objective = min(res.history, key=lambda entry: entry[1])
    assert res.objective == best_objective < res.start_objective
    assert res.values == best_values
    at = {"a": 2.0 * best_values["capital.hype_elasticity"],
          "b": best_values["talent.b_wage"] ** 2}
    assert res.moments["a"] == pytest.approx(at["a"]) and res.moments["b"] == pytest.approx(at["b"])


def test_fit_rejects_empty_bounds_and_unknown_keys():
    with pytest.raises(ParamError, match="empty"):
        fit(SimParams(), [FreeParam("talent.b_wage", 1.0, 1.0)], [Target("b", 1, 1)], [0],
            _toy_run)
    with pytest.raises(ParamError, match="unknown"):
        fit(SimParams(), [FreeParam("talent.nope", 0.0, 1.0)], [Target("b", 1, 1)], [0],
            _toy_run)
