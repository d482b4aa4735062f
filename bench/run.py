"""``make bench``: raw Kafka baseline, end-to-end flows at a fixed load, and per-hop throughput.

One run, one machine, its own broker and services (see :mod:`bench.stack`):

1. set up: a subscription of the owning ministry at an in-process receiver,
   programmes with indicators, approved so monitoring holds their plans;
2. flows: indicator results at ``--rate`` per second for ``--duration``
   seconds, each flagged counterproductive and delivered as a webhook;
   latency from the HTTP result accepted to the webhook received;
3. raw baseline: the records the flows put on ``taskforce.monitoring.v1``,
   produced and consumed again with plain aiokafka on the same broker, over
   the SCRAM listener and over the bench broker's unauthenticated one in
   alternating rounds, and producers connecting on each: what authentication
   costs per record, per connection and, by the Kafka hops counted during the
   flows, per flow (:mod:`bench.auth`);
4. hops: with notifications and programmes stopped, a burst of results makes
   a backlog on ``taskforce.monitoring.v1``; each service in turn is started
   and timed draining it, as a ratio of the raw backlog consume rate.

Prints a table and writes it as JSON (``var/bench/results.json`` by default).
Everything started is stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import signal
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import uvloop

from bench import auth as auth_module
from bench import cpu
from bench import flows as flow_module
from bench.flows import Flow, Platform
from bench.kafka import (
    Access,
    HopResult,
    data_end_total,
    end_offsets,
    end_total,
    read_all,
    time_drain,
)
from bench.receiver import WebhookRecorder
from bench.stack import BENCH_DIR, BenchStack

MONITORING_TOPIC = "taskforce.monitoring.v1"
HOP_SERVICES = ("notifications", "programmes")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def latency_summary(flows: list[Flow], recorder: WebhookRecorder) -> dict[str, Any]:
    accepted = [f for f in flows if f.result_id is not None and f.accepted is not None]
    e2e: list[float] = []
    arrivals: list[float] = []
    for flow in accepted:
        assert flow.result_id is not None and flow.accepted is not None
        at = recorder.received(flow.result_id)
        if at is not None:
            e2e.append((at - flow.accepted) * 1000)
            arrivals.append(at)
    http = [(f.accepted - f.sent) * 1000 for f in accepted if f.accepted is not None]
    duplicates = sum(
        len(recorder.arrivals.get(f.result_id, ())) - 1
        for f in accepted
        if f.result_id is not None and f.result_id in recorder.arrivals
    )
    offered_span = flows[-1].sent - flows[0].sent if len(flows) > 1 else 0.0
    completed_span = max(arrivals) - flows[0].sent if arrivals else 0.0
    summary: dict[str, Any] = {
        "offered": len(flows),
        "offered_per_s": len(flows) / offered_span if offered_span else 0.0,
        "accepted": len(accepted),
        "http_errors": sum(1 for f in flows if f.error is not None),
        "first_error": next((f.error for f in flows if f.error), None),
        "completed": len(e2e),
        "missing_webhooks": len(accepted) - len(e2e),
        "duplicate_webhooks": duplicates,
        "sustained_flows_per_s": len(e2e) / completed_span if completed_span else 0.0,
    }
    for name, values in (("e2e_ms", e2e), ("http_ms", http)):
        if values:
            summary[name] = {
                "p50": percentile(values, 0.50),
                "p95": percentile(values, 0.95),
                "p99": percentile(values, 0.99),
                "max": max(values),
                "mean": statistics.fmean(values),
            }
    return summary


async def bench(stack: BenchStack, args: argparse.Namespace) -> dict[str, Any]:
    recorder = WebhookRecorder()
    await recorder.start(stack.receiver_port)
    try:
        async with httpx.AsyncClient(timeout=30.0, trust_env=False) as client:
            urls = {name: stack.urls(name) for name in stack.supervisor.ports}
            api = Platform(stack.settings(), urls, client)
            try:
                print(f"setup: {args.programmes} programmes x {args.indicators} indicators ...")
                slots = await flow_module.set_up(
                    api,
                    recorder,
                    f"http://127.0.0.1:{stack.receiver_port}",
                    args.programmes,
                    args.indicators,
                    args.periods,
                )
                needed = int(args.rate * (args.warmup + args.duration)) + args.hop_results
                if needed > len(slots):
                    raise SystemExit(f"{needed} flows need more slots than {len(slots)}")
                supply = iter(slots)
                e2e, cpu_ms, kafka_per_flow = await _flows(stack, api, recorder, supply, args)
                # Before the hops restart two of the services: the peaks of the flows' load.
                peak_rss = cpu.peak_rss_mb(_pids(stack))
                print(
                    "raw baseline: aiokafka produce and consume on the same broker, "
                    "SCRAM and PLAINTEXT ..."
                )
                sample = await read_all(_admin(stack), MONITORING_TOPIC, 5000)
                auth = await auth_module.compare(
                    stack.settings(),
                    stack.admin_credentials(),
                    stack.kafka.plain_bootstrap,
                    sample,
                    args.raw_records,
                    args.auth_rounds,
                    args.connect_rounds,
                    stack.kafka.pid(),
                )
                auth_module.per_flow(auth, kafka_per_flow, cpu_ms)
                raw = auth["sasl"]
                hops = await _hops(stack, api, supply, args.hop_results)
            finally:
                await api.close()
    finally:
        await recorder.stop()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "note": args.machine_note,
            "cpus": _cpus(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "parameters": {k: v for k, v in vars(args).items() if k not in ("output", "machine_note")},
        "flows": e2e,
        "cpu_ms_per_flow": cpu_ms,
        "peak_rss_mb": peak_rss,
        "kafka_per_flow": kafka_per_flow,
        "raw": raw,
        "auth": auth,
        "hops": [
            {
                **asdict(h),
                "records_per_s": h.per_s,
                "ratio_to_raw_consume": _ratio(h.per_s, raw["consume_per_s"]),
                "ratio_to_raw_produce_and_consume": _ratio(
                    h.per_s, raw["produce_and_consume_per_s"]
                ),
            }
            for h in hops
        ],
        "receiver": dict(recorder.counts),
    }


async def _flows(
    stack: BenchStack,
    api: Platform,
    recorder: WebhookRecorder,
    supply: Iterator[flow_module.Slot],
    args: argparse.Namespace,
) -> tuple[dict[str, Any], dict[str, float], dict[str, Any]]:
    """Warm up, then the measured window: latency, CPU and Kafka records per completed flow."""
    print(f"warm-up: {args.warmup:.0f} s at {args.rate:g} flows/s ...")
    warm = await flow_module.drive(api, supply, args.rate, args.warmup)
    await flow_module.wait_for_webhooks(recorder, warm, timeout=30)
    print(f"flows: {args.duration:.0f} s at {args.rate:g} flows/s ...")
    pids = _pids(stack)
    offsets_before = await end_offsets(_admin(stack))
    cpu_before = cpu.snapshot(pids, _trees(stack))
    measured = await flow_module.drive(api, supply, args.rate, args.duration)
    await flow_module.wait_for_webhooks(recorder, measured, timeout=30)
    cpu_after = cpu.snapshot(pids, _trees(stack))
    await asyncio.sleep(1.0)  # the outboxes relay what the last flows' handlers wrote
    offsets_after = await end_offsets(_admin(stack))
    e2e = latency_summary(measured, recorder)
    print(f"  {json.dumps(e2e)}")
    per_flow = auth_module.hops_per_flow(offsets_before, offsets_after, e2e["completed"])
    return e2e, cpu.per_flow(cpu_before, cpu_after, e2e["completed"]), per_flow


async def _hops(
    stack: BenchStack, api: Platform, supply: Iterator[flow_module.Slot], results: int
) -> list[HopResult]:
    """Each hop service drains the same backlog of the monitoring topic in turn."""
    admin = _admin(stack)
    settings = stack.settings()
    print(f"hops: a backlog of {results} results on {MONITORING_TOPIC} ...")
    for service in HOP_SERVICES:
        for name in stack.supervisor.names_of(service):
            stack.supervisor.stop(name)
    before = await end_total(admin, MONITORING_TOPIC)
    accepted = await flow_module.post_burst(api, supply, results, concurrency=16)
    await _settled_end(admin)
    target = await data_end_total(admin, MONITORING_TOPIC)
    print(f"  {accepted} results accepted; {target - before} offsets in the backlog")
    hops: list[HopResult] = []
    for service in HOP_SERVICES:
        names = stack.supervisor.names_of(service)
        for name in names:
            stack.supervisor.start(name)
        group = settings.consumer_group_for(service)
        hops.append(await time_drain(admin, group, service, MONITORING_TOPIC, target, 300))
        for name in names:
            stack.supervisor.wait_ready(name, 60)
    return hops


def _admin(stack: BenchStack) -> Access:
    """The super user: reads any topic and group's offsets, uses any group."""
    return Access.scram(stack.settings(), stack.admin_credentials())


def _pids(stack: BenchStack) -> dict[str, int | None]:
    pids: dict[str, int | None] = {
        name: process.pid for name, process in stack.supervisor.processes.items()
    }
    pids["kafka"] = stack.kafka.pid()
    return pids


def _trees(stack: BenchStack) -> dict[str, int | None]:
    """Servers counted with their children: PostgreSQL runs a backend per connection."""
    return {} if stack.postgres is None else {"postgres": stack.postgres.pid()}


def _ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else 0.0


async def _settled_end(admin: Access, quiet_s: float = 3.0) -> int:
    """The topic's end offset once the monitoring outbox has stopped adding to it."""
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_s:
        now = await end_total(admin, MONITORING_TOPIC)
        if now != last:
            last, since = now, time.monotonic()
        await asyncio.sleep(0.2)
    return last


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def table(results: dict[str, Any]) -> str:
    flows, raw = results["flows"], results["raw"]
    rate = results["parameters"]["rate"]
    lines = [
        f"Benchmark {results['date']} ({results['machine']['cpus']} cpus; "
        f"{results['machine']['note']})",
        "",
        f"{'measure':<52}{'value':>14}",
        "-" * 66,
    ]

    def row(label: str, value: float | int, unit: str = "") -> None:
        text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
        lines.append(f"{label:<52}{text + unit:>14}")

    row(f"flows offered at {rate:g}/s (measured window)", flows["offered"])
    row("results sent per second (paced by answers)", flows["offered_per_s"], "/s")
    row("flows completed (webhook received)", flows["completed"])
    row("HTTP errors / missing webhooks / duplicates", flows["http_errors"])
    lines[-1] = lines[-1][:52] + (
        f"{flows['http_errors']} / {flows['missing_webhooks']} / {flows['duplicate_webhooks']}"
    ).rjust(14)
    row("sustained flows per second", flows["sustained_flows_per_s"], "/s")
    for name, label in (("e2e_ms", "end-to-end (accepted -> webhook)"), ("http_ms", "HTTP POST")):
        if name in flows:
            for p in ("p50", "p95", "p99"):
                row(f"{label} {p}", flows[name][p], " ms")
    if results["cpu_ms_per_flow"]:
        lines.append("-" * 66)
        for name, ms in results["cpu_ms_per_flow"].items():
            row(f"CPU per completed flow: {name}", ms, " ms")
    if results.get("peak_rss_mb"):
        lines.append("-" * 66)
        for name, mib in results["peak_rss_mb"].items():
            row(f"peak RSS under the flows: {name}", mib, " MiB")
    lines.append("-" * 66)
    row(f"raw record size (mean, {raw['records']:,} records)", raw["mean_record_bytes"], " B")
    row("raw produce, acks=all idempotent", raw["produce_per_s"], "/s")
    row("raw consume of a backlog (one consumer)", raw["consume_per_s"], "/s")
    row("raw produce and consume at once", raw["produce_and_consume_per_s"], "/s")
    if results.get("auth"):
        lines += auth_table(results["auth"], results.get("kafka_per_flow") or {})
    lines.append("-" * 66)
    for hop in results["hops"]:
        row(
            f"hop {hop['topic']} -> {hop['service']} ({hop['records']:,} rec)",
            hop["records_per_s"],
            "/s",
        )
        for key, label in (
            ("ratio_to_raw_consume", "  ratio to raw consume"),
            ("ratio_to_raw_produce_and_consume", "  ratio to raw produce and consume at once"),
        ):
            lines.append(f"{label:<52}" + f"{hop[key]:.3f}".rjust(14))
    return "\n".join(lines)


def auth_table(auth: dict[str, Any], kafka: dict[str, Any]) -> list[str]:
    """SCRAM against PLAINTEXT: per record, per connection, per flow."""
    sasl, plain = auth["sasl"], auth["plain"]
    connect = {c["label"]: c for c in auth["connect"]}
    c_sasl, c_plain = connect[sasl["label"]], connect[plain["label"]]
    lines = [
        "-" * 66,
        f"authentication: {sasl['label']} vs {plain['label']}",
        f"({sasl['records']:,} records each side; a producer started and stopped "
        f"{c_sasl['rounds']}x on each)",
        f"{'':<40}{'SCRAM':>10}{'plain':>10}{'ratio':>10}",
    ]

    def compare(label: str, a: float, b: float, digits: int = 1) -> None:
        ratio = f"{a / b:.3f}" if b else "-"
        lines.append(f"{label:<40}{a:>10.{digits}f}{b:>10.{digits}f}{ratio:>10}")

    for phase, title in (("round_trip", "round trip"), ("drain", "backlog drain")):
        rate = "produce_and_consume_per_s" if phase == "round_trip" else "consume_per_s"
        if sasl[rate] and plain[rate]:
            compare(f"{title}: wall us/record", 1e6 / sasl[rate], 1e6 / plain[rate], 2)
        for part in ("client", "broker", "total"):
            mine, theirs = sasl[f"{phase}_cpu_us"], plain[f"{phase}_cpu_us"]
            if part in mine and part in theirs:
                compare(f"{title}: CPU us/record, {part}", mine[part], theirs[part], 2)
    compare(
        "producer start+stop: wall ms, median",
        c_sasl["wall_ms_median"],
        c_plain["wall_ms_median"],
        2,
    )
    for part in ("client", "broker", "total"):
        if part in c_sasl["cpu_ms"] and part in c_plain["cpu_ms"]:
            compare(
                f"producer start+stop: CPU ms, {part}",
                c_sasl["cpu_ms"][part],
                c_plain["cpu_ms"][part],
                2,
            )
    per_round = [
        f"{'S' if r['label'] == sasl['label'] else 'P'} {r['round_trip_cpu_us']['total']:.0f}"
        for r in auth.get("rounds", ())
        if "total" in r["round_trip_cpu_us"]
    ]
    if per_round:
        lines.append(f"  rounds in run order, CPU us/record: {', '.join(per_round)}")
    spread = auth.get("spread_within_side")
    if spread is not None:
        lines.append(f"{'round-to-round spread, same side (CPU)':<52}{spread:>13.1%}")
    if kafka:
        lines.append(
            f"{'Kafka records per flow: produced / delivered':<52}"
            + f"{kafka['produced']:.2f} / {kafka['deliveries']:.2f}".rjust(14)
        )
        lines.append(
            f"{'Kafka hops per flow (record x group reading it)':<52}{kafka['hops']:>14.2f}"
        )
    flow = auth.get("per_flow")
    if flow:
        lines.append(
            f"{'auth CPU per flow: hops x delta round trip':<52}"
            + f"{flow['cpu_ms']:.3f} ms".rjust(14)
        )
        lines.append(f"{'  share of CPU per completed flow':<52}{flow['share_of_flow_cpu']:>14.2%}")
        if flow.get("noise_cpu_ms") is not None:
            lines.append(
                f"{'  same-side spread at that scale (noise)':<52}"
                + f"{flow['noise_cpu_ms']:.3f} ms".rjust(14)
            )
    if "connect_delta_cpu_ms" in auth:
        lines.append(
            f"{'auth CPU per SCRAM connection (delta / 2)':<52}"
            + f"{auth['connect_delta_cpu_ms'] / 2:.2f} ms".rjust(14)
        )
    lines.append(
        f"{'auth wall per producer start (delta, median)':<52}"
        + f"{auth['connect_delta_wall_ms']:.2f} ms".rjust(14)
    )
    return lines


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the services' store: a SQLite file each, or a PostgreSQL server of the bench's",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="processes per service (needs --database postgresql for more than one)",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="offered flows per second")
    parser.add_argument("--duration", type=float, default=25.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--programmes", type=int, default=30)
    parser.add_argument("--indicators", type=int, default=10, help="per programme (at most 50)")
    parser.add_argument("--periods", type=int, default=15, help="per indicator (at most 40)")
    parser.add_argument(
        "--raw-records", type=int, default=20_000, help="per baseline round (each listener)"
    )
    parser.add_argument(
        "--auth-rounds", type=int, default=3, help="baseline rounds per listener (SCRAM, plain)"
    )
    parser.add_argument(
        "--connect-rounds", type=int, default=30, help="producer starts per listener"
    )
    parser.add_argument("--hop-results", type=int, default=1000, help="results in the backlog")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--machine-note", default="", help="a note on the machine, for the JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    stack = BenchStack(database=args.database, replicas=args.replicas)
    code = 0
    try:
        print(f"broker on {stack.kafka.bootstrap}; data under {stack.root}")
        stack.start_kafka()
        stack.start_database()
        from shared.kafka.provisioning import provision

        report = asyncio.run(provision(stack.settings()))
        print(f"provisioned: {report.summary()}")
        stack.start_services()
        # The services run on uvloop (uvicorn picks it); so does the load generator.
        results = uvloop.run(bench(stack, args))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n")
        print()
        print(table(results))
        print(f"\nwritten to {args.output}")
    except KeyboardInterrupt:
        print("\ninterrupted; stopping ...", file=sys.stderr)
        code = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        print("stopped the services and the broker")
    return code


if __name__ == "__main__":
    sys.exit(main())
