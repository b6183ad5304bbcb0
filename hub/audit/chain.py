"""The hash chain: how an entry's hash is computed, and how a log is checked.

``hash = sha256(canonical JSON of the entry's content including seq and prev_hash)``; the
first entry's ``prev_hash`` is 64 zeros. Sequence numbers have no gaps, so a deleted entry
shows as a gap even at the end of the log once the next entry is written; truncation of
the tail is caught by signed checkpoints (see the security issue/docs).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
CONTENT = (
    "seq", "at", "event", "principal", "agency", "purpose", "dataset", "fields", "row_count",
    "decision", "rule_id", "policy_version", "request_id", "record_keys", "detail", "prev_hash",
)  # fmt: skip


def entry_hash(content: Mapping[str, Any]) -> str:
    body = {k: _plain(content[k]) for k in CONTENT}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class Verification:
    intact: bool
    count: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify(entries: Iterable[Mapping[str, Any]]) -> Verification:
    """Walk entries in seq order; stop at the first one that does not fit the chain."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for entry in entries:
        seq = entry["seq"]
        if seq != expected_seq:
            return Verification(False, count, expected_seq, f"entry {expected_seq} is missing")
        if entry["prev_hash"] != prev_hash:
            return Verification(False, count, seq, "does not link to the previous entry")
        if entry_hash(entry) != entry["hash"]:
            return Verification(False, count, seq, "content does not match its hash")
        prev_hash, expected_seq, count = entry["hash"], seq + 1, count + 1
    return Verification(True, count)
