"""``make bench``: the platform's throughput and latency against a raw Kafka baseline.

See ``bench/run.py`` and the README's Benchmark section.
"""
