"""Classify a table column from a sample of its values: which PII type, if any.

The structured-data approach of ``presidio-structured``: analyze a column once, then the
caller applies one treatment column-wise. Per value, a finding either covers the whole
value (a phone-number column) or only part of it (a notes column mentioning a phone
number). The column name is passed to the recognizers as context, so a 9-digit number in
a ``cmnd`` column is a CMND although nine digits alone are not reported.

Decision, in order:

1. a type covering whole values in at least ``WHOLE_SHARE`` of the sample -> that type;
2. the type the column name suggests (``so_dien_thoai`` -> PHONE_NUMBER), present in at
   least ``HINT_SHARE`` of the sample -> that type;
3. any finding in a text-like column (long values, or a name like ``notes``/``ghi_chu``),
   or findings inside at least ``FREE_TEXT_SHARE`` of other columns -> ``FREE_TEXT``;
4. otherwise None.

``confidence`` is the share of sampled values supporting the proposal (for None: the
share with no finding at all).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from anonymizer.engine import Finding, PiiEngine
from anonymizer.masking import mask_value
from anonymizer.recognizers.context import CueSet
from anonymizer.text import fold

FREE_TEXT = "FREE_TEXT"
WHOLE_SHARE = 0.5
HINT_SHARE = 0.3
FREE_TEXT_SHARE = 0.2
#: a finding covering this share of a value's characters counts as the whole value
WHOLE_COVERAGE = 0.8
MAX_EXAMPLES = 3
DEFAULT_SAMPLE = 200

#: column-name cues per type, checked in this order (accents optional, whole words)
NAME_HINTS: dict[str, tuple[str, ...]] = {
    FREE_TEXT: (
        "notes",
        "note",
        "ghi chu",
        "mo ta",
        "noi dung",
        "comment",
        "comments",
        "description",
        "remarks",
        "y kien",
        "phan anh",
        "text",
        "message",
        "tom tat",
    ),
    "EMAIL_ADDRESS": ("email", "e mail", "thu dien tu", "mail"),
    "PHONE_NUMBER": (
        "sdt",
        "so dien thoai",
        "dien thoai",
        "dt",
        "phone",
        "mobile",
        "tel",
        "di dong",
        "hotline",
        "fax",
    ),
    "VN_CCCD": ("cccd", "can cuoc", "so dinh danh", "dinh danh", "citizen id", "national id"),
    "VN_CMND": ("cmnd", "chung minh", "cmt"),
    "VN_TAX_CODE": ("mst", "ma so thue", "tax code", "tax id", "ma so doanh nghiep"),
    "VN_SOCIAL_INSURANCE": ("bhxh", "bhyt", "social insurance", "bao hiem"),
    "VN_LICENSE_PLATE": ("bien so", "bks", "plate", "bien kiem soat"),
    "BANK_ACCOUNT": ("stk", "so tai khoan", "tai khoan", "account", "bank account", "tk"),
    "CREDIT_CARD": ("card", "so the", "credit card"),
    "DATE_OF_BIRTH": (
        "ngay sinh",
        "dob",
        "birth",
        "birthday",
        "date of birth",
        "nam sinh",
        "sinh nhat",
        "birth date",
    ),
    "IP_ADDRESS": ("ip", "ip address", "ip addr"),
    "URL": ("url", "website", "link", "web"),
    "LOCATION": (
        "dia chi",
        "address",
        "noi o",
        "thuong tru",
        "tam tru",
        "que quan",
        "cho o",
        "noi sinh",
        "addr",
    ),
    "PERSON": (
        "ho ten",
        "ho va ten",
        "full name",
        "name",
        "ten",
        "nguoi",
        "first name",
        "last name",
        "surname",
        "chu ho",
        "benh nhan",
    ),
}
_HINTS = {kind: CueSet(cues) for kind, cues in NAME_HINTS.items()}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass
class ColumnFinding:
    column: str
    proposed_pii: str | None
    confidence: float
    matched: int
    sampled: int
    entity_counts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def column_words(name: str) -> str:
    """``soDienThoai`` / ``so_dien_thoai`` / ``Số điện thoại`` -> ``so dien thoai``."""
    spaced = _CAMEL.sub(" ", name)
    return " ".join(re.sub(r"[_\-./]+", " ", fold(spaced)).split())


def name_hint(name: str) -> str | None:
    words = column_words(name)
    for kind, cues in _HINTS.items():
        if cues.search(words):
            return kind
    return None


def _whole_type(value: str, findings: list[Finding]) -> str | None:
    size = len(value.strip())
    if not size:
        return None
    covered: Counter[str] = Counter()
    for f in findings:
        covered[f.entity_type] += f.end - f.start
    kind, chars = covered.most_common(1)[0] if covered else (None, 0)
    return kind if chars >= WHOLE_COVERAGE * size else None


def _text_like(values: list[str]) -> bool:
    if not values:
        return False
    mean_len = sum(len(v) for v in values) / len(values)
    mean_words = sum(len(v.split()) for v in values) / len(values)
    return mean_len >= 40 or mean_words >= 7


def classify_column(
    name: str,
    values: Sequence[Any],
    *,
    engine: PiiEngine,
    language: str = "vi",
    sample_size: int = DEFAULT_SAMPLE,
) -> ColumnFinding:
    """Propose the PII type of column ``name`` from sample ``values``.

    The caller samples (random rows, not the first ones); at most ``sample_size``
    non-empty values are analyzed.
    """
    texts = [str(v).strip() for v in values if v is not None and str(v).strip()][:sample_size]
    hint = name_hint(name)
    words = column_words(name)
    per_value = [
        (t, engine.analyze(t, language, context=[words] if words else None)) for t in texts
    ]
    present: Counter[str] = Counter()
    whole: Counter[str] = Counter()
    matched = 0
    for text, findings in per_value:
        if findings:
            matched += 1
        present.update({f.entity_type for f in findings})
        kind = _whole_type(text, findings)
        if kind:
            whole[kind] += 1
    sampled = len(texts)
    proposal, support = _decide(hint, whole, present, matched, sampled, _text_like(texts))
    confidence = support / sampled if sampled else 0.0
    return ColumnFinding(
        column=name,
        proposed_pii=proposal,
        confidence=round(confidence, 3),
        matched=matched,
        sampled=sampled,
        entity_counts=dict(present.most_common()),
        examples=_examples(engine, per_value, proposal),
    )


def _decide(
    hint: str | None,
    whole: Counter[str],
    present: Counter[str],
    matched: int,
    sampled: int,
    text_like: bool,
) -> tuple[str | None, int]:
    if not sampled:
        return None, 0
    if whole:
        kind, count = whole.most_common(1)[0]
        if count >= WHOLE_SHARE * sampled:
            return kind, count
    if hint and hint != FREE_TEXT and present[hint] >= HINT_SHARE * sampled:
        return hint, present[hint]
    if matched and (text_like or hint == FREE_TEXT or matched >= FREE_TEXT_SHARE * sampled):
        return FREE_TEXT, matched
    return None, sampled - matched


def _examples(
    engine: PiiEngine, per_value: list[tuple[str, list[Finding]]], proposal: str | None
) -> list[str]:
    if proposal is None:
        return []
    out: list[str] = []
    for text, findings in per_value:
        if len(out) >= MAX_EXAMPLES:
            break
        if proposal == FREE_TEXT:
            if findings:
                example = engine.redact_findings(text, findings)
                out.append(example if len(example) <= 80 else example[:77] + "...")
        elif any(f.entity_type == proposal for f in findings):
            out.append(mask_value(text, proposal))
    return list(dict.fromkeys(out))
