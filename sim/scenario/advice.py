"""Warnings on scenarios that are valid but make little economic sense.

:func:`scenario_warnings` looks at a scenario before it runs (``talentwar validate`` and
``talentwar run`` print what it finds); the model adds what only a run shows
(:meth:`sim.model.TalentMarket.warnings`). A warning never stops anything: it says what is
odd and what to do.
"""

from __future__ import annotations

from sim.scenario.schema import Scenario, Spread


def _max_gpus(scenario: Scenario) -> float:
    """The most GPUs any firm can hold: its stock, or its GPU target if it orders more."""
    best = 0.0
    for firm in scenario.firms.values():
        target = (getattr(firm.policy, "gpu_target", None)
                  or scenario.firm_defaults.gpu_target or 0.0)
        best = max(best, firm.gpus, target)
    for group in scenario.generated_firms:
        gpus = group.gpus.max if isinstance(group.gpus, Spread) else group.gpus
        target = (getattr(group.policy, "gpu_target", None)
                  or scenario.firm_defaults.gpu_target or 0.0)
        best = max(best, gpus, target)
    return best


def _pays(scenario: Scenario, tier: str) -> bool:
    """Whether any firm posts pay for ``tier``."""
    if any(f.pay.get(tier, 0) > 0 for f in scenario.firms.values()):
        return True
    for group in scenario.generated_firms:
        pay = group.pay.get(tier, 0.0)
        if (pay.max if isinstance(pay, Spread) else pay) > 0:
            return True
    return False


SHOWN_LATE_EVENTS = 4
"""Events after the horizon named in the one warning that sums them up."""


def scenario_warnings(scenario: Scenario) -> list[str]:
    """What is odd about a scenario before it runs, one sentence each (empty if nothing):
    a tier no firm pays, a tier that earns nothing, a GPU weight no firm can satisfy,
    and, in one sentence, the events after the horizon (a run shortened with ``--months``)."""
    out = []
    for name, tier in scenario.tiers.items():
        if not _pays(scenario, name):
            out.append(f"tiers.{name}: no firm posts pay for this tier, so its engineers "
                       "are never hired (give firms a pay for it)")
        elif scenario.tier_output(name) == 0:
            out.append(f"tiers.{name}.output is 0: its engineers earn their firms nothing, "
                       "so paying them only burns cash (set an output, or leave the key out "
                       "for 1.5 x the tier's average posted pay)")
        if tier.weights.gpu > 0 and _max_gpus(scenario) < scenario.compute.threshold:
            out.append(f"tiers.{name}.weights.gpu is {tier.weights.gpu:g} but no firm holds "
                       f"or targets {scenario.compute.threshold:,.0f} GPUs "
                       "(compute.threshold): the GPU term "
                       + ("is 0 for every firm" if scenario.compute.response == "sharp"
                          else "barely differs between firms"))
    late = [(k, event) for k, event in enumerate(scenario.events)
            if scenario.month_of(event.month) > scenario.months]
    if late:
        shown = ", ".join(f"{e.type} {e.month}" for _, e in late[:SHOWN_LATE_EVENTS])
        more = f" and {len(late) - SHOWN_LATE_EVENTS} more" if len(late) > SHOWN_LATE_EVENTS else ""
        what = ("1 dated event falls" if len(late) == 1
                else f"{len(late)} dated events fall")
        out.append(f"{what} after the horizon (months = {scenario.months}) and will not "
                   f"happen: {shown}{more}")
    return out
