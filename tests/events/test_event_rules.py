"""Event rule sets: one per type, checked against the event features, versioned like the
order rules, refused with file and reason when wrong, and every rule and feature documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from fraud.errors import RulesError
from fraud.events.login import EVENT_FEATURES
from fraud.events.rules import EventRuleBook, load_event_rules
from fraud.events.schema import EventType

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"

GOOD = """version: "t.1"
rules:
  - id: new_device_only
    description: A new device.
    when: device_new
    effect: review
    message: New device.
"""


def test_logins_and_password_resets_have_bundled_rule_sets() -> None:
    rules = load_event_rules()
    assert set(rules) == {EventType.LOGIN_SUCCEEDED, EventType.LOGIN_FAILED,
                          EventType.PASSWORD_RESET_REQUESTED}
    assert all(r.version.startswith("2026-12-02.1+") for r in rules.values())


def test_every_bundled_event_rule_and_feature_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    ids = {rule.id for ruleset in load_event_rules().values() for rule in ruleset.rules}
    assert sorted(i for i in ids if f"`{i}`" not in text) == []
    assert sorted(f.name for f in EVENT_FEATURES if f"`{f.name}`" not in text) == []


def test_a_folder_of_the_shops_own_rules_is_versioned_by_content(tmp_path) -> None:
    (tmp_path / "login_succeeded.yaml").write_text(GOOD, encoding="utf-8")
    first = load_event_rules(tmp_path)[EventType.LOGIN_SUCCEEDED].version
    (tmp_path / "login_succeeded.yaml").write_text(GOOD + "# tuned\n", encoding="utf-8")
    second = load_event_rules(tmp_path)[EventType.LOGIN_SUCCEEDED].version
    assert first != second and first.startswith("t.1+") and second.startswith("t.1+")
    assert set(load_event_rules(tmp_path)) == {EventType.LOGIN_SUCCEEDED}


def test_an_order_feature_in_an_event_rule_is_refused_with_file_and_line(tmp_path) -> None:
    (tmp_path / "login_succeeded.yaml").write_text(
        GOOD.replace("when: device_new", "when: amount_eur > 100"), encoding="utf-8")
    with pytest.raises(RulesError, match=r"login_succeeded.yaml: rule 'new_device_only' "
                                         r"\(line 5\): unknown feature .amount_eur."):
        load_event_rules(tmp_path)


def test_a_file_named_after_no_event_type_is_refused(tmp_path) -> None:
    (tmp_path / "login_succeded.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(RulesError, match="not an event type"):
        load_event_rules(tmp_path)


def test_a_bad_reload_keeps_the_old_rules(tmp_path) -> None:
    (tmp_path / "login_succeeded.yaml").write_text(GOOD, encoding="utf-8")
    book = EventRuleBook(tmp_path)
    before = book.current
    (tmp_path / "login_succeeded.yaml").write_text("version: [", encoding="utf-8")
    assert book.reload() is not None
    assert book.current is before
