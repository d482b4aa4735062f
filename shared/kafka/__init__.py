"""Kafka wiring: topic provisioning, the idempotent producer, the dead-letter path."""
