"""Response times of the CDS Hooks patient-view service at 1, 8 and 32 concurrent clients, by worker count.

The spec asks services to answer in about 500 ms. For each worker count this starts the
real service as ``backspasm serve --workers N --no-auth`` in its own process (uvicorn,
loopback, a free port), so clients and server do not share an interpreter, then sends
patient-view calls built from the example Bundles and prints the median and 99th
percentile of the response time at each level of concurrency, and the p99 of each worker
count as a ratio of the first one's, measured in the same run. Figures are printed, never
asserted: they depend on the machine.

Run:  python bench/cds_benchmark.py [--calls 300] [--clients 1 8 32] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "/cds-services/backspasm-patient-view"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def calls(templates: dict[str, str]) -> list[dict[str, Any]]:
    from backspasm.reasoner.cds.requests import prefetch_for

    made = []
    for path in sorted((ROOT / "examples" / "fhir").glob("*.json")):
        bundle = json.loads(path.read_text())
        patient_id = bundle["entry"][0]["resource"]["id"]
        made.append(
            {
                "hook": "patient-view",
                "hookInstance": f"bench-{path.stem}",
                "context": {"userId": "Practitioner/bench", "patientId": patient_id},
                "prefetch": prefetch_for(templates, bundle),
            }
        )
    return made


def measure(base_url: str, bodies: list[dict[str, Any]], clients: int, total: int) -> list[float]:
    timings: list[float] = []
    lock = threading.Lock()

    def client(start: int) -> None:
        own: list[float] = []
        with httpx.Client(base_url=base_url, timeout=60) as http:
            for index in range(start, total, clients):
                began = time.perf_counter()
                response = http.post(SERVICE, json=bodies[index % len(bodies)])
                own.append(time.perf_counter() - began)
                response.raise_for_status()
        with lock:
            timings.extend(own)

    threads = [threading.Thread(target=client, args=(start,)) for start in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per level of concurrency")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts; the first is the baseline"
    )
    parser.add_argument("--kb", default=str(ROOT / "kb"))
    options = parser.parse_args()

    from backspasm.reasoner.api import load_advisor
    from backspasm.reasoner.cds.config import read_config

    templates = dict(read_config(load_advisor(options.kb)).prefetch)
    bodies = calls(templates)
    print(f"patient-view, {len(bodies)} example patients, {options.calls} calls per level")
    print(f"{'workers':>8} {'clients':>8} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'calls/s':>8} {'p99 ratio':>10}")
    baseline: dict[int, float] = {}
    for workers in options.workers:
        for clients, timings, elapsed in run_service(options.kb, workers, bodies, options.clients, options.calls):
            p99 = percentile(timings, 0.99)
            baseline.setdefault(clients, p99)
            print(
                f"{workers:>8} {clients:>8} {percentile(timings, 0.5) * 1000:>8.1f} {p99 * 1000:>8.1f} "
                f"{statistics.mean(timings) * 1000:>8.1f} {len(timings) / elapsed:>8.1f} "
                f"{p99 / baseline[clients]:>10.2f}"
            )


def run_service(
    kb: str, workers: int, bodies: list[dict[str, Any]], levels: list[int], total: int
) -> list[tuple[int, list[float], float]]:
    """Start ``backspasm serve --workers N``, measure each level of concurrency, stop it gracefully."""
    port = free_port()
    command = [sys.executable, "-m", "backspasm", "serve", "--no-auth", "--kb", kb, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    results = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base_url + "/health").raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the CDS service did not start") from None
                time.sleep(0.1)
        measure(base_url, bodies, 4 * workers, 40 * workers)  # warm up every worker
        for clients in levels:
            began = time.perf_counter()
            timings = measure(base_url, bodies, clients, total)
            results.append((clients, timings, time.perf_counter() - began))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


if __name__ == "__main__":
    main()
