"""talentwar: an agent-based simulator of the labour market for AI talent."""

from sim.model import TalentMarket
from sim.scenario import Scenario, load_scenario

__version__ = "0.1.0"
__all__ = ["Scenario", "TalentMarket", "__version__", "load_scenario"]
