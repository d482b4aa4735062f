"""The benchmark's arithmetic and report, on made-up measurements (no stack needed)."""

from __future__ import annotations

import os

from bench import cpu
from bench.run import percentile, table


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0


def test_cpu_per_flow_divides_each_process_and_adds_a_total() -> None:
    before = cpu.CpuSnapshot({"monitoring": 1.0, "kafka": 2.0, cpu.DRIVER: 0.5}, 0.0)
    after = cpu.CpuSnapshot({"monitoring": 3.0, "kafka": 3.0, cpu.DRIVER: 0.5}, 10.0)
    spent = cpu.per_flow(before, after, 100)
    assert spent == {"monitoring": 20.0, "kafka": 10.0, cpu.DRIVER: 0.0, "total": 30.0}
    assert cpu.per_flow(before, None, 100) == {}
    assert cpu.per_flow(before, after, 0) == {}


def test_this_process_cpu_is_readable_on_linux() -> None:
    seconds = cpu.process_cpu_seconds(os.getpid())
    assert seconds is not None and seconds > 0


def test_peak_rss_is_this_process_high_water_mark_and_skips_the_gone() -> None:
    held = bytearray(64 * 1024 * 1024)  # 64 MiB touched: the high-water mark is at least that
    held[::4096] = b"x" * len(held[::4096])
    peaks = cpu.peak_rss_mb({"this": os.getpid(), "gone": None, "never": 2**22 + 7})
    assert set(peaks) == {"this"}
    assert peaks["this"] >= 64
    del held


def test_the_table_shows_latency_cpu_and_both_hop_ratios() -> None:
    results = {
        "date": "2026-11-30T00:00:00+00:00",
        "machine": {"cpus": 2, "note": "test"},
        "parameters": {"rate": 100.0},
        "flows": {
            "offered": 2500,
            "offered_per_s": 99.5,
            "completed": 2500,
            "http_errors": 0,
            "missing_webhooks": 0,
            "duplicate_webhooks": 0,
            "sustained_flows_per_s": 98.0,
            "e2e_ms": {"p50": 40.0, "p95": 120.0, "p99": 240.0},
        },
        "cpu_ms_per_flow": {"monitoring": 4.0, "total": 4.0},
        "raw": {
            "records": 20000,
            "mean_record_bytes": 968.0,
            "produce_per_s": 10000.0,
            "consume_per_s": 100000.0,
            "produce_and_consume_per_s": 10000.0,
        },
        "hops": [
            {
                "topic": "taskforce.monitoring.v1",
                "service": "programmes",
                "records": 2000,
                "records_per_s": 5000.0,
                "ratio_to_raw_consume": 0.05,
                "ratio_to_raw_produce_and_consume": 0.5,
            }
        ],
    }
    text = table(results)
    assert "end-to-end (accepted -> webhook) p99" in text and "240.0 ms" in text
    assert "CPU per completed flow: monitoring" in text
    assert "0.050" in text and "0.500" in text
