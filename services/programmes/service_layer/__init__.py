"""What the service does, one async function per use case, inside one unit of work.

Each use case takes its command (``commands.py``, or a domain value), the unit
of work and the context: it loads what it needs through ``storage``, asks the
domain whether the change is allowed, stores it and emits the events it
implies, all in the caller's transaction, an HTTP request or a Kafka record. A
refusal (``shared.errors``) raised on the way rolls everything back, events
included.
"""
