"""Vietnamese phone numbers: every carrier's mobile prefixes and 02x landlines.

Forms: 0..., +84..., 84..., with single spaces, dots or dashes anywhere between digits,
and "(028) 3829 5555". The prefix table lives in ``checks.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from anonymizer.recognizers import checks
from anonymizer.recognizers.base import Candidate, ContextualRecognizer, digits_only
from anonymizer.recognizers.ids import NUMBER_NEGATIVES
from anonymizer.recognizers.registry import register

_SEP = r"[ .\-]?"
_D = rf"(?:{_SEP}\d)"
PATTERN = regex.compile(
    r"(?<![\w+.,/\-])(?:"
    rf"\(0\d{{2,3}}\)\s?\d{_D}{{6,7}}"  # (028) 3829 5555
    rf"|\+\s?84{_SEP}(?:\(0\){_SEP})?\d{_D}{{8,9}}"  # +84 90 312 3456
    rf"|84{_SEP}\d{_D}{{8,9}}"  # 84903123456
    rf"|0\d{_D}{{9}}"  # 028 3829 5555 (11 digits)
    rf"|0\d{_D}{{8}}"  # 0903 123 456
    r")(?![\w]|[.,\-/]\d)"
)


@register("vn_phone")
class PhoneRecognizer(ContextualRecognizer):
    ENTITY = "PHONE_NUMBER"
    CUES = (
        "sdt",
        "so dien thoai",
        "dien thoai",
        "dt",
        "dtdd",
        "di dong",
        "so di dong",
        "lien he",
        "lh",
        "hotline",
        "goi",
        "goi dien",
        "so may",
        "zalo",
        "phone",
        "tel",
        "telephone",
        "mobile",
        "cell",
        "call",
        "contact",
        "fax",
        "sms",
        "nhan tin",
        "whatsapp",
        "viber",
    )
    NEGATIVE_BEFORE = (*NUMBER_NEGATIVES, "stk", "so tai khoan", "mst", "ma so thue")
    NEGATIVE_AFTER = ("dong", "vnd", "usd", "%")

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        for m in PATTERN.finditer(text):
            national = checks.national_phone(digits_only(m.group()))
            if national is None:
                continue
            international = m.group().lstrip("(").startswith(("+", "84"))
            if checks.is_mobile(national):
                yield Candidate(m.start(), m.end(), 0.85 if international else 0.75, 0.95, "mobile")
            elif checks.is_landline(national):
                yield Candidate(m.start(), m.end(), 0.65, 0.95, "landline")
