"""Signed checkpoints of the audit chain.

The hash chain alone shows an edited, deleted or reordered entry, but someone with write
access to the database could recompute every hash after their edit, or cut the tail. So
every ``every`` entries the hub signs ``{"seq", "hash"}`` with its token signing key (a
JWS; the public keys are in the JWKS, so anyone can check them offline). Verification
then also demands that each checkpoint's signature holds and that the entry at its
``seq`` still has that hash: rewriting history before a checkpoint, or truncating the log
below one, is detected. What happens after the newest checkpoint is covered by the chain
only; publishing checkpoints to auditors (``GET /v1/audit/verify``) anchors them outside.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt

from hub.auth.keys import ALGORITHM, Keyring


@dataclass(frozen=True)
class CheckpointSigner:
    keyring: Keyring
    every: int = 1000

    def sign(self, seq: int, hash_: str) -> tuple[str, str]:
        key = self.keyring.active()
        token = jwt.encode(
            {"seq": seq, "hash": hash_, "typ": "audit-checkpoint"},
            key.private_key,
            algorithm=ALGORITHM,
            headers={"kid": key.kid},
        )
        return key.kid, token

    def valid(self, seq: int, hash_: str, kid: str, signature: str) -> bool:
        public = self.keyring.public_key(kid)
        if public is None:
            return False
        try:
            claims = jwt.decode(signature, public, algorithms=[ALGORITHM])
        except jwt.PyJWTError:
            return False
        return claims == {"seq": seq, "hash": hash_, "typ": "audit-checkpoint"}
