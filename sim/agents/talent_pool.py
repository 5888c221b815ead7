"""Academic talent pools: employ faculty and students, graduate PhDs, publish."""

from __future__ import annotations

import mesa


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
