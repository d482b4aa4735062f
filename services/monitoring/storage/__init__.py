"""Monitoring's database: the programmes read model, plans, evidence and flags."""
