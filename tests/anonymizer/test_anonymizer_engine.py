"""The engine: offline build, offsets into the caller's text, batch = single, redaction."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest

from anonymizer.engine import Finding, PiiEngine, get_engine
from anonymizer.errors import TextTooLong, UnsupportedEntity, UnsupportedLanguage

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (
    "Ông Nguyễn Văn An, sinh ngày 05/03/1990, CCCD 079090001234, SĐT 0903 123 456, "
    "trú tại số 12 đường Lê Lợi, phường Bến Thành, Quận 1, TP. Hồ Chí Minh. "
    "Email: an.nguyen@gmail.com"
)


def test_builds_and_analyzes_with_the_network_blocked() -> None:
    # A fresh interpreter, so Presidio, spaCy and tldextract are imported under the block:
    # any connection attempt raises, and tldextract's fallback would print a traceback.
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network access attempted")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from anonymizer.engine import get_engine

        engine = get_engine()
        kinds = {f.entity_type for f in engine.analyze(
            "Email an.nguyen@gmail.com, SĐT 0903123456, web https://example.com", "vi")}
        assert kinds == {"EMAIL_ADDRESS", "PHONE_NUMBER", "URL"}, kinds
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLDEXTRACT")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert "Traceback" not in done.stderr
    assert "network access attempted" not in done.stderr


def test_importing_the_package_does_no_work() -> None:
    script = (
        "import sys, anonymizer\n"
        "heavy = [m for m in ('presidio_analyzer', 'spacy', 'faker') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert callable(anonymizer.get_engine)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_get_engine_is_cached(engine: PiiEngine) -> None:
    assert get_engine() is engine


def test_findings_are_sorted_non_overlapping_and_typed(engine: PiiEngine) -> None:
    findings = engine.analyze(SAMPLE, "vi")
    assert [f.entity_type for f in findings] == [
        "PERSON", "DATE_OF_BIRTH", "VN_CCCD", "PHONE_NUMBER", "LOCATION", "EMAIL_ADDRESS",
    ]  # fmt: skip
    assert all(isinstance(f, Finding) and 0 < f.score <= 1 for f in findings)
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))


def test_nfd_input_offsets_point_into_the_original(engine: PiiEngine) -> None:
    nfd = unicodedata.normalize("NFD", SAMPLE)
    assert len(nfd) > len(SAMPLE)  # decomposed accents take more code points
    nfc_findings = engine.analyze(SAMPLE, "vi")
    nfd_findings = engine.analyze(nfd, "vi")
    assert [f.entity_type for f in nfd_findings] == [f.entity_type for f in nfc_findings]
    for a, b in zip(nfc_findings, nfd_findings, strict=True):
        original_span = nfd[b.start : b.end]
        assert unicodedata.normalize("NFC", original_span) == SAMPLE[a.start : a.end]


def test_nfd_redaction_keeps_the_rest_of_the_text(engine: PiiEngine) -> None:
    nfd = unicodedata.normalize("NFD", "Bà Trần Thị Hoà, SĐT 0903123456, đã đến.")
    redacted = engine.redact(nfd, "vi")
    assert unicodedata.normalize("NFC", redacted) == "Bà <PERSON>, SĐT <PHONE_NUMBER>, đã đến."


def test_batch_equals_single(engine: PiiEngine) -> None:
    texts = [SAMPLE, None, "", "Không có dữ liệu cá nhân.", "MST 0312345673-001"]
    batch = engine.analyze_batch(texts, "vi")
    assert batch == [engine.analyze(t, "vi") if t else [] for t in texts]
    redacted = engine.redact_batch(texts, "vi")
    assert redacted[1] is None
    assert redacted == [None if t is None else engine.redact(t, "vi") for t in texts]


def test_redact_replaces_each_finding_by_its_type(engine: PiiEngine) -> None:
    text = "Liên hệ chị Lan qua 0903 123 456 hoặc lan@example.com."
    assert engine.redact(text, "vi") == (
        "Liên hệ chị <PERSON> qua <PHONE_NUMBER> hoặc <EMAIL_ADDRESS>."
    )
    assert engine.redact("Không có gì.", "vi") == "Không có gì."


def test_english_text(engine: PiiEngine) -> None:
    text = "Contact Mr. John Smith at +84 90 312 3456, 45 Nguyen Hue Street, District 1."
    assert engine.redact(text, "en") == "Contact Mr. <PERSON> at <PHONE_NUMBER>, <LOCATION>."


def test_entities_filter_and_threshold(engine: PiiEngine) -> None:
    only_phone = engine.analyze(SAMPLE, "vi", entities=["PHONE_NUMBER"])
    assert {f.entity_type for f in only_phone} == {"PHONE_NUMBER"}
    strict = engine.analyze(SAMPLE, "vi", score_threshold=0.99)
    assert {f.entity_type for f in strict} == {"EMAIL_ADDRESS"}  # validated e-mail scores 1.0


def test_context_raises_numbers_that_need_a_cue(engine: PiiEngine) -> None:
    assert engine.analyze("025123456", "vi") == []
    [finding] = engine.analyze("025123456", "vi", context=["so_cmnd"])
    assert finding.entity_type == "VN_CMND"


def test_input_errors(engine: PiiEngine) -> None:
    with pytest.raises(TextTooLong):
        engine.analyze("a" * (engine.config.max_text_length + 1), "vi")
    with pytest.raises(UnsupportedLanguage):
        engine.analyze("xin chào", "fr")
    with pytest.raises(UnsupportedEntity):
        engine.analyze("xin chào", "vi", entities=["US_SSN"])
    with pytest.raises(TypeError):
        engine.analyze(None, "vi")  # type: ignore[arg-type]
    assert engine.analyze("   ", "vi") == []


def test_only_the_configured_recognizers_are_loaded(engine: PiiEngine) -> None:
    assert engine.supported_entities == {
        "PERSON",
        "LOCATION",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "DATE_OF_BIRTH",
        "VN_CCCD",
        "VN_CMND",
        "VN_TAX_CODE",
        "VN_SOCIAL_INSURANCE",
        "VN_LICENSE_PLATE",
        "BANK_ACCOUNT",
        "CREDIT_CARD",
        "IP_ADDRESS",
        "URL",
    }  # fmt: skip  (the SPEC list exactly: no US_SSN, UK_NHS, ...)
