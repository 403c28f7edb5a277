"""``talentwar explore``: the live app (Mesa's SolaraViz) on a scenario.

What the app does without the page is importable without the ``explore`` extra: the
controls (:mod:`sim.explore.controls`), the settings, the model, saving a scenario and
comparing with the start (:mod:`sim.explore.session`), the charts
(:mod:`sim.explore.figures`). The page (:mod:`sim.explore.app`) and its server
(:mod:`sim.explore.server`) need the extra.
"""

from sim.explore.controls import Control, apply_settings, scenario_controls, schema_field
from sim.explore.session import ExploreModel, Explorer, compare_with_start, save_scenario

__all__ = [
    "Control",
    "ExploreModel",
    "Explorer",
    "apply_settings",
    "compare_with_start",
    "save_scenario",
    "scenario_controls",
    "schema_field",
]
