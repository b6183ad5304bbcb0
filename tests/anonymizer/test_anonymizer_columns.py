"""classify_column on synthetic columns: whole-value types, name hints, free text."""

from __future__ import annotations

import random

import pytest

from anonymizer.columns import FREE_TEXT, classify_column, column_words, name_hint
from anonymizer.engine import PiiEngine
from anonymizer.masking import mask_value

rng = random.Random(7)


def _phones(n: int) -> list[str]:
    return [f"09{rng.choice('0134')}{rng.randrange(10**7):07d}" for _ in range(n)]


NAMES = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Nam", "Phạm Minh Tuấn", "Võ Thị Hoa"]
NOTES = [
    "Khách hẹn giao hàng buổi chiều, gọi trước 0903 123 456.",
    "Đã kiểm tra hồ sơ, đủ điều kiện cấp phép xây dựng nhà ở riêng lẻ.",
    "Người nhà là chị Lan, cần liên hệ lại trong tuần sau.",
    "Không có ghi chú thêm về trường hợp này, hồ sơ đã lưu kho.",
]


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("so_dien_thoai", _phones(40), "PHONE_NUMBER"),  # whole values
        ("phone", [*_phones(30), "", None, "chưa có"], "PHONE_NUMBER"),  # blanks skipped
        ("ho_ten", NAMES * 8, "PERSON"),
        ("cmnd", ["025123456", "271234567", "023456789"] * 10, "VN_CMND"),  # needs the name
        ("ma_bhxh", ["7912345678", "0112345678"] * 10, "VN_SOCIAL_INSURANCE"),  # ditto
        ("ngay_sinh", ["05/03/1990", "1985-12-01", "12/11/2001"] * 10, "DATE_OF_BIRTH"),
        ("dob", ["05/03/1990", "1985-12-01"] * 10, "DATE_OF_BIRTH"),
        ("email", [f"user{i}@example.com" for i in range(20)], "EMAIL_ADDRESS"),
        ("dia_chi", ["12 Lê Lợi, P. Bến Thành, Q.1", "45 Nguyễn Huệ, Quận 1"] * 10, "LOCATION"),
        ("cccd", ["079090001234", "001305012345"] * 10, "VN_CCCD"),
        ("mst", ["0100109106", "0312345673-001"] * 10, "VN_TAX_CODE"),
        ("ghi_chu", NOTES * 5, FREE_TEXT),  # findings are parts of longer texts
        ("notes", NOTES * 5, FREE_TEXT),
        ("so_luong", [str(i) for i in range(40)], None),  # counts
        ("ward", ["phuong-ben-thanh", "phuong-tan-dinh"] * 10, None),  # slugs, not text
        ("trang_thai", ["đã duyệt", "chờ xử lý", "từ chối"] * 10, None),  # statuses
    ],
)
def test_classify(engine: PiiEngine, name: str, values: list, expected: str | None) -> None:
    result = classify_column(name, values, engine=engine)
    assert result.proposed_pii == expected
    assert result.column == name
    assert result.sampled == len([v for v in values if v not in (None, "")])
    assert 0.0 <= result.confidence <= 1.0
    if expected not in (None, FREE_TEXT):
        assert result.confidence >= 0.5
        assert result.entity_counts[expected] >= result.sampled // 2


def test_examples_are_masked_never_raw(engine: PiiEngine) -> None:
    phones = _phones(10)
    result = classify_column("sdt", phones, engine=engine)
    assert result.examples
    assert not set(result.examples) & set(phones)
    assert all(e[:4].isdigit() and e[4:] == "*" * (len(e) - 4) for e in result.examples)

    notes = classify_column("ghi_chu", NOTES, engine=engine)
    assert any("<PHONE_NUMBER>" in e for e in notes.examples)
    assert not any("0903 123 456" in e for e in notes.examples)


def test_sample_size_caps_the_work(engine: PiiEngine) -> None:
    result = classify_column("sdt", _phones(500), engine=engine)
    assert result.sampled == 200  # the default sample
    assert classify_column("sdt", _phones(50), engine=engine, sample_size=20).sampled == 20


def test_empty_column(engine: PiiEngine) -> None:
    result = classify_column("x", [None, "", "  "], engine=engine)
    assert (result.proposed_pii, result.sampled, result.matched, result.examples) == (
        None, 0, 0, [],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "words", "hint"),
    [
        ("so_dien_thoai", "so dien thoai", "PHONE_NUMBER"),
        ("soDienThoai", "so dien thoai", "PHONE_NUMBER"),  # camelCase
        ("Số điện thoại", "so dien thoai", "PHONE_NUMBER"),  # a Vietnamese header
        ("full_name", "full name", "PERSON"),
        ("ngay-sinh", "ngay sinh", "DATE_OF_BIRTH"),
        ("ghi_chu", "ghi chu", FREE_TEXT),
        ("so_luong", "so luong", None),
    ],
)
def test_column_name_hints(name: str, words: str, hint: str | None) -> None:
    assert column_words(name) == words
    assert name_hint(name) == hint


@pytest.mark.parametrize(
    ("value", "kind", "masked"),
    [
        ("0903 123 456", "PHONE_NUMBER", "0903 *** ***"),
        ("079090001234", "VN_CCCD", "0790********"),
        ("Nguyễn Văn An", "PERSON", "Nguyễn V** A*"),
        ("an.nguyen@gmail.com", "EMAIL_ADDRESS", "a********@gmail.com"),
        ("05/03/1990", "DATE_OF_BIRTH", "**/**/1990"),
        ("12 Lê Lợi", "LOCATION", "1* L* L**"),
    ],
)
def test_mask_value(value: str, kind: str, masked: str) -> None:
    assert mask_value(value, kind) == masked
