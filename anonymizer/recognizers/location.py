"""Addresses and named places.

Components, each a small pattern:

* street: "số 12 đường Lê Lợi", "123/45 Nguyễn Trãi", "hẻm 45 Lê Văn Sỹ", "đường số 7";
* administrative unit: "phường Bến Thành", "P. Bến Thành", "quận 1", "Q.3", "huyện Củ Chi",
  "TP. Hồ Chí Minh", "tỉnh Bình Dương", "khu phố 3", "ấp Bình Lợi";
* English: "45 Nguyen Hue Street", "7631 Johnson Village Suite 690", "District 1",
  "Ben Thanh Ward", "Ho Chi Minh City";
* the province and city list of ``data/places.yaml`` standing alone ("Hà Nội", "TP.HCM").

Components separated only by commas, spaces or dashes are merged, so a full address is
one span ("số 12 đường Lê Lợi, phường Bến Thành, Quận 1, TP. Hồ Chí Minh").
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from anonymizer import lexicon
from anonymizer.recognizers.base import Candidate, ContextualRecognizer
from anonymizer.recognizers.registry import RecognizerOptions, register
from anonymizer.text import fold_phrase

_GAP = r"[ \t]+"
_TOKEN = r"(?:\p{Lu}\p{Ll}*|\p{Lu}{2,})(?!\p{L})"
_NAME = rf"{_TOKEN}(?:{_GAP}{_TOKEN}){{0,4}}"
_HOUSE = r"\d{1,4}[A-Z]?(?:[/\-]\d{1,4}[A-Z]?){0,3}"
_NUMBER_WORD = r"(?i:số nhà|nhà số|số|so nha|so|SN)"
_ADMIN_WORDS = (
    "thị trấn|thị xã|thành phố|tổ dân phố|khu dân cư|khu đô thị|khu công nghiệp|khu phố|"
    "phường|quận|huyện|tỉnh|xã|ấp|thôn|khóm|tổ|bản|làng"
)
# administrative keyword + a number or a capitalized name ("quận 1", "phường Bến Thành")
ADMIN = regex.compile(
    rf"(?<!\p{{L}})(?P<kw>(?i:{_ADMIN_WORDS})|phuong|quan|huyen|thanh pho|tinh|thi xa|thi tran)"
    rf"{_GAP}(?P<name>\d{{1,3}}[A-Z]?(?!\w)|{_NAME})"
)
# abbreviations: "P. Bến Thành", "P.12", "Q.3", "Q1", "TP. Thủ Đức", "TX. Dĩ An"
ABBREV = regex.compile(
    r"(?<![\p{L}.])(?:(?P<kw>TP|Tp|TX|TT|P|Q|KP|F)(?:\.[ \t]?|[ \t])"
    rf"(?P<name>\d{{1,3}}(?!\w)|{_NAME})|(?P<kw2>[PQ])(?P<num>\d{{1,2}})(?!\w))"
)
# street keyword with an optional house number before it ("số 12 đường Lê Lợi")
STREET = regex.compile(
    rf"(?<![\p{{L}}\d/])(?:(?P<num>{_NUMBER_WORD}[ \t]*{_HOUSE}|{_HOUSE}),?[ \t]+)?"
    r"(?P<kw>(?i:đường|phố|hẻm|ngõ|ngách|kiệt|đ\.)|duong|pho|hem|ngo)[ \t]*"
    rf"(?P<name>(?i:số)[ \t]*\d{{1,3}}|\d{{1,2}}/\d{{1,2}}|[A-Z]\d{{1,2}}(?!\w)|\d{{1,4}}(?!\w)"
    rf"|{_NAME})"
)
# house number + street name without a keyword ("123/45 Nguyễn Trãi")
HOUSE_STREET = regex.compile(
    rf"(?<![\p{{L}}\d/.,:])(?P<num>(?:(?i:số nhà|nhà số|số|SN)[ \t]*)?{_HOUSE}),?{_GAP}"
    rf"(?P<name>{_NAME})"
)
# a number after these words is not a house number ("Điều 12 Luật Đất đai")
_NOT_HOUSE_BEFORE = regex.compile(
    r"(?i:điều|khoản|chương|mục|điểm|phụ lục|lớp|phòng|tầng|bước|câu|bài|trang|tập|kỳ|năm|"
    r"ngày|tháng|article|section|chapter|page|room|floor|step|quý|giai đoạn|top|số lượng|có|"
    r"gồm|và|với|được|trên|dưới|khoảng|hơn|tổng|tuyến|gói|lúc|hạng|thứ)[ \t]*$"
)
_EN_PLACE = regex.compile(
    r"(?<!\p{L})(?:(?:District|Dist\.|Ward|Hamlet|Quarter)[ \t]?\d{1,2}(?!\w)"
    r"|(?:[A-Z][a-z]+[ \t]){1,3}(?:District|Ward|Commune|Province|City|Town)(?!\w))"
)
# several units of one kind: "các phường Bến Nghé, Đa Kao và Nguyễn Thái Bình" (the first
# is an ADMIN match; the list adds the others) and "the Ben Nghe, Da Kao and Nguyen Thai
# Binh wards" (English puts the kind after the list)
_LIST_NAME = rf"{_TOKEN}(?:[ \t]+{_TOKEN}){{0,3}}"
VI_LIST = regex.compile(
    r"(?<!\p{L})(?i:các|hai|ba|bốn|năm|sáu|những)[ \t]+"
    r"(?i:phường|xã|quận|huyện|tỉnh|thị trấn|thôn|ấp|bản|khu phố)[ \t]+"
    rf"(?P<list>{_LIST_NAME}(?:[ \t]*,[ \t]*{_LIST_NAME})*(?:[ \t]+và[ \t]+{_LIST_NAME})?)"
)
EN_LIST = regex.compile(
    rf"(?<![\p{{L}}.])(?P<list>{_LIST_NAME}(?:,[ \t]+{_LIST_NAME})*,?[ \t]+and[ \t]+"
    rf"{_LIST_NAME})[ \t]+(?:wards|districts|communes|provinces|towns|villages)(?!\w)"
)
_LIST_ITEM = regex.compile(rf"{_LIST_NAME}")
_NOT_VILLAGE_BEFORE = regex.compile(r"(?i:văn|phiên|kịch|sao|nguyên|tái|ấn|bộ)[ \t]+$")
_COMPONENT_GAP = regex.compile(r"^[ \t]*(?:[,\-–][ \t]*)?$")


# Faker's suffixes include landmarks ("Park", "Camp", "River", "Harbor"); without a house
# number only a thoroughfare makes a capitalized phrase an address ("Le Loi Street").
_THOROUGHFARES = frozenset((
    "Street", "St", "Road", "Rd", "Avenue", "Ave", "Boulevard", "Blvd", "Lane", "Ln",
    "Drive", "Highway", "Hwy", "Parkway", "Pkwy", "Way", "Alley", "Court", "Ct", "Place",
    "Pl", "Terrace", "Ter", "Crescent", "Expressway", "Freeway", "Motorway", "Route",
))  # fmt: skip


def _english_street() -> regex.Pattern[str]:
    suffixes = "|".join(regex.escape(s) for s in lexicon.english_street_suffixes())
    return regex.compile(
        rf"(?<![\w/])(?:\d{{1,6}}[A-Z]?[ \t]+)?(?:[A-Z][a-z]+[ \t]){{1,3}}"
        rf"(?P<suffix>{suffixes})\.?(?!\w)"
        r"(?:,?[ \t]+(?:Apt\.?|Suite|Unit|Room|#)[ \t]?\w+)?"
        r"(?:,[ \t]+(?:[A-Z][a-z]+[ \t]?){1,3},[ \t]+[A-Z]{2}[ \t]+\d{5})?"
    )


def _end(text: str, pos: int, words: list[str]) -> int:
    """End offset of ``words`` found in order in ``text`` from ``pos``."""
    for word in words:
        pos = text.index(word, pos) + len(word)
    return pos


@register("location")
class LocationRecognizer(ContextualRecognizer):
    ENTITY = "LOCATION"
    CUES = (
        "dia chi", "thuong tru", "tam tru", "tru tai", "cu tru", "noi o", "que quan",
        "nguyen quan", "noi sinh", "sinh tai", "song tai", "o tai", "hktt", "dkhktt",
        "ho khau", "giao hang", "giao den", "nha o", "dia diem", "xay ra tai", "address",
        "lives at", "lives in", "resides", "residing", "located at", "home",
    )  # fmt: skip

    def __init__(self, options: RecognizerOptions) -> None:
        super().__init__(options)
        self._lexicon = lexicon.places()
        names = self._lexicon.names
        self._gazetteer = regex.compile(
            r"(?<![\p{L}.])(?:" + "|".join(regex.escape(n) for n in names) + r")(?![\p{L}])"
        )
        self._english_street = _english_street()

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        # [start, end, score] of merged runs; each extra component adds a little confidence
        merged: list[tuple[int, int, float]] = []
        for start, end, score in sorted(self._components(text)):
            if merged:
                m_start, m_end, m_score = merged[-1]
                if start <= m_end or _COMPONENT_GAP.match(text[m_end:start]):
                    bonus = 0.05 if end > m_end else 0.0
                    merged[-1] = (m_start, max(m_end, end), max(m_score, score) + bonus)
                    continue
            merged.append((start, end, score))
        for start, end, score in merged:
            capped = min(score, 0.95)
            yield Candidate(start, end, capped, max(capped, 0.9), "address")

    def _components(self, text: str) -> Iterable[tuple[int, int, float]]:
        yield from self._named(ADMIN, text, 0.75)
        yield from self._abbreviations(text)
        yield from self._named(STREET, text, 0.85)
        yield from self._house_streets(text)
        for m in self._gazetteer.finditer(text):
            yield m.start(), m.end(), 0.6
        for m in _EN_PLACE.finditer(text):
            yield m.start(), m.end(), 0.7
        yield from self._lists(text)
        for m in self._english_street.finditer(text):
            if m.group()[0].isdigit():
                yield m.start(), m.end(), 0.8
            elif m.group("suffix") in _THOROUGHFARES:
                yield m.start(), m.end(), 0.6

    def _named(
        self, pattern: regex.Pattern[str], text: str, score: float
    ) -> Iterable[tuple[int, int, float]]:
        for m in pattern.finditer(text):
            if text[max(0, m.start() - 8) : m.start()].lower().endswith("hợp tác "):
                continue  # "Hợp tác xã Nông nghiệp ..." is a cooperative
            if m.group("kw").isascii() and not m.group("name").isascii():
                continue  # "cơ quan Sở ...": unaccented keywords only in unaccented text
            if m.group("kw").lower() in ("bản", "làng") and (
                m.group("name")[:1].isdigit() or _NOT_VILLAGE_BEFORE.search(text[: m.start()])
            ):
                continue  # "phiên bản 2", "văn bản Hợp nhất": not a village
            words = self._name(m.group("name"))
            if words and fold_phrase(f"{m.group('kw')} {words[0]}") not in self._lexicon.not_places:
                yield m.start(), _end(text, m.start("name"), words), score

    def _lists(self, text: str) -> Iterable[tuple[int, int, float]]:
        for pattern in (VI_LIST, EN_LIST):
            for m in pattern.finditer(text):
                for item in _LIST_ITEM.finditer(text, m.start("list"), m.end("list")):
                    words = self._trim(item.group().split())
                    if words and words[0] not in ("And", "The"):
                        yield item.start(), _end(text, item.start(), words), 0.8

    def _abbreviations(self, text: str) -> Iterable[tuple[int, int, float]]:
        for m in ABBREV.finditer(text):
            if m.group("num"):
                # "Q1", "P12": too short to stand alone, they count inside an address
                yield m.start(), m.end(), 0.45
                continue
            words = self._name(m.group("name"))
            if words:
                yield m.start(), _end(text, m.start("name"), words), 0.65

    def _house_streets(self, text: str) -> Iterable[tuple[int, int, float]]:
        for m in HOUSE_STREET.finditer(text):
            words = self._trim(m.group("name").split())
            number = m.group("num")
            has_so = not number[:1].isdigit()
            if not words or (len(words) < 2 and not has_so):
                continue
            if _NOT_HOUSE_BEFORE.search(text[max(0, m.start() - 15) : m.start()]):
                continue
            if regex.fullmatch(r"(?:19|20)\d{2}", number):
                continue  # a year followed by a capitalized phrase
            yield m.start(), _end(text, m.start("name"), words), 0.8 if has_so else 0.65

    def _name(self, raw: str) -> list[str]:
        if raw[:1].isdigit() or raw.lower().startswith("số"):
            return raw.split()
        return self._trim(raw.split())

    def _trim(self, words: list[str]) -> list[str]:
        kept: list[str] = []
        for i, word in enumerate(words):
            low = word.lower()
            following = words[i + 1].lower() if i + 1 < len(words) else ""
            if low in self._lexicon.stops or (low, following) in self._lexicon.stop_pairs:
                break
            kept.append(word)
        return kept
