"""Monitoring's HTTP API: results, evaluations, incidents, flags, overviews and the rules."""
