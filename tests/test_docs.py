"""The committed rule reference matches the policies."""

from pathlib import Path

from scanner.engine.policy import load_rules
from scanner.workflow.docs import rules_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_rules_md_is_generated_from_the_policies():
    rules, errors = load_rules()
    assert errors == []
    committed = (ROOT / "docs" / "rules.md").read_text()
    assert committed == rules_markdown(rules), "run: python -m scanner.workflow.docs > docs/rules.md"


def test_rule_reference_lists_every_rule_and_the_readme_links_it():
    assert "(docs/rules.md)" in (ROOT / "README.md").read_text()
    reference = (ROOT / "docs" / "rules.md").read_text()
    for rule in load_rules()[0]:
        assert f"[{rule.id}](#" in reference and f"## {rule.id}" in reference, rule.id
