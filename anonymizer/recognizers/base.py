"""Base class of the Vietnamese recognizers: candidates from patterns, scores from context.

A subclass yields ``Candidate`` spans with two scores: one without context and one when
a cue phrase stands before the match. The base class looks for cues in the folded
windows (see ``context.py``), drops matches next to negative cues (money, decision
numbers, invoice and transaction references), and raises scores when the caller passes
extra context (a column name) through Presidio's ``context=`` argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, NamedTuple

from presidio_analyzer import EntityRecognizer, RecognizerResult

from anonymizer.recognizers import context as ctx
from anonymizer.recognizers.registry import RecognizerOptions
from anonymizer.text import fold

#: a cue after the match is weaker evidence than one before it
AFTER_PENALTY = 0.1
#: negative cues count only close to the match
NEGATIVE_WINDOW = 18
#: metadata keys this package adds to Presidio results
CONTEXT_KEY = "context_backed"
CONTEXT_SCORE_KEY = "context_score"


class Candidate(NamedTuple):
    start: int
    end: int
    #: score with no cue around it (below the engine threshold = "needs context")
    score: float
    #: score when a cue stands before it
    context_score: float
    pattern: str = ""


def external_context(words: Sequence[str] | None) -> str:
    """Fold caller-given context (column names like ``so_dien_thoai``) for cue search."""
    if not words:
        return ""
    return " | ".join(fold(w).replace("_", " ").replace("-", " ") for w in words)


class ContextualRecognizer(EntityRecognizer):
    ENTITY: ClassVar[str]
    ENTITIES: ClassVar[tuple[str, ...]]
    CUES: ClassVar[tuple[str, ...]] = ()
    NEGATIVE_BEFORE: ClassVar[tuple[str, ...]] = ()
    NEGATIVE_AFTER: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "ENTITY" in cls.__dict__:
            cls.ENTITIES = (cls.ENTITY,)

    def __init__(self, options: RecognizerOptions) -> None:
        self.window = options.window
        self.cues = ctx.CueSet(self.CUES + options.extra_cues)
        self.negative_before = ctx.CueSet(self.NEGATIVE_BEFORE)
        self.negative_after = ctx.CueSet(self.NEGATIVE_AFTER)
        super().__init__(
            supported_entities=[self.ENTITY],
            name=type(self).__name__,
            supported_language=options.language,
            context=list(self.cues.phrases),
        )

    @classmethod
    def from_options(cls, options: RecognizerOptions) -> ContextualRecognizer:
        return cls(options)

    def load(self) -> None:  # nothing to load: patterns compile at import
        pass

    def candidates(self, text: str, folded: str) -> Iterable[Candidate]:
        raise NotImplementedError

    def analyze(
        self, text: str, entities: list[str] | None, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        if entities and self.ENTITY not in entities:
            return []
        folded = fold(text)
        results = []
        for cand in self.candidates(text, folded):
            score, backed = self._score(folded, cand)
            if score > 0:
                results.append(self._result(cand, score, backed))
        return results

    def _score(self, folded: str, cand: Candidate) -> tuple[float, bool]:
        before = ctx.before(folded, cand.start, self.window.before)
        if self.cues.search(before):
            return max(cand.score, cand.context_score), True
        near_before = before[-NEGATIVE_WINDOW:]
        near_after = ctx.after(folded, cand.end, NEGATIVE_WINDOW)
        if self.negative_before.search(near_before) or self.negative_after.search(near_after):
            return 0.0, False
        if self.cues.search(ctx.after(folded, cand.end, self.window.after)):
            return max(cand.score, cand.context_score - AFTER_PENALTY), True
        return cand.score, False

    def _result(self, cand: Candidate, score: float, backed: bool) -> RecognizerResult:
        return RecognizerResult(
            entity_type=self.ENTITY,
            start=cand.start,
            end=cand.end,
            score=round(score, 3),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                CONTEXT_KEY: backed,
                CONTEXT_SCORE_KEY: cand.context_score,
                "pattern": cand.pattern,
            },
        )

    def enhance_using_context(
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: Any,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        extra = external_context(context)
        if not extra or not self.cues.search(extra):
            return raw_recognizer_results
        for result in raw_recognizer_results:
            meta = result.recognition_metadata
            if not meta.get(CONTEXT_KEY):
                result.score = max(result.score, float(meta.get(CONTEXT_SCORE_KEY, 0.0)))
                meta[CONTEXT_KEY] = True
                meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
        return raw_recognizer_results


def digits_only(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())
