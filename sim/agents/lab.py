"""Frontier labs: train models, set safety and openness, hire researchers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.agents.hyperscaler import Contract, Hyperscaler


class FrontierLab(mesa.Agent):
    """A frontier AI lab, independent or the in-house lab of a hyperscaler.

    Attributes:
        org_id: Organisation id (row of the model's organisation table and ledger).
        name: Display name.
        capability_oom: Capability ``C``: log10 of the largest effective training run (FLOP).
        alg_eff_oom: Algorithmic efficiency ``log10 A``.
        compute_h100e: Compute used this month (H100e).
        safety: Safety share ``s`` in [0, 1].
        openness: Openness ``o`` in [0, 1].
        s_base: Base safety orientation.
        o_base: Base openness.
        enmity: Enmity ``e`` toward rivals in [0, 1].
        owner: Owning hyperscaler for in-house labs, else None.
        contract: Active upstream deal, or None.
        partner_equity: Equity share held by hyperscaler partners in [0, 1].
        revenue_usd: Revenue this month (USD/month), and its downstream part.
        pressure: Race pressure of the last decision.
        trust: Customers' trust in [0, 1]: the share of its customers a lab keeps
            after incidents; it recovers over time.
        standing: Investors' standing in [0, 1]: a factor on the lab's valuation
            that incidents cut; it recovers at the rate of trust.
        costs_usd: Salaries and compute paid this month (USD/month).
    """

    def __init__(self, model: mesa.Model, org_id: int, name: str, capability_oom: float,
                 alg_eff_oom: float, s_base: float, o_base: float, enmity: float,
                 owner: Hyperscaler | None) -> None:
        super().__init__(model)
        self.org_id = org_id
        self.name = name
        self.capability_oom = capability_oom
        self.alg_eff_oom = alg_eff_oom
        self.compute_h100e = 0.0
        self.s_base = s_base
        self.o_base = o_base
        self.safety = s_base
        self.openness = o_base
        self.enmity = enmity
        self.owner = owner
        self.contract: Contract | None = None
        self.partner_equity = 0.0
        self.revenue_usd = 0.0
        self.downstream_revenue_usd = 0.0
        self.pressure = 0.0
        self.trust = 1.0
        self.standing = 1.0
        self.costs_usd = 0.0

    @property
    def independent(self) -> bool:
        """Whether the lab is not a hyperscaler's in-house lab."""
        return self.owner is None

    @property
    def commercial(self) -> float:
        """Share of this month's revenue that comes from downstream partners and API users."""
        if self.revenue_usd <= 0.0:
            return 0.0
        return min(1.0, self.downstream_revenue_usd / self.revenue_usd)

    @property
    def investor_pressure(self) -> float:
        """Investor pressure in [0, 1]: mean of partner equity share and commercial dependence."""
        return 0.5 * (self.partner_equity + self.commercial)
