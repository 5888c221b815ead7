"""Downstream startups; their numeric state lives in the model's organisation table."""

from __future__ import annotations

import mesa

#: Access modes of a startup's models (model-spec "Startup").
OPEN, API, PARTNER = 0, 1, 2
ACCESS_MODES = ("open", "api", "partner")
#: Founders' origin.
ORIGIN_OTHER, ORIGIN_ACADEMIA, ORIGIN_LAB = 0, 1, 2


class Startup(mesa.Agent):
    """A downstream startup building products on AI models.

    Cash, revenue, quality, access mode, partner and cloud are columns of the
    model's organisation table (vectorised downstream market); the agent holds
    its identity and origin and is removed from the model when it dies or is acquired.

    Attributes:
        org_id: Organisation id (row of the organisation table and ledger).
        origin: Founders' origin (``ORIGIN_*``).
        born_step: Month of founding (-1 for startups present at the start).
    """

    def __init__(self, model: mesa.Model, org_id: int, origin: int, born_step: int) -> None:
        super().__init__(model)
        self.org_id = org_id
        self.origin = origin
        self.born_step = born_step
