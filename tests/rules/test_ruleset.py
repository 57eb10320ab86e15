"""Loading rules files: validation with line numbers, versions, lists, reloads."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from fraud.domain import Feature
from fraud.errors import RulesError
from fraud.rules import RuleBook, check_rules_file, load_rules, parse_rules
from fraud.signals import feature_catalogue

# The feature names the signal modules promise (the contract the default rules
# are written against), with kinds inferred from the naming conventions.
_CONTRACT_NAMES = """
ip_country ip_country_name ip_city ip_accuracy_km ip_is_private ip_unknown ip_version
ip_billing_distance_km ip_shipping_distance_km billing_geo_precision shipping_geo_precision
ip_country_matches_billing ip_country_matches_shipping ip_country_matches_card ip_is_hosting
ip_is_anonymous ip_country_is_eu billing_country shipping_country billing_city shipping_city
shipping_differs_from_billing shipping_country_differs_from_billing billing_postal_code_valid
shipping_postal_code_valid billing_postal_city_consistent shipping_postal_city_consistent
shipping_is_forwarder shipping_is_pickup_point shipping_is_po_box billing_shipping_distance_km
phone_present phone_valid phone_country phone_country_matches_billing phone_line_type
email_valid email_domain email_is_disposable email_is_freemail email_local_digits
email_local_length email_local_entropy email_name_similarity ua_present ua_browser_family
ua_os_family ua_device_type ua_is_headless ua_is_bot device_id_present amount_eur item_count
distinct_skus max_unit_price_eur high_resale_share payment_method card_country
card_country_matches_billing three_ds shipping_express shipping_to_pickup is_guest
order_hour_local is_night_order account_age_days account_orders_1h account_orders_24h
account_orders_30d account_distinct_cards_24h account_distinct_cards_30d
account_distinct_ips_30d account_distinct_addresses_30d account_distinct_devices_30d
ip_orders_1h ip_orders_24h ip_accounts_24h ip_accounts_30d email_accounts_30d
phone_accounts_30d device_accounts_30d device_orders_24h address_accounts_30d card_accounts_30d
card_orders_24h linked_fraud_weight linked_fraud_strong linked_refund_weight email_linked_fraud
phone_linked_fraud account_addresses_1h account_prior_orders
account_prior_paid_orders first_order_from_country amount_vs_account_median
customer_confirmed_contacts customer_last_contact_confirmed linked_denied_orders linked_denied_via
"""
CONTRACT_FEATURES = tuple(_CONTRACT_NAMES.split())
_TEXT = {"ip_country_name", "ip_city", "billing_city", "shipping_city", "linked_denied_via"}
_BOOL = re.compile(
    r"^is_|^has_|_is_|_matches_|_valid$|_present$|_differs|_consistent$"
    r"|^(ip_unknown|shipping_express|shipping_to_pickup|first_order_from_country)$"
    r"|^customer_last_contact_confirmed$"
)
_CAT = re.compile(r"country$|domain$|family$|_type$|method$|precision$|^three_ds$")


def _kind(name: str) -> str:
    if name in _TEXT:
        return "text"
    if _BOOL.search(name):
        return "bool"
    return "cat" if _CAT.search(name) else "num"


def contract_catalogue() -> dict[str, Feature]:
    """A feature catalogue of every contracted feature name, and the account event
    features (declared with their kinds by their signal module)."""
    from fraud.signals.account_events import FEATURES as EVENT_FEATURES

    contract = {n: Feature(n, _kind(n), f"{n} (contract)") for n in CONTRACT_FEATURES}  # type: ignore
    return {**contract, **{f.name: f for f in EVENT_FEATURES}}


CATALOGUE = contract_catalogue()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def rules_text(body: str, *, version: str = "2026-11-25.1", lists: str = "") -> str:
    head = f'version: "{version}"\ndescription: test rules\n'
    return head + textwrap.dedent(lists) + "rules:\n" + textwrap.indent(textwrap.dedent(body), "  ")


GOOD = """\
- id: ip_far_from_billing
  description: IP far from billing on a large order.
  when: ip_billing_distance_km > 500 and amount_eur >= 250
  effect: points
  points: 20
  message: IP address in {ip_country_name}, {ip_billing_distance_km:,.0f} km away.
"""


def load_error(text: str) -> str:
    with pytest.raises(RulesError) as info:
        parse_rules(text, CATALOGUE, source="rules.yaml")
    return info.value.message


def test_the_bundled_default_rules_load_against_the_contracted_features():
    ruleset = load_rules(None, CATALOGUE)
    assert ruleset.version.startswith("2026-12-02.4+")
    assert 15 <= len(ruleset.rules) <= 45  # eight of them on account events, two on contacts


def test_the_default_rules_load_against_the_registered_signals_once_they_all_exist():
    registered = feature_catalogue()
    missing = set(CONTRACT_FEATURES) - set(registered)
    if missing:
        pytest.skip(f"signals not all registered yet ({len(missing)} features missing)")
    assert load_rules(None).rules


def test_every_default_rule_has_a_description_and_a_readable_message():
    for rule in load_rules(None, CATALOGUE).rules:
        assert rule.description.endswith("."), rule.id
        assert rule.message.source.strip().endswith("."), rule.id


def test_every_default_rule_is_documented_in_docs_rules_md():
    docs = DOCS.read_text(encoding="utf-8")
    undocumented = [r.id for r in load_rules(None, CATALOGUE).rules if f"`{r.id}`" not in docs]
    assert not undocumented


def test_version_is_the_file_version_plus_a_content_hash():
    one = parse_rules(rules_text(GOOD), CATALOGUE)
    same = parse_rules(rules_text(GOOD), CATALOGUE)
    edited = parse_rules(rules_text(GOOD.replace("500", "600")), CATALOGUE)
    assert re.fullmatch(r"2026-11-25\.1\+[0-9a-f]{8}", one.version)
    assert one.version == same.version
    assert edited.version != one.version
    assert edited.version.split("+")[0] == one.version.split("+")[0]


def test_unknown_feature_names_rule_line_column_and_suggestion():
    typo = GOOD.replace("ip_billing_distance_km >", "ip_billng_distance_km >")
    message = load_error(rules_text(typo))
    assert "rule 'ip_far_from_billing' (line 6)" in message
    assert "unknown feature 'ip_billng_distance_km' at column 1" in message
    assert "did you mean 'ip_billing_distance_km'?" in message
    assert message.startswith("rules.yaml: ")


def test_unknown_message_placeholder_is_refused_with_its_line():
    message = load_error(rules_text(GOOD.replace("{ip_country_name}", "{ip_contry_name}")))
    assert "rule 'ip_far_from_billing' (line 9)" in message
    assert "did you mean 'ip_country_name'?" in message


@pytest.mark.parametrize(
    "change, fragment",
    [
        (("effect: points", "effect: block"), "unknown effect 'block'"),
        (("  points: 20\n", ""), "needs 'points: N'"),
        (("points: 20", "points: lots"), "points must be a number"),
        (("id: ip_far_from_billing", "id: IP-Far"), "snake_case"),
        (("  message:", "  mesage:"), "did you mean 'message'?"),
        (("  description: IP far from billing on a large order.\n", ""), "needs 'description'"),
        (("> 500", "> 'far'"), "needs number"),
    ],
)
def test_bad_rule_fields_are_refused_with_the_rule_id(change, fragment):
    message = load_error(rules_text(GOOD.replace(*change)))
    assert "rule 'ip_far_from_billing'" in message or "IP-Far" in message
    assert fragment in message


def test_duplicate_rule_ids_are_refused():
    message = load_error(rules_text(GOOD + GOOD))
    assert "rule 'ip_far_from_billing' (line 10): duplicate rule id" in message
    assert "first defined on line 4" in message


def test_malformed_yaml_gives_a_line():
    message = load_error(rules_text(GOOD) + "  - id: [unclosed\n")
    assert "malformed YAML (line" in message


def test_duplicate_yaml_keys_are_refused_rather_than_silently_overwritten():
    twice = GOOD.replace("  effect: points\n", "  effect: points\n  effect: decline\n")
    message = load_error(rules_text(twice))
    assert "duplicate key 'effect'" in message
    assert "line 8" in message


def test_thresholds_in_a_rules_file_are_refused_as_they_are_settings():
    message = load_error("thresholds: {review: 40}\n" + rules_text(GOOD))
    assert "thresholds are settings" in message


def test_missing_version_and_missing_rules_are_refused():
    assert "needs a 'version'" in load_error("rules: []\n")
    assert "needs 'rules:'" in load_error('version: "1"\n')


LISTS = """\
lists:
  blocked_emails:
    kind: email
    values: [Fraud.Ster+shop@GoogleMail.com]
  blocked_ips:
    kind: ip
    values: ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]
  blocked_cards:
    kind: card
    values: ["535522:4242"]
  blocked_addresses:
    kind: address
    values:
      - "NL|3511 AZ|Oudegracht|158-A"
      - {street: Hauptstr., house_number: "1", postal_code: "10115", country: DE}
"""


def test_list_values_are_normalised_like_order_keys():
    lists = parse_rules(rules_text(GOOD, lists=LISTS), CATALOGUE).lists
    assert "fraudster@gmail.com" in lists["blocked_emails"]
    assert "203.0.113.7" in lists["blocked_ips"]
    assert "198.51.100.99" in lists["blocked_ips"]
    assert "2001:db8::1" in lists["blocked_ips"]
    assert "192.0.2.1" not in lists["blocked_ips"]
    assert "535522:4242" in lists["blocked_cards"]
    assert "NL|3511az|oudegracht|158a" in lists["blocked_addresses"]
    assert "DE|10115|hauptstrasse|1" in lists["blocked_addresses"]


@pytest.mark.parametrize(
    "lists, fragment",
    [
        ("lists:\n  x:\n    kind: emails\n    values: []\n", "did you mean 'email'?"),
        ("lists:\n  x:\n    kind: ip\n    values: [not-an-ip]\n", "list 'x'"),
        ("lists:\n  x:\n    kind: card\n    values: ['4242']\n", "BIN:LAST4"),
        ("lists:\n  x:\n    kind: email\n    values: [nobody]\n", "not an e-mail"),
    ],
)
def test_bad_list_entries_are_refused_with_their_line(lists, fragment):
    message = load_error(rules_text(GOOD, lists=lists))
    assert fragment in message
    assert "line " in message


def test_a_list_rule_must_name_the_key_the_list_holds():
    body = GOOD + """\
- id: blocked_email
  description: Blocked.
  when: ip in lists.blocked_emails
  effect: decline
  message: Blocked {email}.
"""
    message = load_error(rules_text(body, lists=LISTS))
    assert "write 'email in lists.blocked_emails'" in message


def test_check_rules_file_reports_a_missing_file_as_a_rules_error(tmp_path):
    with pytest.raises(RulesError, match="cannot read"):
        check_rules_file(tmp_path / "nope.yaml", CATALOGUE)


def test_rulebook_reload_swaps_in_a_valid_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(rules_text(GOOD), encoding="utf-8")
    book = RuleBook(path, CATALOGUE)
    before = book.current.version
    path.write_text(rules_text(GOOD, version="2026-11-26.1"), encoding="utf-8")
    assert book.reload() is None
    assert book.current.version.startswith("2026-11-26.1+")
    assert book.current.version != before


def test_rulebook_keeps_the_old_rules_when_the_new_file_is_bad(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(rules_text(GOOD), encoding="utf-8")
    book = RuleBook(path, CATALOGUE)
    good = book.current
    path.write_text(rules_text(GOOD.replace("amount_eur", "amount")), encoding="utf-8")
    error = book.reload()
    assert isinstance(error, RulesError)
    assert "unknown feature 'amount'" in error.message
    assert book.current is good
    assert book.last_error is error
