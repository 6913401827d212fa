"""What keying the knowledge-base cache on content costs, next to what the cache saves.

The cache hashes the bytes of every knowledge-base file and of the reasoner's source on
every start (reasoner/kbcache.py). This prints, for the bundled knowledge base, the median
of: that hash, a cached load (hash, checks, decode), and a parse without the cache, and
their ratios. All three are measured in the same run; nothing is asserted.

    python bench/cache_benchmark.py            # 21 runs of each
    python bench/cache_benchmark.py --runs 51
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def median_ms(work: Callable[[], Any], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs of each step")
    runs = parser.parse_args().runs
    kb = ROOT / "kb"
    with tempfile.TemporaryDirectory() as cache:
        os.environ["BACKSPASM_CACHE_DIR"] = cache
        from backspasm.reasoner.advisor.cache import load_kb_cached, signature
        from backspasm.reasoner.knowledge.kb import load_kb

        load_kb_cached(kb)  # writes the entry
        parse = median_ms(lambda: load_kb(kb), runs)
        content_hash = median_ms(lambda: signature(kb), runs)
        cached = median_ms(lambda: load_kb_cached(kb), runs)
    print(f"bundled knowledge base, median of {runs} runs")
    print(f"{'step':<34}{'ms':>9}{'÷ parse':>10}")
    for name, value in (
        ("parse and validate (no cache)", parse),
        ("cached load (hash, check, decode)", cached),
        ("content hash alone", content_hash),
    ):
        print(f"{name:<34}{value:>9.2f}{value / parse:>10.3f}")


if __name__ == "__main__":
    main()
