"""What the service does, step by step, inside one unit of work.

Each command loads what it needs, asks the domain whether the change is
allowed, stores it and emits the events it implies, all in the caller's
transaction: an HTTP request or a Kafka record. A domain error raised on the
way rolls everything back, events included.
"""
