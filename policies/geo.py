"""Place an address on the official map: its ward, legacy district and province.

``generalize: province|ward|district`` turns a street address into an official unit name
from the 2025 administrative map (``vietnam_provinces``: 34 provinces, ~3,300 wards).
Only names from that data (or the legacy-district table below) ever come out, so a
value the lookup cannot place yields ``None`` (the operator writes ``<UNKNOWN>``), never
any part of the raw text.

How text is read:

* accents and case are folded (``Hồ Chí Minh`` = ``ho chi minh``), punctuation is a
  separator, and common abbreviations expand (``TP.``, ``TPHCM``, ``HCM``, ``P.``, ``Q.``,
  ``P1``, ``Q.1``);
* a ward counts when written with its kind (``Phường Bến Thành``, ``P. Bến Thành``,
  ``Xã Củ Chi``) or when it is a whole comma-separated part (``..., Bến Thành, ...``);
* a province counts when written with its kind (``Tỉnh``, ``Thành phố``, ``TP``), as an
  HCMC alias, or as a whole comma-separated part; the last such mention wins, as
  addresses run from the specific to the general. Pre-2025 province names (``Bình
  Dương``) count as the province they merged into;
* the parts are read from the right and only as far as the level asked for needs: the
  province is usually settled by the last part, so the street (unique to almost every
  row) is not read at all, and only parts, which repeat, are cached;
* ward slugs such as ``phuong-ben-thanh`` (the data's codename with ``-``) are accepted.

Ward names repeat across provinces (about 240 do). The province named in the text
decides; when the text names none, the hub's home province (Ho Chi Minh City) is
preferred, and otherwise a name shared by several provinces stays unplaced.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any

from vietnam_provinces import Province, Ward

HOME_PROVINCE = 79  # Thành phố Hồ Chí Minh

#: pre-2025 provinces merged into another (folded name -> 2025 province code)
LEGACY_PROVINCES: dict[str, int] = {
    "ha giang": 8, "yen bai": 15, "bac kan": 19, "vinh phuc": 25, "hoa binh": 25,
    "bac giang": 24, "thai binh": 33, "hai duong": 31, "ha nam": 37, "nam dinh": 37,
    "quang binh": 44, "thua thien hue": 46, "quang nam": 48, "kon tum": 51, "binh dinh": 52,
    "ninh thuan": 56, "phu yen": 66, "dak nong": 68, "binh thuan": 68, "binh duong": 79,
    "ba ria vung tau": 79, "binh phuoc": 75, "long an": 80, "tien giang": 82, "ben tre": 86,
    "tra vinh": 86, "kien giang": 91, "soc trang": 92, "hau giang": 92, "bac lieu": 96,
}  # fmt: skip

#: Ho Chi Minh City's districts before the 2025 reform (the hub's legacy data uses them)
LEGACY_HCMC_DISTRICTS: tuple[str, ...] = (
    *(f"Quận {n}" for n in range(1, 13)),
    "Quận Bình Thạnh", "Quận Gò Vấp", "Quận Phú Nhuận", "Quận Tân Bình", "Quận Tân Phú",
    "Quận Bình Tân", "Quận Thủ Đức", "Thành phố Thủ Đức", "Huyện Củ Chi", "Huyện Hóc Môn",
    "Huyện Bình Chánh", "Huyện Nhà Bè", "Huyện Cần Giờ",
)  # fmt: skip

_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "tp": ("thanh", "pho"),
    "tphcm": ("thanh", "pho", "ho", "chi", "minh"),
    "hcm": ("ho", "chi", "minh"),
    "hcmc": ("ho", "chi", "minh"),
    "p": ("phuong",),
    "q": ("quan",),
    "h": ("huyen",),
    "x": ("xa",),
    "tx": ("thi", "xa"),
}
_SEGMENTS = re.compile(r"[,;\n|]+")
_WORDS = re.compile(r"[^\W_]+")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
_WARD_KINDS = (("dac", "khu"), ("phuong",), ("xa",))
#: parts whose scan is cached: a few spellings of each of ~3,300 wards, and the provinces
PART_CACHE = 20_000


@dataclass(frozen=True)
class _Ward:
    name: str
    province: int
    #: the name without its kind, lower-case with accents: tells Thanh An from Thạnh An
    core: str


#: ("province", code) | ("ward", candidate wards) | ("district", name)
Mention = tuple[str, Any]


@dataclass(frozen=True)
class Place:
    """The official units found in one address (names as in the official data)."""

    province: str | None = None
    ward: str | None = None
    district: str | None = None

    def at(self, level: str) -> str | None:
        """The name for ``generalize: <level>``, falling back to the province."""
        if level == "ward" and self.ward:
            return f"{self.ward}, {self.province}"
        if level == "district" and self.district:
            return self.district
        return self.province


@cache
def _fold_table() -> dict[int, str | None]:
    """Every accented Latin letter to its base letter, combining marks to nothing."""
    table: dict[int, str | None] = {cp: None for cp in range(0x300, 0x370)}
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        parts = unicodedata.normalize("NFD", chr(cp))
        base = "".join(c for c in parts if not unicodedata.combining(c))
        if base != chr(cp):
            table[cp] = base
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    return table


def fold(text: str) -> str:
    """Lower-case, accents removed, ``đ`` -> ``d``: the form every index is keyed by.

    One ``str.translate`` rather than NFD plus a filter: addresses are folded per row.
    """
    return text.lower().translate(_fold_table())


def clean(name: str) -> str:
    return " ".join(name.split())  # the data has a few double spaces


def words(text: str) -> tuple[str, ...]:
    """Folded words with abbreviations expanded and numbers without leading zeros."""
    out: list[str] = []
    for word in _WORDS.findall(fold(text)):
        if word in _ABBREVIATIONS:
            out.extend(_ABBREVIATIONS[word])
        elif word.isdigit():
            out.append(str(int(word)))
        elif word[0] in "pq" and word[1:].isdigit() and len(word) <= 3:  # P1, Q10
            out.extend((*_ABBREVIATIONS[word[0]], str(int(word[1:]))))
        else:
            out.append(word)
    return tuple(out)


class Gazetteer:
    """Indexes of the official names, built once (see ``gazetteer()``)."""

    def __init__(self, provinces: Iterable[Province], wards: Iterable[Ward]):
        self.province_names = {p.code.value: clean(p.name) for p in provinces}
        self.provinces: dict[tuple[str, ...], int] = {}  # with kind or alias: strong
        self.province_cores: dict[tuple[str, ...], int] = {}  # bare name: whole part only
        for code, name in self.province_names.items():
            self._add_province(code, name)
        for legacy, code in LEGACY_PROVINCES.items():
            self.province_cores[tuple(legacy.split())] = code
            self.provinces[("tinh", *legacy.split())] = code
        self.provinces[("ho", "chi", "minh")] = HOME_PROVINCE  # "HCM", "TP HCM"
        # tuples: every cached part naming a ward shares its candidates rather than copy them
        self.wards: dict[tuple[str, ...], tuple[_Ward, ...]] = {}
        self.ward_cores: dict[tuple[str, ...], tuple[_Ward, ...]] = {}
        self.slugs: dict[str, tuple[_Ward, ...]] = {}
        for ward in wards:
            self._add_ward(ward)
        self.districts = {words(name): name for name in LEGACY_HCMC_DISTRICTS}
        # first word -> lengths of the names starting with it, longest first: most words of
        # an address (house numbers, streets) start no name and cost one lookup
        starts: dict[str, set[int]] = defaultdict(set)
        for key in (*self.wards, *self.provinces, *self.districts):
            starts[key[0]].add(len(key))
        self.starts = {word: sorted(ns, reverse=True) for word, ns in starts.items()}
        # Whole addresses are unique (house numbers) but the parts that name units repeat
        # ("Phường Bến Thành", "TP.HCM"): scanning is cached per part. Bounded, because a
        # reading that has to go on to the street (no province named, or no district for
        # ``district``) caches that unique part too; the parts that repeat are far fewer
        # than the bound and, being used often, are not the ones evicted.
        self.segment = lru_cache(maxsize=PART_CACHE)(self._scan)

    def _add_province(self, code: int, name: str) -> None:
        full = words(name)
        core = full[2:] if full[:2] == ("thanh", "pho") else full
        # the bare name ("Phú Thọ") is also a street or ward name: only a whole part counts
        self.provinces[("tinh", *core)] = code
        self.provinces[("thanh", "pho", *core)] = code
        self.province_cores[core] = code

    def _add_ward(self, ward: Ward) -> None:
        name = clean(ward.name)
        full = words(name)
        for kind in _WARD_KINDS:
            if full[: len(kind)] == kind:
                core = full[len(kind) :]
                core_name = name.split(" ", len(kind))[-1].lower()
                entry = _Ward(name, ward.province_code.value, core_name)
                _append(self.ward_cores, core, entry)
                break
        else:  # no known kind in front (none such in the 2025 data): full name only
            entry = _Ward(name, ward.province_code.value, name.lower())
        _append(self.wards, full, entry)
        _append(self.slugs, ward.codename, entry)
        _append(self.slugs, ward.codename.replace("_", "-"), entry)

    def place(self, text: str, level: str | None = None) -> Place | None:
        """Find the most specific official units named in ``text``; None if nothing.

        With a ``level``, only what ``Place.at(level)`` shows is looked for (the other
        units may be left None), so less of the text is read.
        """
        slug = self._slug_of(text)
        if slug:
            ward = _pick(self.slugs[slug], None)
            return Place(self.province_names[ward.province], ward.name) if ward else None
        reading = _Reading(self, text)
        province = reading.province()
        district = reading.district(province) if level in (None, "district") else None
        ward = None
        if level in (None, "ward") or province is None:  # else the province is the answer
            ward = reading.ward(province)
            if province is None and ward:
                province = ward.province
        if province is None:
            return None
        return Place(self.province_names[province], ward.name if ward else None, district)

    def _slug_of(self, text: str) -> str | None:
        """The ward codename ``text`` is (``phuong-ben-thanh``), if it is one."""
        if "-" not in text:  # most text: no strip, lower and match per row
            return None
        slug = text.strip().lower()
        return slug if _SLUG.match(slug) and slug in self.slugs else None

    def _scan(self, segment: str) -> tuple[Mention, ...]:
        """The official names in one comma-separated part, in reading order."""
        seg = words(segment)
        if seg in self.province_cores:  # a whole part that is a province: "..., Bình Dương"
            return (("province", self.province_cores[seg]),)
        if seg in self.ward_cores:  # a whole part that is a ward: "..., Bến Thành, ..."
            return (("ward", self.ward_cores[seg]),)
        mentions: list[Mention] = []
        i = 0
        while i < len(seg):
            mention, length = self._match_at(seg, i)
            if mention is not None:
                mentions.append(mention)
            i += length or 1
        return tuple(mentions)

    def _match_at(self, seg: tuple[str, ...], i: int) -> tuple[Mention | None, int]:
        """The longest official name starting at word ``i``, and its length in words."""
        for n in self.starts.get(seg[i], ()):
            key = seg[i : i + n]
            if key in self.wards:
                return ("ward", self.wards[key]), n
            if key in self.districts:
                return ("district", self.districts[key]), n
            if key in self.provinces:
                return ("province", self.provinces[key]), n
        return None, 0


class _Reading:
    """One address read from its last part leftwards, only as far as a question needs.

    The answers are those of reading the whole text (the last province, district and
    placeable ward mentioned win); reading stops once no part further left can change
    them: the first province met is the last one written.
    """

    def __init__(self, gazetteer: Gazetteer, text: str) -> None:
        self.raw = text
        self._scan = gazetteer.segment
        self._parts = _parts(text)
        self._unread = len(self._parts)  # parts[:_unread] are still to read
        # mentions met so far, the one nearest the end of the text first
        self.provinces: list[int] = []
        self.wards: list[tuple[_Ward, ...]] = []
        self.districts: list[str] = []

    def _read(self) -> bool:
        """Read the next part to the left; False once the whole text has been read."""
        if not self._unread:
            return False
        self._unread -= 1
        for kind, value in reversed(self._scan(self._parts[self._unread].strip())):
            if kind == "province":
                self.provinces.append(value)
            elif kind == "ward":
                self.wards.append(value)
            else:
                self.districts.append(value)
        return True

    def _last(self, mentions: list[Any]) -> Any:
        while not mentions and self._read():
            pass
        return mentions[0] if mentions else None

    def province(self) -> int | None:
        """The province named last; else Ho Chi Minh City if one of its districts is named.

        Legacy districts all belong to Ho Chi Minh City: they imply it, but a province
        named anywhere in the text (even left of the district) overrides them.
        """
        province = self._last(self.provinces)
        if province is None and self._last(self.districts):  # the text is all read here
            return HOME_PROVINCE
        return province

    def district(self, province: int | None) -> str | None:
        # a text that names another province is not talking about HCMC's districts
        if province not in (None, HOME_PROVINCE):
            return None
        return self._last(self.districts)

    def ward(self, province: int | None) -> _Ward | None:
        """The ward mentioned last that can be placed in ``province`` (see ``_pick``)."""
        tried = 0
        while True:
            while tried == len(self.wards):
                if not self._read():
                    return None
            ward = _pick(self.wards[tried], province, self)
            if ward:
                return ward
            tried += 1

    @cached_property
    def accented(self) -> str:
        """The text lower-case with its accents, for the rare names that fold alike."""
        return " ".join(unicodedata.normalize("NFC", self.raw).lower().split())


def _parts(text: str) -> list[str]:
    """The text split at separators, left to right; runs of them may leave empty parts.

    ``str.split`` on the usual comma-only address costs a tenth of the regular expression;
    an empty part names nothing, so it changes no answer.
    """
    if ";" in text or "|" in text or "\n" in text:
        return _SEGMENTS.split(text)
    return text.split(",")


def _append(index: dict[Any, tuple[_Ward, ...]], key: Any, ward: _Ward) -> None:
    index[key] = (*index.get(key, ()), ward)


def _pick(
    candidates: Iterable[_Ward], province: int | None, found: _Reading | None = None
) -> _Ward | None:
    """The one ward meant: in the named province, else the home province, else unique.

    Two wards of one province can fold to the same words (Xã Thanh An, Xã Thạnh An):
    then the accents written in the text decide, and if they do not, neither is chosen.
    """
    wards = list(candidates)
    if province is not None:
        wards = [w for w in wards if w.province == province]
    elif len({w.province for w in wards}) > 1:
        wards = [w for w in wards if w.province == HOME_PROVINCE]
    if len(wards) > 1 and found is not None:
        wards = [w for w in wards if w.core in found.accented]
    return wards[0] if len(wards) == 1 else None


@cache
def gazetteer() -> Gazetteer:
    """Built on first use (not at import: about 3,300 wards to index), then shared."""
    return Gazetteer(Province.iter_all(), Ward.iter_all())


def place(text: str) -> Place | None:
    """``gazetteer().place(text)``: every level of an address (see ``generalize``)."""
    return gazetteer().place(text)


def generalize(text: str, level: str) -> str | None:
    """The official name at ``level`` (province, ward, district) for an address, or None.

    Not cached per address: addresses are nearly all unique (house numbers), so such a
    cache never hits and costs tens of MB per worker; the parts are cached instead.
    """
    found = gazetteer().place(text, level)
    return found.at(level) if found else None


__all__ = ["Gazetteer", "Place", "gazetteer", "generalize", "place"]
