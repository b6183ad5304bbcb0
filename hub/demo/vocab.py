"""Word lists behind the synthetic registries: names, streets, provinces, industries.

Weights are relative frequencies, roughly those of Ho Chi Minh City; they only need to
look plausible, not to be statistics.
"""

from __future__ import annotations

#: Birth-registration province codes as printed in CCCD numbers: the 63 provinces that
#: existed before the 2025 merger (cards keep them), with a weight for how often people
#: living in Ho Chi Minh City were born there. 074 (Bình Dương) and 077 (Bà Rịa - Vũng
#: Tàu) are part of the city since 1 July 2025 and weighted by where a person lives.
LEGACY_PROVINCES: dict[str, tuple[str, float]] = {
    "001": ("Hà Nội", 4),
    "002": ("Hà Giang", 0.2),
    "004": ("Cao Bằng", 0.3),
    "006": ("Bắc Kạn", 0.2),
    "008": ("Tuyên Quang", 0.3),
    "010": ("Lào Cai", 0.2),
    "011": ("Điện Biên", 0.2),
    "012": ("Lai Châu", 0.1),
    "014": ("Sơn La", 0.2),
    "015": ("Yên Bái", 0.3),
    "017": ("Hòa Bình", 0.4),
    "019": ("Thái Nguyên", 0.5),
    "020": ("Lạng Sơn", 0.4),
    "022": ("Quảng Ninh", 0.6),
    "024": ("Bắc Giang", 0.8),
    "025": ("Phú Thọ", 0.6),
    "026": ("Vĩnh Phúc", 0.5),
    "027": ("Bắc Ninh", 0.6),
    "030": ("Hải Dương", 1),
    "031": ("Hải Phòng", 2),
    "033": ("Hưng Yên", 1),
    "034": ("Thái Bình", 3),
    "035": ("Hà Nam", 1),
    "036": ("Nam Định", 3),
    "037": ("Ninh Bình", 1.5),
    "038": ("Thanh Hóa", 5),
    "040": ("Nghệ An", 5),
    "042": ("Hà Tĩnh", 3),
    "044": ("Quảng Bình", 2),
    "045": ("Quảng Trị", 2),
    "046": ("Thừa Thiên Huế", 2.5),
    "048": ("Đà Nẵng", 2),
    "049": ("Quảng Nam", 4),
    "051": ("Quảng Ngãi", 4),
    "052": ("Bình Định", 5),
    "054": ("Phú Yên", 2.5),
    "056": ("Khánh Hòa", 2),
    "058": ("Ninh Thuận", 1.5),
    "060": ("Bình Thuận", 3),
    "062": ("Kon Tum", 0.5),
    "064": ("Gia Lai", 1),
    "066": ("Đắk Lắk", 2),
    "067": ("Đắk Nông", 0.8),
    "068": ("Lâm Đồng", 2),
    "070": ("Bình Phước", 2),
    "072": ("Tây Ninh", 3),
    "074": ("Bình Dương", 2),
    "075": ("Đồng Nai", 4),
    "077": ("Bà Rịa - Vũng Tàu", 1.5),
    "079": ("Thành phố Hồ Chí Minh", 0),  # the local code is drawn separately
    "080": ("Long An", 5),
    "082": ("Tiền Giang", 5),
    "083": ("Bến Tre", 5),
    "084": ("Trà Vinh", 3),
    "086": ("Vĩnh Long", 3),
    "087": ("Đồng Tháp", 4),
    "089": ("An Giang", 4),
    "091": ("Kiên Giang", 3),
    "092": ("Cần Thơ", 3),
    "093": ("Hậu Giang", 2),
    "094": ("Sóc Trăng", 3),
    "095": ("Bạc Liêu", 2),
    "096": ("Cà Mau", 3),
}

#: Mobile prefixes in use since the 2018 renumbering (Viettel, MobiFone, VinaPhone).
MOBILE_PREFIXES: tuple[str, ...] = (
    *(f"03{d}" for d in "23456789"),
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
)

# -- people ---------------------------------------------------------------------------
KINH_SURNAMES: dict[str, float] = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Huỳnh": 4, "Phan": 4.5, "Võ": 3,
    "Vũ": 2, "Hoàng": 2, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3,
    "Dương": 1, "Trương": 0.8, "Đinh": 0.6, "Lý": 0.5, "Lâm": 0.5, "Mai": 0.5,
    "Đoàn": 0.4, "Châu": 0.4, "Hà": 0.4, "Tô": 0.3, "Cao": 0.3, "Lưu": 0.3,
    "Thái": 0.3, "Tạ": 0.2, "Phùng": 0.2, "Kiều": 0.2, "Quách": 0.2, "La": 0.2,
}  # fmt: skip
HOA_SURNAMES: tuple[str, ...] = (
    "Lý", "Trần", "Lâm", "Quách", "Trịnh", "Mã", "Tăng", "Hứa", "Châu", "Lưu", "Diệp",
    "Lương", "Thái", "Giang", "Tạ", "Hà", "Huỳnh",
)  # fmt: skip
KHMER_SURNAMES: tuple[str, ...] = ("Thạch", "Sơn", "Kim", "Danh", "Lâm", "Châu", "Kiên")

#: Middle names; the first weight is for people born before 2000, the second after
#: (fewer "Văn"/"Thị" among the young).
MIDDLE_MALE: dict[str, tuple[float, float]] = {
    "Văn": (30, 8), "Minh": (8, 10), "Quốc": (6, 5), "Hữu": (6, 3), "Đức": (6, 5),
    "Thanh": (5, 3), "Hoàng": (4, 5), "Công": (4, 2), "Tấn": (4, 2), "Ngọc": (3, 2),
    "Thành": (3, 3), "Gia": (1, 8), "Duy": (2, 5), "Quang": (3, 4), "Anh": (1, 4),
    "Trọng": (2, 2), "Xuân": (2, 1), "Nhật": (1, 4), "Thế": (2, 1), "Bảo": (1, 5),
    "Đăng": (1, 3), "Tuấn": (2, 2), "Phúc": (0.5, 3),
}  # fmt: skip
MIDDLE_FEMALE: dict[str, tuple[float, float]] = {
    "Thị": (40, 10), "Ngọc": (8, 8), "Thanh": (5, 4), "Thu": (4, 3), "Kim": (4, 3),
    "Bảo": (1, 8), "Minh": (2, 6), "Phương": (3, 4), "Hồng": (3, 2), "Mỹ": (3, 3),
    "Khánh": (1, 5), "Gia": (0.5, 5), "Thùy": (3, 4), "Hoài": (2, 2), "Quỳnh": (1, 3),
    "Diệu": (1, 2), "Tuyết": (1, 0.5), "Ánh": (1, 2), "Cẩm": (1, 1), "Tường": (0.5, 2),
}  # fmt: skip
GIVEN_MALE: tuple[str, ...] = (
    "An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải", "Hào", "Hậu",
    "Hiếu", "Hòa", "Hoàng", "Huy", "Hùng", "Hưng", "Khang", "Khánh", "Khoa", "Kiên",
    "Lâm", "Lộc", "Lợi", "Long", "Luân", "Minh", "Nam", "Nghĩa", "Nguyên", "Nhân",
    "Phát", "Phong", "Phúc", "Phước", "Quân", "Quang", "Sang", "Sơn", "Tài", "Tâm",
    "Tân", "Thắng", "Thành", "Thiện", "Thịnh", "Tiến", "Toàn", "Trí", "Trung", "Tuấn",
    "Tùng", "Vinh", "Việt", "Vũ", "Tú", "Trọng", "Kiệt", "Thông", "Hiển",
)  # fmt: skip
GIVEN_FEMALE: tuple[str, ...] = (
    "An", "Anh", "Châu", "Chi", "Diễm", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng",
    "Hiền", "Hoa", "Hồng", "Hương", "Huyền", "Khánh", "Lan", "Liên", "Linh", "Loan",
    "Ly", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương",
    "Phượng", "Quyên", "Quỳnh", "Tâm", "Thảo", "Thanh", "Thu", "Thủy", "Thư", "Tiên",
    "Trang", "Trâm", "Trinh", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Ánh",
    "Hân", "Như", "Thơ",
)  # fmt: skip

ETHNICITIES: dict[str, float] = {
    "Kinh": 92.0, "Hoa": 4.0, "Khmer": 1.5, "Chăm": 0.6, "Nùng": 0.45, "Tày": 0.4,
    "Mường": 0.35, "Thái": 0.2, "Xtiêng": 0.1, "Dao": 0.1, "Sán Dìu": 0.1,
    "Ê Đê": 0.1, "Gia Rai": 0.05, "Ba Na": 0.05,
}  # fmt: skip

#: Population share by five-year age band (0-4, 5-9, ..., 90-95): a young-adult bulge
#: from migration, an ageing tail.
AGE_BANDS: tuple[float, ...] = (
    6.5, 7.0, 6.5, 5.5, 7.0, 9.0, 9.5, 9.0, 8.0, 7.0, 6.0, 5.0, 4.5, 3.5, 2.5, 1.5,
    1.0, 0.6, 0.3,
)  # fmt: skip

# -- places ---------------------------------------------------------------------------
#: Well-known streets of the pre-2025 city (central and inner wards, Thủ Đức).
STREETS_CITY: tuple[str, ...] = (
    "Lê Lợi", "Nguyễn Huệ", "Đồng Khởi", "Hai Bà Trưng", "Lê Duẩn", "Điện Biên Phủ",
    "Cách Mạng Tháng Tám", "Nam Kỳ Khởi Nghĩa", "Nguyễn Thị Minh Khai", "Võ Văn Tần",
    "Pasteur", "Nguyễn Đình Chiểu", "Trần Hưng Đạo", "Lý Tự Trọng", "Tôn Đức Thắng",
    "Nguyễn Trãi", "Phạm Ngũ Lão", "Bùi Viện", "Lê Lai", "Hàm Nghi", "Võ Thị Sáu",
    "Trần Quốc Thảo", "Lý Chính Thắng", "Nguyễn Văn Trỗi", "Phan Xích Long",
    "Phan Đăng Lưu", "Hoàng Văn Thụ", "Cộng Hòa", "Trường Chinh", "Lạc Long Quân",
    "Âu Cơ", "Lũy Bán Bích", "Ba Tháng Hai", "Lý Thường Kiệt", "Sư Vạn Hạnh",
    "Nguyễn Chí Thanh", "Hồng Bàng", "An Dương Vương", "Kinh Dương Vương", "Hậu Giang",
    "Nguyễn Văn Linh", "Nguyễn Hữu Thọ", "Huỳnh Tấn Phát", "Nguyễn Thị Thập",
    "Xô Viết Nghệ Tĩnh", "Bạch Đằng", "Đinh Tiên Hoàng", "Nguyễn Xí", "Phạm Văn Đồng",
    "Kha Vạn Cân", "Võ Văn Ngân", "Lê Văn Việt", "Đỗ Xuân Hợp", "Mai Chí Thọ",
    "Quang Trung", "Nguyễn Oanh", "Phan Văn Trị", "Tô Ký", "Nguyễn Văn Cừ",
    "Tân Kỳ Tân Quý", "Hương lộ 2", "Tỉnh lộ 10", "Nguyễn Kiệm", "Bà Hạt",
)  # fmt: skip
#: Communes (xã) of the former outer districts: Củ Chi, Hóc Môn, Bình Chánh, Nhà Bè, Cần Giờ.
STREETS_RURAL: tuple[str, ...] = (
    "Tỉnh lộ 8", "Tỉnh lộ 15", "Quốc lộ 22", "Quốc lộ 1A", "Rừng Sác", "Duyên Hải",
    "Nguyễn Văn Tạo", "Lê Minh Xuân", "Đặng Công Bỉnh", "Nguyễn Thị Nê", "Bà Điểm",
    "Vĩnh Lộc", "Đinh Đức Thiện", "Lê Văn Lương",
)  # fmt: skip
#: Wards and communes of the former Bình Dương province.
STREETS_BINH_DUONG: tuple[str, ...] = (
    "Đại lộ Bình Dương", "Yersin", "Phú Lợi", "Nguyễn Văn Tiết", "Huỳnh Văn Lũy",
    "Mỹ Phước Tân Vạn", "Ngô Quyền", "Lê Hồng Phong", "Trần Văn Ơn", "Thích Quảng Đức",
    "ĐT743", "Hùng Vương", "Cách Mạng Tháng Tám", "Nguyễn An Ninh",
)  # fmt: skip
#: Wards and communes of the former Bà Rịa - Vũng Tàu province.
STREETS_BA_RIA_VUNG_TAU: tuple[str, ...] = (
    "Thùy Vân", "Hạ Long", "Trần Phú", "Ba Cu", "Lê Hồng Phong", "30 Tháng 4",
    "Nguyễn An Ninh", "Võ Thị Sáu", "Nguyễn Thanh Đằng", "Quốc lộ 51", "Hùng Vương",
    "Lê Lợi", "Nguyễn Hữu Cảnh",
)  # fmt: skip
#: Districts of the city before 1 July 2025, as old addresses name them.
LEGACY_DISTRICTS: tuple[str, ...] = (
    "Quận 1", "Quận 3", "Quận 4", "Quận 5", "Quận 6", "Quận 7", "Quận 8", "Quận 10",
    "Quận 11", "Quận 12", "Quận Bình Thạnh", "Quận Gò Vấp", "Quận Phú Nhuận",
    "Quận Tân Bình", "Quận Tân Phú", "Quận Bình Tân", "Thành phố Thủ Đức",
    "Huyện Bình Chánh", "Huyện Hóc Môn", "Huyện Củ Chi", "Huyện Nhà Bè",
)  # fmt: skip

# -- free-text notes ------------------------------------------------------------------
#: (template, min age, max age). Placeholders are filled by ``synth``; those marked PII
#: below put a name, phone, ID number, address, e-mail or plate in the text.
NOTE_TEMPLATES: tuple[tuple[str, int, int], ...] = (
    ("Liên hệ người thân: {relative}, SĐT {phone_spaced}", 0, 120),  # PII
    ("Tạm trú tại {house} {street} từ {year}", 15, 120),  # PII
    ("Chủ hộ: {relative}", 0, 120),  # PII
    ("Đăng ký kết hôn với {spouse} năm {year}", 20, 120),  # PII
    ("CMND cũ số {cmnd}, đã chuyển sang CCCD", 30, 120),  # PII
    ("Email liên hệ: {email}", 15, 80),  # PII
    ("Con của ông {father} và bà {mother}", 0, 17),  # PII
    ("Người giám hộ: {relative}, CCCD {cccd}", 0, 17),  # PII
    ("Mã số BHXH {bhxh}", 18, 70),  # PII
    ("Đổi số điện thoại sang {phone} ngày {date}", 15, 120),  # PII
    ("Thường trú cũ: {house} {street}, {district}", 10, 120),  # PII
    ("Phương tiện đăng ký: xe máy biển số {plate}", 18, 80),  # PII
    ("Chuyển hộ khẩu từ {province} về năm {year}", 5, 120),
    ("Đã cấp lại CCCD do mất", 14, 120),
    ("Đã cập nhật địa chỉ theo đơn vị hành chính mới từ 01/07/2025", 0, 120),
    ("Hồ sơ đầy đủ", 0, 120),
    ("Cần bổ sung bản sao giấy khai sinh", 0, 120),
    ("Đã kích hoạt tài khoản định danh điện tử mức 2", 14, 120),
    ("Đang thực hiện nghĩa vụ quân sự", 18, 27),
    ("Đi làm việc ở nước ngoài, vắng mặt dài hạn", 20, 60),
    ("Đã khai báo tạm vắng từ tháng {month}/{year}", 15, 120),
    ("Đã cấp đổi CCCD gắn chíp năm {chip_year}", 14, 120),
    ("Xác minh lại nơi cư trú theo yêu cầu của Công an phường", 15, 120),
    ("Sinh viên, ở ký túc xá", 18, 24),
    ("Người cao tuổi sống một mình, cần thăm hỏi định kỳ", 70, 120),
)
RELATIVES_MALE: tuple[str, ...] = ("anh", "ông", "chú", "bác", "em")
RELATIVES_FEMALE: tuple[str, ...] = ("chị", "bà", "cô", "dì", "em")

# -- businesses -----------------------------------------------------------------------
COMPANY_FORMS: dict[str, float] = {
    "Công ty TNHH": 42,
    "Công ty TNHH Một thành viên": 16,
    "Công ty Cổ phần": 27,
    "Doanh nghiệp tư nhân": 12,
}
#: (VSIC-style industry name, words for the company name, weight)
INDUSTRIES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("Bán lẻ thực phẩm", ("Thực phẩm", "Thương mại Thực phẩm"), 8),
    ("Bán buôn thực phẩm", ("Thực phẩm", "Xuất nhập khẩu Thực phẩm"), 5),
    ("Dịch vụ ăn uống", ("Ẩm thực", "Nhà hàng", "Dịch vụ Ăn uống"), 9),
    ("Xây dựng nhà các loại", ("Xây dựng", "Đầu tư Xây dựng"), 7),
    ("Xây dựng công trình đường bộ", ("Xây dựng Công trình", "Xây dựng Giao thông"), 2),
    ("Hoàn thiện công trình xây dựng", ("Nội thất", "Trang trí Nội thất"), 3),
    ("Bán buôn vật liệu xây dựng", ("Vật liệu Xây dựng", "Thương mại Vật liệu"), 3),
    ("Bán lẻ hàng may mặc, giày dép", ("Thời trang", "Thương mại Thời trang"), 5),
    ("Sản xuất trang phục", ("May mặc", "Dệt may"), 3),
    ("Sản xuất sản phẩm từ plastic", ("Nhựa", "Bao bì Nhựa"), 2),
    ("Sản xuất giường, tủ, bàn, ghế", ("Đồ gỗ", "Chế biến Gỗ"), 2),
    ("Vận tải hàng hóa bằng đường bộ", ("Vận tải", "Logistics"), 4),
    ("Kho bãi và lưu giữ hàng hóa", ("Kho vận", "Logistics"), 2),
    ("Hoạt động dịch vụ hỗ trợ vận tải đường thủy", ("Dịch vụ Hàng hải", "Cảng"), 1),
    ("Lập trình máy vi tính", ("Công nghệ", "Phần mềm", "Giải pháp Công nghệ"), 5),
    ("Tư vấn máy vi tính và quản trị hệ thống", ("Công nghệ Thông tin", "Tin học"), 2),
    ("Cổng thông tin", ("Truyền thông Số", "Công nghệ"), 1),
    ("Quảng cáo", ("Quảng cáo", "Truyền thông"), 3),
    ("Hoạt động tư vấn quản lý", ("Tư vấn", "Tư vấn Đầu tư"), 4),
    ("Kinh doanh bất động sản", ("Bất động sản", "Địa ốc", "Đầu tư Địa ốc"), 4),
    ("Dịch vụ lưu trú ngắn ngày", ("Khách sạn", "Du lịch Khách sạn"), 2),
    ("Điều hành tua du lịch", ("Du lịch", "Lữ hành"), 2),
    ("Bán lẻ thuốc, dụng cụ y tế", ("Dược phẩm", "Nhà thuốc", "Thiết bị Y tế"), 3),
    ("Hoạt động phòng khám đa khoa, chuyên khoa và nha khoa", ("Y tế", "Nha khoa"), 2),
    ("Giáo dục ngoại ngữ", ("Giáo dục", "Anh ngữ", "Đào tạo"), 2),
    ("Bảo dưỡng, sửa chữa ô tô", ("Ô tô", "Dịch vụ Ô tô"), 2),
    ("Bán mô tô, xe máy", ("Xe máy", "Thương mại Xe máy"), 2),
    ("Chế biến và bảo quản thủy sản", ("Thủy sản", "Chế biến Thủy sản"), 1),
    ("Cắt tóc, làm đầu, gội đầu", ("Làm đẹp", "Salon"), 2),
    ("Bán buôn máy móc, thiết bị", ("Thiết bị", "Máy móc Thiết bị"), 3),
)
BRANDS: tuple[str, ...] = (
    "Minh Phát", "Thành Đạt", "An Phú", "Hưng Thịnh", "Phú Gia", "Sài Gòn Xanh",
    "Bến Thành", "Việt Úc", "Hoàng Long", "Tân Phát", "Đại Nam", "Kim Ngân",
    "Phương Nam", "Thiên Phúc", "Nam Việt", "Hòa Bình", "Sao Mai", "Trường Thịnh",
    "Gia Huy", "Khải Hoàn", "Phú Mỹ Hưng", "Đông Á", "Thuận Phát", "Vạn Lợi",
    "An Khang", "Thịnh Vượng", "Hồng Phúc", "Tâm An", "Mekong", "Sông Sài Gòn",
    "Ánh Dương", "Hải Đăng", "Bình Minh", "Kiến Vàng", "Lạc Hồng", "Tiến Phát",
    "Hoa Sen", "Nhật Minh", "Gia Phát", "Phúc Lộc", "Bảo Tín", "Quang Minh",
    "Toàn Cầu", "Việt Tiến", "Đất Phương Nam", "Sáng Tạo", "Thái Bình Dương",
    "Hưng Phú", "Trí Việt", "Cát Tường", "Hoàn Cầu", "Sen Vàng", "Tân Cảng",
    "Vũng Tàu Xanh", "Thủ Dầu Một", "Đông Dương", "Phát Đạt", "Ngọc Lan",
)  # fmt: skip
#: Words between the legal form and the sector, as in "Công ty TNHH Thương mại Dịch vụ ...".
NAME_INFIXES: dict[str, float] = {
    "": 55, "Thương mại Dịch vụ": 20, "Thương mại": 10, "Dịch vụ": 6,
    "Sản xuất Thương mại": 6, "Đầu tư": 3,
}  # fmt: skip
STATUSES: dict[str, float] = {"active": 80, "suspended": 8, "dissolved": 12}
