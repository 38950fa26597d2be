"""Build sample_data/binh-phuoc: a realistic, synthetic set of returns.

Eleven district-level units of Bình Phước send their returns for 2023 and
2024 on dvk's form. The 2024 returns add up to the figures the province
published ("toàn tỉnh đã xây dựng được 1.215 mô hình", "tiếp 7.257 lượt công
dân", "19 căn nhà tình nghĩa trị giá 1,52 tỷ đồng", …); how those totals split
across units, and every other figure, is invented (seeded, reproducible).
Model names are invented and name no real person.

    python scripts/make_sample.py            # rewrite sample_data/binh-phuoc
    python scripts/make_sample.py --out DIR  # somewhere else

Needs the test extra (odfpy) for the one .ods return.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.config import load_config
from dvk_cli.core.periods import parse_period
from dvk_cli.outputs.forms import form_filename, write_form

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """\
# dvk.toml — dữ liệu mẫu (giả lập) của Ban Dân vận Tỉnh ủy Bình Phước.
# Số liệu tổng năm 2024 khớp với số liệu đã công bố; số liệu từng đơn vị là giả lập.

[organization]
name = "Ban Dân vận Tỉnh ủy Bình Phước"
code = "BINHPHUOC"
area = "toàn tỉnh"
superior = "Tỉnh ủy Bình Phước"
place = "Đồng Xoài"

# Báo cáo Word (dvk report, dvk aggregate --docx): đầu văn bản, nơi nhận, chữ ký.
[report]
superior = "Tỉnh ủy Bình Phước"
issuing_body = "Ban Dân vận"
symbol = "BC/BDVTU"
place = "Đồng Xoài"
signer_title = "TRƯỞNG BAN"
signer_name = ""
recipients = ["Ban Dân vận Trung ương (b/c)", "Thường trực Tỉnh ủy (b/c)", "Lưu Văn phòng"]

[[units]]
code = "DONGXOAI"
name = "Thành phố Đồng Xoài"
group = "Địa phương"
aliases = ["TP. Đồng Xoài", "TP Đồng Xoài", "Thành ủy Đồng Xoài"]

[[units]]
code = "BINHLONG"
name = "Thị xã Bình Long"
group = "Địa phương"
aliases = ["TX. Bình Long", "TX Bình Long", "Thị ủy Bình Long"]

[[units]]
code = "PHUOCLONG"
name = "Thị xã Phước Long"
group = "Địa phương"
aliases = ["TX. Phước Long", "TX Phước Long", "Thị ủy Phước Long"]

[[units]]
code = "CHONTHANH"
name = "Thị xã Chơn Thành"
group = "Địa phương"
aliases = ["TX. Chơn Thành", "TX Chơn Thành", "Huyện Chơn Thành"]

[[units]]
code = "DONGPHU"
name = "Huyện Đồng Phú"
group = "Địa phương"
aliases = ["H. Đồng Phú", "Huyện ủy Đồng Phú"]

[[units]]
code = "BUDANG"
name = "Huyện Bù Đăng"
group = "Địa phương"
aliases = ["H. Bù Đăng", "Huyện ủy Bù Đăng"]

[[units]]
code = "BUGIAMAP"
name = "Huyện Bù Gia Mập"
group = "Địa phương"
aliases = ["H. Bù Gia Mập", "Huyện ủy Bù Gia Mập"]

[[units]]
code = "BUDOP"
name = "Huyện Bù Đốp"
group = "Địa phương"
aliases = ["H. Bù Đốp", "Huyện ủy Bù Đốp"]

[[units]]
code = "LOCNINH"
name = "Huyện Lộc Ninh"
group = "Địa phương"
aliases = ["H. Lộc Ninh", "Huyện ủy Lộc Ninh"]

[[units]]
code = "HONQUAN"
name = "Huyện Hớn Quản"
group = "Địa phương"
aliases = ["H. Hớn Quản", "Huyện ủy Hớn Quản"]

[[units]]
code = "PHURIENG"
name = "Huyện Phú Riềng"
group = "Địa phương"
aliases = ["H. Phú Riềng", "Huyện ủy Phú Riềng"]
"""

# Relative size of each unit (roughly its population), used to split totals.
WEIGHTS = {
    "DONGXOAI": 1.6, "BINHLONG": 0.7, "PHUOCLONG": 0.6, "CHONTHANH": 1.1, "DONGPHU": 1.0,
    "BUDANG": 1.4, "BUGIAMAP": 0.9, "BUDOP": 0.6, "LOCNINH": 1.2, "HONQUAN": 0.9,
    "PHURIENG": 1.0,
}

# Province totals. 2024: the published figures (seed article of 28/11/2024)
# plus invented ones for what the article does not give. 2023: invented.
# Money in triệu đồng, lengths in km. House totals are (count, value).
TOTALS = {
    2024: {
        "MH_TONG": 1215, "MH_TIEUBIEU": 16, "VB_SO": 40, "TT_BUOI": 2863, "TT_LUOT": 164_250,
        "TCD_LUOT": 7257, "TCD_NGUOI": 3812, "TCD_DOAN": 23, "DON_NHAN": 1486, "HS_NHAN": 218_430,
        "QUA_SO": 48_620, "QUA_TIEN": 24_310, "VANDONG_TIEN": 81_950,
        "DUONG_GT_KM": 15.15, "DUONG_DIEN_KM": 33.5, "CAU_SO": 9, "CAU_TIEN": 3_860,
        "houses": {"NHA_TN": (19, 1520), "NHA_DD": (1, 80), "NHA_DDK": (5, 250),
                   "NHA_CTD": (14, 700), "NHA_KHAC": (212, 10_600)},
        "exemplary": 16,
    },
    2023: {
        "MH_TONG": 1087, "MH_TIEUBIEU": 14, "VB_SO": 36, "TT_BUOI": 2641, "TT_LUOT": 151_480,
        "TCD_LUOT": 6834, "TCD_NGUOI": 3590, "TCD_DOAN": 27, "DON_NHAN": 1392, "HS_NHAN": 196_705,
        "QUA_SO": 45_110, "QUA_TIEN": 21_980, "VANDONG_TIEN": 74_300,
        "DUONG_GT_KM": 12.4, "DUONG_DIEN_KM": 28.75, "CAU_SO": 7, "CAU_TIEN": 2_940,
        "houses": {"NHA_TN": (16, 1200), "NHA_DD": (2, 140), "NHA_DDK": (8, 400),
                   "NHA_CTD": (11, 550), "NHA_KHAC": (187, 8_975)},
        "exemplary": 14,
    },
}

FIELDS = ["Kinh tế", "Văn hóa – xã hội", "Quốc phòng – an ninh", "Xây dựng hệ thống chính trị"]

# Invented model names by field; {place} is the unit's short name.
MODEL_NAMES = {
    "Kinh tế": [
        "Tổ hợp tác trồng tiêu hữu cơ {place}",
        "Hội viên nông dân giúp nhau giống điều ghép cao sản",
        "Chi hội phụ nữ tiết kiệm vốn xoay vòng",
        "Mô hình nuôi dê sinh sản giúp hộ đồng bào dân tộc thiểu số thoát nghèo",
        "Câu lạc bộ thanh niên khởi nghiệp nông sản sạch",
        "Tổ liên kết sản xuất sầu riêng theo chuẩn VietGAP",
    ],
    "Văn hóa – xã hội": [
        "Tuyến đường tự quản xanh – sạch – đẹp {place}",
        "Hũ gạo tình thương",
        "Thắp sáng đường quê",
        "Tủ sách pháp luật cộng đồng",
        "Bữa cơm nghĩa tình cho bệnh nhân nghèo",
        "Nâng bước em đến trường",
    ],
    "Quốc phòng – an ninh": [
        "Tổ tự quản an ninh trật tự khu dân cư",
        "Camera an ninh kết nối cộng đồng {place}",
        "Dân quân giúp dân thu hoạch mùa vụ",
        "Tổ hòa giải ở cơ sở gắn với tổ tự quản",
        "Tuyến biên giới an toàn, nhân dân tự quản",
    ],
    "Xây dựng hệ thống chính trị": [
        "Sổ tay dân vận điện tử",
        "Đảng viên gương mẫu gắn với hộ dân",
        "Cán bộ, công chức gần dân, trọng dân, vì dân",
        "Đối thoại trực tiếp với nhân dân định kỳ hằng tháng",
        "Một cửa thân thiện {place}",
    ],
}

IMPLEMENTERS = ["Hội Nông dân xã", "Hội Liên hiệp Phụ nữ xã", "Đoàn Thanh niên xã",
                "Mặt trận Tổ quốc xã", "Hội Cựu chiến binh xã", "Công an xã", "Ban Chỉ huy Quân sự xã",
                "Ủy ban nhân dân xã", "Khu phố", "Ấp"]


def split(total: float, weights: list[float], rng: random.Random, step: float = 1) -> list[float]:
    """Split `total` into len(weights) multiples of `step` that add up exactly.

    Each share is the weight's share with a little noise, rounded by largest
    remainder so the parts always sum to the total.
    """
    noisy = [w * rng.uniform(0.8, 1.2) for w in weights]
    s = sum(noisy)
    units = round(total / step)
    raw = [units * w / s for w in noisy]
    parts = [int(x) for x in raw]
    short = units - sum(parts)
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[:short]:
        parts[i] += 1
    if step == 1:
        return parts
    return [round(p * step, 2) for p in parts]


def split_units(total: int, n: int, rng: random.Random) -> list[int]:
    """Spread `total` whole items over n units, at random (many get 0)."""
    parts = [0] * n
    for _ in range(total):
        parts[rng.randrange(n)] += 1
    return parts


def unit_values(year: int, codes: list[str], rng: random.Random) -> dict[str, dict[str, float]]:
    t = TOTALS[year]
    w = [WEIGHTS[c] for c in codes]
    values: dict[str, dict[str, float]] = {c: {} for c in codes}

    def put(code: str, parts) -> None:
        for unit, v in zip(codes, parts, strict=True):
            values[unit][code] = v

    for code in ("MH_TONG", "VB_SO", "TT_BUOI", "TT_LUOT", "TCD_LUOT", "TCD_NGUOI", "DON_NHAN",
                 "HS_NHAN", "QUA_SO", "QUA_TIEN", "VANDONG_TIEN"):
        put(code, split(t[code], w, rng))
    put("TCD_DOAN", split_units(t["TCD_DOAN"], len(codes), rng))
    put("DUONG_GT_KM", split(t["DUONG_GT_KM"], w, rng, step=0.05))
    put("DUONG_DIEN_KM", split(t["DUONG_DIEN_KM"], w, rng, step=0.5))
    # Bridges: a few units build one or two; cost per bridge varies.
    cau = split_units(t["CAU_SO"], len(codes), rng)
    put("CAU_SO", cau)
    cau_tien = split(t["CAU_TIEN"], [max(c, 0) for c in cau] if sum(cau) else w, rng, step=5)
    put("CAU_TIEN", [v if n else 0 for v, n in zip(cau_tien, cau, strict=True)])
    # Houses: a count and a value that add up to the totals; value only where
    # houses were built (the checks require it).
    for prefix, (count, money) in t["houses"].items():
        counts = split_units(count, len(codes), rng) if count < 30 else split(count, w, rng)
        per_house = money / count
        for unit, n in zip(codes, counts, strict=True):
            values[unit][f"{prefix}_SO"] = n
            values[unit][f"{prefix}_TIEN"] = round(n * per_house, 1)
        # rounding must not change the province total
        drift = round(money - sum(values[u][f"{prefix}_TIEN"] for u in codes), 1)
        if drift:
            top = max(codes, key=lambda u: values[u][f"{prefix}_SO"])
            values[top][f"{prefix}_TIEN"] = round(values[top][f"{prefix}_TIEN"] + drift, 1)
    # Per unit breakdowns that the checks require to add up.
    exemplary = split_units(t["MH_TIEUBIEU"], len(codes), rng)
    for unit, ex in zip(codes, exemplary, strict=True):
        v = values[unit]
        total = v["MH_TONG"]
        v["MH_TAPTHE"] = round(total * rng.uniform(0.55, 0.7))
        v["MH_CANHAN"] = total - v["MH_TAPTHE"]
        kt, vhxh, qpan, xdht = split(total, [0.34, 0.3, 0.16, 0.2], rng)
        v.update(MH_KT=kt, MH_VHXH=vhxh, MH_QPAN=qpan, MH_XDHT=xdht)
        v["MH_TIEUBIEU"] = min(ex, total)
        v["DON_GQ"] = round(v["DON_NHAN"] * rng.uniform(0.9, 0.99))
        v["HS_DUNGHAN"] = round(v["HS_NHAN"] * rng.uniform(0.965, 0.998))
    return values


def unit_models(unit_code: str, place: str, values: dict[str, float],
                rng: random.Random) -> list[dict]:
    """The unit's exemplary models and a few others (a selection, as units send)."""
    models = []
    n_exemplary = int(values["MH_TIEUBIEU"])
    n_other = rng.randint(2, 5)
    used: set[str] = set()
    for i in range(n_exemplary + n_other):
        field = rng.choices(FIELDS, weights=[values[c] or 0.1 for c in
                                             ("MH_KT", "MH_VHXH", "MH_QPAN", "MH_XDHT")])[0]
        names = [n for n in MODEL_NAMES[field] if n not in used] or MODEL_NAMES[field]
        name = rng.choice(names)
        used.add(name)
        models.append({
            "name": name.format(place=place),
            "field": field,
            "kind": "Tập thể" if rng.random() < 0.7 else "Cá nhân",
            "exemplary": i < n_exemplary,
            "implementer": f"{rng.choice(IMPLEMENTERS)}, {place}",
        })
    return models


def short_place(name: str) -> str:
    for prefix in ("Thành phố ", "Thị xã ", "Huyện "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def write_ods_copy(xlsx: Path, ods: Path, values: dict[str, float]) -> None:
    """The same return as LibreOffice users send it: .ods, computed rows as values."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P
    from python_calamine import CalamineWorkbook

    catalog = default_catalog()
    wb = CalamineWorkbook.from_path(str(xlsx))
    doc = OpenDocumentSpreadsheet()
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python()
        table = Table(name=name)
        width = max((len(r) for r in rows), default=0)
        for _ in range(width):
            table.addElement(TableColumn())
        for row in rows:
            code = row[2] if len(row) > 2 else None
            tr = TableRow()
            for j, v in enumerate(row):
                if j == 4 and isinstance(code, str) and code in catalog.indicators \
                        and catalog[code].computed and v == "":
                    v = _computed(catalog[code], values)
                if v == "" or v is None:
                    tr.addElement(TableCell())
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    cell = TableCell(valuetype="float", value=v)
                    cell.addElement(P(text=str(v)))
                    tr.addElement(cell)
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(v)))
                    tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(ods))


def _computed(ind, values: dict[str, float]):
    kind, _, expr = ind.formula.partition(":")
    if kind.strip() == "sum":
        return round(sum(values.get(c.strip(), 0) for c in expr.split("+")), 2)
    num, den = (c.strip() for c in expr.split("/"))
    return round(values[num] / values[den] * 100, 2) if values.get(den) else None


README = """\
# Dữ liệu mẫu: Ban Dân vận Tỉnh ủy Bình Phước (giả lập)

Thư mục này chứa biểu báo cáo **giả lập** của 11 huyện, thị xã, thành phố tỉnh
Bình Phước cho năm 2023 và năm 2024, điền trên biểu mẫu của dvk, để chạy thử:

    dvk aggregate sample_data/binh-phuoc/2024 --period 2024
    dvk validate sample_data/binh-phuoc/2023 --period 2023

- `dvk.toml`: cơ quan tổng hợp và danh sách 11 đơn vị (có tên gọi khác).
- `2023/`, `2024/`: mỗi đơn vị một biểu (.xlsx; biểu của Huyện Lộc Ninh năm 2024
  là tệp .ods, như khi đơn vị dùng LibreOffice).

Tổng số liệu năm 2024 khớp với số liệu Ban Dân vận Tỉnh ủy Bình Phước đã công bố
tại hội nghị tổng kết ngày 28/11/2024 (1.215 mô hình “Dân vận khéo”, 16 mô hình
tiêu biểu, 40 văn bản, 7.257 lượt tiếp công dân với 3.812 người, 19 căn nhà tình
nghĩa trị giá 1,52 tỷ đồng, 1 căn nhà đồng đội trị giá 80 triệu đồng, 5 căn nhà
đại đoàn kết trị giá 250 triệu đồng, 33,5 km đường điện, 15,15 km đường nông
thôn). Cách chia cho từng đơn vị, số liệu năm 2023 và các chỉ tiêu khác là số
giả lập; tên mô hình là tên đặt ra, không nêu tên người thật.

Tạo lại: `python scripts/make_sample.py` (English: synthetic sample returns;
regenerate with that command).
"""


def build(out: Path, seed: int = 2024) -> list[Path]:
    catalog = default_catalog()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "dvk.toml").write_text(CONFIG, encoding="utf-8")
    (out / "README.md").write_text(README, encoding="utf-8")
    config = load_config(out / "dvk.toml")
    units = list(config.registry)
    codes = [u.code for u in units]
    written = []
    for year in (2023, 2024):
        rng = random.Random(seed * 10 + year)
        period = parse_period(str(year))
        folder = out / str(year)
        folder.mkdir()
        values = unit_values(year, codes, rng)
        for unit in units:
            v = values[unit.code]
            models = unit_models(unit.code, short_place(unit.name), v, rng)
            path = folder / form_filename(unit, period)
            write_form(path, catalog, unit=unit, period=period,
                       organization=config.organization, values=v, models=models)
            if year == 2024 and unit.code == "LOCNINH":
                ods = folder / f"Báo cáo dân vận năm {year} - {unit.name}.ods"
                write_ods_copy(path, ods, v)
                path.unlink()
                path = ods
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "sample_data" / "binh-phuoc")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    paths = build(args.out, args.seed)
    print(f"{len(paths)} returns written under {args.out}")


if __name__ == "__main__":
    main()
