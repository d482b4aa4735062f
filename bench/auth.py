"""What authentication costs: the raw baseline over SCRAM and over PLAINTEXT, on one broker.

The bench broker has its client listener (``SASL_PLAINTEXT``, SCRAM-SHA-512,
what every service uses) and, only there, an unauthenticated ``PLAINTEXT``
listener (:class:`bench.stack.BenchKafka`). The same records go through both,
in alternating rounds (SCRAM, plain, plain, SCRAM, ...) so that drift on a busy
machine falls on both sides alike:

- after one unmeasured warm-up round per side, each round produces the
  records to a fresh scratch topic while a consumer reads them (a round
  trip: one Kafka hop), then a new group drains them;
  wall time and CPU (this process as the client, and the broker) per record;
- the SCRAM side connects as ``bench.raw``, a principal that is not a super
  user, and the plain side as ``User:ANONYMOUS``; both have the same three ACLs
  (write and read their scratch topic, read their own groups), so the requests
  of both go through the authorizer and the two differ in authentication only;
- connecting: an idempotent producer started and stopped a few dozen times on
  each listener (two connections each, so two SCRAM exchanges on the SASL side,
  at the broker's 8192 PBKDF2 iterations).

Per flow, the difference per round trip is multiplied by the Kafka hops a flow
makes, counted in the measured flow window (:func:`hops_per_flow`).
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import asdict
from typing import Any

from bench.kafka import (
    Access,
    ConnectResult,
    RawResult,
    Record,
    connect_cost,
    create_topic,
    grant_scratch,
    raw_principal,
    raw_round,
    wait_authorized,
)
from shared.events.catalogue import CONSUMES, SERVICES, topic_of
from shared.kafka.security import Credentials
from shared.settings import PlatformSettings


def consumers_of(topic: str) -> int:
    """How many services' consumer groups read ``topic`` (the catalogue's ``CONSUMES``)."""
    for service in SERVICES:
        if topic == topic_of(service):
            return sum(1 for other in SERVICES if service in CONSUMES[other])
    return 0


def hops_per_flow(before: dict[str, int], after: dict[str, int], flows: int) -> dict[str, Any]:
    """Records the flows added to each topic, and what that makes per flow.

    A hop is one record produced and consumed by one group, which is what a
    round of the baseline does per record. A record read by ``k`` groups makes
    ``k`` hops (its produce counted ``k`` times); one nobody reads, one hop
    (its consume counted though none happens): both err on the high side.
    """
    if flows == 0:
        return {}
    added = {t: after.get(t, 0) - before.get(t, 0) for t in after}
    records = {t: n / flows for t, n in sorted(added.items()) if n > 0}
    return {
        "records_per_flow": records,
        "produced": sum(records.values()),
        "deliveries": sum(n * consumers_of(t) for t, n in records.items()),
        "hops": sum(n * max(1, consumers_of(t)) for t, n in records.items()),
    }


def combine(rounds: list[RawResult]) -> RawResult:
    """The rounds of one side as one: rates over the summed times, CPU weighted by records."""
    records = sum(r.records for r in rounds)

    def rate(name: str) -> float:
        seconds = sum(r.records / getattr(r, name) for r in rounds if getattr(r, name))
        return records / seconds if seconds else 0.0

    def cpu(name: str) -> dict[str, float]:
        keys = set.intersection(*(set(getattr(r, name)) for r in rounds))
        return {
            k: sum(getattr(r, name)[k] * r.records for r in rounds) / records for k in sorted(keys)
        }

    return RawResult(
        label=rounds[0].label,
        records=records,
        mean_record_bytes=sum(r.mean_record_bytes * r.records for r in rounds) / records,
        produce_per_s=rate("produce_per_s"),
        consume_per_s=rate("consume_per_s"),
        produce_and_consume_per_s=rate("produce_and_consume_per_s"),
        round_trip_cpu_us=cpu("round_trip_cpu_us"),
        drain_cpu_us=cpu("drain_cpu_us"),
    )


def spread(rounds: list[RawResult]) -> float | None:
    """(max - min) / mean of the round-trip CPU per record over one side's rounds."""
    values = [r.round_trip_cpu_us["total"] for r in rounds if "total" in r.round_trip_cpu_us]
    if len(values) < 2:
        return None
    return (max(values) - min(values)) / statistics.fmean(values)


async def compare(
    settings: PlatformSettings,
    admin: Credentials,
    plain_bootstrap: str,
    sample: list[Record],
    count: int,
    rounds: int,
    connect_rounds: int,
    broker_pid: int | None,
) -> dict[str, Any]:
    """``rounds`` baseline rounds of ``count`` records per side, then the connection cost."""
    started = time.monotonic()
    sasl = Access.scram(settings, await raw_principal(settings, admin))
    plain = Access.plain(plain_bootstrap)
    administrator = Access.scram(settings, admin)
    records = [sample[i % len(sample)] for i in range(count)]
    order = [
        pair for r in range(rounds) for pair in ((sasl, plain) if r % 2 == 0 else (plain, sasl))
    ]
    # One unmeasured round per side first: the first records through a fresh JVM path
    # (and a new principal's first groups) cost far more than the steady state.
    warm = (sasl, plain)
    topics = []
    for index, access in enumerate((*warm, *order)):
        side = "sasl" if access is sasl else "plain"
        topic = f"bench.auth.{side}.{index}.{uuid.uuid4().hex[:8]}"
        await create_topic(administrator, topic)
        await grant_scratch(settings, admin, access, topic)
        topics.append(topic)
    for access, topic in zip((*warm, *order), topics, strict=True):
        await wait_authorized(access, topic)
    print(f"  warm-up: {len(warm)} unmeasured rounds of {max(1, count // 4):,} records ...")
    for access, topic in zip(warm, topics[: len(warm)], strict=True):
        await raw_round(access, topic, records[: max(1, count // 4)], broker_pid)
    done: dict[str, list[RawResult]] = {sasl.label: [], plain.label: []}
    measured = zip(order, topics[len(warm) :], strict=True)
    for index, (access, topic) in enumerate(measured):
        print(f"  round {index + 1}/{len(order)}: {access.label}, {count:,} records ...")
        done[access.label].append(await raw_round(access, topic, records, broker_pid))
    print(f"  connecting: {connect_rounds} producer starts per listener ...")
    connect = await connect_cost([sasl, plain], connect_rounds, broker_pid)
    print(f"  the comparison took {time.monotonic() - started:.0f} s")
    return summarise(done[sasl.label], done[plain.label], connect, order)


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def summarise(
    sasl_rounds: list[RawResult],
    plain_rounds: list[RawResult],
    connect: list[ConnectResult],
    order: list[Access] | None = None,
) -> dict[str, Any]:
    """Both sides combined, their ratios and differences; ``rounds`` in run order."""
    sasl, plain = combine(sasl_rounds), combine(plain_rounds)
    queues = {sasl.label: list(sasl_rounds), plain.label: list(plain_rounds)}
    in_order = (
        [queues[access.label].pop(0) for access in order]
        if order is not None
        else sasl_rounds + plain_rounds
    )
    summary: dict[str, Any] = {
        "sasl": asdict(sasl),
        "plain": asdict(plain),
        "rounds": [asdict(r) for r in in_order],
        "spread_within_side": max(
            (s for s in (spread(sasl_rounds), spread(plain_rounds)) if s is not None),
            default=None,
        ),
        "ratio": {
            "round_trip_wall": _ratio(
                plain.produce_and_consume_per_s, sasl.produce_and_consume_per_s
            ),
            "drain_wall": _ratio(plain.consume_per_s, sasl.consume_per_s),
        },
        "delta_us_per_record": {},
        "connect": [asdict(c) for c in connect],
    }
    for phase in ("round_trip_cpu_us", "drain_cpu_us"):
        mine, theirs = getattr(sasl, phase), getattr(plain, phase)
        if "total" in mine and "total" in theirs:
            summary["ratio"][phase.replace("_us", "")] = _ratio(mine["total"], theirs["total"])
            summary["delta_us_per_record"][phase.removesuffix("_cpu_us")] = (
                mine["total"] - theirs["total"]
            )
    by_label = {c.label: c for c in connect}
    c_sasl, c_plain = by_label[sasl.label], by_label[plain.label]
    summary["ratio"]["connect_wall"] = _ratio(c_sasl.wall_ms_median, c_plain.wall_ms_median)
    if "total" in c_sasl.cpu_ms and "total" in c_plain.cpu_ms:
        summary["ratio"]["connect_cpu"] = _ratio(c_sasl.cpu_ms["total"], c_plain.cpu_ms["total"])
        summary["connect_delta_cpu_ms"] = c_sasl.cpu_ms["total"] - c_plain.cpu_ms["total"]
    summary["connect_delta_wall_ms"] = c_sasl.wall_ms_median - c_plain.wall_ms_median
    return summary


def per_flow(auth: dict[str, Any], hops: dict[str, Any], cpu_ms_per_flow: dict[str, float]) -> None:
    """Add the per-flow figures to ``auth``: hops times the difference per round trip."""
    delta = auth["delta_us_per_record"].get("round_trip")
    if delta is None or not hops:
        return
    cost_ms = hops["hops"] * delta / 1000
    auth["per_flow"] = {
        "hops": hops["hops"],
        "cpu_ms": cost_ms,
        "share_of_flow_cpu": _ratio(cost_ms, cpu_ms_per_flow.get("total", 0.0)),
        "noise_cpu_ms": (
            hops["hops"]
            * auth["spread_within_side"]
            * auth["sasl"]["round_trip_cpu_us"]["total"]
            / 1000
            if auth.get("spread_within_side") is not None
            else None
        ),
    }
