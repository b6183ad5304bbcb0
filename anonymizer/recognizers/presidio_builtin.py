"""Presidio's own recognizers for e-mail, credit card, IP address and URL, registered by name.

E-mail and IP addresses are used as they are. The credit card recognizer also fires on
Luhn-valid bank account numbers, so a card match next to a bank cue (and no card cue) is
dropped. Presidio's URL patterns match "P.An" or "Ms.La" (``an`` and ``la`` are TLDs) in
Vietnamese addresses and honorifics; ours require a scheme, ``www.`` or a lower-case
domain with a common TLD.
"""

from __future__ import annotations

from typing import Any, ClassVar

import regex
from presidio_analyzer import EntityRecognizer, Pattern, RecognizerResult
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IpRecognizer,
    UrlRecognizer,
)

from anonymizer.recognizers import context as ctx
from anonymizer.recognizers.bank import BANKS
from anonymizer.recognizers.registry import RecognizerOptions, register
from anonymizer.text import fold


@register("email")
class EmailFactory:
    ENTITIES: ClassVar[tuple[str, ...]] = ("EMAIL_ADDRESS",)

    @classmethod
    def from_options(cls, options: RecognizerOptions) -> EntityRecognizer:
        return EmailRecognizer(supported_language=options.language)


@register("ip_address")
class VnIpRecognizer(IpRecognizer):
    """Presidio's IP recognizer minus dotted version numbers ("phiên bản 2.1.0.3")."""

    ENTITIES: ClassVar[tuple[str, ...]] = ("IP_ADDRESS",)
    VERSION_CUES = ctx.CueSet(
        ("phien ban", "ban cap nhat", "version", "ver", "v", "build", "release")
    )

    def __init__(self, options: RecognizerOptions) -> None:
        super().__init__(supported_language=options.language)

    @classmethod
    def from_options(cls, options: RecognizerOptions) -> EntityRecognizer:
        return cls(options)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: Any = None
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        folded = fold(text)
        return [r for r in results if not self.VERSION_CUES.search(ctx.before(folded, r.start, 20))]


_CARD_SHAPE = regex.compile(
    r"\d{13,19}|\d{4}(?:([ -])\d{4})(?:\1\d{4}){1,2}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{5}"
)


@register("credit_card")
class VnCreditCardRecognizer(CreditCardRecognizer):
    """Presidio's Luhn-checked card recognizer, made to step aside for account numbers.

    Luhn passes one random number in ten, so Vietnamese account numbers and tax codes with
    a branch suffix ("3134452980-018") look like cards. A match must have a card's shape
    (contiguous, or groups of four; Amex 4-6-5) and no account or tax cue before it; a card
    cue makes it certain.
    """

    ENTITIES: ClassVar[tuple[str, ...]] = ("CREDIT_CARD",)
    OTHER_CUES = ctx.CueSet(
        (
            "stk",
            "so tai khoan",
            "tai khoan",
            "tk",
            "account",
            "mst",
            "ma so thue",
            "tax code",
            *BANKS,
        )
    )
    CARD_CUES = ctx.CueSet(
        (
            "the",
            "so the",
            "the tin dung",
            "the ghi no",
            "card",
            "credit card",
            "debit card",
            "visa",
            "mastercard",
            "master card",
            "jcb",
            "amex",
            "napas",
        )
    )

    #: Presidio's pattern misses Mastercard's 2221-2720 range (in use since 2017)
    CARD_PATTERNS: ClassVar[list[Pattern]] = [
        *CreditCardRecognizer.PATTERNS,
        Pattern(
            "Mastercard 2-series",
            r"\b2(?:2[2-9]\d|[3-6]\d\d|7[01]\d|720)[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b",
            0.3,
        ),
    ]

    def __init__(self, options: RecognizerOptions) -> None:
        self.window = options.window
        super().__init__(patterns=list(self.CARD_PATTERNS), supported_language=options.language)

    @classmethod
    def from_options(cls, options: RecognizerOptions) -> EntityRecognizer:
        return cls(options)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: Any = None
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        folded = fold(text)
        kept = []
        for result in results:
            if not _CARD_SHAPE.fullmatch(text[result.start : result.end]):
                continue
            before = ctx.before(folded, result.start, self.window.before)
            if self.CARD_CUES.search(before):
                result.score = 1.0
            elif self.OTHER_CUES.search(before):
                continue
            else:
                result.score = 0.9
            kept.append(result)
        return kept


_PATH = r"(?:/[^\s<>\"'()]*[^\s<>\"'().,;:!?])?"
_TLDS = "com|net|org|vn|gov|edu|info|io|biz|me|co|dev|app|asia|online|site|xyz|ai"


@register("url")
class VnUrlRecognizer(UrlRecognizer):
    ENTITIES: ClassVar[tuple[str, ...]] = ("URL",)
    URL_PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("scheme url", r"(?<![\w@])https?://[^\s<>\"'()]*[^\s<>\"'().,;:!?]", 0.8),
        Pattern("www url", r"(?<![\w@.])www\d{0,3}\.[a-z0-9\-]+(?:\.[a-z0-9\-]+)+" + _PATH, 0.7),
        Pattern(
            "bare domain",
            r"(?<![\w@.\-/])(?-i:[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:" + _TLDS + r"))"
            r"(?![\w@\-]|\.\w)" + _PATH,
            0.55,
        ),
    ]

    def __init__(self, options: RecognizerOptions) -> None:
        super().__init__(patterns=list(self.URL_PATTERNS), supported_language=options.language)

    @classmethod
    def from_options(cls, options: RecognizerOptions) -> EntityRecognizer:
        return cls(options)
