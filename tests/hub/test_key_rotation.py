"""Rotating the data key re-encrypts everything while reads keep working."""

from __future__ import annotations

import sqlalchemy as sa

from hub.datasets import rekey

URL = "/v1/datasets/population-registry/records"


def _all(client, token) -> list[dict]:
    response = client.get(
        URL,
        params={"purpose": "residence-management", "format": "ndjson"},
        headers={"Authorization": f"Bearer {token(agency='cong-an')}"},
    )
    assert response.status_code == 200, response.text
    return sorted(response.text.splitlines())


def _kids(hub) -> set[str]:
    with hub.engine.connect() as conn:
        table = conn.execute(sa.text("SELECT table_name FROM dataset_versions")).scalar_one()
        tokens = conn.execute(sa.text(f'SELECT full_name, phone FROM "{table}"')).all()
    return {hub.cipher.kid_of(t) for row in tokens for t in row if t}


def test_rotation_reencrypts_online(client, token, hub, population):
    before = _all(client, token)
    old_kid = hub.cipher.active
    assert _kids(hub) == {old_kid}
    new_kid = hub.keyring.rotate_data_key()
    hub.reload_keys()
    seen_during: list[list[str]] = []
    report = rekey.rekey_all(
        hub.sessions, hub.cipher, progress=lambda table, n: seen_during.append(_all(client, token))
    )
    assert report.tables == 1 and report.values > 300
    assert _kids(hub) == {new_kid}
    assert _all(client, token) == before
    assert seen_during and all(rows == before for rows in seen_during)
    # the old key stays: backups taken before the rotation remain readable
    assert old_kid in hub.cipher.keys
    # a second run finds nothing left to do
    assert rekey.rekey_all(hub.sessions, hub.cipher).values == 0
