"""Masked previews of values for stewards: enough to recognise the kind, never the value."""

from __future__ import annotations

import regex

_DIGIT_TYPES = frozenset(
    {
        "PHONE_NUMBER",
        "VN_CCCD",
        "VN_CMND",
        "VN_TAX_CODE",
        "VN_SOCIAL_INSURANCE",
        "BANK_ACCOUNT",
        "CREDIT_CARD",
        "IP_ADDRESS",
        "VN_LICENSE_PLATE",
    }
)
_ALNUM = regex.compile(r"[\p{L}\p{N}]")


def _star(text: str) -> str:
    return _ALNUM.sub("*", text)


def mask_value(value: str, entity_type: str) -> str:
    """Mask ``value`` (a whole cell of ``entity_type``) for display.

    ``0903 123 456`` -> ``0903 *** ***``; ``Nguyễn Văn An`` -> ``Nguyễn V** A*``;
    ``an.nguyen@gmail.com`` -> ``a********@gmail.com``; ``05/03/1990`` -> ``**/**/1990``.
    """
    value = value.strip()
    if entity_type in _DIGIT_TYPES:
        keep = 4 if len(value) >= 8 else 2
        return value[:keep] + _star(value[keep:])
    if entity_type == "PERSON":
        words = value.split()
        return " ".join([words[0], *(w[0] + "*" * (len(w) - 1) for w in words[1:])])
    if entity_type == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.partition("@")
        return local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain
    if entity_type == "DATE_OF_BIRTH":
        year = regex.search(r"(?:19|20)\d{2}", value)
        if year:
            return _star(value[: year.start()]) + year.group() + _star(value[year.end() :])
    return " ".join(w[0] + _star(w[1:]) for w in value.split())
