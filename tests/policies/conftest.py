"""Shared fixtures of the policies tests: one descriptor with every field type, principals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.descriptor import DatasetDescriptor, load_descriptor
from policies.principal import Principal

DESCRIPTOR_YAML = """\
id: population-registry
title: Population registry
agency: cong-an
classification: restricted
primary_key: citizen_id
source: {connector: csv, path: data/population.csv}
fields:
  - {name: citizen_id, type: string, pii: VN_CCCD}
  - {name: full_name, type: string, pii: PERSON}
  - {name: date_of_birth, type: date, pii: DATE_OF_BIRTH}
  - {name: registered_at, type: datetime}
  - {name: age, type: integer}
  - {name: income, type: number}
  - {name: ward, type: string}
  - {name: address, type: string, pii: LOCATION}
  - {name: phone, type: string, pii: PHONE_NUMBER}
  - {name: notes, type: text, pii: FREE_TEXT}
  - {name: ethnicity, type: string, pii: SENSITIVE}
  - {name: active, type: boolean}
"""


@pytest.fixture(scope="session")
def descriptor() -> DatasetDescriptor:
    return load_descriptor(DESCRIPTOR_YAML, source="population.yaml")


@pytest.fixture
def make_principal() -> Callable[..., Principal]:
    """Principal(...) with sets built from lists and records:read by default."""

    def make(
        agency: str | None = "thue",
        roles: tuple[str, ...] = ("officer",),
        scopes: tuple[str, ...] = ("records:read",),
        **kwargs: Any,
    ) -> Principal:
        return Principal(
            sub=kwargs.pop("sub", "user-1"),
            agency=agency,
            roles=frozenset(roles),
            scopes=frozenset(scopes),
            **kwargs,
        )

    return make
