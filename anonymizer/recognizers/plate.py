"""Vehicle registration plates.

Cars "51A-123.45", "51A-12345", "51LD-123.45", "51A-1234" (old four-digit series);
motorbikes "59-X1 123.45", "59X1-12345", "29-MĐ1 234.56" (electric), "52-S5 1234".
Apartment and lot codes have the same shape ("căn 12A-05.03" does not, "lô 51A-123.45"
might): nearby words like "căn hộ", "phòng", "lô" veto the match unless a plate cue is
present.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from anonymizer.recognizers import checks
from anonymizer.recognizers.base import Candidate, ContextualRecognizer
from anonymizer.recognizers.registry import register

PATTERN = regex.compile(
    r"(?<![\w.\-/])(?P<province>\d{2})(?:"
    # motorbike: series letter + digit (or two letters, or MĐ + digit), 5 or 4 digits
    r"(?P<moto>[ -]?(?:[A-Z]Đ\d|[A-Z][A-Z0-9])[ .-]?(?:\d{3}\.\d{2}|\d{5}|\d{4}))"
    # car: one or two series letters, 5 digits (123.45 / 12345) or an old 4-digit number
    r"|(?P<car>[A-Z]{1,2}[ -]?(?:\d{3}\.\d{2}|\d{5})|[A-Z]-\d{4})"
    r")(?![\w]|[.,]\d)"
)


@register("vn_license_plate")
class LicensePlateRecognizer(ContextualRecognizer):
    ENTITY = "VN_LICENSE_PLATE"
    CUES = (
        "bien so",
        "bien so xe",
        "bks",
        "bien kiem soat",
        "xe",
        "o to",
        "oto",
        "xe may",
        "xe mo to",
        "mo to",
        "xe tai",
        "phuong tien",
        "plate",
        "license plate",
        "licence plate",
        "number plate",
        "vehicle",
        "car",
        "motorbike",
        "scooter",
    )
    NEGATIVE_BEFORE = (
        "can ho",
        "can",
        "phong",
        "lo",
        "lo dat",
        "block",
        "toa",
        "tang",
        "ma",
        "ma so",
        "so hieu",
        "ky hieu",
        "mau",
        "apartment",
        "unit",
        "room",
        "lot",
        "model",
        "code",
    )

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        for m in PATTERN.finditer(text):
            if not checks.is_plate_province(m.group("province")):
                continue
            body = m.group("moto") or m.group("car") or ""
            separated = any(ch in body for ch in " .-")
            score = 0.75 if separated else 0.5
            yield Candidate(m.start(), m.end(), score, 0.95, "moto" if m.group("moto") else "car")
