"""Personal data is unreadable at rest: no plaintext PII in the raw database."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from connectors.descriptor import load_descriptor
from hub.datasets.models import QuarantinedRow
from tests.hub.conftest import EXAMPLES, load_example

PII_FIELDS = [
    f.name
    for f in load_descriptor(
        (EXAMPLES / "datasets" / "population-registry.yaml").read_bytes()
    ).fields
    if f.pii
]


def _pii_values(path: Path) -> set[str]:
    """Every PII value of the source; short ones could occur by chance in ciphertext."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {r[f] for r in rows for f in PII_FIELDS if len(r[f]) >= 8}


def _with_bad_row(src: Path, dst: Path) -> str:
    """A copy of the source plus one invalid row (its values land in quarantine)."""
    lines = src.read_text(encoding="utf-8").splitlines()
    bad = "079199912345,Quarantined Personname,31/02/1999,nam,0909123456,,,Kinh,"
    dst.write_text("\n".join([*lines, bad]) + "\n", encoding="utf-8")
    return "Quarantined Personname"


def _read_everything(client, token) -> None:
    headers = {"Authorization": f"Bearer {token(agency='cong-an')}"}
    response = client.get(
        "/v1/datasets/population-registry/records",
        params={"purpose": "residence-management", "format": "ndjson"},
        headers=headers,
    )
    assert response.status_code == 200 and response.text.count("\n") >= 300


def _raw_database(db_url: str, tmp_path: Path) -> bytes:
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    parts = urlsplit(db_url)
    schema = parse_qs(parts.query)["options"][0].split("=")[1]
    dump = tmp_path / "dump.sql"
    subprocess.run(
        [
            shutil.which("pg_dump") or "pg_dump",
            "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres", "-n", schema, "-f", str(dump),
            parts.path.lstrip("/"),
        ],
        check=True,
    )  # fmt: skip
    return dump.read_bytes()


def test_no_plaintext_pii_in_the_raw_store(client, token, hub, db_url, population_csv, tmp_path):
    source = tmp_path / "population.csv"
    marker = _with_bad_row(population_csv, source)
    result = load_example(hub, "population-registry", source)
    assert result.rows_rejected == 1
    _read_everything(client, token)  # the audit log now holds keys of 300 records
    hub.engine.dispose()  # flush SQLite's WAL handles
    raw = _raw_database(db_url, tmp_path)
    values = _pii_values(population_csv) | {marker, "0909123456"}
    assert len(values) > 900
    found = sorted(v for v in values if v.encode() in raw)
    assert found == []
    # ...while the same rows read back as plaintext through the API (previous test)


def test_ciphertext_moved_to_another_row_does_not_decrypt(client, token, hub, population):
    with hub.sessions.begin() as session:
        table = session.execute(sa.text("SELECT table_name FROM dataset_versions")).scalar_one()
        keys = session.execute(
            sa.text(f'SELECT citizen_id__bi, full_name FROM "{table}" LIMIT 2')
        ).all()
        # swap two names: each ciphertext is bound to its own row key
        for (key, _), (_, name) in zip(keys, reversed(keys), strict=True):
            session.execute(
                sa.text(f'UPDATE "{table}" SET full_name = :n WHERE citizen_id__bi = :k'),
                {"n": name, "k": key},
            )
    for fmt in ("json", "ndjson"):  # an export fails before streaming starts, too
        response = client.get(
            "/v1/datasets/population-registry/records",
            params={"purpose": "residence-management", "format": fmt, "limit": 500},
            headers={"Authorization": f"Bearer {token(agency='cong-an')}"},
        )
        assert response.status_code == 503, response.text
        assert response.json()["type"].endswith("/decryption-failed")


def test_quarantined_values_are_stored_encrypted(hub, population_csv, tmp_path):
    source = tmp_path / "population.csv"
    marker = _with_bad_row(population_csv, source)
    load_example(hub, "population-registry", source)
    with hub.sessions() as session:
        row = session.scalars(sa.select(QuarantinedRow)).one()
    assert set(row.values) == {"encrypted"}
    assert marker not in str(row.values)
    assert "date_of_birth" in row.reason
