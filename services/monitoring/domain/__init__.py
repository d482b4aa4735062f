"""Monitoring's domain: plans, the values results may take, and the adaptive-management rules."""
