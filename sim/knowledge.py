"""Public knowledge and the frontier's history (docs/model.md §7.5, §7.11).

The public stock (OOM of algorithmic efficiency anyone can absorb) grows
with what labs publish (openness times progress, times a spillover) and with
academic output; labs' and pools' prestige follows their share of output.
"""

from __future__ import annotations

import numpy as np

from sim.orgs import Orgs
from sim.params import KnowledgeParams


class Knowledge:
    """The public knowledge stock and the frontier's path.

    Args:
        kp: Knowledge parameters.
        public_oom: Initial public stock (OOM).

    Attributes:
        public_oom: Public knowledge stock (OOM of algorithmic efficiency).
        frontier_history: Frontier capability at the end of each month so far (OOM).
    """

    def __init__(self, kp: KnowledgeParams, public_oom: float) -> None:
        self.kp = kp
        self.public_oom = public_oom
        self.frontier_history: list[float] = []

    def frontier_growth_oom_per_month(self) -> float:
        """Frontier growth over the last 12 months (OOM/month, >= 0)."""
        h = self.frontier_history
        if len(h) < 2:
            return 0.0
        k = min(12, len(h) - 1)
        return max(0.0, (h[-1] - h[-1 - k]) / k)

    def add(self, frontier_oom: float, published_oom: np.ndarray, academic_oom: np.ndarray,
            orgs: Orgs, ids: np.ndarray) -> None:
        """Add a month's publications to the stock and update prestige.

        Args:
            frontier_oom: Frontier capability after training (OOM).
            published_oom: What each lab published (OOM).
            academic_oom: Each pool's output (OOM).
            orgs: The organisation table (``prestige`` moves toward relative output).
            ids: Organisation ids of the labs then the pools.
        """
        kp = self.kp
        self.public_oom += kp.publish_spillover * published_oom.sum() + academic_oom.sum()
        self.frontier_history.append(frontier_oom)
        output = np.concatenate([published_oom, academic_oom])
        rel = output / max(output.max(), 1e-12)
        orgs.prestige[ids] += kp.prestige_smoothing * (rel - orgs.prestige[ids])
