"""Dates of birth: a plausible past date next to a birth cue.

Dates are everywhere in administrative text ("ngày 01/7/2025", decision dates), so a
date is reported only with a cue ("sinh ngày", "ngày sinh", "NS:", "born on", "DOB")
or when the caller's context says the value is a birth date (a ``ngay_sinh`` column).
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from anonymizer.recognizers import checks
from anonymizer.recognizers.base import Candidate, ContextualRecognizer
from anonymizer.recognizers.registry import register

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_LEFT = r"(?<![\w/.\-])"
_RIGHT = r"(?![\w]|[/.\-]\d)"

PATTERNS = (
    # 05/03/1990, 5-3-1990, 05.03.1990 (and 03/05/1990 in English text)
    (
        "dmy",
        regex.compile(
            _LEFT + r"(?P<a>\d{1,2})(?P<s>[/.\-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4})" + _RIGHT
        ),
    ),
    ("iso", regex.compile(_LEFT + r"(?P<y>\d{4})-(?P<b>\d{2})-(?P<a>\d{2})" + _RIGHT)),
    # 5 tháng 3 năm 1990, 05 tháng 03, 1990 (the word "ngày" before it is not part of it)
    (
        "vi-text",
        regex.compile(
            _LEFT
            + r"(?P<a>\d{1,2})\s+tháng\s+(?P<b>\d{1,2})\s*(?:,\s*|\s+)(?:năm\s+)?(?P<y>\d{4})"
            + _RIGHT,
            regex.IGNORECASE,
        ),
    ),
    (
        "en-dmy",
        regex.compile(
            _LEFT
            + r"(?P<a>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
            + _MONTH
            + r",?\s+(?P<y>\d{4})"
            + _RIGHT,
            regex.IGNORECASE,
        ),
    ),
    (
        "en-mdy",
        regex.compile(
            r"(?<![\w])" + _MONTH + r"\s+(?P<a>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _RIGHT,
            regex.IGNORECASE,
        ),
    ),
)
# "sinh năm 1990", "năm sinh: 1985", "born in 1979": the cue is part of the pattern
YEAR = regex.compile(
    r"(?<!\w)(?:sinh\s+năm|năm\s+sinh|born\s+in|year\s+of\s+birth|NS)\s*:?\s*(?P<y>(?:19|20)\d{2})"
    + _RIGHT,
    regex.IGNORECASE,
)

# a bare year as the value of a statement: "Năm sinh của ông A là 1958", "Her year of
# birth is 1988"; a birth cue before it (the base class's window) is still required
YEAR_VALUE = regex.compile(
    r"(?<!\w)(?:là|is|was|:)\s*(?P<y>(?:19|20)\d{2})" + _RIGHT, regex.IGNORECASE
)


def _day_month(match: regex.Match[str], name: str) -> list[tuple[int, int]]:
    day = int(match.group("a"))
    if "mon" in match.groupdict() and match.group("mon"):
        return [(day, _MONTHS[match.group("mon")[:3].lower()])]
    other = int(match.group("b"))
    # numeric dates are day-first in Vietnam; accept month-first too (English forms)
    return [(day, other), (other, day)] if name == "dmy" else [(day, other)]


@register("vn_date_of_birth")
class DateOfBirthRecognizer(ContextualRecognizer):
    ENTITY = "DATE_OF_BIRTH"
    CUES = (
        "sinh ngay",
        "ngay sinh",
        "ngay thang nam sinh",
        "ngay/thang/nam sinh",
        "nam sinh",
        "ns",
        "sinh vao",
        "sinh luc",
        "sinh nhat",
        "dob",
        "d.o.b",
        "d.o.b.",
        "date of birth",
        "birth date",
        "birthdate",
        "year of birth",
        "birth year",
        "born",
        "born on",
        "birthday",
        "ngay sinh cua",
    )
    NEGATIVE_BEFORE = ("ngay cap", "cap ngay", "issued", "het han", "expiry", "expires")

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        for name, pattern in PATTERNS:
            for m in pattern.finditer(text):
                year = int(m.group("y"))
                if any(checks.plausible_birth_date(year, mo, d) for d, mo in _day_month(m, name)):
                    yield Candidate(m.start(), m.end(), 0.1, 0.9, name)
        for m in YEAR.finditer(text):
            if checks.plausible_birth_date(int(m.group("y")), 1, 1):
                yield Candidate(m.start("y"), m.end("y"), 0.85, 0.9, "birth-year")
        for m in YEAR_VALUE.finditer(text):
            if checks.plausible_birth_date(int(m.group("y")), 1, 1):
                yield Candidate(m.start("y"), m.end("y"), 0.1, 0.85, "birth-year-value")
