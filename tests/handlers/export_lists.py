"""Officers' lists the export tests import first and then expect back unchanged:
every category, method and status, IDs and account numbers with leading zeros, a
year-only birth date, a foreign and an old 11-digit phone number, the three forms of
health-insurance card number, a note with a comma and quotes and one that starts
with "=", and two communes."""

from __future__ import annotations

from pathlib import Path

from storage import Database
from storage.records import Commune
from tests.conftest import COMMUNE
from tests.handlers.importing.files import write_csv

HAI_VAN = Commune("99002", "Phường Hải Vân", "48", "Đà Nẵng", 5, None, None)

BENEFICIARIES = [
    ["UBND XÃ HÒA AN"],
    ["DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI"],
    [],
    [
        "STT",
        "Họ tên",
        "CCCD",
        "Ngày/tháng/năm sinh",
        "Mã xã",
        "Thôn/Tổ",
        "Diện hưởng",
        "Mức trợ cấp (đồng)",
        "Hình thức chi trả",
        "Ngân hàng",
        "STK",
        "Tên chủ tài khoản",
        "SĐT",
        "SĐT người thân",
        "Mã thẻ BHYT",
        "Hạn thẻ BHYT",
    ],
    [
        1,
        "  Nguyễn  Thị Phàm ",
        "001140001234",
        "15/03/1940",
        "99001",
        "Thôn Đông",
        "NCT từ 80 tuổi",
        "500.000",
        "Chuyển khoản",
        "Agribank",
        "0012 0000 56789",
        "NGUYEN THI PHAM",
        "0912.000.111",
        "0987000222",
        "BT2790011400012",
        "31/12/2027",
    ],
    [
        2,
        "Lê Văn Tư",
        "'079045006789",
        "1945",
        "99001",
        "Thôn Tây",
        "Người khuyết tật nặng",
        "1,000,000",
        "Bưu điện",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        3,
        "Trần Thị Mồ",
        "001315001111",
        "2015-06-01",
        "99001",
        "Thôn Đông",
        "Trẻ em mồ côi",
        "720000 đ",
        "tiền mặt",
        "",
        "",
        "",
        "",
        "+1 415 555 2671",
        "001315001111",
        "2026-12-31",
    ],
    [
        4,
        "Phạm Văn Công",
        "001050002222",
        "02/09/1950",
        "Xã Hòa An",
        "",
        "Thương binh",
        "2.000.000",
        "ngân hàng",
        "Vietcombank",
        "9704000011112222",
        "Phạm Văn Công",
        "01681234567",
        "",
        "CC101001050002222",
        "",
    ],
    [
        5,
        "Đỗ Thị Khác",
        "002170003333",
        "",
        "Hải Vân",
        "Tổ 5",
        "Hộ nghèo",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]
# People in each commune, and payments in each period (per commune).
IN_HOA_AN, IN_HAI_VAN = 4, 1

PAYMENTS = [
    ["Số CCCD", "Họ và tên", "Tháng", "Số tiền", "Trạng thái", "Ngày chi", "Hình thức", "Lý do"],
    ["1140001234", "Nguyễn Thị Phàm", "T11/2026", "500.000", "Đã chi trả", "10/11/2026", "", ""],
    [
        "079045006789",
        "Lê Văn Tư",
        "11/2026",
        "1000000",
        "trả lại",
        "",
        "bưu điện",
        'người nhận vắng nhà, hẹn "chiều mai"',
    ],
    ["001315001111", "Trần Thị Mồ", "2026-11", "720.000", "chưa chi", "", "tiền mặt", ""],
    [
        "001050002222",
        "Phạm Văn Công",
        "tháng 11/2026",
        "2.000.000",
        "thất bại",
        "",
        "CK",
        "=tài khoản bị khóa",
    ],
    ["001140001234", "Nguyễn Thị Phàm", "10/2026", "500.000", "đã chi", "09/10/2026", "", ""],
    ["002170003333", "Đỗ Thị Khác", "10/2026", "300.000", "đã nhận", "08/10/2026", "tiền mặt", ""],
]
NOVEMBER = 4  # payments in 2026-11, all in Hòa An
OCTOBER_HAI_VAN = 1


async def add_communes(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.communes.upsert(COMMUNE)
        await tx.communes.upsert(HAI_VAN)


def write_lists(folder: Path) -> tuple[Path, Path]:
    """The beneficiary list (XLSX-like CSV with a title block) and the payment list."""
    return (
        write_csv(folder / "danh-sach.csv", BENEFICIARIES, bom=True),
        write_csv(folder / "chi-tra.csv", PAYMENTS, delimiter=";"),
    )
