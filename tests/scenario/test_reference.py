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
