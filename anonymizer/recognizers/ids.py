"""Vietnamese identity and registration numbers: CCCD, CMND, tax code (MST), BHXH."""

from __future__ import annotations

from collections.abc import Iterable

import regex

from anonymizer.recognizers import checks
from anonymizer.recognizers.base import Candidate, ContextualRecognizer, digits_only
from anonymizer.recognizers.registry import register

# A number standing alone: not glued to letters, other digits, a decimal part, a path or a
# document number suffix ("2392/QĐ-UBND").
_LEFT = r"(?<![\w.,/\-])"
_RIGHT = r"(?![\w/]|[.,\-]\d)"

#: references that are numbers but never personal identifiers
NUMBER_NEGATIVES = (
    "so tien",
    "tong tien",
    "thanh tien",
    "gia",
    "phi",
    "le phi",
    "ma giao dich",
    "ma gd",
    "ma don",
    "ma don hang",
    "don hang",
    "ma van don",
    "van don",
    "hoa don",
    "so hoa don",
    "ma ho so",
    "so ho so",
    "ma tra cuu",
    "so hieu",
    "so van ban",
    "cong van",
    "quyet dinh",
    "ma buu chinh",
    "ma buu dien",
    "invoice",
    "order",
    "ref",
    "reference",
    "transaction",
    "tracking",
    "postal code",
    "zip",
    "so luong",
    "dien tich",
)
MONEY_AFTER = ("dong", "d", "vnd", "usd", "trieu", "ty", "nghin", "%", "m2", "kg")

_ID_CUES_CCCD = (
    "cccd",
    "can cuoc",
    "can cuoc cong dan",
    "the can cuoc",
    "so dinh danh",
    "dinh danh",
    "ma dinh danh",
    "so dinh danh ca nhan",
    "cmnd/cccd",
    "cccd/cmnd",
    "id",
    "citizen id",
    "id card",
    "identity card",
    "national id",
    "personal id",
    "id number",
    "id no",
    "ma so thue",
    "mst",
    "tax code",
    "tax id",
)


@register("vn_cccd")
class CccdRecognizer(ContextualRecognizer):
    """12-digit citizen ID: known province code, plausible century/sex and birth year.

    A 12-digit personal tax code is the owner's CCCD since July 2025, so tax cues count.
    """

    ENTITY = "VN_CCCD"
    CUES = _ID_CUES_CCCD
    NEGATIVE_BEFORE = (*NUMBER_NEGATIVES, "stk", "so tai khoan", "tai khoan")
    NEGATIVE_AFTER = MONEY_AFTER
    PATTERN = regex.compile(_LEFT + r"\d{3}(?: ?\d{3}){3}" + _RIGHT)

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        for m in self.PATTERN.finditer(text):
            digits = digits_only(m.group())
            if checks.is_valid_cccd(digits):
                yield Candidate(m.start(), m.end(), 0.8, 0.95, "cccd")
            else:
                # a 12-digit number called a CCCD is one, even with a typo in it
                yield Candidate(m.start(), m.end(), 0.2, 0.6, "cccd-unchecked")


@register("vn_cmnd")
class CmndRecognizer(ContextualRecognizer):
    """Old 9-digit identity card number; nine digits alone are too common to report."""

    ENTITY = "VN_CMND"
    CUES = (
        "cmnd",
        "chung minh nhan dan",
        "chung minh thu",
        "cmt",
        "so cm",
        "giay cm",
        "cmnd/cccd",
        "cccd/cmnd",
        "id card",
        "identity card",
        "old id",
        "id number",
        "id no",
    )
    NEGATIVE_BEFORE = NUMBER_NEGATIVES
    NEGATIVE_AFTER = MONEY_AFTER
    PATTERN = regex.compile(_LEFT + r"\d{3}(?: ?\d{3}){2}" + _RIGHT)

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        for m in self.PATTERN.finditer(text):
            digits = digits_only(m.group())
            if len(set(digits)) > 1:
                yield Candidate(m.start(), m.end(), 0.3, 0.9, "cmnd")


@register("vn_tax_code")
class TaxCodeRecognizer(ContextualRecognizer):
    """10-digit MST with the Circular 105/2020 check digit, optional -NNN branch suffix."""

    ENTITY = "VN_TAX_CODE"
    CUES = (
        "ma so thue",
        "mst",
        "ma so doanh nghiep",
        "msdn",
        "ma so dn",
        "tax code",
        "tax id",
        "tax identification",
        "ma thue",
        "so thue",
        "nguoi nop thue",
    )
    NEGATIVE_BEFORE = (*NUMBER_NEGATIVES, "stk", "so tai khoan", "bhxh")
    NEGATIVE_AFTER = MONEY_AFTER
    PATTERN = regex.compile(_LEFT + r"(\d{10})(?:\s?-\s?(\d{3}))?" + _RIGHT)

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        for m in self.PATTERN.finditer(text):
            if not checks.is_valid_mst(m.group(1)):
                continue
            if m.group(2):
                yield Candidate(m.start(), m.end(), 0.75, 0.95, "mst-branch")
            else:
                # 1 in 11 random numbers pass the check digit: alone it is not enough
                yield Candidate(m.start(), m.end(), 0.4, 0.95, "mst")


@register("vn_social_insurance")
class SocialInsuranceRecognizer(ContextualRecognizer):
    """10-digit BHXH number (context needed) and the 15-character BHYT card code."""

    ENTITY = "VN_SOCIAL_INSURANCE"
    CUES = (
        "bhxh",
        "bao hiem xa hoi",
        "ma so bhxh",
        "so so bhxh",
        "so bhxh",
        "ma bhxh",
        "so so bao hiem",
        "so bao hiem",
        "bhyt",
        "bao hiem y te",
        "the bhyt",
        "ma the bhyt",
        "ma the",
        "social insurance",
        "health insurance",
        "insurance number",
        "si number",
    )
    NEGATIVE_BEFORE = NUMBER_NEGATIVES
    NEGATIVE_AFTER = MONEY_AFTER
    PATTERN = regex.compile(_LEFT + r"\d{10}" + _RIGHT)
    # BHYT card: 2 letters (beneficiary group), benefit level 1-5, province code, BHXH no.
    CARD = regex.compile(r"(?<![\w])[A-Z]{2}[1-5]\d{2}\d{10}(?!\w)")

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        for m in self.PATTERN.finditer(text):
            yield Candidate(m.start(), m.end(), 0.3, 0.9, "bhxh")
        for m in self.CARD.finditer(text):
            yield Candidate(m.start(), m.end(), 0.75, 0.95, "bhyt-card")
