"""The model's architecture (docs/design: architecture.md): arrows, cycles and Mesa structure.

Runtime imports inside ``sim/`` are read from the source with ``ast`` (imports
under ``if TYPE_CHECKING:`` are for annotations only and are skipped), so the
tests see the same graph the interpreter builds.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mesa
import pytest
from mesa.agent import AgentSet

import sim
from sim.agents import Clouds, FrontierLab, Hyperscaler, Labs, TalentPool, TalentPools
from sim.model import PHASES, RaceModel
from sim.populations.startups import Startups
from sim.populations.workforce import Workforce

SIM = Path(sim.__file__).parent


def _module(path: Path) -> str:
    rel = path.relative_to(SIM.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path) -> set[str]:
    """Modules a source file imports when loaded (TYPE_CHECKING blocks and lazy imports skipped)."""
    tree = ast.parse(path.read_text())
    out: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                out.add(node.module)
                out.update(f"{node.module}.{a.name}" for a in node.names)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for child in ("body", "orelse", "finalbody", "handlers"):
                visit(getattr(node, child, []) or [])

    visit(tree.body)
    return out


GRAPH = {_module(p): _runtime_imports(p) for p in SIM.rglob("*.py")}


def _sim_edges(module: str) -> set[str]:
    return {m for m in GRAPH[module] if m in GRAPH and m != module}


def test_no_import_cycle_inside_sim():
    state: dict[str, int] = {}

    def dfs(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in _sim_edges(node):
            if state.get(nxt) == 1:
                pytest.fail(f"import cycle: {' -> '.join([*stack, node, nxt])}")
            if nxt not in state:
                dfs(nxt, [*stack, node])
        state[node] = 2

    for module in GRAPH:
        if module not in state:
            dfs(module, [])


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_sim_imports_nothing_outside_the_model(module):
    forbidden = ("hydra", "omegaconf", "matplotlib", "race_cli", "analysis", "sweeps", "pandas")
    bad = sorted(m for m in GRAPH[module] if m.split(".")[0] in forbidden)
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize(("layer", "banned"), [
    ("sim.markets", ("sim.agents", "sim.populations", "sim.model")),
    ("sim.policies", ("sim.model", "sim.agents", "sim.populations")),
    ("sim.economy", ("sim.model", "sim.agents", "sim.populations")),
    ("sim.metrics", ("sim.model", "sim.agents", "sim.populations", "sim.observation")),
    ("sim.agents", ("sim.model",)),
    ("sim.populations", ("sim.model", "sim.agents")),
])
def test_layers_keep_their_arrows(layer, banned):
    for module in (m for m in GRAPH if m == layer or m.startswith(layer + ".")):
        bad = sorted(m for m in _sim_edges(module) if m.startswith(banned))
        assert not bad, f"{module} imports {bad}"


def test_metrics_read_snapshots_not_the_model():
    """Metrics are pure functions of MonthState / RunRecord: not even a type refers to the model."""
    source = (SIM / "metrics.py").read_text()
    assert "sim.model" not in source and "RaceModel" not in source


def test_model_module_is_an_orchestrator_under_300_lines():
    lines = (SIM / "model.py").read_text().count("\n")
    assert lines < 300, f"sim/model.py has {lines} lines"


def test_step_reads_as_the_nine_phases_in_order():
    source = ast.unparse(next(f for f in ast.walk(ast.parse((SIM / "model.py").read_text()))
                              if isinstance(f, ast.FunctionDef) and f.name == "step"))
    positions = [source.index(repr(phase)) for phase in PHASES]
    assert positions == sorted(positions)


def test_organisations_are_mesa_agents_in_agent_sets(small_params):
    model = RaceModel(small_params, 3)
    assert isinstance(model.labs, Labs) and isinstance(model.labs, AgentSet)
    assert isinstance(model.clouds, Clouds) and isinstance(model.clouds, AgentSet)
    assert isinstance(model.pools, TalentPools) and isinstance(model.pools, AgentSet)
    assert all(isinstance(a, FrontierLab) for a in model.labs)
    assert all(isinstance(a, Hyperscaler) for a in model.clouds)
    assert all(isinstance(a, TalentPool) for a in model.pools)
    registered = {type(a) for a in model.agents}
    assert registered == {FrontierLab, Hyperscaler, TalentPool}
    assert len(model.agents) == len(model.labs) + len(model.clouds) + len(model.pools)
    assert isinstance(model.workforce, Workforce) and isinstance(model.startups, Startups)
    assert isinstance(model, mesa.Model)


def test_step_creates_no_new_model_attributes(small_params):
    model = RaceModel(small_params, 3)
    before = set(vars(model))
    for _ in range(3):
        model.step()
    assert set(vars(model)) == before
