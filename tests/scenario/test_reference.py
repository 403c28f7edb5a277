"""The scenario reference documents every key and is current with the schema."""

from sim.scenario import schema
from sim.scenario.reference import SECTIONS, markdown_reference
from tests.conftest import ROOT


def test_committed_reference_is_current():
    committed = (ROOT / "docs" / "scenarios.md").read_text()
    assert committed == markdown_reference(), (
        "regenerate: talentwar schema --markdown --out docs/scenarios.md")


def test_every_table_and_key_is_documented():
    documented = {model for _, model, _ in SECTIONS}
    for model in (schema.Scenario, schema.Market, schema.Tier, schema.Choice, schema.Compute,
                  schema.Economy, schema.Antitrust, schema.Firm, schema.GeneratedFirms,
                  schema.Policy, schema.ForcedDeal):
        assert model in documented
        for name, info in model.model_fields.items():
            assert name == "type" or info.description, (model, name)
    text = markdown_reference()
    assert "| `counter_offer` |" in text and "| `threshold` |" in text


def _tables(annotation, found):
    """Every table class (pydantic model) ``annotation`` holds, through unions, lists and
    tables of tables, and the tables of their keys in turn, into ``found``."""
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for info in annotation.model_fields.values():
                _tables(info.annotation, found)
        return found
    for arg in typing.get_args(annotation):
        _tables(arg, found)
    return found


def test_every_table_a_scenario_can_hold_and_every_event_type_has_a_section():
    """Walked from the schema, not listed: an event type or a table added to the schema
    without a section fails here (funding_round, amenity_change, gpu_stock, [equity] and
    the amenities had none)."""
    documented = {model for _, model, _ in SECTIONS}
    tables = _tables(schema.Scenario, set())
    overrides = {t for t in tables if t.__name__.endswith("Override")}  # policy keys
    assert tables - overrides - documented == set()
    text = markdown_reference()
    for event in schema.EVENT_TYPES:
        assert f'## [[events]] type = "{event}"' in text, event
    for model in documented:
        for name, info in model.model_fields.items():
            assert name == "type" or info.description, (model, name)
