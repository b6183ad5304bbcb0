"""PII throughput in one run: analyzer documents/s and cells/s, typed masking vs Presidio.

    .venv/bin/python -m bench.pii [--seconds 8] [--rows 200000] [--repeats 3]

Builds the engine (timed), then analyzes generated Vietnamese documents of about 500
characters and short table cells (phones, names, IDs, dates, plain words) for a fixed time
each, on one core. Then the typed-column comparison of ``python -m bench``'s masking phase
(``bench/masking.py``, no database needed): ``policies.treatments.apply`` on batches of
synthetic residents against the Presidio engine (analyze, then redact) per cell of the same
columns, with the ratio. ``--rows`` below the default makes a quick run whose typed rate is
flattered by the address caches (see bench/masking.py). Prints a small table. Not a test:
numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCES = [
    "Ông {name}, sinh ngày {dob}, CCCD {cccd}, trú tại {addr}.",
    "Người báo tin {name} (SĐT {phone}) phản ánh tình trạng ngập nước kéo dài.",
    "Căn cứ Quyết định số {n}/QĐ-UBND ngày 15/6/2025, tổng kinh phí là {n}.500.000 đồng.",
    "Đề nghị chuyển khoản vào STK {bank} Vietcombank, chủ tài khoản {name}.",
    "Tỷ lệ hồ sơ giải quyết đúng hạn đạt 97,5%, tăng 3% so với cùng kỳ năm trước.",
    "Liên hệ email {email} hoặc hotline 1900 1234 trong giờ hành chính.",
    "Hộ kinh doanh {name}, MST {mst}, kê khai doanh thu quý 2 năm 2025.",
    "Xe máy biển số {plate} đỗ trước nhà số {n} trong nhiều ngày.",
]
NAMES = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Nam", "Phạm Minh Tuấn", "Võ Thị Hoa"]


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        name=rng.choice(NAMES),
        dob=f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/{rng.randrange(1950, 2005)}",
        cccd=f"079{rng.randrange(0, 2)}{rng.randrange(50, 99)}{rng.randrange(10**6):06d}",
        addr=f"{rng.randrange(1, 300)} Lê Lợi, phường Bến Thành, Quận 1, TP. Hồ Chí Minh",
        phone=f"090{rng.randrange(10**7):07d}",
        bank=f"{rng.randrange(10**12, 10**13)}",
        email=f"user{rng.randrange(1000)}@example.com",
        mst="0100109106",
        plate=f"59-X{rng.randrange(1, 9)} {rng.randrange(100, 999)}.{rng.randrange(10, 99)}",
        n=rng.randrange(100, 999),
    )


def documents(rng: random.Random, count: int) -> list[str]:
    docs = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < 500:
            parts.append(_fill(rng, rng.choice(SENTENCES)))
        docs.append(" ".join(parts)[:520])
    return docs


def cells(rng: random.Random, count: int) -> list[str]:
    makers = [
        lambda: f"09{rng.randrange(10**8):08d}",
        lambda: rng.choice(NAMES),
        lambda: f"079{rng.randrange(10**9):09d}",
        lambda: (
            f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/{rng.randrange(1950, 2005)}"
        ),
        lambda: rng.choice(["đã duyệt", "chờ xử lý", "Quận 1", "12", "không"]),
        lambda: f"user{rng.randrange(1000)}@example.com",
    ]
    return [rng.choice(makers)() for _ in range(count)]


def rate(engine, texts: list[str], seconds: float) -> tuple[float, int]:
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            engine.analyze(text, "vi")
        done += len(texts)
    return done / (time.perf_counter() - start), done


def main(argv: list[str] | None = None) -> int:
    from bench.config import Config  # light: bench.masking is imported after the timed build

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="time per analyzer workload")
    parser.add_argument(
        "--rows",
        type=int,
        help="synthetic residents for typed masking (default: bench/masking.py's ROWS)",
    )
    parser.add_argument("--repeats", type=int, default=Config.repeats, help="masking runs")
    parser.add_argument("--seed", type=int, default=Config.seed, help="synthetic data seed")
    args = parser.parse_args(argv)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    from anonymizer.engine import get_engine

    engine = get_engine()
    build = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rng = random.Random(1)
    docs, short = documents(rng, 200), cells(rng, 2000)
    engine.analyze(docs[0], "vi")  # warm caches
    doc_rate, doc_n = rate(engine, docs, args.seconds)
    cell_rate, cell_n = rate(engine, short, args.seconds)
    mean_doc = sum(map(len, docs)) / len(docs)

    # imports the hub (and Presidio through it): after the engine build, which it would hide
    from bench import masking
    from bench.data import population_csv

    wanted = args.rows or masking.ROWS
    treatments, ctx, columns, sample = masking.prepare(population_csv(wanted, args.seed), wanted)
    typed_runs, presidio_runs = masking.compare(
        engine, treatments, ctx, columns, sample, args.repeats
    )
    typed, presidio = statistics.median(typed_runs), statistics.median(presidio_runs)
    rows = len(next(iter(columns.values())))

    width = 46
    print(f"{'measure':<{width}}{'value':>12}")
    print(f"{'engine build (import + build), s':<{width}}{build:>12.2f}")
    print(
        f"{'max RSS after build, MB':<{width}}{rss_after:>12.0f}"
        f"   (interpreter alone {rss_before:.0f})"
    )
    print(
        f"{f'analyzer documents/s (~{mean_doc:.0f} chars, n={doc_n})':<{width}}{doc_rate:>12,.0f}"
    )
    print(f"{f'analyzer short cells/s (n={cell_n})':<{width}}{cell_rate:>12,.0f}")
    print(
        f"{f'typed masking cells/s ({rows:,} rows x {len(columns)} cols)':<{width}}{typed:>12,.0f}"
        f"   (median of {len(typed_runs)})"
    )
    print(
        f"{f'Presidio per cell, cells/s (sample {len(sample):,})':<{width}}{presidio:>12,.0f}"
        "   (analyze + redact)"
    )
    print(f"{'ratio typed masking / Presidio per cell':<{width}}{typed / presidio:>11,.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
