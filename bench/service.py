"""Benchmark: POST /v1/diagnose under 8 concurrent clients, against in-process diagnose.

Usage: python bench/service.py [--json] [--seconds 30] [--clients 8] [--turns 6]

Measured in this one run, side by side, on every bundled example (round robin):

- inprocess_rps: syncdoctor.tools.diagnose on one thread, in this process, timed in turns with
  the 1-worker server's load (``--turns`` of each, the server idle while this process
  diagnoses): the host's speed drifts within a run, and a ratio of figures taken minutes apart
  measured the drift as much as the service;
- rps_1_worker / rps_2_workers: `syncdoctor serve --workers N` on 127.0.0.1, 8 keep-alive
  clients (one asyncio process, raw HTTP/1.1, so that the client costs little CPU);
- p50_ms / p99_ms: request latency with 1 worker (p50_ms_2_workers / p99_ms_2_workers too);
- errors: requests that failed or answered anything but 200; wrong: a 200 whose body differs by
  a single byte from the in-process Diagnosis JSON;
- http_vs_inprocess_per_worker: rps_1_worker / inprocess_rps (goal: at least 0.7);
- cpu_ms_per_request / inprocess_cpu_ms: CPU time (user + system) the server's processes spent
  per answered request, and one in-process diagnosis's; http_vs_inprocess_cpu is their ratio. On
  a machine shared with other work the throughput ratio follows the load; this one barely does.

The machine has 2 cores: with 2 workers the clients share them with the servers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from syncdoctor.casefile import read_case
from syncdoctor.tools import diagnose

REPO = Path(__file__).resolve().parent.parent
SYNCDOCTOR = str(Path(sys.executable).parent / "syncdoctor")


def _iso(value: object) -> str:
    assert isinstance(value, datetime | date)
    return value.isoformat()


def load_cases() -> list[tuple[bytes, bytes]]:
    """(request body, expected response body) for every bundled example."""
    cases = []
    for path in sorted((REPO / "examples").glob("*/*.yaml")):
        case = read_case(path)
        args = {"facts": case.facts, "pack": case.pack, "now": case.now or "2024-05-01T12:00:00Z",
                "unknown": list(case.unknown)}
        body = json.dumps({k: v for k, v in args.items() if v is not None}, default=_iso)
        plain = json.loads(body)
        expected = diagnose(plain["facts"], pack=plain.get("pack"), now=plain["now"],
                            unknown=plain["unknown"]).model_dump_json()
        cases.append((body.encode(), expected.encode()))
    return cases


def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of every live process in a process group (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name (field 2) may hold spaces: split after its closing parenthesis.
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) == group:  # pgrp
                total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def inprocess(cases: list[tuple[bytes, bytes]], seconds: float) -> dict[str, float]:
    """Diagnoses on one thread for ``seconds``, from the same JSON bodies the server gets, each
    serialised as the server does: how many, the wall seconds and the CPU seconds they took."""
    bodies = [json.loads(body) for body, _ in cases]
    for plain in bodies:  # warm-up
        diagnose(plain["facts"], pack=plain.get("pack"), now=plain["now"],
                 unknown=plain["unknown"])
    done = 0
    start = time.perf_counter()
    cpu = time.process_time()
    while time.perf_counter() - start < seconds:
        plain = bodies[done % len(bodies)]
        diagnose(plain["facts"], pack=plain.get("pack"), now=plain["now"],
                 unknown=plain["unknown"]).model_dump_json()
        done += 1
    return {"done": done, "elapsed": time.perf_counter() - start,
            "cpu": time.process_time() - cpu}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(workers: int) -> Iterator[tuple[int, int]]:
    """`syncdoctor serve --workers N` on a free loopback port, stopped at the end."""
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [SYNCDOCTOR, "serve", "--port", str(port), "--workers", str(workers),
             "--store", "memory:"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=log,
            start_new_session=True, env={**os.environ})
        try:
            deadline = time.monotonic() + 120
            while True:
                assert process.poll() is None, "the server exited"
                with contextlib.suppress(OSError), socket.create_connection(
                        ("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    if probe.recv(12).endswith(b"200"):
                        break
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            time.sleep(1.0 if workers > 1 else 0.2)  # let every worker finish starting
            yield port, process.pid
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)


async def _client(port: int, cases: list[tuple[bytes, bytes]], offset: int, until: float,
                  latencies: list[float], counts: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = offset
    try:
        while time.perf_counter() < until:
            body, expected = cases[index % len(cases)]
            index += 1
            request = (b"POST /v1/diagnose HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       b"Content-Type: application/json\r\nContent-Length: "
                       + str(len(body)).encode() + b"\r\n\r\n" + body)
            sent = time.perf_counter()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                answer = await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError):
                counts["errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append(time.perf_counter() - sent)
            if not head.startswith(b"HTTP/1.1 200"):
                counts["errors"] += 1
            elif answer != expected:
                counts["wrong"] += 1
    finally:
        writer.close()


def load(port: int, group: int, cases: list[tuple[bytes, bytes]], clients: int,
         seconds: float) -> dict[str, Any]:
    """Drive the server with ``clients`` keep-alive connections for ``seconds``; ``group`` is the
    server's process group, whose CPU time is counted. Each answer's latency, the wall and
    server CPU seconds, errors and wrong answers."""
    latencies: list[float] = []
    counts = {"errors": 0, "wrong": 0}

    async def run() -> float:
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_client(port, cases, i * 7, until, latencies, counts)
                               for i in range(clients)))
        return time.perf_counter() - start

    cpu = group_cpu_seconds(group)
    elapsed = asyncio.run(run())
    cpu = group_cpu_seconds(group) - cpu
    return {"latencies": latencies, "elapsed": elapsed, "cpu": cpu, **counts}


def summary(turns: list[dict[str, Any]]) -> dict[str, float]:
    """One load's figures over its turns: throughput, latency percentiles, errors, CPU."""
    latencies = sorted(value for turn in turns for value in turn["latencies"])
    answered = max(1, len(latencies))
    return {
        "rps": len(latencies) / sum(turn["elapsed"] for turn in turns),
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[min(answered - 1, int(len(latencies) * 0.99))] * 1000
        if latencies else 0.0,
        "errors": sum(turn["errors"] for turn in turns),
        "wrong": sum(turn["wrong"] for turn in turns),
        "cpu_ms_per_request": sum(turn["cpu"] for turn in turns) * 1000 / answered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seconds", type=float, default=30.0, help="per server run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--turns", type=int, default=6,
                        help="in-process and 1-worker HTTP runs alternate this many times")
    options = parser.parse_args()
    cases = load_cases()
    turn = options.seconds / max(1, options.turns)
    local: list[dict[str, float]] = []
    served: list[dict[str, Any]] = []
    with server(1) as (port, group):
        load(port, group, cases, options.clients, 2.0)  # warm the worker up
        for _ in range(max(1, options.turns)):
            local.append(inprocess(cases, turn))
            served.append(load(port, group, cases, options.clients, turn))
    with server(2) as (port, group):
        load(port, group, cases, options.clients, 2.0)  # warm every worker up
        two = summary([load(port, group, cases, options.clients, options.seconds)])
    one = summary(served)
    baseline = sum(r["done"] for r in local) / sum(r["elapsed"] for r in local)
    baseline_cpu_ms = sum(r["cpu"] for r in local) * 1000 / sum(r["done"] for r in local)
    result = {
        "rps_1_worker": round(one["rps"], 1),
        "rps_2_workers": round(two["rps"], 1),
        "p50_ms": round(one["p50_ms"], 2),
        "p99_ms": round(one["p99_ms"], 2),
        "p50_ms_2_workers": round(two["p50_ms"], 2),
        "p99_ms_2_workers": round(two["p99_ms"], 2),
        "errors": int(one["errors"] + two["errors"]),
        "wrong": int(one["wrong"] + two["wrong"]),
        "inprocess_rps": round(baseline, 1),
        "http_vs_inprocess_per_worker": round(one["rps"] / baseline, 3),
        "http_2_workers_vs_inprocess_per_worker": round(two["rps"] / 2 / baseline, 3),
        "cpu_ms_per_request": round(one["cpu_ms_per_request"], 3),
        "cpu_ms_per_request_2_workers": round(two["cpu_ms_per_request"], 3),
        "inprocess_cpu_ms": round(baseline_cpu_ms, 3),
        "http_vs_inprocess_cpu": round(baseline_cpu_ms / one["cpu_ms_per_request"], 3),
        "load_average": round(os.getloadavg()[0], 2),
        "clients": options.clients,
        "seconds": options.seconds,
        "turns": options.turns,
    }
    if options.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for key, value in result.items():
            print(f"{key:<40} {value}")


if __name__ == "__main__":
    main()
