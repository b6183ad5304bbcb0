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
