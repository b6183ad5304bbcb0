"""Build the labelled PII evaluation set ``pii_eval.jsonl`` (deterministic).

    .venv/bin/python tests/anonymizer/eval/build_eval.py

Three sources, labelled by GUIDE.md:

* templates (``TEMPLATES_VI``, ``TEMPLATES_EN``) filled with generated values: names from
  our own syllable lists and Faker (vi_VN surnames/middle names, en_US names), valid
  CCCD/MST/phone numbers, addresses of real streets; the gold span of each slot is known
  exactly because the builder places it;
* negative templates: administrative text full of decision numbers, money, percentages,
  non-personal dates, invoice and dossier codes, and no personal data;
* hand-written sentences (``hand_written.txt``), not from templates, marked up inline as
  ``[Nguyễn Văn An](PERSON)``.

The given-name lists here deliberately differ from the analyzer's lexicon
(``anonymizer/data/vi_names.yaml``): some generated names use syllables the analyzer does
not know, so recall on names is not measured against the analyzer's own list.
"""

# Templates and hand-picked values are data: long sentence lines read better unwrapped.
# ruff: noqa: E501

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from faker import Faker
from faker.providers.person.vi_VN import Provider as ViPerson

HERE = Path(__file__).resolve().parent
OUT = HERE / "pii_eval.jsonl"
HAND = HERE / "hand_written.txt"
SEED = 20250701

rng = random.Random(SEED)
fake_vi = Faker("vi_VN")
fake_vi.seed_instance(SEED)
fake_en = Faker("en_US")
fake_en.seed_instance(SEED)

# -- value generators ----------------------------------------------------------------------
# fmt: off
SURNAMES = [
    *["Nguyễn"] * 8, *["Trần"] * 4, *["Lê"] * 4, *["Phạm"] * 3, "Hoàng", "Huỳnh", "Phan", "Vũ",
    "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đào", "Đoàn", "Trịnh", "Đinh",
    "Lâm", "Trương", "Hà", "Cao", "Lưu", "Lương", "Tạ", "Quách", "Châu", "Thái", "Mai", "Tô",
    "Kiều", "Lại", "Triệu", "Diệp", "Từ", "Mạc", "Khúc", "La", "Thân", "Phùng",
    *ViPerson.last_names,
]
MIDDLES = [
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Hoàng", "Thu", "Kim", "Bảo",
    "Gia", "Xuân", "Thành", "Công", "Tấn", "Mỹ", "Phương", "Anh",
]
GIVENS = [
    "An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khoa",
    "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngọc", "Nhung", "Phúc", "Phương", "Quân",
    "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Tuấn", "Vy", "Yến", "Đạt", "Duy", "Giang", "Huy",
    "Khánh", "Lộc", "My", "Quỳnh", "Tú",
    # outside the analyzer's lexicon on purpose
    "Diễm", "Nhạn", "Thơ", "Lụa", "Sửu", "Tèo", "Khương", "Đông", "Nhàn", "Bích",
]
# fmt: on
GIVENS += [*ViPerson.first_names_female, *ViPerson.first_names_male]
MIDDLES += [m for m in ViPerson.middle_names if " " not in m]

FOLD = str.maketrans(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ",
    "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd"
    "AAAAAAAAAAAAAAAAAEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYYD",
)


def unaccent(s: str) -> str:
    return s.translate(FOLD)


def person_vi(style: str | None = None) -> str:
    parts = [rng.choice(SURNAMES), rng.choice(MIDDLES), rng.choice(GIVENS)]
    if rng.random() < 0.2:
        parts.insert(2, rng.choice(MIDDLES))
    if rng.random() < 0.08:
        parts = [parts[0], parts[-1]]
    name = " ".join(parts)
    style = style or rng.choices(["plain", "upper", "ascii"], [0.8, 0.1, 0.1])[0]
    if style == "upper":
        return name.upper()
    if style == "ascii":
        return unaccent(name)
    return name


def person_en() -> str:
    if rng.random() < 0.15:
        return f"{fake_en.first_name()} {rng.choice('ABCDEJKLMRST')}. {fake_en.last_name()}"
    return f"{fake_en.first_name()} {fake_en.last_name()}"


def given_only() -> str:
    return rng.choice(GIVENS)


# fmt: off
MOBILE = [
    "032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098", "081",
    "082", "083", "084", "085", "088", "091", "094", "070", "076", "077", "078", "079", "089",
    "090", "093", "052", "056", "058", "092", "059", "099", "087", "055",
]
# fmt: on


def phone() -> str:
    p = rng.choice(MOBILE)
    rest = "".join(rng.choice("0123456789") for _ in range(7))
    n = p + rest
    form = rng.randrange(9)
    return [
        n,
        f"{n[:4]} {n[4:7]} {n[7:]}",
        f"{n[:4]}.{n[4:7]}.{n[7:]}",
        f"{n[:3]} {n[3:6]} {n[6:]}",
        f"+84 {n[1:4]} {n[4:7]} {n[7:]}",
        f"+84{n[1:]}",
        f"84{n[1:]}",
        f"{n[:4]}-{n[4:7]}-{n[7:]}",
        f"{n[:4]} {n[4:]}",
    ][form]


def landline() -> str:
    if rng.random() < 0.6:
        area = rng.choice(["028", "024"])
        local = f"{rng.choice('3456789')}{rng.randrange(1000000, 9999999)}"
        return rng.choice(
            [
                f"{area} {local[:4]} {local[4:]}",
                f"({area}) {local[:4]} {local[4:]}",
                f"{area}.{local[:4]}.{local[4:]}",
                f"{area}{local}",
            ]
        )
    area = rng.choice(["0236", "0274", "0251", "0292", "0254", "0263"])
    local = f"{rng.choice('3456789')}{rng.randrange(100000, 999999)}"
    return rng.choice([f"{area} {local[:3]} {local[3:]}", f"{area} {local}", f"({area}) {local}"])


# fmt: off
PROVINCES_CCCD = [
    "001", "079", "079", "079", "074", "075", "080", "083", "087", "089", "092", "048", "031",
    "036", "038", "040", "052", "056", "066", "068", "072", "077",
]
# fmt: on


def cccd() -> str:
    year = rng.randrange(1940, 2010)
    century = (0 if year < 2000 else 2) + rng.randrange(2)
    n = f"{rng.choice(PROVINCES_CCCD)}{century}{year % 100:02d}{rng.randrange(10**6):06d}"
    return f"{n[:3]} {n[3:6]} {n[6:9]} {n[9:]}" if rng.random() < 0.1 else n


def cmnd() -> str:
    return f"{rng.choice(['0', '1', '2', '3'])}{rng.randrange(10**8):08d}"


WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def mst(branch: bool | None = None) -> str:
    while True:
        first = rng.choice(["01", "03", "03", "03", "02", "04", "36", "37", "38", "18", "31"])
        body = first + f"{rng.randrange(10**7):07d}"
        r = sum(w * int(d) for w, d in zip(WEIGHTS, body, strict=True)) % 11
        if r:
            code = body + str(10 - r)
            break
    if branch or (branch is None and rng.random() < 0.15):
        code += f"-{rng.randrange(1, 30):03d}"
    return code


def bhxh() -> str:
    return f"{rng.choice(['79', '01', '74', '75', '48', '31', '92'])}{rng.randrange(10**8):08d}"


def bhyt() -> str:
    return f"{rng.choice(['DN', 'HT', 'GD', 'HS', 'CH', 'TE'])}{rng.randrange(1, 6)}{rng.choice(['79', '01', '74'])}{rng.randrange(10**10):010d}"


def plate() -> str:
    prov = rng.choice(["51", "50", "59", "30", "29", "43", "61", "72", "60", "65"])
    letters = "ABCDEFGHKLMNPSTUVXYZ"
    kind = rng.randrange(5)
    d5 = f"{rng.randrange(100, 999)}.{rng.randrange(10, 99)}"
    if kind == 0:
        return f"{prov}{rng.choice(letters)}-{d5}"
    if kind == 1:
        return f"{prov}{rng.choice(letters)}-{rng.randrange(10000, 99999)}"
    if kind == 2:
        return f"{prov}-{rng.choice(letters)}{rng.randrange(1, 9)} {d5}"
    if kind == 3:
        return f"{prov}{rng.choice(letters)}{rng.randrange(1, 9)}-{rng.randrange(10000, 99999)}"
    return f"{prov}{rng.choice(['LD', 'KT'])}-{d5}"


# fmt: off
BANKS = [
    "Vietcombank", "Techcombank", "BIDV", "Agribank", "VietinBank", "MB", "ACB", "VPBank",
    "TPBank", "Sacombank", "HDBank", "VIB", "SHB", "OCB", "MSB", "SeABank",
]
# fmt: on


def bank_account() -> str:
    length = rng.choice([9, 10, 12, 13, 13, 14, 15, 16])
    n = str(rng.randrange(1, 10)) + "".join(rng.choice("0123456789") for _ in range(length - 1))
    if rng.random() < 0.15:
        n = "0" + n[1:]
    return n


def dob_numeric() -> str:
    y, m, d = rng.randrange(1945, 2008), rng.randrange(1, 13), rng.randrange(1, 29)
    return rng.choice(
        [
            f"{d:02d}/{m:02d}/{y}",
            f"{d}/{m}/{y}",
            f"{d:02d}-{m:02d}-{y}",
            f"{d:02d}.{m:02d}.{y}",
            f"{y}-{m:02d}-{d:02d}",
        ]
    )


def dob_text() -> str:
    y, m, d = rng.randrange(1945, 2008), rng.randrange(1, 13), rng.randrange(1, 29)
    return f"{d} tháng {m} năm {y}" if rng.random() < 0.7 else f"{d:02d} tháng {m:02d} năm {y}"


def dob_en() -> str:
    dt = fake_en.date_of_birth(minimum_age=18, maximum_age=85)
    return rng.choice(
        [
            dt.strftime("%B %d, %Y").replace(" 0", " "),
            dt.strftime("%d %B %Y"),
            dt.strftime("%d/%m/%Y"),
            dt.isoformat(),
            dt.strftime("%b %d, %Y"),
        ]
    )


def year_born() -> str:
    return str(rng.randrange(1950, 2006))


# fmt: off
STREETS = [
    "Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Nguyễn Thị Minh Khai", "Điện Biên Phủ",
    "Cách Mạng Tháng Tám", "Võ Văn Tần", "Lý Tự Trọng", "Pasteur", "Trần Hưng Đạo",
    "Nguyễn Trãi", "Lê Văn Sỹ", "Phan Xích Long", "Hoàng Văn Thụ", "Cộng Hòa", "Quang Trung",
    "Phạm Văn Đồng", "Xô Viết Nghệ Tĩnh", "Nguyễn Văn Linh", "Huỳnh Tấn Phát", "Kha Vạn Cân",
    "Lê Văn Việt", "Tô Hiến Thành", "Bạch Đằng", "Nguyễn Oanh", "Phan Văn Trị", "Lạc Long Quân",
    "Âu Cơ", "Lũy Bán Bích", "Tân Kỳ Tân Quý",
]
WARDS = [
    "Bến Thành", "Bến Nghé", "Tân Định", "Đa Kao", "Võ Thị Sáu", "Thảo Điền", "An Phú",
    "Tân Phong", "Bình Trị Đông", "Hiệp Bình Chánh", "Linh Trung", "Tân Thuận Đông",
]
# fmt: on
DISTRICTS_NAMED = ["Bình Thạnh", "Gò Vấp", "Tân Bình", "Phú Nhuận", "Tân Phú", "Bình Tân"]
# fmt: off
PROVINCE_LINE = [
    "TP. Hồ Chí Minh", "TP.HCM", "Thành phố Hồ Chí Minh", "TP HCM", "Tp.HCM", "TP. Hồ Chí Minh",
]
# fmt: on


def _house() -> str:
    return rng.choice(
        [
            str(rng.randrange(1, 400)),
            f"{rng.randrange(1, 300)}/{rng.randrange(1, 60)}",
            f"{rng.randrange(1, 200)}{rng.choice('ABC')}",
            f"{rng.randrange(1, 200)}/{rng.randrange(1, 40)}/{rng.randrange(1, 20)}",
        ]
    )


def _ward() -> str:
    if rng.random() < 0.4:
        n = rng.randrange(1, 15)
        return rng.choice([f"Phường {n}", f"phường {n}", f"P.{n}", f"P. {n}"])
    w = rng.choice(WARDS)
    return rng.choice([f"phường {w}", f"Phường {w}", f"P. {w}", f"P.{w}"])


def _district() -> str:
    if rng.random() < 0.5:
        n = rng.choice([1, 3, 4, 5, 6, 7, 8, 10, 11, 12])
        return rng.choice([f"Quận {n}", f"quận {n}", f"Q.{n}", f"Q. {n}"])
    d = rng.choice(DISTRICTS_NAMED)
    return rng.choice([f"quận {d}", f"Quận {d}", f"Q. {d}"])


def address_vi() -> str:
    street = rng.choice(STREETS)
    head = rng.choice(
        [
            f"số {_house()} đường {street}",
            f"{_house()} {street}",
            f"{_house()} đường {street}",
            f"số {_house()} {street}",
            f"hẻm {rng.randrange(10, 500)} {street}",
        ]
    )
    parts = [head]
    if rng.random() < 0.8:
        parts.append(_ward())
    if rng.random() < 0.7:
        parts.append(_district())
    if rng.random() < 0.6:
        parts.append(rng.choice(PROVINCE_LINE))
    return ", ".join(parts)


def admin_area() -> str:
    return rng.choice(
        [
            f"{_ward()}, {_district()}",
            f"xã {rng.choice(['Tân Thạnh Đông', 'Phước Kiển', 'Bình Hưng', 'Xuân Thới Sơn'])}, huyện {rng.choice(['Củ Chi', 'Nhà Bè', 'Bình Chánh', 'Hóc Môn'])}",
            f"{_district()}, {rng.choice(PROVINCE_LINE)}",
            f"tỉnh {rng.choice(['Bình Dương', 'Đồng Nai', 'Long An', 'Tây Ninh', 'Bến Tre', 'Tiền Giang'])}",
            f"thành phố {rng.choice(['Thủ Đức', 'Biên Hòa', 'Thủ Dầu Một', 'Cần Thơ'])}",
        ]
    )


def city() -> str:
    return rng.choice(
        [
            "Hà Nội",
            "Đà Nẵng",
            "Cần Thơ",
            "Hải Phòng",
            "Bình Dương",
            "Đồng Nai",
            "Nghệ An",
            "Thanh Hóa",
            "Huế",
            "Sài Gòn",
            "Long An",
            "Bà Rịa - Vũng Tàu",
        ]
    )


def address_en() -> str:
    if rng.random() < 0.5:
        return f"{fake_en.street_address()}, {fake_en.city()}, {fake_en.state_abbr()} {fake_en.zipcode()}"
    street = unaccent(rng.choice(STREETS))
    return rng.choice(
        [
            f"{rng.randrange(1, 300)} {street} Street, District {rng.randrange(1, 12)}, Ho Chi Minh City",
            f"{rng.randrange(1, 300)} {street} St., {unaccent(rng.choice(WARDS))} Ward, District 1, HCMC",
            f"{rng.randrange(1, 300)} {street} Street, {unaccent(rng.choice(DISTRICTS_NAMED))} District",
        ]
    )


def email(name: str | None = None) -> str:
    if name is None or rng.random() < 0.3:
        return fake_en.email()
    parts = unaccent(name).lower().split()
    local = rng.choice(
        [".".join(parts[::-1]), "".join(parts), parts[-1] + parts[0] + str(rng.randrange(70, 99))]
    )
    return f"{local}@{rng.choice(['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'fpt.com.vn', 'hcmus.edu.vn'])}"


def url() -> str:
    return rng.choice(
        [
            f"https://facebook.com/{fake_en.user_name()}",
            f"https://www.linkedin.com/in/{fake_en.user_name()}",
            f"http://{fake_en.domain_name()}/{fake_en.uri_path()}",
            f"www.{fake_en.domain_name()}",
            f"https://{fake_en.user_name()}.blogspot.com",
        ]
    )


def ip() -> str:
    return fake_en.ipv4() if rng.random() < 0.85 else fake_en.ipv6()


def card() -> str:
    n = fake_en.credit_card_number(card_type=rng.choice(["visa16", "mastercard"]))
    return " ".join(n[i : i + 4] for i in range(0, len(n), 4)) if rng.random() < 0.6 else n


# non-PII fillers
def decision() -> str:
    return rng.choice(
        [
            f"{rng.randrange(100, 5000)}/QĐ-UBND",
            f"{rng.randrange(1, 300)}/{rng.randrange(2015, 2026)}/NĐ-CP",
            f"{rng.randrange(1, 120)}/{rng.randrange(2015, 2026)}/TT-BTC",
            f"{rng.randrange(100, 9999)}/UBND-VX",
            f"{rng.randrange(1, 200)}/KH-UBND",
            f"{rng.randrange(10, 999)}/TB-VP",
        ]
    )


def money() -> str:
    return rng.choice(
        [
            f"{rng.randrange(1, 999)}.{rng.randrange(0, 999):03d}.000 đồng",
            f"{rng.randrange(1, 90)} triệu đồng",
            f"{rng.randrange(1, 50)},{rng.randrange(1, 9)} tỷ đồng",
            f"{rng.randrange(100, 999)}.000 VNĐ",
            f"{rng.randrange(1, 999)}.{rng.randrange(0, 999):03d}.{rng.randrange(0, 999):03d} đồng",
        ]
    )


def percent() -> str:
    return rng.choice(
        [f"{rng.randrange(1, 99)}%", f"{rng.randrange(1, 99)},{rng.randrange(1, 9)}%"]
    )


def date_plain() -> str:
    d, m, y = rng.randrange(1, 29), rng.randrange(1, 13), rng.randrange(2019, 2026)
    return rng.choice([f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y}", f"{d} tháng {m} năm {y}"])


def invoice() -> str:
    return rng.choice(
        [
            f"{rng.randrange(1, 9999999):07d}",
            f"{rng.randrange(1, 99999999):08d}",
            f"1C25T{rng.choice('ABCD')}{rng.choice('ABCD')}",
            f"HD{rng.randrange(10**6, 10**7)}",
        ]
    )


def dossier() -> str:
    return rng.choice(
        [
            f"000.00.{rng.randrange(10, 30)}.H29-{rng.randrange(250101, 251231)}-{rng.randrange(1, 9999):04d}",
            f"HS-{rng.randrange(2023, 2026)}-{rng.randrange(10000, 99999)}",
        ]
    )


def company() -> str:
    return rng.choice(
        [
            "Công ty TNHH Thương mại Dịch vụ Sao Việt",
            "Công ty Cổ phần Xây dựng Hưng Thịnh",
            "Công ty TNHH MTV Kỹ thuật Ánh Dương",
            "Công ty CP Đầu tư Phát triển Nhà",
            "Công ty TNHH Giải pháp Phần mềm Tân Tiến",
            "Hợp tác xã Nông nghiệp Tiến Phát",
        ]
    )


GEN: dict[str, tuple[Callable[[], str], str | None]] = {
    "PERSON": (person_vi, "PERSON"),
    "PERSON_EN": (person_en, "PERSON"),
    "GIVEN": (given_only, "PERSON"),
    "PHONE": (phone, "PHONE_NUMBER"),
    "LANDLINE": (landline, "PHONE_NUMBER"),
    "CCCD": (cccd, "VN_CCCD"),
    "CMND": (cmnd, "VN_CMND"),
    "MST": (mst, "VN_TAX_CODE"),
    "BHXH": (bhxh, "VN_SOCIAL_INSURANCE"),
    "BHYT": (bhyt, "VN_SOCIAL_INSURANCE"),
    "PLATE": (plate, "VN_LICENSE_PLATE"),
    "BANK": (bank_account, "BANK_ACCOUNT"),
    "DOB": (dob_numeric, "DATE_OF_BIRTH"),
    "DOB_TEXT": (dob_text, "DATE_OF_BIRTH"),
    "DOB_EN": (dob_en, "DATE_OF_BIRTH"),
    "YEAR_BORN": (year_born, "DATE_OF_BIRTH"),
    "ADDR": (address_vi, "LOCATION"),
    "AREA": (admin_area, "LOCATION"),
    "CITY": (city, "LOCATION"),
    "ADDR_EN": (address_en, "LOCATION"),
    "EMAIL": (email, "EMAIL_ADDRESS"),
    "URL": (url, "URL"),
    "IP": (ip, "IP_ADDRESS"),
    "CARD": (card, "CREDIT_CARD"),
    # not personal data
    "BANKNAME": (lambda: rng.choice(BANKS), None),
    "DECISION": (decision, None),
    "MONEY": (money, None),
    "PERCENT": (percent, None),
    "DATE": (date_plain, None),
    "INVOICE": (invoice, None),
    "DOSSIER": (dossier, None),
    "COMPANY": (company, None),
    "N": (lambda: str(rng.randrange(2, 500)), None),
    "YEAR": (lambda: str(rng.randrange(2018, 2027)), None),
}

# -- templates -------------------------------------------------------------------------------
TEMPLATES_VI = [
    # citizen service requests
    "Tôi tên là {PERSON}, sinh ngày {DOB}, số CCCD {CCCD}, hiện cư trú tại {ADDR}. Tôi đề nghị cấp bản sao giấy khai sinh.",
    "Họ và tên: {PERSON}; Ngày sinh: {DOB}; Số định danh cá nhân: {CCCD}; Số điện thoại: {PHONE}.",
    "Người nộp hồ sơ: {PERSON}, SĐT {PHONE}, email {EMAIL}. Mã hồ sơ {DOSSIER} đã được tiếp nhận ngày {DATE}.",
    "Kính gửi UBND phường, tôi là {PERSON}, thường trú tại {ADDR}, xin phản ánh tình trạng rác thải ùn ứ trước nhà.",
    "Ông {PERSON} (CMND số {CMND}) đề nghị cập nhật thông tin cư trú theo thẻ căn cước {CCCD}.",
    "Đề nghị liên hệ chị {GIVEN} theo số {PHONE} để hẹn ngày trả kết quả.",
    "Bà {PERSON}, sinh năm {YEAR_BORN}, quê quán {CITY}, hiện tạm trú tại {ADDR}.",
    "Hộ gia đình ông {PERSON} tại {AREA} thuộc diện hộ cận nghèo năm {YEAR}.",
    "Anh {PERSON}, điện thoại: {PHONE}, phản ánh việc lấn chiếm vỉa hè kéo dài nhiều tháng.",
    "Đăng ký tạm trú cho {PERSON} tại {ADDR} từ ngày {DATE}.",
    "Chủ nhà trọ {PERSON} ({PHONE}) khai báo có 6 người thuê trọ trong tháng.",
    "Mình là {PERSON}, nhà ở {ADDR}, số đt {PHONE}, ai nhặt được ví xin liên hệ giúp.",
    "Người khai: {PERSON}. Quan hệ với chủ hộ: con. Số điện thoại: {LANDLINE}.",
    "Trường hợp cần hỗ trợ, vui lòng gọi {LANDLINE} (bộ phận một cửa) hoặc gửi email {EMAIL}.",
    "Thuê bao {PHONE} đăng ký chính chủ với CCCD {CCCD}.",
    "Địa chỉ IP {IP} đã đăng nhập vào tài khoản dịch vụ công của {PERSON} lúc 02:13.",
    # police and ward reports
    "Vào lúc 21 giờ ngày {DATE}, Công an phường nhận tin báo của {PERSON} ({PHONE}) về vụ mất trộm xe máy biển số {PLATE} tại {ADDR}.",
    "Đối tượng {PERSON}, sinh ngày {DOB}, CCCD {CCCD}, điều khiển xe ô tô BKS {PLATE} vi phạm nồng độ cồn.",
    "Biên bản vi phạm hành chính lập đối với ông {PERSON}, trú tại {AREA}, điều khiển xe mô tô biển kiểm soát {PLATE}.",
    "Người báo tin: {PERSON}, SĐT: {PHONE}, địa chỉ: {ADDR}.",
    "Tổ công tác đã mời ông {PERSON} (sinh năm {YEAR_BORN}, trú tại {AREA}) về trụ sở làm việc.",
    "Xe máy {PLATE} của anh {PERSON} bị tạm giữ 07 ngày để xác minh.",
    "Giấy phép lái xe của anh {PERSON}, sinh ngày {DOB}, trú tại {AREA}, bị tước quyền sử dụng 03 tháng.",
    "Khách hàng {PERSON}, CMND {CMND}, cấp ngày {DATE}, đăng ký mở thẻ ATM.",
    # hospital notes
    "Bệnh nhân {PERSON}, 67 tuổi, số thẻ BHYT {BHYT}, nhập viện lúc 14h ngày {DATE} với chẩn đoán viêm phổi.",
    "BN {PERSON}, ngày sinh {DOB}, địa chỉ {ADDR}, người nhà liên hệ: {PHONE}.",
    "Người nhà bệnh nhân là anh {PERSON}, SĐT {PHONE}, đã ký cam kết phẫu thuật.",
    "Mã số BHXH: {BHXH}. Họ tên người bệnh: {PERSON}. Ngày sinh: {DOB}.",
    "Bác sĩ {PERSON} đề nghị chuyển bệnh nhân {PERSON} lên tuyến trên.",
    "Kết quả xét nghiệm của {PERSON} đã được gửi tới email {EMAIL} lúc 16:05.",
    # tax letters
    "Cục Thuế thông báo: người nộp thuế {COMPANY}, mã số thuế {MST}, còn nợ tiền thuế {MONEY}.",
    "Hộ kinh doanh {PERSON}, MST: {MST}, địa chỉ kinh doanh {ADDR}, kê khai doanh thu quý 2.",
    "Người đại diện theo pháp luật: {PERSON}; CCCD: {CCCD}; Mã số doanh nghiệp: {MST}.",
    "Đề nghị {COMPANY} (MST {MST}) nộp tờ khai thuế GTGT trước ngày {DATE}; liên hệ cán bộ thuế {PERSON}, điện thoại {LANDLINE}.",
    "Mã số thuế cá nhân của bà {PERSON} là {CCCD} theo quy định áp dụng từ ngày 01/7/2025.",
    "Chi nhánh {COMPANY}, mã số thuế {MST}, đăng ký thay đổi địa chỉ trụ sở về {ADDR}.",
    # bank transfer notes
    "Chuyển khoản {MONEY} vào STK {BANK} {BANKNAME}, chủ tài khoản {PERSON}, nội dung: nộp học phí.",
    "Số tài khoản nhận: {BANK} - Ngân hàng {BANKNAME} - Chủ TK: {PERSON}.",
    "Vui lòng thanh toán vào tài khoản {BANKNAME} số {BANK} và gửi ảnh chụp qua Zalo {PHONE}.",
    "Thẻ tín dụng {CARD} của khách hàng {PERSON} bị khóa tạm thời do nhập sai mã PIN.",
    "Ông {PERSON} có tài khoản số {BANK} tại {BANKNAME} dùng để nhận trợ cấp hằng tháng.",
    "Nội dung CK: {PERSON} dong tien dien thang 6, STK {BANK}.",
    # job applications and HR
    "Ứng viên: {PERSON} - Ngày sinh: {DOB} - Email: {EMAIL} - Điện thoại: {PHONE}.",
    "Tôi là {PERSON}, sinh ngày {DOB_TEXT}, xin ứng tuyển vị trí kỹ sư phần mềm.",
    "Hồ sơ ứng tuyển của {PERSON} (email: {EMAIL}, hồ sơ trực tuyến: {URL}) đã được chuyển đến phòng nhân sự.",
    "Liên hệ: {PERSON} | {PHONE} | {EMAIL} | {ADDR}",
    "Thông tin người lao động: {PERSON}, mã số BHXH {BHXH}, mức lương đóng bảo hiểm {MONEY}.",
    "Sổ BHXH số {BHXH} của chị {PERSON} đã được chốt quá trình đóng đến tháng 6/2025.",
    # news-like administrative text with personal data
    "Ngày {DATE}, đoàn công tác do ông {PERSON}, Phó Giám đốc Sở, dẫn đầu đã kiểm tra tại {ADDR}.",
    "Gia đình ông {PERSON} ở {CITY} vừa nhận hỗ trợ {MONEY} từ quỹ Vì người nghèo.",
    "Theo báo cáo, tại {AREA} ghi nhận 12 ca sốt xuất huyết, tăng {PERCENT} so với cùng kỳ.",
    "Em {GIVEN} lớp 9A, con của bà {PERSON}, được nhận học bổng {MONEY}.",
    # forms, chat and delivery notes
    "Giao hàng đến {ADDR}, người nhận {PERSON}, SĐT {PHONE}. Thu hộ {MONEY}.",
    "SĐT: {PHONE} (Zalo) - {PERSON}",
    "{PERSON} - CCCD: {CCCD} - NS: {DOB}",
    "Họ tên chủ xe: {PERSON}; Biển số: {PLATE}; Số khung: RLHJC{INVOICE}.",
    "{PERSON} sinh ngày {DOB_TEXT} tại {CITY}.",
    "Ngày sinh: {DOB}. Nơi đăng ký khai sinh: {AREA}.",
]

TEMPLATES_EN = [
    "My name is {PERSON_EN} and I live at {ADDR_EN}. You can reach me at {PHONE} or {EMAIL}.",
    "Patient {PERSON_EN}, date of birth {DOB_EN}, was admitted on 12 May 2025 with chest pain.",
    "Applicant: {PERSON_EN}; DOB: {DOB_EN}; Email: {EMAIL}; Phone: {PHONE}.",
    "Please transfer the deposit to account {BANK} at {BANKNAME}, account holder {PERSON}.",
    "Mr. {PERSON} (citizen ID {CCCD}) requested a copy of his residence record.",
    "The login from IP address {IP} was flagged for user {EMAIL}.",
    "Contact our tenant {PERSON_EN} on {PHONE}; the apartment is at {ADDR_EN}.",
    "Visa card {CARD} belonging to {PERSON_EN} was reported stolen.",
    "Dr. {PERSON_EN} will see {PERSON} at 9 a.m.; questions to {EMAIL}.",
    "The motorbike with plate {PLATE} is registered to {PERSON} of {AREA_EN}.",
    "Social insurance number {BHXH} belongs to employee {PERSON}.",
    "Portfolio: {URL} - {PERSON_EN}, {PHONE}",
    "Send the signed documents to {PERSON_EN}, {ADDR_EN}.",
    "Our records show that {PERSON_EN} (DOB {DOB_EN}) moved to {ADDR_EN} in 2021.",
    "Call the ward office at {LANDLINE} or email {EMAIL}.",
    "Driver {PERSON} holds ID card {CMND} and drives car {PLATE}.",
    "Invoice {INVOICE} was paid by {PERSON_EN} with card {CARD}.",
    "Reach {PERSON_EN} on WhatsApp: {PHONE}.",
    "Ms. {PERSON_EN} reported that her account {BANK} at {BANKNAME} was accessed from {IP}.",
    "Home address: {ADDR_EN}. Mobile: {PHONE}.",
    "The tax code of {PERSON_EN}'s sole proprietorship is {MST}.",
    "Health insurance card {BHYT} was issued to {PERSON}.",
    "{PERSON_EN} was born on {DOB_EN} and now works in {CITY_EN}.",
    "Server logs show {IP} accessing the portal with the account of {PERSON_EN}.",
]

NEGATIVE_VI = [
    "Căn cứ Quyết định số {DECISION} ngày {DATE} của Ủy ban nhân dân thành phố về việc phê duyệt kế hoạch.",
    "Tổng kinh phí thực hiện là {MONEY}, trong đó ngân sách thành phố chiếm {PERCENT}.",
    "Thực hiện Nghị định {DECISION}, tỷ lệ hồ sơ giải quyết đúng hạn đạt {PERCENT}.",
    "Hóa đơn số {INVOICE} ngày {DATE}, tổng tiền thanh toán {MONEY}.",
    "Mã hồ sơ: {DOSSIER}. Ngày hẹn trả kết quả: {DATE}.",
    "Trong năm {YEAR}, toàn thành phố cấp mới {N}.{N3} thẻ căn cước, tăng {PERCENT} so với năm trước.",
    "Thông tư {DECISION} có hiệu lực thi hành kể từ ngày {DATE}.",
    "Giá trị hợp đồng sau thuế là {MONEY}; tạm ứng {PERCENT} trong vòng 15 ngày.",
    "Kế hoạch số {DECISION} yêu cầu các đơn vị báo cáo kết quả trước ngày {DATE}.",
    "Mã bưu chính của khu vực trung tâm là 700000; tổng đài hỗ trợ 1900 1234 hoạt động từ 7h30 đến 17h00.",
    "Biên bản họp ngày {DATE}: {N} đại biểu có mặt, 45 ý kiến tán thành, đạt {PERCENT}.",
    "Đơn giá điện sinh hoạt bậc 1 là 1.806 đồng/kWh, áp dụng từ ngày {DATE}.",
    "Giao dịch mã {INVOICE} thanh toán thành công số tiền {MONEY}.",
    "Chỉ số giá tiêu dùng tháng {MONTH} tăng {PERCENT} so với tháng trước.",
    "Công văn {DECISION} hướng dẫn thực hiện chế độ cho người lao động từ quý 3 năm {YEAR}.",
    "Dự án có tổng mức đầu tư {MONEY}, diện tích {N} ha, thời gian thực hiện 2025-2030.",
    "Kỳ họp thứ {MONTH} của Hội đồng nhân dân diễn ra từ ngày {DATE} đến ngày {DATE}.",
    "{COMPANY} trúng gói thầu số {MONTH} với giá {MONEY}.",
    "Tổng đài 1022 tiếp nhận {N} cuộc gọi phản ánh trong tháng, giảm {PERCENT}.",
    "Theo Thông báo {DECISION}, lịch tiếp công dân định kỳ vào ngày 15 hằng tháng.",
    "Số hồ sơ trực tuyến toàn trình đạt {N}.{N3} hồ sơ, chiếm {PERCENT} tổng số hồ sơ.",
    "Mẫu số 01/TK-TNCN ban hành kèm theo Thông tư {DECISION}.",
    "Giá vé xe buýt tuyến số {MONTH} là 7.000 đồng/lượt, vé tháng {MONEY}.",
    "Điều 12 Luật Đất đai năm 2024 quy định các hành vi bị nghiêm cấm trong lĩnh vực đất đai.",
]

NEGATIVE_EN = [
    "Invoice {INVOICE} totals {MONEY} and is due on {DATE}.",
    "The budget for {YEAR} is 2.4 billion dong, up {PERCENT} from last year.",
    "Decision {DECISION} takes effect on {DATE}.",
    "Order {INVOICE} shipped on 3 July 2025 and should arrive within 5 working days.",
    "Version 2.4.1 of the portal was released in March 2025 with 37 bug fixes.",
    "The committee approved 12 of 15 proposals ({PERCENT}) at its meeting on 14 June 2025.",
    "Call 1900 1234 or 115 for emergencies; the hotline is free of charge.",
    "Dossier {DOSSIER} was processed in {N} minutes.",
    "Section 4.2 of Circular {DECISION} sets the fee at {MONEY} per application.",
    "In Q2 {YEAR}, online filings reached {PERCENT} of all applications.",
]

# fmt: off
AREA_EN = [
    "District 3, HCMC", "Binh Thanh District", "Thu Duc City", "Ward 7, District 5",
    "Go Vap District, Ho Chi Minh City", "District 1",
]
# fmt: on
CITY_EN = ["Hanoi", "Da Nang", "Ho Chi Minh City", "Can Tho", "Hai Phong", "Saigon"]
GEN.update(
    {
        "AREA_EN": (lambda: rng.choice(AREA_EN), "LOCATION"),
        "CITY_EN": (lambda: rng.choice(CITY_EN), "LOCATION"),
        "N3": (lambda: f"{rng.randrange(0, 999):03d}", None),
        "MONTH": (lambda: str(rng.randrange(1, 13)), None),
    }
)

SLOT = re.compile(r"\{([A-Z_0-9]+)\}")


def render(template: str, language: str) -> dict:
    text, spans, pos, last_person = "", [], 0, None
    for m in SLOT.finditer(template):
        text += template[pos : m.start()]
        slot = m.group(1)
        make, entity = GEN[slot]
        value = email(last_person) if slot == "EMAIL" else make()
        if slot in ("PERSON", "PERSON_EN"):
            last_person = value
        if entity:
            spans.append({"start": len(text), "end": len(text) + len(value), "entity_type": entity})
        text += value
        pos = m.end()
    text += template[pos:]
    return {"text": text, "language": language, "spans": spans, "source": "template"}


MARK = re.compile(r"\[([^\]]+)\]\(([A-Z_]+)\)")


def parse_hand_written(line: str) -> dict:
    language, _, body = line.partition("|")
    text, spans, pos = "", [], 0
    for m in MARK.finditer(body):
        text += body[pos : m.start()]
        spans.append(
            {"start": len(text), "end": len(text) + len(m.group(1)), "entity_type": m.group(2)}
        )
        text += m.group(1)
        pos = m.end()
    text += body[pos:]
    return {"text": text, "language": language.strip(), "spans": spans, "source": "hand"}


def build() -> list[dict]:
    examples = []
    for template in TEMPLATES_VI:
        examples += [render(template, "vi") for _ in range(3)]
    for template in TEMPLATES_EN:
        examples += [render(template, "en") for _ in range(3)]
    for template in NEGATIVE_VI:
        examples += [render(template, "vi") for _ in range(3)]
    for template in NEGATIVE_EN:
        examples += [render(template, "en") for _ in range(2)]
    for line in HAND.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            examples.append(parse_hand_written(line))
    return examples


def main() -> None:
    examples = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for example in examples:
            fh.write(json.dumps(example, ensure_ascii=False) + "\n")
    vi = sum(e["language"] == "vi" for e in examples)
    negatives = sum(not e["spans"] for e in examples)
    hand = sum(e["source"] == "hand" for e in examples)
    print(
        f"{len(examples)} examples ({vi} vi, {len(examples) - vi} en), {negatives} negatives, "
        f"{hand} hand-written -> {OUT.name}"
    )


if __name__ == "__main__":
    main()
