"""Name and place lexicons, loaded once from the package and from Faker's installed data.

Nothing here touches the network: the Vietnamese lists ship in ``anonymizer/data`` and the
English first and last names are Faker's en_US provider tuples, already on disk.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from anonymizer.text import fold_phrase


def _load(name: str) -> dict[str, list[str]]:
    raw = resources.files("anonymizer.data").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    return {
        key: [unicodedata.normalize("NFC", str(v)) for v in values] for key, values in data.items()
    }


@dataclass(frozen=True)
class VietnameseNames:
    #: surnames as written (accented), longest first so "Âu Dương" wins over "Âu"
    surnames: tuple[str, ...]
    #: folded surname -> True; lets unaccented and upper-case text match
    folded_surnames: frozenset[str]
    folded_given: frozenset[str]
    folded_middles: frozenset[str]
    stops: frozenset[str]
    stop_pairs: frozenset[tuple[str, ...]]
    not_names: frozenset[str]
    not_honorific_names: frozenset[str]
    #: the most frequent surnames, lower-case as written (accented): start lower-case names
    common_surnames: frozenset[str]
    #: middle names lower-cased as written (accented), for names in lower-case text
    lower_middles: frozenset[str]
    #: every surname, middle and given syllable lower-cased WITH accents (``tone_key``):
    #: folding alone confuses "Hộ" with "Hồ", "Dự" with "Du", "Không" with "Khổng"
    accented_syllables: frozenset[str]
    #: given syllables only, keyed the same way
    accented_given: frozenset[str]
    #: lower-cased accented first words of position titles ("chủ", "giám")
    titles: frozenset[str]
    #: lower-cased accented (middle, syllable) pairs that are words in lower-case text
    lower_case_stop_pairs: frozenset[tuple[str, ...]]


@dataclass(frozen=True)
class Places:
    #: every place name as written plus its unaccented form, longest first
    names: tuple[str, ...]
    folded: frozenset[str]
    stops: frozenset[str]
    stop_pairs: frozenset[tuple[str, ...]]
    not_places: frozenset[str]


@dataclass(frozen=True)
class EnglishNames:
    first: frozenset[str]
    last: frozenset[str]


# Old-style tone placement ("Hoà", "Thuý") next to the new one ("Hòa", "Thúy"): both are
# in use, so syllables are compared with the tone moved to the new place.
_OLD_TONE_PAIRS = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip


def tone_key(word: str) -> str:
    """Lower-case NFC with accents kept and the tone mark placed one way."""
    key = unicodedata.normalize("NFC", word).lower()
    for old, new in _OLD_TONE_PAIRS.items():
        key = key.replace(old, new)
    return key


def _unaccented(word: str) -> str:
    folded = fold_phrase(word)
    return " ".join(part.capitalize() for part in folded.split())


@lru_cache(maxsize=1)
def vietnamese_names() -> VietnameseNames:
    data = _load("vi_names.yaml")
    surnames = set(data["surnames"])
    surnames |= {_unaccented(s) for s in data["surnames"]}
    ordered = tuple(sorted(surnames, key=lambda s: (-len(s), s)))
    return VietnameseNames(
        surnames=ordered,
        folded_surnames=frozenset(fold_phrase(s) for s in surnames),
        folded_given=frozenset(fold_phrase(g) for g in data["given"]),
        folded_middles=frozenset(fold_phrase(m) for m in data["middles"]),
        stops=frozenset(w.lower() for w in data["stops"]),
        stop_pairs=frozenset(tuple(p.lower().split()) for p in data["stop_pairs"]),
        not_names=frozenset(fold_phrase(n) for n in data["not_names"]),
        not_honorific_names=frozenset(fold_phrase(n) for n in data["not_honorific_names"]),
        common_surnames=frozenset(s.lower() for s in data["common_surnames"]),
        lower_middles=frozenset(m.lower() for m in data["middles"]),
        accented_syllables=frozenset(
            tone_key(w)
            for key in ("surnames", "given", "middles")
            for name in data[key]
            for w in name.split()
        ),
        accented_given=frozenset(tone_key(g) for g in data["given"]),
        titles=frozenset(w.lower() for w in data["titles"]),
        lower_case_stop_pairs=frozenset(
            tuple(p.lower().split()) for p in data["lower_case_stop_pairs"]
        ),
    )


@lru_cache(maxsize=1)
def places() -> Places:
    data = _load("places.yaml")
    names: set[str] = set(data["aliases"])
    for key in ("provinces", "cities"):  # the other keys are word lists, not places
        for name in data[key]:
            names.add(name)
            names.add(_unaccented(name))
    ordered = tuple(sorted(names, key=lambda s: (-len(s), s)))
    return Places(
        names=ordered,
        folded=frozenset(fold_phrase(n) for n in names),
        stops=frozenset(w.lower() for w in data["name_stops"]),
        stop_pairs=frozenset(tuple(p.lower().split()) for p in data["stop_pairs"]),
        not_places=frozenset(fold_phrase(n) for n in data["not_places"]),
    )


@lru_cache(maxsize=1)
def ward_names() -> frozenset[str]:
    """Folded names of the 2025 wards, communes and special zones, without their kind.

    From ``vietnam_provinces`` (installed data, no network). Many are two syllables that
    read like a surname and a given name ("Từ Liêm", "Cao Lãnh", "Lý Sơn").
    """
    from vietnam_provinces import Ward

    names = set()
    for ward in Ward.iter_all():
        name = ward.name.strip()
        kind = str(ward.division_type.value)
        if name.lower().startswith(kind):
            name = name[len(kind) :]
        names.add(fold_phrase(name))
    return frozenset(names)


@lru_cache(maxsize=1)
def english_names() -> EnglishNames:
    # Faker's en_US person provider holds the US census name lists as plain tuples or
    # weighted dicts; both iterate over the names. Imported here, not at module level,
    # because only the engine build needs it.
    from faker.providers.person.en_US import Provider

    return EnglishNames(
        first=frozenset(str(n) for n in Provider.first_names),
        last=frozenset(str(n) for n in Provider.last_names),
    )


@lru_cache(maxsize=1)
def english_street_suffixes() -> tuple[str, ...]:
    from faker.providers.address.en_US import Provider

    extra = ("St", "Rd", "Ave", "Blvd", "Ln", "Dr", "Ct", "Pl", "Hwy", "Pkwy", "Sq", "Ter")
    return tuple(sorted(set(Provider.street_suffixes) | set(extra), key=lambda s: (-len(s), s)))
