"""Recognizer tables: what each recognizer must find, and the near-misses it must leave.

Each row goes through the whole engine (overlap resolution included), because what a
caller sees is the resolved result.
"""

from __future__ import annotations

import itertools

import pytest

from anonymizer.engine import PiiEngine
from tests.anonymizer.helpers import found

MATCHES = [
    # -- VN_CCCD ---------------------------------------------------------------------
    ("CCCD: 079090001234", "vi", ("VN_CCCD", "079090001234")),  # labelled
    ("Số định danh cá nhân 001305012345", "vi", ("VN_CCCD", "001305012345")),  # new name
    ("thẻ căn cước 079 090 001 234", "vi", ("VN_CCCD", "079 090 001 234")),  # grouped
    ("079090001234 là số của tôi", "vi", ("VN_CCCD", "079090001234")),  # valid, no cue
    ("MST cá nhân: 079185004321", "vi", ("VN_CCCD", "079185004321")),  # 12-digit tax code
    ("citizen ID 079203006789", "en", ("VN_CCCD", "079203006789")),  # English cue
    # -- VN_CMND ---------------------------------------------------------------------
    ("Số CMND 025123456", "vi", ("VN_CMND", "025123456")),  # labelled
    ("chứng minh nhân dân số 271 234 567", "vi", ("VN_CMND", "271 234 567")),  # grouped
    ("Số CMND/CCCD: 023456789", "vi", ("VN_CMND", "023456789")),  # shared form label
    ("ID card 105482876", "en", ("VN_CMND", "105482876")),  # English cue
    # -- VN_TAX_CODE -----------------------------------------------------------------
    ("Mã số thuế: 0100109106", "vi", ("VN_TAX_CODE", "0100109106")),  # a real company code
    ("MST 0312345673-001", "vi", ("VN_TAX_CODE", "0312345673-001")),  # branch suffix
    ("0312345673-001", "vi", ("VN_TAX_CODE", "0312345673-001")),  # suffix alone is enough
    ("ma so thue 0312345673", "vi", ("VN_TAX_CODE", "0312345673")),  # no accents
    (
        "mã số doanh nghiệp 0312345673",
        "vi",
        ("VN_TAX_CODE", "0312345673"),
    ),  # enterprise code = tax code
    ("Tax code 0312345673 is invalid?", "en", ("VN_TAX_CODE", "0312345673")),  # English cue
    # -- VN_SOCIAL_INSURANCE ---------------------------------------------------------
    ("Mã số BHXH: 7912345678", "vi", ("VN_SOCIAL_INSURANCE", "7912345678")),  # labelled
    (
        "sổ bảo hiểm xã hội số 0123456789",
        "vi",
        ("VN_SOCIAL_INSURANCE", "0123456789"),
    ),  # spelled out
    (
        "thẻ BHYT DN4797912345678",
        "vi",
        ("VN_SOCIAL_INSURANCE", "DN4797912345678"),
    ),  # health insurance card code
    ("HS4010123456789 còn hạn", "vi", ("VN_SOCIAL_INSURANCE", "HS4010123456789")),  # card shape
    # -- PHONE_NUMBER ----------------------------------------------------------------
    ("SĐT 0903123456", "vi", ("PHONE_NUMBER", "0903123456")),  # MobiFone
    ("gọi 0321 234 567", "vi", ("PHONE_NUMBER", "0321 234 567")),  # Viettel, spaces
    ("0912.345.678", "vi", ("PHONE_NUMBER", "0912.345.678")),  # Vinaphone, dots, no cue
    ("0589-123-456", "vi", ("PHONE_NUMBER", "0589-123-456")),  # Vietnamobile, dashes
    ("SĐT 0840 905 850", "vi", ("PHONE_NUMBER", "0840 905 850")),  # Vinaphone 084 then a 0
    ("liên hệ 0599 123 456", "vi", ("PHONE_NUMBER", "0599 123 456")),  # Gmobile
    ("số 0871234567", "vi", ("PHONE_NUMBER", "0871234567")),  # Itelecom
    ("số 0559876543", "vi", ("PHONE_NUMBER", "0559876543")),  # Reddi
    ("+84 90 312 3456", "vi", ("PHONE_NUMBER", "+84 90 312 3456")),  # international
    ("+84903123456", "vi", ("PHONE_NUMBER", "+84903123456")),  # international, no spaces
    ("84903123456", "vi", ("PHONE_NUMBER", "84903123456")),  # 84 without +
    ("ĐT: 028 3829 5555", "vi", ("PHONE_NUMBER", "028 3829 5555")),  # HCMC landline
    ("(028) 3829 5555", "vi", ("PHONE_NUMBER", "(028) 3829 5555")),  # parentheses
    ("tel 0236 382 2123", "en", ("PHONE_NUMBER", "0236 382 2123")),  # Da Nang landline
    # -- VN_LICENSE_PLATE ------------------------------------------------------------
    ("biển số 51A-123.45", "vi", ("VN_LICENSE_PLATE", "51A-123.45")),  # car
    ("xe 51A-12345", "vi", ("VN_LICENSE_PLATE", "51A-12345")),  # car, no dot
    ("51LD-123.45 đậu sai", "vi", ("VN_LICENSE_PLATE", "51LD-123.45")),  # two letters
    ("xe máy 59-X1 123.45", "vi", ("VN_LICENSE_PLATE", "59-X1 123.45")),  # motorbike
    ("59X1-12345", "vi", ("VN_LICENSE_PLATE", "59X1-12345")),  # motorbike, compact
    ("BKS 51A-1234", "vi", ("VN_LICENSE_PLATE", "51A-1234")),  # old 4-digit car plate
    ("plate 30G-555.21", "en", ("VN_LICENSE_PLATE", "30G-555.21")),  # English cue
    # -- BANK_ACCOUNT ----------------------------------------------------------------
    (
        "STK 0071001234567 Vietcombank",
        "vi",
        ("BANK_ACCOUNT", "0071001234567"),
    ),  # abbreviated cue and bank name
    ("số tài khoản: 19036781234011", "vi", ("BANK_ACCOUNT", "19036781234011")),  # spelled out
    ("TK 0903123456 MB", "vi", ("BANK_ACCOUNT", "0903123456")),  # phone-number account
    ("STK 079090001234", "vi", ("BANK_ACCOUNT", "079090001234")),  # CCCD-shaped account
    ("0071001234567 tại Vietcombank", "vi", ("BANK_ACCOUNT", "0071001234567")),  # cue after
    ("account 1903 6781 2340", "en", ("BANK_ACCOUNT", "1903 6781 2340")),  # grouped
    # -- DATE_OF_BIRTH ---------------------------------------------------------------
    ("sinh ngày 05/03/1990", "vi", ("DATE_OF_BIRTH", "05/03/1990")),  # day first
    ("Ngày sinh: 5-3-1990", "vi", ("DATE_OF_BIRTH", "5-3-1990")),  # dashes
    ("NS: 05.03.1990", "vi", ("DATE_OF_BIRTH", "05.03.1990")),  # NS = ngày sinh
    (
        "sinh ngày 5 tháng 3 năm 1990",
        "vi",
        ("DATE_OF_BIRTH", "5 tháng 3 năm 1990"),
    ),  # words, 'ngày' not in span
    ("ngày sinh 1990-03-05", "vi", ("DATE_OF_BIRTH", "1990-03-05")),  # ISO
    ("sinh năm 1985", "vi", ("DATE_OF_BIRTH", "1985")),  # year only
    ("born on March 3, 1979", "en", ("DATE_OF_BIRTH", "March 3, 1979")),  # month first
    ("DOB: 14 February 1988", "en", ("DATE_OF_BIRTH", "14 February 1988")),  # day first
    ("date of birth 07/23/1990", "en", ("DATE_OF_BIRTH", "07/23/1990")),  # month first
    # -- PERSON ----------------------------------------------------------------------
    ("Ông Nguyễn Văn An đến nộp hồ sơ", "vi", ("PERSON", "Nguyễn Văn An")),  # honorific + full name
    ("Trần Thị Bích Ngọc", "vi", ("PERSON", "Trần Thị Bích Ngọc")),  # 3 given syllables
    ("NGUYỄN VĂN AN", "vi", ("PERSON", "NGUYỄN VĂN AN")),  # upper case form
    ("Nguyen Van An", "vi", ("PERSON", "Nguyen Van An")),  # no diacritics
    ("Thai Ngoc Suu", "vi", ("PERSON", "Thai Ngoc Suu")),  # unaccented, unknown given name
    ("chị Lan gọi điện", "vi", ("PERSON", "Lan")),  # honorific + given name
    ("bác Sáu đầu hẻm", "vi", ("PERSON", "Sáu")),  # southern nickname
    ("Âu Dương Phong", "vi", ("PERSON", "Âu Dương Phong")),  # compound surname
    ("Giàng A Páo", "vi", ("PERSON", "Giàng A Páo")),  # Hmong name
    ("bệnh nhân Lò Văn Páo", "vi", ("PERSON", "Lò Văn Páo")),  # Thai ethnic surname
    ("Mr. John Smith called", "en", ("PERSON", "John Smith")),  # honorific, English
    ("Emily C. Pham signed", "en", ("PERSON", "Emily C. Pham")),  # middle initial
    ("Michael Brown and Emily Chen", "en", ("PERSON", "Emily Chen")),  # second of two names
    ("Dr. Nguyen Thi Thu", "en", ("PERSON", "Nguyen Thi Thu")),  # Vietnamese name in English text
    ("Họ và tên: H'Hen Niê", "vi", ("PERSON", "H'Hen Niê")),  # label, names outside the lexicon
    ("Người ký: Ksor Y Phun", "vi", ("PERSON", "Ksor Y Phun")),  # signature label
    ("em tên là Bảo Ngọc, lớp 5A", "vi", ("PERSON", "Bảo Ngọc")),  # given name, self-introduction
    ("Tên tôi là Khánh Linh.", "vi", ("PERSON", "Khánh Linh")),  # longest introducer, not "Tên"
    ("Vợ tôi là Hồng Nhung", "vi", ("PERSON", "Hồng Nhung")),  # kinship word
    ("Chị là Thuý, làm ở ngân hàng", "vi", ("PERSON", "Thuý")),  # old tone placement (Thúy)
    ("mình là lê thị mai anh nè", "vi", ("PERSON", "lê thị mai anh")),  # all lower case
    ("Hương ơi, về nhà ăn cơm", "vi", ("PERSON", "Hương")),  # vocative
    ("Hi, I'm Thu Trang from the ward office", "en", ("PERSON", "Thu Trang")),  # English, vi name
    ("My daughter Linh starts school", "en", ("PERSON", "Linh")),  # kinship word, English
    ("Signed by: Maria Kowalski", "en", ("PERSON", "Maria Kowalski")),  # unknown last name
    ("Miguel Santos paid the fee", "en", ("PERSON", "Miguel Santos")),  # first + unknown last
    ("Sarah O'Connor called", "en", ("PERSON", "Sarah O'Connor")),  # apostrophe in the name
    ("Robert, please call me back", "en", ("PERSON", "Robert")),  # vocative opening a message
    # -- LOCATION --------------------------------------------------------------------
    (
        "số 12 đường Lê Lợi, phường Bến Thành, Quận 1, TP. Hồ Chí Minh",
        "vi",
        ("LOCATION", "số 12 đường Lê Lợi, phường Bến Thành, Quận 1, TP. Hồ Chí Minh"),
    ),  # a full address is one span
    ("123 Nguyễn Huệ", "vi", ("LOCATION", "123 Nguyễn Huệ")),  # bare house number + street
    (
        "123/45 Nguyễn Trãi, P.2, Q.5",
        "vi",
        ("LOCATION", "123/45 Nguyễn Trãi, P.2, Q.5"),
    ),  # alley number, abbreviations
    ("hẻm 45 Lê Văn Sỹ", "vi", ("LOCATION", "hẻm 45 Lê Văn Sỹ")),  # alley
    ("ở P. Bến Thành", "vi", ("LOCATION", "P. Bến Thành")),  # ward abbreviation
    ("tại Q.3", "vi", ("LOCATION", "Q.3")),  # district abbreviation
    ("huyện Củ Chi", "vi", ("LOCATION", "huyện Củ Chi")),  # rural district
    ("xã Tân Thạnh Đông", "vi", ("LOCATION", "xã Tân Thạnh Đông")),  # commune
    ("tỉnh Bình Dương", "vi", ("LOCATION", "tỉnh Bình Dương")),  # province
    ("TP.HCM", "vi", ("LOCATION", "TP.HCM")),  # city abbreviation
    ("quê ở Hà Nội", "vi", ("LOCATION", "Hà Nội")),  # province name alone
    ("45 Hai Bà Trưng", "vi", ("LOCATION", "45 Hai Bà Trưng")),  # not PERSON "Trưng"
    (
        "so 12 duong Le Loi, quan 1",
        "vi",
        ("LOCATION", "so 12 duong Le Loi, quan 1"),
    ),  # no diacritics
    (
        "45 Nguyen Hue Street, District 1, Ho Chi Minh City",
        "en",
        ("LOCATION", "45 Nguyen Hue Street, District 1, Ho Chi Minh City"),
    ),
    (
        "1208 Elm Street, Springfield, IL 62704",
        "en",
        ("LOCATION", "1208 Elm Street, Springfield, IL 62704"),
    ),
    (
        "từ các phường Bến Nghé, Đa Kao và Nguyễn Thái Bình",
        "vi",
        ("LOCATION", "Nguyễn Thái Bình"),
    ),  # a list after a plural unit: the last item is a ward, not a person
    ("the Thao Dien and An Phu wards", "en", ("LOCATION", "An Phu")),  # kind after the list
    ("Le Loi Street is closed", "en", ("LOCATION", "Le Loi Street")),  # thoroughfare, no number
    # -- DATE_OF_BIRTH ---------------------------------------------------------------
    ("Năm sinh của bà Lê Thị Hoa là 1947", "vi", ("DATE_OF_BIRTH", "1947")),  # cue, then "là"
    # -- Presidio's own --------------------------------------------------------------
    (
        "Email: an.nguyen@gmail.com",
        "vi",
        ("EMAIL_ADDRESS", "an.nguyen@gmail.com"),
    ),  # validated by tldextract's bundled list
    (
        "thẻ Visa 4539 1488 0343 6467",
        "vi",
        ("CREDIT_CARD", "4539 1488 0343 6467"),
    ),  # Luhn-valid test number
    ("IP 113.161.72.14", "vi", ("IP_ADDRESS", "113.161.72.14")),  # IPv4
    (
        "xem https://dichvucong.gov.vn/p/home.",
        "vi",
        ("URL", "https://dichvucong.gov.vn/p/home"),
    ),  # trailing full stop is not part of the URL
    ("truy cập dichvucong.gov.vn", "vi", ("URL", "dichvucong.gov.vn")),  # bare domain
]


@pytest.mark.parametrize(("text", "language", "expected"), MATCHES)
def test_matches(engine: PiiEngine, text: str, language: str, expected: tuple[str, str]) -> None:
    assert expected in found(engine, text, language)


NEAR_MISSES = [
    # -- numbers in administrative text ----------------------------------------------
    ("Quyết định số 2392/QĐ-UBND ngày 15/6/2025", "vi", None),  # decision number and date
    ("Nghị định 15/2025/NĐ-CP", "vi", None),  # decree number
    ("Số tiền 1.500.000 đồng", "vi", None),  # money
    ("tổng 15000000 đồng", "vi", None),  # money without dots
    ("tăng 12,5% so với cùng kỳ", "vi", None),  # percentage
    ("Từ ngày 01/7/2025", "vi", None),  # non-personal date
    ("Ngày cấp: 12/05/2021", "vi", None),  # issue date is not a birth date
    ("Hóa đơn số 0001234 ngày 03/07/2025", "vi", None),  # invoice number
    ("Số hóa đơn 0312345673", "vi", None),  # invoice that passes the MST check digit
    ("Mã bưu chính 700000", "vi", None),  # postal code
    ("năm 2024 có 1.234 hồ sơ", "vi", None),  # year and count
    ("Tổng đài 1900 1234 và 1800 1091", "vi", None),  # service numbers
    ("Mã giao dịch 079090001234", "vi", None),  # CCCD-shaped transaction id
    ("Mã đơn hàng 0981234567", "vi", None),  # phone-shaped order number
    ("Mã hồ sơ 000.00.12.H29-250615-0001", "vi", None),  # online dossier code
    ("123456789", "vi", None),  # nine digits: CMND only with a cue
    ("7912345678", "vi", None),  # ten digits, no cue, not a phone, no MST check
    ("0123456789", "vi", None),  # retired 012 prefix
    ("Phiên bản 2.1.0.3", "vi", None),  # version number, not an IP
    ("Invoice INV-2025-00123 totals $1,250.00", "en", None),  # invoice id and money
    # -- shapes that look like plates, names or places -------------------------------
    ("Căn hộ 12A-05.03", "vi", None),  # apartment code
    ("Lô 51A-123.45 khu công nghiệp", "vi", "VN_LICENSE_PLATE"),  # lot code, plate shape
    ("Trường THPT Nguyễn Thị Minh Khai", "vi", "PERSON"),  # school named after a person
    ("Bệnh viện Nguyễn Tri Phương", "vi", "PERSON"),  # hospital named after a person
    ("đường Lê Lợi", "vi", "PERSON"),  # street named after a person
    ("Công ty TNHH Lê Gia", "vi", "PERSON"),  # company
    ("Hồ Sơ Bệnh Án", "vi", "PERSON"),  # title case, surname-first phrase
    ("Bảo hiểm Xã hội Việt Nam", "vi", None),  # "Xã" is not a commune here
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "vi", None),  # national motto
    ("Anh Quốc và Pháp", "vi", "PERSON"),  # "Anh" is England here
    ("Bà Rịa - Vũng Tàu", "vi", "PERSON"),  # province, not "Bà" + name
    ("Điều 12 Luật Đất đai", "vi", "LOCATION"),  # article number, not a house number
    ("Năm 2025 Thành phố phát triển", "vi", "LOCATION"),  # a year, not a house number
    ("cơ quan Sở Tài chính", "vi", "LOCATION"),  # "quan" inside "cơ quan"
    ("Ms.Lan và P.An Phú", "vi", "URL"),  # "la", "an" are TLDs, these are not URLs
    ("The Department of Health", "en", None),  # title-case words
    ("Rose Garden Park", "en", "PERSON"),  # first name + two capitalized words
    ("Ông Chủ tịch UBND xã ký quyết định", "vi", "PERSON"),  # a title after an honorific
    ("Bà Giám đốc Sở Tài chính phát biểu", "vi", "PERSON"),  # a title after an honorific
    ("Tôi là Công an phường", "vi", "PERSON"),  # "Công an" is a body, "Công" a given name
    ("Tôi là Đại biểu Quốc hội", "vi", "PERSON"),  # a title after a self-introduction
    ("Tên: Dự án cải tạo kênh", "vi", "PERSON"),  # "Dự" is not the given name "Du"
    ("Chủ hộ: Hộ kinh doanh cá thể", "vi", "PERSON"),  # "Hộ" is not the surname "Hồ"
    ("Nhân chứng: Không có", "vi", "PERSON"),  # "Không" is not the surname "Khổng"
    ("Tôi sống ở Từ Liêm", "vi", "PERSON"),  # a ward after a locative word
    ("Anh ơi, cho em hỏi", "vi", "PERSON"),  # a pronoun before "ơi"
    ("Đây chỉ là Hoa hậu địa phương", "vi", "PERSON"),  # "chỉ là" (only) folds like "chị là"
    ("Từ văn bản số 12, giá cao thị trường", "vi", "PERSON"),  # lower-case words, not names
    ("Công dân Việt Nam", "vi", "PERSON"),  # a country after a label
    ("Will Power and Grace Period", "en", "PERSON"),  # first names that are everyday words
    ("Victoria Harbour at night", "en", "PERSON"),  # a landmark
    ("Paul Inc moved to Hanoi", "en", "PERSON"),  # a company
    ("the Nguyen Thai Binh wards", "en", "PERSON"),  # a ward, plural kind after it
    ("I am Vietnamese", "en", "PERSON"),  # not a name after "I am"
    ("Dear Sir or Madam", "en", None),  # greeting without a name
    ("Jordan River water levels", "en", "LOCATION"),  # a landmark suffix, no house number
    ("Năm thành lập của công ty là 1995", "vi", "DATE_OF_BIRTH"),  # "là" without a birth cue
]


@pytest.mark.parametrize(("text", "language", "absent"), NEAR_MISSES)
def test_near_misses(engine: PiiEngine, text: str, language: str, absent: str | None) -> None:
    findings = found(engine, text, language)
    if absent is None:
        assert findings == []
    else:
        assert absent not in {kind for kind, _ in findings}


OVERLAPS = [
    # one 10-digit number, three readings: the cue decides
    ("SĐT 0903123456", "PHONE_NUMBER"),  # phone cue
    ("mã số BHXH 0903123456", "VN_SOCIAL_INSURANCE"),  # BHXH cue
    ("STK 0903123456", "BANK_ACCOUNT"),  # account cue
    ("MST 0312345673", "VN_TAX_CODE"),  # tax cue and a valid check digit
    # 12 digits: CCCD unless an account cue says otherwise
    ("CCCD 079090001234", "VN_CCCD"),  # ID cue
    ("số tài khoản 079090001234", "BANK_ACCOUNT"),  # account cue beats the CCCD reading
    # a cue labels the number after it, not the one before: "..., STK" is the account's
    ("CCCD 079090001234, STK 0071001234567", "VN_CCCD"),
]


@pytest.mark.parametrize(("text", "kind"), OVERLAPS)
def test_overlaps_resolved_by_context(engine: PiiEngine, text: str, kind: str) -> None:
    findings = engine.analyze(text, "vi")
    assert findings[0].entity_type == kind
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
