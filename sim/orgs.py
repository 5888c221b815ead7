"""The organisation table: one row per organisation, columns as numpy arrays.

Labs, clouds, startups and talent pools each have an organisation id (a row
here and an account in the :class:`sim.economy.ledger.Ledger`). The vectorised
markets read and write these columns; startups keep all their numeric state
here. Rows of dead startups stay (``alive`` false) so that ids never change.
"""

from __future__ import annotations

import numpy as np

#: Organisation kinds.
ACADEMIA, LAB, STARTUP, HYPERSCALER = 0, 1, 2, 3
#: Access modes of a startup's models (model-spec "Startup"), the ``mode`` column.
OPEN, API, PARTNER = 0, 1, 2
ACCESS_MODES = ("open", "api", "partner")
#: Founders' origin of a startup, the ``origin`` column.
ORIGIN_OTHER, ORIGIN_ACADEMIA, ORIGIN_LAB = 0, 1, 2

_COLUMNS: dict[str, tuple[type, float]] = {
    "kind": (np.int64, -1),
    "flow_kind": (np.int64, -1),
    "alive": (np.bool_, False),
    "salary_usd": (np.float64, 0.0),
    "compute_h100e": (np.float64, 0.0),
    "prestige": (np.float64, 0.0),
    "safety": (np.float64, 0.0),
    "openness": (np.float64, 0.0),
    "vacancies": (np.float64, 0.0),
    "valuation_usd": (np.float64, 0.0),
    "valuation_growth": (np.float64, 1.0),
    "revenue_usd": (np.float64, 0.0),
    "mode": (np.int64, -1),
    "partner_lab": (np.int64, -1),
    "partner_cloud": (np.int64, -1),
    "cloud": (np.int64, -1),
    "api_lab": (np.int64, -1),
    "quality_oom": (np.float64, 0.0),
    "initial": (np.bool_, False),
    "origin": (np.int64, -1),
    "born_step": (np.int64, -1),
    "headcount": (np.int64, 0),
    "skill_sum": (np.float64, 0.0),
    "staff": (np.float64, 0.0),
    "skill_mass": (np.float64, 0.0),
}


class Orgs:
    """Columns of the organisation table (see module docstring).

    Attributes:
        kind: ``ACADEMIA``, ``LAB``, ``STARTUP`` or ``HYPERSCALER``.
        flow_kind: Index into :data:`sim.results.FLOW_KINDS` (in-house labs count as
            ``hyperscaler``).
        alive: False for dead or acquired startups.
        salary_usd: Salary level offered (USD/year): the mean pay; a researcher earns
            ``level * skill^el / E[skill^el]``.
        compute_h100e: Compute used this month (H100e).
        prestige: Prestige in [0, 1].
        safety: Safety share seen by researchers in [0, 1].
        openness: Openness seen by researchers in [0, 1].
        vacancies: Open positions this month.
        valuation_usd: Valuation (USD).
        valuation_growth: This month's valuation ratio (clipped), applied to staff equity.
        revenue_usd: Revenue this month (USD/month).
        mode: Startup access mode (``OPEN``, ``API`` or ``PARTNER``).
        partner_lab: Startup's partner lab (org id, -1 = none).
        partner_cloud: Startup's partner cloud (provider index, -1 = none).
        cloud: Startup's cloud provider (provider index).
        api_lab: Lab whose API or partnership supplies the startup's models (org id).
        quality_oom: Startup product quality (OOM).
        initial: Startup present at the start of the run.
        origin: Startup founders' origin (``ORIGIN_*``).
        born_step: Month a startup was founded (-1 for startups present at the start).
        headcount: Simulated researchers (workforce rows) employed (recomputed each month).
        skill_sum: Sum of employees' skill over rows (recomputed each month).
        staff: People employed: headcount times the people each row stands for.
        skill_mass: Skill summed over people: skill_sum times the people per row.
    """

    kind: np.ndarray
    flow_kind: np.ndarray
    alive: np.ndarray
    salary_usd: np.ndarray
    compute_h100e: np.ndarray
    prestige: np.ndarray
    safety: np.ndarray
    openness: np.ndarray
    vacancies: np.ndarray
    valuation_usd: np.ndarray
    valuation_growth: np.ndarray
    revenue_usd: np.ndarray
    mode: np.ndarray
    partner_lab: np.ndarray
    partner_cloud: np.ndarray
    cloud: np.ndarray
    api_lab: np.ndarray
    quality_oom: np.ndarray
    initial: np.ndarray
    origin: np.ndarray
    born_step: np.ndarray
    headcount: np.ndarray
    skill_sum: np.ndarray
    staff: np.ndarray
    skill_mass: np.ndarray

    def __init__(self, capacity: int) -> None:
        self.size = 0
        for name, (dtype, fill) in _COLUMNS.items():
            setattr(self, name, np.full(max(capacity, 1), fill, dtype=dtype))

    def add(self, n: int, kind: int, flow_kind: int) -> np.ndarray:
        """Append ``n`` organisations of one kind and return their ids."""
        start = self.size
        if start + n > self.kind.size:
            new_cap = max(start + n, 2 * self.kind.size)
            for name, (dtype, fill) in _COLUMNS.items():
                old = getattr(self, name)
                arr = np.full(new_cap, fill, dtype=dtype)
                arr[:start] = old[:start]
                setattr(self, name, arr)
        ids = np.arange(start, start + n)
        self.kind[ids] = kind
        self.flow_kind[ids] = flow_kind
        self.alive[ids] = True
        self.size = start + n
        return ids

    def set_valuation_growth(self, ids: np.ndarray, old_usd: np.ndarray, clip: float) -> None:
        """This month's valuation ratio of ``ids`` against ``old_usd``, clipped to ``1 +- clip``.

        Other organisations (and those without an old valuation) get 1. A ratio
        that overflows (a tiny old valuation) is infinite and clipped like any other.
        """
        self.valuation_growth[: self.size] = 1.0
        with np.errstate(over="ignore"):
            ratio = np.divide(self.valuation_usd[ids], old_usd[ids], out=np.ones(ids.size),
                              where=old_usd[ids] > 0)
        self.valuation_growth[ids] = np.clip(ratio, 1.0 - clip, 1.0 + clip)

    def ids(self, kind: int, alive_only: bool = True) -> np.ndarray:
        """Ids of organisations of ``kind`` (alive ones only by default)."""
        sel = self.kind[: self.size] == kind
        if alive_only:
            sel &= self.alive[: self.size]
        return np.flatnonzero(sel)
