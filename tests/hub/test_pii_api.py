"""PII endpoints, free-text redaction on reads, and column classification, on the real engine."""

from __future__ import annotations

import csv
import re

import pytest

from hub.context import cli_actor
from hub.datasets import classify
from hub.datasets import service as datasets

TEXT = "Ông Nguyễn Văn An, CCCD 079190012345, SĐT 0903 123 456"


def _h(token, **claims) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(**claims)}"}


def test_analyze_finds_vietnamese_identifiers(client, token):
    response = client.post("/v1/pii/analyze", json={"text": TEXT}, headers=_h(token))
    assert response.status_code == 200, response.text
    found = {(e["entity_type"], TEXT[e["start"] : e["end"]]) for e in response.json()["entities"]}
    assert ("VN_CCCD", "079190012345") in found
    assert ("PHONE_NUMBER", "0903 123 456") in found
    assert ("PERSON", "Nguyễn Văn An") in found


def test_redact_replaces_findings_with_their_type(client, token):
    response = client.post(
        "/v1/pii/redact", json={"text": TEXT, "language": "vi"}, headers=_h(token)
    )
    text = response.json()["text"]
    assert "079190012345" not in text and "<VN_CCCD>" in text and "<PHONE_NUMBER>" in text


@pytest.mark.parametrize(
    ("claims", "body", "status"),
    [
        ({"roles": ("developer",)}, {"text": "x"}, 403),  # open data only
        ({"roles": ("auditor",), "scopes": ("audit:read",)}, {"text": "x"}, 403),  # log only
        ({}, {"text": "x", "language": "fr"}, 400),  # unsupported language
        ({}, {"text": "x" * 100_001}, 400),  # text over the cap
        ({}, {}, 400),  # no text
    ],
)
def test_pii_refusals(client, token, claims, body, status):
    response = client.post("/v1/pii/analyze", json=body, headers=_h(token, **claims))
    assert response.status_code == status, response.text


def test_notes_are_redacted_through_the_analyzer(client, token, population, population_csv):
    with population_csv.open(encoding="utf-8") as fh:
        rows = [
            r for r in csv.DictReader(fh) if re.search(r"0\d{2,3}[ .]?\d{3}[ .]?\d{3}", r["notes"])
        ]
    assert rows, "the synthetic data should have notes with phone numbers"
    raw = rows[0]
    response = client.get(
        f"/v1/datasets/population-registry/records/{raw['citizen_id']}",
        params={"purpose": "tax-administration"},
        headers=_h(token, agency="thue"),
    )
    notes = response.json()["notes"]
    assert "<PHONE_NUMBER>" in notes
    phone = re.search(r"0\d{2,3}[ .]?\d{3}[ .]?\d{3}", raw["notes"]).group(0)
    assert phone not in notes


def test_classification_proposes_types_and_accepts_them(client, token, hub, population):
    steward = _h(token, agency="cong-an", roles=("steward",), scopes=("datasets:write",))
    # forget the phone field's tag, as if the steward had not declared it
    with hub.sessions.begin() as session:
        dataset = datasets.get(session, "population-registry")
        fields = [dict(f) for f in dataset.descriptor["fields"]]
        for f in fields:
            if f["name"] == "phone":
                f.pop("pii")
        datasets.update(session, dataset=dataset, patch={"fields": fields}, actor=cli_actor())
    response = client.get(
        "/v1/datasets/population-registry/classification", params={"sample": 100}, headers=steward
    )
    assert response.status_code == 200, response.text
    by_name = {f["name"]: f for f in response.json()["fields"]}
    assert by_name["phone"]["proposed_pii"] == "PHONE_NUMBER"
    assert by_name["phone"]["current_pii"] is None
    assert by_name["citizen_id"]["proposed_pii"] == "VN_CCCD"
    assert by_name["notes"]["proposed_pii"] == "FREE_TEXT"
    assert by_name["ward"]["proposed_pii"] is None
    # examples are masked: no full phone number leaves the hub
    assert not any(re.fullmatch(r"0\d{9}", e) for e in by_name["phone"]["examples"])
    other = _h(token, agency="thue", roles=("steward",), scopes=("datasets:write",))
    assert (
        client.get("/v1/datasets/population-registry/classification", headers=other).status_code
        == 403
    )
    with hub.sessions.begin() as session:
        dataset = datasets.get(session, "population-registry")
        found = classify.classify(session, hub, dataset=dataset, actor=cli_actor(), size=100)
        assert found.proposals() == {"phone": "PHONE_NUMBER"}
        classify.accept(session, dataset=dataset, proposals=found.proposals(), actor=cli_actor())
    shown = client.get("/v1/datasets/population-registry", headers=steward).json()
    assert {f["name"]: f.get("pii") for f in shown["descriptor"]["fields"]}[
        "phone"
    ] == "PHONE_NUMBER"
