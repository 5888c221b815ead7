"""Per-month accounting snapshots of a run, for the conservation tests.

With ``RaceModel(..., audit=True)`` every month records cash, flows,
headcounts and compute before and after the step, so tests can check that
money, researchers and compute are conserved month by month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.results import FLOW_KINDS

if TYPE_CHECKING:
    from sim.agents.cloud import ComputeSale
    from sim.model import RaceModel


class Auditor:
    """Records one snapshot per month in ``records``.

    Args:
        model: The model to audit.
    """

    def __init__(self, model: RaceModel) -> None:
        self.model = model
        self.records: list[dict] = []
        self._before: dict = {}

    def _headcount(self) -> tuple[np.ndarray, int]:
        m = self.model
        wf = m.workforce
        return (np.bincount(m.orgs.flow_kind[wf.employer[: wf.size]], minlength=len(FLOW_KINDS)),
                wf.size)

    def before(self) -> None:
        """Snapshot the state at the start of a month."""
        m = self.model
        heads, active = self._headcount()
        self._before = {"cash": m.ledger.cash_usd[: m.orgs.size].copy(),
                        "total": m.ledger.total_usd(), "headcount": heads, "active": active}

    def after(self, sale: ComputeSale) -> None:
        """Record the month against the snapshot taken by :meth:`before`."""
        m, b = self.model, self._before
        heads, active = self._headcount()
        n = m.orgs.size
        self.records.append({
            "step": m.t,
            "cash_before": b["cash"],
            "cash_after": m.ledger.cash_usd[:n].copy(),
            "inflow": m.ledger.inflow_usd[:n].copy(),
            "outflow": m.ledger.outflow_usd[:n].copy(),
            "n_before": b["cash"].size,
            "total_before": b["total"],
            "total_after": m.ledger.total_usd(),
            "external_after": m.ledger.external_usd.copy(),
            "headcount_before": b["headcount"],
            "headcount_after": heads,
            "flows": m.flows.month.copy(),
            "active_before": b["active"],
            "active_after": active,
            "capacity": m.clouds.capacities(),
            "allocated": (sale.priority_h100e + sale.spot_h100e).sum(axis=0),
        })
