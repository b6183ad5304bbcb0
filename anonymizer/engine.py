"""The PII engine: Presidio's analyzer and anonymizer, built once per process, offline.

    engine = get_engine()                       # cached; first call ~2 s (imports Presidio)
    engine.analyze("SĐT 0903 123 456", "vi")    # [Finding("PHONE_NUMBER", 4, 16, 0.95)]
    engine.redact("SĐT 0903 123 456")           # "SĐT <PHONE_NUMBER>"

Text is NFC-normalized before analysis; findings always index the caller's original
string. Overlaps across entity types are resolved (``resolve.py``) so findings never
overlap, and redaction replaces each with ``<ENTITY_TYPE>``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anonymizer.errors import (
    EngineUnavailable,
    TextTooLong,
    UnsupportedEntity,
    UnsupportedLanguage,
)
from anonymizer.resolve import resolve
from anonymizer.settings import EngineConfig, load_config
from anonymizer.text import normalize

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine
    from presidio_anonymizer import AnonymizerEngine


@dataclass(frozen=True)
class Finding:
    entity_type: str
    start: int
    end: int
    score: float


class PiiEngine:
    """Analyze and redact PII in Vietnamese and English text. Thread-safe after build."""

    def __init__(
        self, *, config: EngineConfig, analyzer: AnalyzerEngine, anonymizer: AnonymizerEngine
    ) -> None:
        self.config = config
        self._analyzer = analyzer
        self._anonymizer = anonymizer
        self.languages: tuple[str, ...] = tuple(config.languages)
        self.supported_entities: frozenset[str] = frozenset(
            entity for lang in self.languages for entity in analyzer.get_supported_entities(lang)
        )

    # -- analysis ----------------------------------------------------------------------
    def analyze(
        self,
        text: str,
        language: str = "vi",
        entities: Sequence[str] | None = None,
        score_threshold: float | None = None,
        *,
        context: Sequence[str] | None = None,
    ) -> list[Finding]:
        """Findings in ``text``, sorted by start, non-overlapping.

        ``context`` is extra cue text that is not part of ``text`` (a column name such as
        ``so_dien_thoai``): it raises the scores of matches that need a cue.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        self._check(text, language, entities)
        if not text.strip():
            return []
        normalized = normalize(text)
        results = self._analyzer.analyze(
            text=normalized.text,
            language=language,
            entities=list(entities) if entities else None,
            score_threshold=score_threshold,
            context=list(context) if context else None,
        )
        findings = []
        for result in resolve(results):
            start, end = normalized.to_original(result.start, result.end)
            findings.append(Finding(result.entity_type, start, end, round(float(result.score), 3)))
        return findings

    def analyze_batch(
        self, texts: Sequence[str | None], language: str = "vi"
    ) -> list[list[Finding]]:
        """One list of findings per text; ``None`` and empty texts give ``[]``."""
        # Presidio's BatchAnalyzerEngine only batches the NLP step, which is a no-op here,
        # so a plain loop is as fast and keeps one code path.
        return [self.analyze(t, language) if t else [] for t in texts]

    # -- redaction ---------------------------------------------------------------------
    def redact(self, text: str, language: str = "vi") -> str:
        """``text`` with each finding replaced by ``<ENTITY_TYPE>``."""
        return self.redact_findings(text, self.analyze(text, language))

    def redact_batch(self, texts: Sequence[str | None], language: str = "vi") -> list[str | None]:
        return [None if t is None else self.redact(t, language) for t in texts]

    def redact_findings(self, text: str, findings: Sequence[Finding]) -> str:
        """Replace the given findings (non-overlapping, from ``analyze``) by ``<TYPE>``."""
        if not findings:
            return text
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        results = [RecognizerResult(f.entity_type, f.start, f.end, f.score) for f in findings]
        operators = {
            f.entity_type: OperatorConfig("replace", {"new_value": f"<{f.entity_type}>"})
            for f in findings
        }
        return self._anonymizer.anonymize(
            text=text, analyzer_results=results, operators=operators
        ).text

    # -- checks ------------------------------------------------------------------------
    def _check(self, text: str, language: str, entities: Sequence[str] | None) -> None:
        if len(text) > self.config.max_text_length:
            raise TextTooLong(len(text), self.config.max_text_length)
        if language not in self.languages:
            raise UnsupportedLanguage(language, list(self.languages))
        if entities:
            unknown = sorted(set(entities) - self.supported_entities)
            if unknown:
                raise UnsupportedEntity(unknown, sorted(self.supported_entities))


def build_engine(config: EngineConfig) -> PiiEngine:
    """Build a new engine from a validated configuration (uncached; see ``get_engine``)."""
    from anonymizer import offline

    offline.prepare()
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_anonymizer import AnonymizerEngine
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EngineUnavailable(f"Presidio is not installed: {exc}") from exc

    from anonymizer.recognizers import registry
    from anonymizer.recognizers.context import Window

    # defined here because its base class is Presidio's, imported only when building
    class _RecognizerOwnContext(ContextAwareEnhancer):
        """Context is matched inside the recognizers; Presidio's lemma pass has no lemmas."""

        def __init__(self) -> None:
            super().__init__(0, 0, 0, 0)

        def enhance_using_context(self, text: str, raw_results: Any, *args: Any, **kw: Any) -> Any:
            return raw_results

    languages: list[str] = list(config.languages)
    window = Window(before=config.context.before, after=config.context.after)
    recognizers = []
    for spec in config.recognizers:
        if not spec.enabled:
            continue
        factory = registry.get(spec.name)
        for language in spec.languages or languages:
            options = registry.RecognizerOptions(
                language=language, window=window, extra_cues=tuple(spec.context)
            )
            recognizers.append(factory.from_options(options))
    presidio_registry = RecognizerRegistry(recognizers=recognizers, supported_languages=languages)
    nlp_engine = NoOpNlpEngine(
        models=[{"lang_code": lang, "model_name": "no_op"} for lang in languages]
    )
    analyzer = AnalyzerEngine(
        registry=presidio_registry,
        nlp_engine=nlp_engine,
        supported_languages=languages,
        default_score_threshold=config.score_threshold,
        context_aware_enhancer=_RecognizerOwnContext(),
    )
    return PiiEngine(config=config, analyzer=analyzer, anonymizer=AnonymizerEngine())


_engines: dict[Path | None, PiiEngine] = {}
_lock = threading.Lock()


def get_engine(config_path: Path | None = None) -> PiiEngine:
    """The process-wide engine for a configuration file (the shipped default if None).

    Built on first call, under a lock so concurrent first requests build it once.
    """
    key = Path(config_path).resolve() if config_path is not None else None
    engine = _engines.get(key)
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = build_engine(load_config(key))
            _engines[key] = engine
        return engine
