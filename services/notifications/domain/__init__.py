"""The notifications domain: routing, URL safety, signing and the retry schedule (no I/O)."""
