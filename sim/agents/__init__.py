"""Mesa agents: the few, heterogeneous organisations of the race and their decisions."""

from sim.agents.cloud import Clouds, Contract, Hyperscaler
from sim.agents.lab import FrontierLab, Labs
from sim.agents.talent_pool import TalentPool, TalentPools

__all__ = ["Clouds", "Contract", "FrontierLab", "Hyperscaler", "Labs", "TalentPool",
           "TalentPools"]
