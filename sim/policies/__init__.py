"""Named behavioural policies, chosen by name from explicit registries.

``SAFETY`` maps ``safety.mode`` names to functions giving labs' target safety
shares; ``DOWNSTREAM`` maps ``downstream.mode`` names to functions giving
startups' access modes. Each policy receives the values it decides on (never
the model). Unknown names fail at model construction with the list of known
ones.
"""

from sim.policies import downstream, safety
from sim.policies.registry import DOWNSTREAM, SAFETY, Registry

__all__ = ["DOWNSTREAM", "SAFETY", "Registry", "downstream", "safety"]
