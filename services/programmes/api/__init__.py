"""The programmes service's HTTP API (NL API Design Rules), one router per resource family."""
