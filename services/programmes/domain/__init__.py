"""The programme registry's rules, free of I/O.

Everything here works on plain values so the rules can be tested on their own
and applied the same way from an HTTP request or a Kafka handler: the lifecycle
state machine, the ODA rule, budgets and the taskforce frame in exact decimals,
the results framework, and adaptive-management reviews.
"""
