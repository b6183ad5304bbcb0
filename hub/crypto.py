"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256) for personal data at rest.

A ciphertext is the text ``v1:<kid>:<base64url(nonce || ciphertext || tag)>``: the key id
travels with it, so rotation can re-encrypt row by row while readers decrypt old and new
alike. The associated data binds each ciphertext to its dataset, field and row key: a
ciphertext copied into another row, field or dataset fails to decrypt instead of
silently moving a value.

A blind index is ``HMAC-SHA256(index key, domain || 0x1f || value)`` truncated to 128 bits
(hex). The domain is the PII type (``VN_CCCD``), not the field: the same citizen ID gets the
same index in every dataset, which is what lets a citizen's access log find their records.
The index key never rotates (the indexes would all change); the encryption keys do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.errors import Unavailable

PREFIX = "v1"
NONCE_BYTES = 12


class DecryptionFailed(Unavailable):
    slug, title = "decryption-failed", "Stored data could not be decrypted"


@dataclass(frozen=True)
class FieldCipher:
    keys: Mapping[str, bytes]  # kid -> 32-byte AES key
    active: str
    index_key: bytes

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise Unavailable(f"active data key {self.active!r} is not in the keyring")
        if any(len(k) != 32 for k in self.keys.values()) or len(self.index_key) < 32:
            raise Unavailable("data keys must be 32 bytes and the index key at least 32 bytes")
        # AESGCM objects are reused: building one per value would dominate bulk reads
        object.__setattr__(self, "_ciphers", {kid: AESGCM(k) for kid, k in self.keys.items()})

    # -- single values ---------------------------------------------------------------
    def encrypt(self, plaintext: str, aad: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aes(self.active).encrypt(nonce, plaintext.encode(), aad)
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return f"{PREFIX}:{self.active}:{body}"

    def decrypt(self, token: str, aad: bytes) -> str:
        return self.decrypt_column([token], [aad])[0]  # type: ignore[no-any-return]

    def blind(self, domain: str, value: str) -> str:
        mac = hmac.new(self.index_key, f"{domain}\x1f{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    @staticmethod
    def kid_of(token: str) -> str:
        return token.split(":", 2)[1]

    # -- columns: the bulk paths of ingest and export, written for per-value cost -----
    def encrypt_column(self, values: Sequence[str | None], aads: Sequence[bytes]) -> list:
        present = [(v, a) for v, a in zip(values, aads, strict=True) if v is not None]
        seal = self._aes(self.active).encrypt
        # one call to the system's CSPRNG per column, not per value: same nonces, less cost
        pool = os.urandom(NONCE_BYTES * len(present))
        nonces = [pool[i : i + NONCE_BYTES] for i in range(0, len(pool), NONCE_BYTES)]
        sealed = [n + seal(n, v.encode(), a) for n, (v, a) in zip(nonces, present, strict=True)]
        tokens = _tokens(f"{PREFIX}:{self.active}:".encode(), sealed)
        if len(present) == len(values):
            return tokens
        rest = iter(tokens)
        return [None if v is None else next(rest) for v in values]

    def decrypt_column(self, tokens: Sequence[str | None], aads: Sequence[bytes]) -> list:
        ciphers: dict[str, AESGCM] = self._ciphers  # type: ignore[attr-defined]
        out: list[str | None] = []
        try:
            for token, aad in zip(tokens, aads, strict=True):
                if token is None:
                    out.append(None)
                    continue
                prefix, kid, body = token.split(":", 2)
                if prefix != PREFIX or kid not in ciphers:
                    raise ValueError(kid)
                raw = _unbase64(body)
                out.append(ciphers[kid].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad).decode())
        except (ValueError, InvalidTag) as exc:
            raise DecryptionFailed(
                "a stored value failed authentication (wrong key, or the data was altered); "
                "check that var/keys matches this database"
            ) from exc
        return out

    def blind_column(self, domain: str, values: Sequence[str | None]) -> list[str | None]:
        # the keyed state is built once per column, then copied per value
        base = hmac.new(self.index_key, f"{domain}\x1f".encode(), hashlib.sha256)
        out: list[str | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            mac = base.copy()
            mac.update(value.encode())
            out.append(mac.hexdigest()[:32])
        return out

    def _aes(self, kid: str) -> AESGCM:
        return self._ciphers[kid]  # type: ignore[attr-defined,no-any-return]


_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _tokens(head: bytes, sealed: list[bytes]) -> list[str]:
    """``head`` + padded base64url of each sealed value, built column-wide in C."""
    # b2a_base64 ends each value with a newline: the column becomes one string whose lines
    # are the tokens, so translating, prefixing and decoding happen once per column
    lines = b"".join(map(binascii.b2a_base64, sealed)).translate(_TO_URLSAFE)
    text = (head + lines.replace(b"\n", b"\n" + head)).decode()
    return text.split("\n")[: len(sealed)]


def _unbase64(body: str) -> bytes:
    """``base64.urlsafe_b64decode`` of a body with or without padding, minus its layers."""
    data = body.encode("ascii").translate(_FROM_URLSAFE)
    return binascii.a2b_base64(data + b"=" * (-len(data) % 4))


def aad(dataset: str, field: str, row_key: str) -> bytes:
    return f"{dataset}\x1f{field}\x1f{row_key}".encode()
