"""The countries service's domain: profiles, focus designations, partnerships, do-no-harm risk.

Pure model and rules, no I/O: everything here can be checked in a unit test
without a database, a broker or a clock (functions that depend on "today"
take it as an argument).
"""
