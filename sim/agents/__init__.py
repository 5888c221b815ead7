"""Mesa agents: the organisations of the race (labs, clouds, startups, academia)."""

from sim.agents.hyperscaler import Contract, Hyperscaler
from sim.agents.lab import FrontierLab
from sim.agents.startup import Startup
from sim.agents.talent_pool import TalentPool

__all__ = ["Contract", "FrontierLab", "Hyperscaler", "Startup", "TalentPool"]
