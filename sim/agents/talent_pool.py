"""Academic talent pools: employ faculty and students, graduate PhDs, pay, publish.

A :class:`TalentPool` is one academic system; :class:`TalentPools` is the Mesa
``AgentSet`` of all of them, which share the government's academic budget
(salaries and compute) in proportion to headcount (docs/model.md §7.5, §7.9,
§7.13-7.14, §7.18).
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa.agent import AgentSet

from sim.economy.ledger import GOVERNMENT, Ledger
from sim.orgs import Orgs
from sim.params import SimParams


class TalentPool(mesa.Agent):
    """An academic system (model-spec "TalentPool").

    Attributes:
        org_id: Organisation id.
        name: Display name.
        weight: Share of graduates and initial academics it holds.
        output_oom: Research output last month (OOM of public knowledge added).
    """

    def __init__(self, model: mesa.Model, org_id: int, name: str, weight: float) -> None:
        super().__init__(model)
        self.org_id = org_id
        self.name = name
        self.weight = weight
        self.output_oom = 0.0


class TalentPools(AgentSet):
    """The talent pools, in pool order (a Mesa ``AgentSet``).

    Attributes:
        members: Pools in pool order.
        org_ids: Organisation id of each pool.
        weights: Each pool's share of graduates.
    """

    def __init__(self, pools: list[TalentPool], p: SimParams) -> None:
        super().__init__(pools)
        self._p = p
        self.members = tuple(pools)
        self.org_ids = np.array([x.org_id for x in pools], dtype=np.int64)
        self.weights = np.array([x.weight for x in pools])

    def budget_share(self, orgs: Orgs) -> np.ndarray:
        """Each pool's share of the academic budget: its share of academic headcount."""
        return orgs.headcount[self.org_ids] / max(int(orgs.headcount[self.org_ids].sum()), 1)

    def set_pay(self, orgs: Orgs, budget_usd: float) -> None:
        """Academic pay: the salary parameter, less when the budget per head is lower (USD/yr)."""
        head = np.maximum(orgs.staff[self.org_ids], 1.0)
        per_head = budget_usd * 12.0 / max(int(head.sum()), 1)
        orgs.salary_usd[self.org_ids] = min(self._p.talent.academic_salary_usd, per_head)

    def vacancies(self, orgs: Orgs, budget_usd: float, salary_bill_usd: np.ndarray) -> np.ndarray:
        """Open positions in people: hiring share of staff, within the budget's room (§7.13)."""
        ids = self.org_ids
        room = np.divide(np.maximum(budget_usd * self.budget_share(orgs) - salary_bill_usd[ids],
                                    0.0),
                         orgs.salary_usd[ids] / 12.0, out=np.zeros(ids.size),
                         where=orgs.salary_usd[ids] > 0)
        return np.minimum(self._p.talent.academic_hiring_share / 12.0 * orgs.staff[ids] + 1.0,
                          room)

    def compute_request(self, orgs: Orgs, budget_usd: float, salary_bill_usd: np.ndarray,
                        month_price: np.ndarray, cheaper: float) -> tuple[np.ndarray, np.ndarray]:
        """Compute each pool asks for (H100e): what it affords per head, plus public compute.

        Args:
            orgs: The organisation table.
            budget_usd: Academic budget this month (USD/month).
            salary_bill_usd: Salary bill per organisation (USD/month).
            month_price: Monthly price at each pool's provider (USD per H100e-month).
            cheaper: Hardware cost at the start over today's (compute per head grows with it).

        Returns:
            Compute asked for (H100e) and the share of it that is public compute.
        """
        ids, p = self.org_ids, self._p
        affordable = np.maximum(budget_usd * self.budget_share(orgs) - salary_bill_usd[ids],
                                0.0) / month_price
        base = np.minimum(orgs.staff[ids] * p.talent.academic_compute_h100e_per_head * cheaper,
                          affordable)
        public = orgs.staff[ids] * p.governance.public_compute_h100e_per_academic
        share = np.divide(public, base + public, out=np.zeros(ids.size), where=base + public > 0)
        return base + public, share

    def draw_grants(self, ledger: Ledger, orgs: Orgs, budget_usd: float,
                    salary_bill_usd: np.ndarray, compute_bill_usd: np.ndarray,
                    public_share: np.ndarray) -> None:
        """The government pays salaries and compute within the budget; public compute on top.

        ``public_share`` is each pool's share of compute that is public compute
        (from :meth:`compute_request`).
        """
        ids = self.org_ids
        public = public_share * compute_bill_usd
        grant = np.minimum(salary_bill_usd[ids] + compute_bill_usd - public,
                           budget_usd * self.budget_share(orgs))
        ledger.transfer(GOVERNMENT, ids, grant, "academic_funding")
        ledger.transfer(GOVERNMENT, ids, public, "public_compute")

    def publish(self, orgs: Orgs, lag_oom: float) -> np.ndarray:
        """Academic output (OOM/month) from skill, compute per head and the public stock (§7.5).

        ``rate (skill (compute/head + 1e-3) / ref)^returns 10^(-k lag)``: output
        falls as the public stock lags the labs' algorithms by ``lag_oom``.
        """
        kp, ids = self._p.knowledge, self.org_ids
        acad_input = orgs.skill_mass[ids] * (orgs.compute_h100e[ids] / np.maximum(
            orgs.staff[ids], 1.0) + 1e-3)
        out = (kp.academic_rate_oom_per_month * (acad_input / kp.academic_ref_compute_h100e)
               ** kp.academic_returns * 10.0 ** (-kp.academic_public_elasticity * lag_oom))
        for pool, x in zip(self.members, out, strict=True):
            pool.output_oom = float(x)
        return out
