"""NFC normalization with offsets back to the original, and accent folding."""

from __future__ import annotations

import unicodedata

import pytest

from anonymizer.text import fold, fold_phrase, normalize


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Số điện thoại", "so dien thoai"),
        ("ĐƯỜNG Lê Lợi", "duong le loi"),
        ("Mã số thuế: 0312", "ma so thue: 0312"),
        ("plain ascii", "plain ascii"),
        ("日本", "日本"),  # characters without a Latin base stay as they are
    ],
)
def test_fold_keeps_length(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert len(fold(text)) == len(text)


def test_fold_phrase_normalizes_spacing_and_form() -> None:
    assert fold_phrase("  Mã   số\u00a0thuế ") == "ma so thue"
    assert fold_phrase(unicodedata.normalize("NFD", "Số điện thoại")) == "so dien thoai"


def test_normalize_nfc_text_is_unchanged() -> None:
    n = normalize("Nguyễn Văn An")
    assert n.text == "Nguyễn Văn An"
    assert n.to_original(0, 6) == (0, 6)


def test_normalize_maps_nfd_spans_back() -> None:
    original = unicodedata.normalize("NFD", "Ông Nguyễn Văn An ở Huế")
    n = normalize(original)
    assert n.text == "Ông Nguyễn Văn An ở Huế"
    start = n.text.index("Nguyễn Văn An")
    o_start, o_end = n.to_original(start, start + len("Nguyễn Văn An"))
    assert unicodedata.normalize("NFC", original[o_start:o_end]) == "Nguyễn Văn An"
    h = n.text.index("Huế")
    o_start, o_end = n.to_original(h, h + 3)
    assert original[o_start:o_end] == unicodedata.normalize("NFD", "Huế")
    assert o_end == len(original)
