"""Bank account numbers: 8-19 digits, reported only next to an account or bank cue.

Vietnamese banks let customers pick a phone number or a CCCD-like 12-digit number as the
account number, so the number alone says nothing; the cue decides, and a bank cue beats
the phone and CCCD readings in overlap resolution (higher context score).
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from anonymizer.recognizers.base import Candidate, ContextualRecognizer, digits_only
from anonymizer.recognizers.ids import MONEY_AFTER, NUMBER_NEGATIVES
from anonymizer.recognizers.registry import register

# groups of 3+ digits joined by single spaces or dashes; dots are money ("15.000.000")
PATTERN = regex.compile(r"(?<![\w.,/\-])\d{3,}(?:[ \-]\d{3,}){0,5}(?![\w/]|[.,]\d)")

BANKS = (
    "vietcombank",
    "vcb",
    "techcombank",
    "tcb",
    "bidv",
    "agribank",
    "vietinbank",
    "mb",
    "mbbank",
    "mb bank",
    "acb",
    "vpbank",
    "tpbank",
    "sacombank",
    "hdbank",
    "shb",
    "scb",
    "ocb",
    "msb",
    "vib",
    "seabank",
    "eximbank",
    "lpbank",
    "lienvietpostbank",
    "bac a bank",
    "nam a bank",
    "abbank",
    "kienlongbank",
    "pvcombank",
    "baovietbank",
    "vietabank",
    "ncb",
    "dong a bank",
    "bvbank",
    "vietbank",
    "saigonbank",
    "pgbank",
    "oceanbank",
    "gpbank",
    "cbbank",
    "shinhan",
    "hsbc",
    "standard chartered",
    "uob",
    "woori",
    "cake",
    "timo",
)


@register("bank_account")
class BankAccountRecognizer(ContextualRecognizer):
    ENTITY = "BANK_ACCOUNT"
    CUES = (
        "so tai khoan",
        "stk",
        "tk",
        "tai khoan",
        "so tk",
        "tai khoan so",
        "ngan hang",
        "nh",
        "chu tai khoan",
        "account",
        "account number",
        "acct",
        "a/c",
        "bank account",
        "bank",
        "iban",
        *BANKS,
    )
    NEGATIVE_BEFORE = NUMBER_NEGATIVES
    NEGATIVE_AFTER = MONEY_AFTER

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        for m in PATTERN.finditer(text):
            if 8 <= len(digits_only(m.group())) <= 19:
                yield Candidate(m.start(), m.end(), 0.2, 0.9, "account")
