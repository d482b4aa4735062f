"""The notifications domain, with no I/O: subscriptions and their sinks, routing, deliveries and
the retry schedule, inbox entries, URL safety, signing, and who may manage what."""
