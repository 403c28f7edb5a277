"""talentwar: an agent-based simulator of the labour market for AI talent.

``from sim import TalentMarket, load_scenario, Scenario`` works as usual; the names are
imported when first used, so that the command line starts fast (``talentwar --help``
imports neither Mesa nor numpy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.deferred import defer_submodules

__version__ = "0.2.0"
__all__ = ["Scenario", "TalentMarket", "__version__", "load_scenario"]

MESA_DEFERRED = ("discrete_space", "experimental", "space")
"""Mesa's subpackages that the model does not use, imported when first used instead of with
Mesa (:mod:`sim.deferred`): with Mesa 3.3, importing the model takes about half the time."""
defer_submodules("mesa", MESA_DEFERRED)

if TYPE_CHECKING:
    from sim.model import TalentMarket
    from sim.scenario import Scenario, load_scenario


def __getattr__(name: str) -> Any:
    """The package's public names, imported on first use (PEP 562)."""
    if name == "TalentMarket":
        from sim.model import TalentMarket

        return TalentMarket
    if name in ("Scenario", "load_scenario"):
        from sim import scenario

        return getattr(scenario, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
