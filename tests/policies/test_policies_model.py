"""Policy files: parsing, treatments as typed values, every problem reported with its line."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.descriptor import FieldType
from connectors.errors import DocumentError
from policies.model import (
    Drop,
    Generalize,
    Keep,
    Mask,
    Pseudonymize,
    Redact,
    RedactPii,
    load_policy,
    parse_treatment,
    policy_from_dict,
)
from policies.principal import Role
from policies.treatment_kinds import Treatment, register_kind

SPEC_POLICY = """\
dataset: population-registry
rules:
  - id: tax-identity-check
    description: Tax officers check who a taxpayer is.
    agencies: [thue]
    roles: [officer]
    purposes: [tax-administration]
    fields:
      notes: redact_pii
      citizen_id: keep
      full_name: keep
      date_of_birth: {generalize: year}
      phone: {mask: {keep_last: 3}}
      address: {generalize: province}
      ethnicity: drop
    row_filter: {ward: "${attrs.ward}"}
    max_rows: 100
    expires: 2027-12-31
  - id: statistics
    agencies: ["*"]
    roles: [officer, steward]
    purposes: [statistics, planning]
    fields:
      age: {generalize: 10}
      income: {generalize: 2.5}
      registered_at: {generalize: month}
      ward: keep
      citizen_id: pseudonymize
      full_name: redact
      address: {generalize: ward}
    row_filter: {ward: [phuong-ben-thanh, phuong-sai-gon]}
"""


def problems_of(exc: pytest.ExceptionInfo[DocumentError]) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.where(), p.message) for p in exc.value.problems]


def test_spec_example_loads_into_typed_rules(descriptor):
    policy = load_policy(SPEC_POLICY, source="policy.yaml", descriptor=descriptor)
    rule = policy.rule("tax-identity-check")
    assert rule.agencies == ("thue",)
    assert rule.roles == (Role.officer,)
    assert rule.fields["date_of_birth"] == Generalize("year")
    assert rule.fields["phone"] == Mask(keep_last=3)
    assert rule.fields["ethnicity"] == Drop()
    assert rule.row_filter == {"ward": ("${attrs.ward}",)}
    assert rule.max_rows == 100
    assert rule.expires == date(2027, 12, 31)
    assert policy.rule("statistics").row_filter["ward"] == ("phuong-ben-thanh", "phuong-sai-gon")


def test_fields_come_in_descriptor_order_when_a_descriptor_is_given(descriptor):
    rule = load_policy(SPEC_POLICY, source="p", descriptor=descriptor).rules[0]
    assert list(rule.fields) == [
        "citizen_id", "full_name", "date_of_birth", "address", "phone", "notes", "ethnicity",
    ]  # fmt: skip
    assert list(rule.visible_fields) == list(rule.fields)[:-1]  # ethnicity is dropped


def test_to_dict_round_trips(descriptor):
    policy = load_policy(SPEC_POLICY, source="p", descriptor=descriptor)
    data = policy.to_dict()
    assert data["rules"][0]["expires"] == "2027-12-31"
    assert data["rules"][0]["fields"]["phone"] == {"mask": {"keep_last": 3}}
    assert data["rules"][0]["row_filter"] == {"ward": "${attrs.ward}"}
    assert policy_from_dict(data, descriptor) == policy
    assert load_policy(SPEC_POLICY, source="p") == policy_from_dict(
        load_policy(SPEC_POLICY, source="p").to_dict()
    )


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("keep", Keep()),
        ("drop", Drop()),
        ("redact", Redact()),
        ("redact_pii", RedactPii()),
        ("pseudonymize", Pseudonymize()),
        ({"pseudonymize": {}}, Pseudonymize()),  # the mapping form with no options
        ({"pseudonymize": None}, Pseudonymize()),
        ({"mask": {"keep_first": 2, "keep_last": 3, "char": "#"}}, Mask(2, 3, "#")),
        ({"mask": {}}, Mask()),  # mask everything
        ({"generalize": "year"}, Generalize("year")),
        ({"generalize": "age_band"}, Generalize("age_band")),
        ({"generalize": 10}, Generalize(10)),
        ({"generalize": 0.5}, Generalize(0.5)),
    ],
)
def test_treatment_spellings(spelling, expected):
    treatment = parse_treatment(spelling)
    assert treatment == expected
    assert parse_treatment(treatment.to_spec()) == treatment  # round trip


@pytest.mark.parametrize(
    ("spelling", "message"),
    [
        ("hide", "unknown treatment 'hide'"),
        ({"mask": {"keep_lst": 3}}, "unknown mask option 'keep_lst'"),
        ({"mask": {"keep_last": -1}}, "keep_last must be a whole number >= 0"),
        ({"mask": {"keep_last": True}}, "keep_last must be a whole number"),
        ({"mask": {"char": "**"}}, "exactly one character"),
        ({"mask": 3}, "mask options are a mapping"),
        ({"generalize": "decade"}, "generalize takes one of"),
        ({"generalize": 0}, "generalize takes one of"),
        ({"generalize": -5}, "generalize takes one of"),
        ("generalize", "generalize takes one of"),  # needs a level
        ({"keep": {"x": 1}}, "takes no options"),
        ({"keep": None, "drop": None}, "one-key mapping"),
        (["keep"], "one-key mapping"),
    ],
)
def test_bad_treatment_spellings(spelling, message):
    with pytest.raises(ValueError, match=message):
        parse_treatment(spelling)


@pytest.mark.parametrize(
    ("treatment", "field_type", "fits"),
    [
        (Generalize("year"), FieldType.date, True),
        (Generalize("month"), FieldType.datetime, True),
        (Generalize("year"), FieldType.string, False),  # a year needs a date
        (Generalize("age_band"), FieldType.integer, True),  # an age
        (Generalize("age_band"), FieldType.date, True),  # a birth date
        (Generalize("age_band"), FieldType.number, False),
        (Generalize(10), FieldType.integer, True),
        (Generalize(2.5), FieldType.number, True),
        (Generalize(10), FieldType.string, False),
        (Generalize("ward"), FieldType.text, True),
        (Generalize("province"), FieldType.string, True),
        (Generalize("district"), FieldType.integer, False),
        (RedactPii(), FieldType.text, True),
        (RedactPii(), FieldType.string, True),
        (RedactPii(), FieldType.integer, False),
        (Mask(), FieldType.string, True),
        (Mask(), FieldType.integer, True),
        (Mask(), FieldType.date, False),
        (Pseudonymize(), FieldType.date, True),  # any type
        (Redact(), FieldType.boolean, True),
        (Keep(), FieldType.number, True),
        (Drop(), FieldType.text, True),
    ],
)
def test_type_fit(treatment, field_type, fits):
    assert treatment.fits(field_type) is fits


def test_loader_reports_every_problem_with_its_line(descriptor):
    text = """\
dataset: population-registry
rules:
  - id: first
    agencies: [thue]
    roles: [officer, boss]
    purposes: [tax]
    fields:
      phone: {mask: {keep_last: 3}}
      date_of_birth: {mask: {}}
      nickname: keep
      full_name: {generalize: year}
      ward: {generalize: decade}
    row_filter: {street: "${attrs.ward}", ward: "${foo}"}
    colour: blue
  - id: first
    agencies: [thue]
    roles: [officer]
    purposes: [tax]
    fields:
      phone: {generalize: 10}
      notes: {redact_pii: {}}
"""
    with pytest.raises(DocumentError) as exc:
        load_policy(text, source="policy.yaml", descriptor=descriptor)
    found = problems_of(exc)
    lines = {(line, where) for line, where, _ in found}
    assert lines == {
        (5, "rules[0].roles[1]"),  # unknown role
        (9, "rules[0].fields.date_of_birth"),  # mask does not fit a date
        (10, "rules[0].fields.nickname"),  # unknown field
        (11, "rules[0].fields.full_name"),  # year does not fit a string
        (12, "rules[0].fields.ward"),  # unknown level
        (13, "rules[0].row_filter.street"),  # unknown field in the filter
        (13, "rules[0].row_filter.ward"),  # unknown template
        (14, "rules[0].colour"),  # extra key
        (15, "rules[1].id"),  # duplicate id
        (20, "rules[1].fields.phone"),  # bucket width on a string
    }
    assert [line for line, _, _ in found] == sorted(line for line, _, _ in found)
    assert str(exc.value).startswith("policy.yaml: line 5: rules[0].roles[1]")


def test_unknown_field_message_names_rule_field_and_valid_fields(descriptor):
    text = "dataset: population-registry\nrules:\n  - id: r1\n    agencies: [thue]\n" \
        "    roles: [officer]\n    purposes: [tax]\n    fields:\n      phon: keep\n"  # fmt: skip
    with pytest.raises(DocumentError) as exc:
        load_policy(text, source="p.yaml", descriptor=descriptor)
    ((line, where, message),) = problems_of(exc)
    assert (line, where) == (8, "rules[0].fields.phon")
    assert "rule 'r1' names field 'phon'" in message
    assert "valid fields: citizen_id, full_name, date_of_birth" in message


def test_type_fit_message_says_what_fits(descriptor):
    text = SPEC_POLICY.replace("age: {generalize: 10}", "age: {generalize: year}")
    with pytest.raises(DocumentError) as exc:
        load_policy(text, source="p.yaml", descriptor=descriptor)
    ((line, where, message),) = problems_of(exc)
    assert (line, where) == (24, "rules[1].fields.age")
    assert message == (
        "rule 'statistics': generalize: year does not fit field 'age' of type integer; "
        "it fits fields of type: date, datetime"
    )


def test_policy_for_another_dataset(descriptor):
    text = SPEC_POLICY.replace("dataset: population-registry", "dataset: business-registry")
    with pytest.raises(DocumentError) as exc:
        load_policy(text, source="p.yaml", descriptor=descriptor)
    assert problems_of(exc) == [
        (1, "dataset", "this policy is for 'business-registry', not for dataset "
         "'population-registry'"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("rule_yaml", "line", "where", "message"),
    [
        # purposes must not be empty: every read declares one
        ("purposes: []", 6, "rules[0].purposes", "list at least one"),
        ("roles: []", 5, "rules[0].roles", "list at least one"),
        ("max_rows: 0", 9, "rules[0].max_rows", "greater than or equal to 1"),
        ("expires: next-year", 9, "rules[0].expires", "valid date"),
        ("row_filter: {ward: []}", 9, "rules[0].row_filter.ward", "at least one value"),
        ("row_filter: {ward: 'x-${attrs.ward'}", 9, "rules[0].row_filter.ward", "unclosed"),
        ("row_filter: {ward: '${attrs.}'}", 9, "rules[0].row_filter.ward", "unknown template"),
        ("agencies: [Thue]", 4, "rules[0].agencies", "must be a slug"),
        ("purposes: [Tax Admin]", 6, "rules[0].purposes", "must be a slug"),
        ("id: Rule One", 3, "rules[0].id", "must be a slug"),
        ("fields: {}", 7, "rules[0].fields", "at least 1 item"),
    ],
)
def test_shape_errors_carry_lines(rule_yaml, line, where, message):
    base = {
        "id": "id: r1",
        "agencies": "agencies: [thue]",
        "roles": "roles: [officer]",
        "purposes": "purposes: [tax]",
        "fields": "fields:\n      citizen_id: keep",
    }
    key = rule_yaml.split(":", 1)[0]
    if key in base:
        base[key] = rule_yaml
    body = "\n    ".join(base.values())
    if key not in base:
        body += "\n    " + rule_yaml
    text = f"dataset: population-registry\nrules:\n  - {body}\n"
    with pytest.raises(DocumentError) as exc:
        load_policy(text, source="p.yaml")
    found = problems_of(exc)
    assert [(ln, w) for ln, w, _ in found] == [(line, where)], text
    assert message in found[0][2]


def test_not_yaml_and_not_a_mapping():
    with pytest.raises(DocumentError) as exc:
        load_policy("dataset: x\nrules: [\n", source="p.yaml")
    assert "not valid YAML" in str(exc.value)
    with pytest.raises(DocumentError, match="expected a mapping"):
        load_policy("- a\n- b\n", source="p.yaml")


def test_an_impossible_date_is_a_document_error():
    text = "dataset: x\nrules:\n  - id: r\n    expires: 2027-02-30\n"
    with pytest.raises(DocumentError, match="day is out of range"):
        load_policy(text, source="p.yaml")


def test_unknown_top_level_key():
    with pytest.raises(DocumentError) as exc:
        load_policy("dataset: x\nrules: []\nversion: 2\n", source="p.yaml")
    assert problems_of(exc) == [
        (3, "version", "unknown key (check the spelling; see the documented keys)")
    ]


def test_policy_from_dict_runs_the_same_checks_without_lines(descriptor):
    data = load_policy(SPEC_POLICY, source="p").to_dict()
    data["rules"][0]["fields"]["phon"] = "keep"
    data["rules"][1]["roles"] = ["boss"]
    with pytest.raises(DocumentError) as exc:
        policy_from_dict(data, descriptor, source="PUT /v1/datasets/population-registry/policy")
    assert {(line, where) for line, where, _ in problems_of(exc)} == {
        (None, "rules[0].fields.phon"),
        (None, "rules[1].roles[0]"),
    }


def test_a_policy_without_rules_is_valid_and_denies_everyone():
    assert load_policy("dataset: x\nrules: []\n", source="p").rules == ()


def test_register_kind_refuses_a_second_class_for_a_name():
    class Other(Treatment):
        kind = "keep"

    with pytest.raises(ValueError, match="already registered"):
        register_kind(Other)
