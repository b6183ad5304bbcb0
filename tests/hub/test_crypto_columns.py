"""The column paths of FieldCipher give what the single-value definitions give."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.crypto import NONCE_BYTES, FieldCipher, aad

TEXTS = st.text(st.characters(codec="utf-8"), max_size=40)
VALUES = st.lists(st.none() | TEXTS, max_size=12)
TOKEN = re.compile(r"v1:(?P<kid>[^:]+):(?P<body>[A-Za-z0-9_-]*={0,2})")


def cipher(index_key: bytes) -> FieldCipher:
    return FieldCipher({"k1": b"\x01" * 32, "k2": b"\x02" * 32}, "k2", index_key)


@settings(max_examples=300, deadline=None)
@given(
    # index keys shorter and longer than SHA-256's 64-byte block are keyed differently
    index_key=st.binary(min_size=32, max_size=130),
    domain=st.sampled_from(["VN_CCCD", "PHONE_NUMBER", "citizen_id"]) | TEXTS,
    values=VALUES,
)
def test_blind_column_is_hmac_sha256_of_domain_and_value(index_key, domain, values):
    def reference(value: str) -> str:
        message = domain.encode() + b"\x1f" + value.encode()
        return hmac.new(index_key, message, hashlib.sha256).hexdigest()[:32]

    got = cipher(index_key).blind_column(domain, values)
    assert got == [None if v is None else reference(v) for v in values]
    assert got == [None if v is None else cipher(index_key).blind(domain, v) for v in values]


@settings(max_examples=200, deadline=None)
@given(values=VALUES)
def test_column_tokens_decrypt_and_keep_their_shape(values):
    fields = cipher(b"\x03" * 32)
    aads = [aad("population-registry", "full_name", f"07930400{i:04d}") for i in range(len(values))]
    tokens = fields.encrypt_column(values, aads)
    assert [t is None for t in tokens] == [v is None for v in values]
    assert fields.decrypt_column(tokens, aads) == values
    for token, value in zip(tokens, values, strict=True):
        if value is None:
            continue
        match = TOKEN.fullmatch(token)
        assert match and match["kid"] == "k2"
        raw = base64.urlsafe_b64decode(match["body"])  # padded, as column tokens always were
        assert len(raw) == NONCE_BYTES + len(value.encode()) + 16
        single = fields.encrypt(value, aads[0])  # the single-value path writes no padding
        assert fields.decrypt(single, aads[0]) == value


def test_nonces_are_not_reused_within_a_column():
    fields = cipher(b"\x03" * 32)
    tokens = fields.encrypt_column(["same"] * 200, [b"same"] * 200)
    nonces = {base64.urlsafe_b64decode(t.split(":")[2])[:NONCE_BYTES] for t in tokens}
    assert len(nonces) == 200
