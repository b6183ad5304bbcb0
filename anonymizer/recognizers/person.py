"""Person names without an NER model.

Cheap rules, each a span candidate scored by how name-like it is:

* Vietnamese: a surname from the lexicon (with or without accents, Title or UPPER case)
  followed by 1-3 capitalized syllables ("Nguyễn Văn An", "TRAN THI BICH NGOC");
* an honorific ("ông", "bà", "anh", "chị", "bé", ..., "Mr", "Ms", "Dr") followed by
  capitalized words: the words are the name, the honorific is not part of the span;
* an introducer right before capitalized words: a label ("Họ và tên:", "Người ký:",
  "chủ hộ", "Name:", "signed by"), a self-introduction ("em là", "tôi tên", "I'm",
  "my name is"), a kinship word ("con gái tôi là", "my wife") or a greeting ("Dear",
  "Hi"). Given names alone ("em là Ngọc Hân") have no surname to anchor them, so after
  a self-introduction, kinship word or greeting every word must be a known name
  syllable; after a label the label itself says a name follows;
* a common surname + middle name + known given syllables in lower case ("trần văn hải"
  in a chat message), and a known given name before the vocative "ơi" ("Lan ơi");
* English: within a run of capitalized words, a first name and a last name from Faker's
  en_US lists (or a Vietnamese surname), with an optional middle name or initial; a known
  first name and an unknown capitalized word count when they are the whole run
  ("Carlos Mendes paid", not "Rose Garden Park") and the first name is not also a common
  word ("Will Power"); a known first name opening a message before a comma ("James,
  please ...").

Title-cased phrases that start with a surname ("Hồ Sơ", "Cao Đẳng", "Hồ Chí Minh") are
filtered by the given-name lexicon and the phrase and place lists; names right after a
street, administrative or institution word ("đường Lê Lợi", "Trường THPT Nguyễn Du") are
streets and institutions, not people; so are two-syllable ward names after a locative
word ("ở Từ Liêm", "đi Hà Tiên"). Title-case position titles after an honorific or a
label ("Ông Chủ tịch", "Bà Giám đốc") are not names. Lists live in
``anonymizer/data/vi_names.yaml``.
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
    r"cổ phần|cp|mtv|dntn|doanh nghiệp tư nhân|hợp tác xã|htx|jsc|ltd|đảo|sông|kênh|núi|"
    r"đèo|vịnh|cảng|sân bay|bến xe|ga|chùa|đền|nhà thờ|di tích)"
    r"|duong|pho|hem|ngo|phuong|huyen|truong|benh vien|cong ty)[ \t,]*$"
    r"|(?<![\d/.,:])\d{1,6}[A-Z]?(?:/\d{1,4}[A-Z]?)*[ \t]+$"
)
# English puts the kind after the name: "Le Loi Street", "Nguyen Thai Binh wards"
_PLACE_AFTER = regex.compile(
    r"^[ \t]+(?:(?i:streets?|roads?|avenues?|boulevards?|lanes?|wards?|districts?|communes?|"
    r"provinces?|cities|towns?|villages?|hamlets?|bridges?|markets?|rivers?|lakes?|islands?|"
    r"beach|bay|harbou?r|mountains?|valley|parks?|squares?|pagodas?|temples?|airport|"
    r"stations?|schools?|hospitals?|universit(?:y|ies))\b"
    r"|(?:St|Rd|Ave|Blvd)\b|Drive|City|High School|Gardens?|Building|Tower|Plaza|Hotel|"
    r"Center|Centre|Hall|Church|Museum|Library|Stadium|Company|Corporation|Group|Bank|"
    r"Foundation|Fund|Award|Prize|Programme|Program|Project|Committee|Council|Institute|"
    r"College|(?:Inc|Ltd|LLC|PLC|Co|Corp|JSC|GmbH)\b)"
)
_EN_WORD = r"(?:[A-Z][a-z]+(?:['’-][A-Z][a-z]+)?|[OD]['’][A-Z][a-z]+|Ma?c[A-Z][a-z]+|[A-Z]\.)"
_EN_RUN = regex.compile(rf"(?<![\w.]){_EN_WORD}(?:[ ]{_EN_WORD})+(?![\w])")
# Faker first names that are also everyday words: with an unknown capitalized word after
# them they are more often a phrase ("Will Power", "Grace Period") than a name.
_EN_WORD_NAMES = frozenset((
    "Amber", "Angel", "April", "August", "Autumn", "Bill", "Brandy", "Chase", "Christian",
    "Crystal", "Daisy", "Dawn", "Dean", "Destiny", "Don", "Drew", "Faith", "Frank", "Grace",
    "Grant", "Guy", "Heather", "Holly", "Hope", "Hunter", "Jack", "Jade", "Joy", "June",
    "Mark", "Max", "May", "Melody", "Misty", "Penny", "Ray", "Robin", "Rose", "Sandy",
    "Summer", "Will",
))  # fmt: skip
# A name as written after an introducer: title-case or upper-case words.
_NAME_WORD = r"(?:\p{Lu}\p{Ll}*(?:['’]\p{Lu}?\p{Ll}+)?|\p{Lu}{2,})"
_NAME_RUN = regex.compile(rf"{_NAME_WORD}(?:{_GAP}{_NAME_WORD}){{0,3}}(?![\p{{L}}'’])")
# Introducers: phrases on folded text (lower case, no accents) that end right before a
# name, after a ":" or "-" or a space. Strong ones say that a name follows; weak ones only
# that a name may follow. Looked up as the last words before each capitalized word (a set
# lookup; a regex scan of the whole text cost as much as all the other person rules).
_SELF = ("toi", "em", "minh", "tui", "to", "chau", "con")
# honorifics double as first- and second-person pronouns: "Chị là Hoa", "anh là Tuấn"
_PRONOUN_SELF = ("ong", "ba", "anh", "chi", "co", "chu", "bac", "di", "cau")
_PRONOUN = regex.compile(rf"(?i:{_HONORIFICS})")
_KIN = (
    "vo",
    "chong",
    "con gai",
    "con trai",
    "con ut",
    "con ca",
    "con",
    "me",
    "ma",
    "bo",
    "ba",
    "cha",
    "anh trai",
    "chi gai",
    "em trai",
    "em gai",
    "chau noi",
    "chau ngoai",
    "chau",
    "ong noi",
    "ba noi",
    "ong ngoai",
    "ba ngoai",
    "ban gai",
    "ban trai",
    "nguoi yeu",
    "ban than",
)
_EN_KIN = (
    "wife",
    "husband",
    "son",
    "daughter",
    "mother",
    "father",
    "mum",
    "mom",
    "dad",
    "brother",
    "sister",
    "grandson",
    "granddaughter",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "child",
    "friend",
    "neighbour",
    "neighbor",
    "partner",
    "fiance",
    "fiancee",
    "uncle",
    "aunt",
    "nephew",
    "niece",
    "cousin",
    "colleague",
    "boss",
)
_STRONG_INTRO = frozenset((
    "ho va ten", "ho ten", "ho, ten", "ten", "ten khai sinh", "ten thuong goi", "ten goi",
    "ten tai khoan", "ten chu tai khoan", "ten tk", "nguoi ky", "nguoi khai", "nguoi nop",
    "nguoi nop ho so", "nguoi nop don", "nguoi viet don", "nguoi lam don", "nguoi de nghi",
    "nguoi nhan", "nguoi gui", "nguoi lien he", "nguoi lien lac", "nguoi dai dien",
    "nguoi uy quyen", "nguoi duoc uy quyen", "nguoi giam ho", "nguoi lap bieu", "nguoi lap",
    "chu ho", "chu tai khoan", "chu tk", "chu so huu", "chu xe", "cong dan", "dong chi",
    "bi don", "nguyen don", "bi can", "bi cao", "nguoi bi hai", "nguoi lam chung",
    "nhan chung", "my name is", "my name's", "name is", "full name", "name", "signed by",
    "signed", "signature", "applicant", "account holder", "account name", "witness",
    "witnesses", "attn", "attention",
    *(f"ten {of}{me} la" for me in _SELF for of in ("", "cua ")),
    *(f"{me} ten{is_}" for me in _SELF for is_ in ("", " la")),
))  # fmt: skip
_WEAK_INTRO = frozenset((
    "i'm", "i’m", "i am", "this is", "call me", "dear", "hi", "hello", "hey", "thanks",
    "thank you",
    *(f"{me} la" for me in _SELF + _PRONOUN_SELF),
    *(
        f"{kin}{whose} {is_}"
        for kin in _KIN
        for whose in ("", *(f"{of}{me}" for me in _SELF for of in (" ", " cua ")))
        for is_ in ("la", "ten la", "ten")
    ),
    *(f"my {kin}{is_}" for kin in _EN_KIN for is_ in ("", ",", " is", " named", " called")),
))  # fmt: skip
_INTRO_WORDS = max(len(p.split()) for p in _STRONG_INTRO | _WEAK_INTRO)
#: last words of the introducers: most capitalized words follow none of them
_INTRO_LAST = frozenset(p.split()[-1] for p in _STRONG_INTRO | _WEAK_INTRO)
_INTRO_CHUNK = 48
_INTRO_GAP = frozenset(" \t:-–")
# accented words that fold onto a weak introducer's word but say something else: "chỉ là"
# (only is) is not "chị là", "có là" (is it) not "cô là", "lạ" (strange) not "là"
_NOT_INTRO_WORDS = frozenset(("chỉ", "chì", "có", "cố", "cỏ", "lạ", "lá", "lả", "bá", "tổ"))
_WORD_START = regex.compile(r"(?<=[ \t:\-–])\p{Lu}")
# locative words before a place name: "ở Từ Liêm", "đi Hà Tiên", "moved to Ha Dong"
_LOCATIVE = regex.compile(r"(?<![a-z])(?:o|tai|ve|den|di|qua|que|in|at|to|from|near)[ \t]+$")
_VOCATIVE = regex.compile(
    rf"(?<![\p{{L}}])(?P<name>{_TITLE}(?:{_GAP}{_TITLE})?){_GAP}ơi(?!\p{{L}})"
)
_EN_VOCATIVE = regex.compile(r"(?:^|(?<=[\n.!?][ \t]*))(?P<name>[A-Z][a-z]+),[ \t]+[a-z]")


def _surname_regex(surnames: tuple[str, ...]) -> regex.Pattern[str]:
    title = "|".join(regex.escape(s) for s in surnames)
    upper = "|".join(regex.escape(s.upper()) for s in surnames)
    return regex.compile(
        rf"(?<!\p{{L}})(?:(?P<t>{title})(?P<tg>(?:{_GAP}{_TITLE}){{1,3}})"
        rf"|(?P<u>{upper})(?P<ug>(?:{_GAP}{_UPPER}){{1,3}}))(?!\p{{L}})"
    )


def _lower_case_regex(surnames: frozenset[str]) -> regex.Pattern[str]:
    body = "|".join(regex.escape(s) for s in sorted(surnames, key=len, reverse=True))
    return regex.compile(
        rf"(?<!\p{{L}})(?P<s>{body})[ \t]+(?P<m>\p{{Ll}}+)(?P<g>(?:[ \t]+\p{{Ll}}+){{1,2}})"
        r"(?!\p{L})"
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
        self._wards = lexicon.ward_names()
        self._lower = _lower_case_regex(self._names.common_surnames)
        english = lexicon.english_names()
        self._first = english.first
        self._last = english.last | {s for s in self._names.surnames if s.isascii()}
        self._english = options.language == "en"

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        best: dict[tuple[int, int], Candidate] = {}
        rules = (
            self._vietnamese(text, folded),
            self._honorific(text),
            self._introduced(text, folded),
            self._lower_case(text),
            self._vocative(text),
            self._english_names(text),
        )
        for rule in rules:
            for cand in rule:
                if self._is_place_or_org(text, cand):
                    continue
                key = (cand.start, cand.end)
                if key not in best or cand.score > best[key].score:
                    best[key] = cand
        return best.values()

    # -- rules -----------------------------------------------------------------------
    def _vietnamese(self, text: str, folded_text: str) -> Iterable[Candidate]:
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
            if (
                len(given) == 1
                and folded in self._wards
                and _LOCATIVE.search(folded_text[max(0, m.start() - 12) : m.start()])
            ):
                continue  # "ở Từ Liêm", "đi Hà Tiên": a ward or commune, not a person
            end = self._end_of(text, m.start() + len(surname), given)
            yield self._scored(m.start(), end, given, ascii_only=surname.isascii())

    def _honorific(self, text: str) -> Iterable[Candidate]:
        for m in _HONORIFIC.finditer(text):
            given = self._trim(m.group("name").split())
            if not given or given[0].lower() in self._names.titles:
                continue  # "Ông Chủ tịch", "Bà Giám đốc": a title, not the name
            start = m.start("name")
            pair = fold_phrase(text[m.start() : start] + given[0])
            if pair in self._names.not_honorific_names:
                continue
            if fold_phrase(" ".join(given)) in self._places:
                continue
            end = self._end_of(text, start, given)
            yield Candidate(start, end, 0.85 if self._any_known(given) else 0.7, 0.9, "honorific")

    def _introduced(self, text: str, folded: str) -> Iterable[Candidate]:
        for word in _WORD_START.finditer(text):
            strong = self._introducer(text, folded, word.start())
            if strong is None:
                continue
            run = _NAME_RUN.match(text, word.start())
            if not run:
                continue
            given = self._trim_before(text, run.end(), self._trim(run.group().split()))
            if not given or given[0].lower() in self._names.titles:
                continue
            whole = fold_phrase(" ".join(given))
            if whole in self._places or whole in self._names.not_names:
                continue
            if strong:
                # a label says a name follows; one unknown word may still be a
                # sentence-case phrase ("Tên: Dự án ..."), so it needs to be known
                colon = ":" in folded[max(0, word.start() - 3) : word.start()]
                if not (self._known(given[0]) or (len(given) > 1 and colon)):
                    continue
            elif not all(self._known(w) for w in given):
                continue  # "tôi là Thương binh": only name syllables after "tôi là"
            end = self._end_of(text, run.start(), given)
            yield Candidate(run.start(), end, 0.85 if strong else 0.8, 0.9, "introduced")

    def _lower_case(self, text: str) -> Iterable[Candidate]:
        for m in self._lower.finditer(text, overlapped=True):
            middle = m.group("m")
            if middle not in self._names.lower_middles:
                continue
            given: list[str] = []
            previous = middle
            for word in m.group("g").split():
                if fold_phrase(word) not in self._names.folded_given:
                    break
                if (previous, word) in self._names.lower_case_stop_pairs:
                    break
                given.append(word)
                previous = word
            if not given:
                continue
            end = self._end_of(text, m.start("g"), given)
            yield Candidate(m.start(), end, 0.6, 0.85, "lower-case")

    def _vocative(self, text: str) -> Iterable[Candidate]:
        for m in _VOCATIVE.finditer(text):
            words = m.group("name").split()
            if _PRONOUN.fullmatch(words[0]):
                continue  # "Anh ơi", "Chị ơi": a pronoun, not a name
            if all(self._known(w, given_only=True) for w in words):
                yield Candidate(m.start("name"), m.end("name"), 0.75, 0.9, "vocative")
        if not self._english:
            return
        for m in _EN_VOCATIVE.finditer(text):
            name = m.group("name")
            if name in self._first and name not in _EN_WORD_NAMES:
                yield Candidate(m.start("name"), m.end("name"), 0.6, 0.85, "vocative")

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
                last = words[j].split("-")[0].split("'")[-1].split("’")[-1]
                middle = words[i + 1]
                if j == i + 2 and not (middle.endswith(".") or middle in self._first):
                    continue  # "Mary Ann Smith", "Emily C. Pham"; not "Rose Garden Park"
                if last in self._last:
                    return i, j, 0.8
            if i + 1 < len(words) and not words[i + 1].endswith("."):
                # a known first name and an unknown capitalized word: a name when the two
                # are the whole run ("Carlos Mendes paid") and the first is not a word too
                whole = i == 0 and len(words) == 2
                plain = (
                    first not in _EN_WORD_NAMES
                    and words[1].lower() not in self._names.stops
                    and not _PLACE_AFTER.match(" " + words[1])
                )
                return i, i + 1, 0.6 if whole and plain else 0.4
        return None

    # -- helpers ---------------------------------------------------------------------
    @staticmethod
    def _introducer(text: str, folded: str, pos: int) -> bool | None:
        """True (strong) or False (weak) if an introducer ends right before ``pos``, the
        longest one winning.

        Called for every capitalized word: the common case (the word before is no
        introducer's last word) is decided by index arithmetic and one set lookup.
        """
        i = pos - 1
        while i > 0 and folded[i] in _INTRO_GAP:
            i -= 1
        cut = folded.rfind(" ", max(0, i - 16), i)
        if folded[cut + 1 : i + 1] not in _INTRO_LAST:
            return None
        start = max(0, i + 1 - _INTRO_CHUNK)
        words = folded[start : i + 1].split()
        written = text[start : i + 1].split()  # same cuts: folding keeps every offset
        if start > 0:
            words, written = words[1:], written[1:]  # possibly cut in the middle
        for n in range(min(_INTRO_WORDS, len(words)), 0, -1):
            phrase = " ".join(words[-n:]).lstrip("([{\"'“‘")
            if phrase in _STRONG_INTRO:
                return True
            if phrase in _WEAK_INTRO:
                if any(w.lower() in _NOT_INTRO_WORDS for w in written[-n:]):
                    return None
                return False
        return None

    def _known(self, word: str, *, given_only: bool = False) -> bool:
        """A name syllable: Vietnamese given, middle or surname, or an English name.

        Accented words must match with their accents; unaccented ones match folded.
        """
        if word.isascii():
            folded = fold_phrase(word)
            if folded in self._names.folded_given:
                return True
            if given_only:
                return False
            return (
                folded in self._names.folded_surnames
                or folded in self._names.folded_middles
                or word.capitalize() in self._first
                or word.capitalize() in self._last
            )
        key = lexicon.tone_key(word)
        if given_only:
            return key in self._names.accented_given
        return key in self._names.accented_syllables

    def _any_known(self, given: list[str]) -> bool:
        folded = [fold_phrase(w) for w in given]
        return (
            folded[0] in self._names.folded_surnames
            or any(f in self._names.folded_given for f in folded)
            or given[-1] in self._last
            or given[0] in self._first
        )

    def _trim_before(self, text: str, end: int, words: list[str]) -> list[str]:
        """Drop a last word that opens a stop pair with the lower-case word after the run
        ("Tôi là Công an phường": "Công an" is a body, not the name "Công")."""
        if not words or len(words) != len(text[:end].split()[-len(words) :]):
            return words
        following = regex.match(r"[ \t]+(\p{Ll}+)", text[end:])
        if following and (words[-1].lower(), following.group(1)) in self._names.stop_pairs:
            return words[:-1]
        return words

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
