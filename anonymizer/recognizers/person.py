"""Person names without an NER model.

Three cheap rules, each a span candidate scored by how name-like it is:

* Vietnamese: a surname from the lexicon (with or without accents, Title or UPPER case)
  followed by 1-3 capitalized syllables ("Nguyễn Văn An", "TRAN THI BICH NGOC");
* an honorific ("ông", "bà", "anh", "chị", "bé", ..., "Mr", "Ms", "Dr") followed by
  capitalized words: the words are the name, the honorific is not part of the span;
* English: within a run of capitalized words, a first name and a last name from Faker's
  en_US lists (or a Vietnamese surname), with an optional middle name or initial.

Title-cased phrases that start with a surname ("Hồ Sơ", "Cao Đẳng", "Hồ Chí Minh") are
filtered by the given-name lexicon and the phrase and place lists; names right after a
street, administrative or institution word ("đường Lê Lợi", "Trường THPT Nguyễn Du") are
streets and institutions, not people. Lists live in ``anonymizer/data/vi_names.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from anonymizer import lexicon
from anonymizer.recognizers.base import Candidate, ContextualRecognizer
from anonymizer.recognizers.registry import RecognizerOptions, register
from anonymizer.text import fold_phrase

_TITLE = r"\p{Lu}\p{Ll}*"
_UPPER = r"\p{Lu}+"
_GAP = r"[ \t]+"
_HONORIFICS = "ông|bà|anh|chị|em|cô|chú|bác|cháu|cụ|dì|cậu|mợ|thím|dượng|bạn|bé"
_HONORIFIC = regex.compile(
    rf"(?<!\p{{L}})(?:(?i:{_HONORIFICS})|Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)\.?{_GAP}"
    rf"(?P<name>{_TITLE}(?:{_GAP}{_TITLE}){{0,3}})(?!\p{{L}})"
)
# A street, administrative unit or institution right before a capitalized phrase makes it
# a place or an organisation named after a person; so does a house number.
_PLACE_BEFORE = regex.compile(
    r"(?<!\p{L})(?:(?i:đường|phố|hẻm|ngõ|ngách|kiệt|quận|phường|xã|huyện|tỉnh|thành phố|"
    r"tp\.?|trường|bệnh viện|bv|thpt|thcs|tiểu học|đại học|học viện|công ty|cty|tập đoàn|"
    r"ubnd|cầu|chợ|công viên|nhà văn hóa|giải|quỹ|chung cư|tòa nhà|đ\.|p\.|q\.|tnhh|"
    r"cổ phần|cp|mtv|dntn|doanh nghiệp tư nhân|hợp tác xã|htx|jsc|ltd)"
    r"|duong|pho|hem|ngo|phuong|huyen|truong|benh vien|cong ty)[ \t,]*$"
    r"|(?<![\d/.,:])\d{1,6}[A-Z]?(?:/\d{1,4}[A-Z]?)*[ \t]+$"
)
_PLACE_AFTER = regex.compile(
    r"^[ \t]+(?:Street|St\b|Road|Rd\b|Avenue|Ave\b|Boulevard|Blvd|Lane|Drive|Ward|District|"
    r"City|Province|Bridge|Market|Hospital|School|University|High School)"
)
_EN_WORD = r"(?:[A-Z][a-z]+(?:['’-][A-Z][a-z]+)?|[A-Z]\.)"
_EN_RUN = regex.compile(rf"(?<![\w.]){_EN_WORD}(?:[ ]{_EN_WORD})+(?![\w])")


def _surname_regex(surnames: tuple[str, ...]) -> regex.Pattern[str]:
    title = "|".join(regex.escape(s) for s in surnames)
    upper = "|".join(regex.escape(s.upper()) for s in surnames)
    return regex.compile(
        rf"(?<!\p{{L}})(?:(?P<t>{title})(?P<tg>(?:{_GAP}{_TITLE}){{1,3}})"
        rf"|(?P<u>{upper})(?P<ug>(?:{_GAP}{_UPPER}){{1,3}}))(?!\p{{L}})"
    )


@register("person")
class PersonRecognizer(ContextualRecognizer):
    ENTITY = "PERSON"
    CUES = (
        "ho ten", "ho va ten", "ten", "nguoi", "benh nhan", "bn", "chu ho", "nguoi nop",
        "nguoi khai", "khach hang", "kh", "nguoi nhan", "nguoi gui", "nhan vien", "ung vien",
        "can bo", "bac si", "bs", "nguoi lien he", "dai dien", "nguoi dai dien", "giam doc",
        "nguoi bao", "nguoi to giac", "doi tuong", "nghi pham", "nan nhan", "chu tai khoan",
        "chu tk", "chu xe", "thi sinh", "hoc sinh", "sinh vien", "me", "bo", "cha", "vo",
        "chong", "con", "name", "full name", "patient", "applicant", "customer", "employee",
        "candidate", "contact", "contact person", "signed", "dear", "account holder",
        "holder", "owner", "driver", "tenant", "landlord", "wife", "husband", "ong/ba",
        "mr/ms",
    )  # fmt: skip

    def __init__(self, options: RecognizerOptions) -> None:
        super().__init__(options)
        self._names = lexicon.vietnamese_names()
        self._surnames = _surname_regex(self._names.surnames)
        self._places = lexicon.places().folded
        english = lexicon.english_names()
        self._first = english.first
        self._last = english.last | {s for s in self._names.surnames if s.isascii()}
        self._english = options.language == "en"

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        best: dict[tuple[int, int], Candidate] = {}
        rules = (self._vietnamese(text), self._honorific(text), self._english_names(text))
        for rule in rules:
            for cand in rule:
                if self._is_place_or_org(text, cand):
                    continue
                key = (cand.start, cand.end)
                if key not in best or cand.score > best[key].score:
                    best[key] = cand
        return best.values()

    # -- rules -----------------------------------------------------------------------
    def _vietnamese(self, text: str) -> Iterable[Candidate]:
        for m in self._surnames.finditer(text):
            upper = m.group("u") is not None
            surname = m.group("u") if upper else m.group("t")
            given = self._trim((m.group("ug") if upper else m.group("tg")).split())
            if not given:
                continue
            folded = fold_phrase(" ".join([surname, *given]))
            if folded in self._places or folded in self._names.not_names:
                continue
            if any(folded.startswith(p + " ") for p in self._place_prefixes(folded)):
                continue
            end = self._end_of(text, m.start() + len(surname), given)
            yield self._scored(m.start(), end, given, ascii_only=surname.isascii())

    def _honorific(self, text: str) -> Iterable[Candidate]:
        for m in _HONORIFIC.finditer(text):
            given = self._trim(m.group("name").split())
            if not given:
                continue
            start = m.start("name")
            pair = fold_phrase(text[m.start() : start] + given[0])
            if pair in self._names.not_honorific_names:
                continue
            if fold_phrase(" ".join(given)) in self._places:
                continue
            folded = [fold_phrase(w) for w in given]
            known = (
                folded[0] in self._names.folded_surnames
                or any(f in self._names.folded_given for f in folded)
                or given[-1] in self._last
                or given[0] in self._first
            )
            end = self._end_of(text, start, given)
            yield Candidate(start, end, 0.85 if known else 0.7, 0.9, "honorific")

    def _english_names(self, text: str) -> Iterable[Candidate]:
        if not self._english:
            return
        for run in _EN_RUN.finditer(text):
            words = run.group().split(" ")
            offsets = []
            pos = run.start()
            for word in words:
                offsets.append(pos)
                pos += len(word) + 1
            found = self._first_last(words)
            if found:
                i, j, score = found
                yield Candidate(offsets[i], offsets[j] + len(words[j]), score, 0.9, "en")

    def _first_last(self, words: list[str]) -> tuple[int, int, float] | None:
        """The first (first name, last name) pair in a run: (i, j, score) or None."""
        for i, first in enumerate(words):
            if first not in self._first or first.lower() in self._names.stops:
                continue
            for j in range(min(len(words) - 1, i + 2), i, -1):
                last = words[j].split("-")[0].split("'")[-1]
                middle = words[i + 1]
                if j == i + 2 and not (middle.endswith(".") or middle in self._first):
                    continue  # "Mary Ann Smith", "Emily C. Pham"; not "Rose Garden Park"
                if last in self._last:
                    return i, j, 0.8
            if i + 1 < len(words) and not words[i + 1].endswith("."):
                return i, i + 1, 0.4  # a known first name and a capitalized word
        return None

    # -- helpers ---------------------------------------------------------------------
    def _scored(self, start: int, end: int, given: list[str], *, ascii_only: bool) -> Candidate:
        folded = [fold_phrase(w) for w in given]
        known = sum(f in self._names.folded_given for f in folded)
        if ascii_only:
            # unaccented: "Do Long Term" must not pass; all syllables known, or a middle name
            if known == len(folded):
                score = 0.75
            elif len(folded) >= 2 and folded[0] in self._names.folded_middles:
                score = 0.65
            else:
                score = 0.35
        elif len(given) >= 2:
            score = 0.75 if known else 0.45
        else:
            score = 0.55 if known else 0.3
        return Candidate(start, end, score, min(0.9, score + 0.3), "vi")

    def _trim(self, words: list[str]) -> list[str]:
        kept: list[str] = []
        for i, word in enumerate(words):
            low = word.lower()
            following = words[i + 1].lower() if i + 1 < len(words) else ""
            if low in self._names.stops or (low, following) in self._names.stop_pairs:
                break
            kept.append(word)
        return kept

    @staticmethod
    def _end_of(text: str, pos: int, words: list[str]) -> int:
        for word in words:
            pos = text.index(word, pos) + len(word)
        return pos

    def _place_prefixes(self, folded: str) -> Iterable[str]:
        parts = folded.split()
        for n in range(2, len(parts)):
            prefix = " ".join(parts[:n])
            if prefix in self._places:
                yield prefix

    @staticmethod
    def _is_place_or_org(text: str, cand: Candidate) -> bool:
        if _PLACE_BEFORE.search(text[max(0, cand.start - 20) : cand.start]):
            return True
        return bool(_PLACE_AFTER.match(text[cand.end : cand.end + 20]))
