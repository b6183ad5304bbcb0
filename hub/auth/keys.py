"""The keyring under ``var/keys``: token signing keys and the pseudonymization secret.

Layout (created by ``civichub init``; back it up, it cannot be recreated)::

    keys/signing/<kid>.pem     RSA private keys, 0600; every one is published in the JWKS
    keys/signing/ACTIVE        the kid that signs new tokens
    keys/pseudonym.key         32+ random bytes (hex) for keyed HMAC pseudonyms
    keys/data/<kid>.key        AES-256 keys for personal data at rest; every one stays
                               until no ciphertext names it
    keys/data/ACTIVE           the kid that encrypts new values
    keys/index.key             32 random bytes (hex) for blind indexes; never rotated

RS256 was chosen over EdDSA because every identity provider and API gateway the city's
agencies run (and the national platforms) verifies RS256; EdDSA support is still uneven.
Rotation keeps the old public keys in the JWKS so tokens already issued stay valid until
they expire; ``prune`` drops keys older than the longest token lifetime.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from hub.crypto import FieldCipher
from hub.errors import Unavailable

ALGORITHM = "RS256"
RSA_BITS = 3072  # NIST SP 800-57: 2048 is acceptable only until 2030
KID_ALPHABET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @cached_property
    def public_key(self) -> rsa.RSAPublicKey:
        # one object per key: verified tokens remember which key verified them (tokens.py)
        return self.private_key.public_key()

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return jwk


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint: a kid derived from the key itself."""
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Keyring:
    def __init__(self, keys_dir: Path):
        self.dir = keys_dir
        self._signing: dict[str, SigningKey] | None = None

    # -- creation --------------------------------------------------------------------
    def ensure(self) -> list[str]:
        """Create whatever is missing; returns what was created (for `civichub init`)."""
        created = []
        self.signing_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        if not (self.signing_dir / "ACTIVE").exists():
            created.append(f"signing key {self.rotate()}")
        if not self.pseudonym_path.exists():
            _write_secret(self.pseudonym_path, secrets.token_hex(32))
            created.append("pseudonymization key")
        if not (self.data_dir / "ACTIVE").exists():
            created.append(f"data key {self.rotate_data_key()}")
        if not self.index_path.exists():
            _write_secret(self.index_path, secrets.token_hex(32))
            created.append("blind index key")
        return created

    def rotate_data_key(self) -> str:
        """A new data key encrypts from now on; old ones stay to decrypt what they wrote."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        kid = secrets.token_hex(4)
        _write_secret(self.data_dir / f"{kid}.key", secrets.token_hex(32))
        _write_secret(self.data_dir / "ACTIVE", kid)
        return kid

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def index_path(self) -> Path:
        return self.dir / "index.key"

    def cipher(self) -> FieldCipher:
        try:
            keys = {
                p.stem: bytes.fromhex(p.read_text().strip()) for p in self.data_dir.glob("*.key")
            }
            active = (self.data_dir / "ACTIVE").read_text().strip()
            index = bytes.fromhex(self.index_path.read_text().strip())
        except (FileNotFoundError, ValueError) as exc:
            raise Unavailable(
                f"data encryption keys missing or unreadable under {self.dir}; run `civichub "
                "init` on a new hub, or restore var/keys from backup (data cannot be read "
                "without them)"
            ) from exc
        return FieldCipher(keys=keys, active=active, index_key=index)

    def rotate(self) -> str:
        """A new signing key becomes active; old ones stay published for verification."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        kid = thumbprint(key.public_key())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.signing_dir.mkdir(parents=True, exist_ok=True)
        _write_secret(self.signing_dir / f"{kid}.pem", pem.decode())
        _write_secret(self.signing_dir / "ACTIVE", kid)
        self._signing = None
        return kid

    # -- reading ---------------------------------------------------------------------
    @property
    def signing_dir(self) -> Path:
        return self.dir / "signing"

    @property
    def pseudonym_path(self) -> Path:
        return self.dir / "pseudonym.key"

    def signing_keys(self) -> dict[str, SigningKey]:
        if self._signing is None:
            keys = {}
            for path in sorted(self.signing_dir.glob("*.pem")):
                private = serialization.load_pem_private_key(path.read_bytes(), password=None)
                assert isinstance(private, rsa.RSAPrivateKey)
                keys[path.stem] = SigningKey(path.stem, private)
            self._signing = keys
        return self._signing

    def active(self) -> SigningKey:
        try:
            kid = (self.signing_dir / "ACTIVE").read_text().strip()
            return self.signing_keys()[kid]
        except (FileNotFoundError, KeyError) as exc:
            raise Unavailable(
                f"no active signing key under {self.signing_dir}; run `civichub init`"
            ) from exc

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        key = self.signing_keys().get(kid)
        return key.public_key if key else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in self.signing_keys().values()]}

    def pseudonym_key(self) -> bytes:
        try:
            key = bytes.fromhex(self.pseudonym_path.read_text().strip())
        except (FileNotFoundError, ValueError) as exc:
            raise Unavailable(
                f"pseudonymization key missing or unreadable at {self.pseudonym_path}; "
                "run `civichub init` (or restore it from backup: pseudonyms depend on it)"
            ) from exc
        if len(key) < 32:
            raise Unavailable(f"pseudonymization key at {self.pseudonym_path} is under 32 bytes")
        return key


def _write_secret(path: Path, text: str) -> None:
    # write-then-rename so a crash never leaves a half-written key
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
