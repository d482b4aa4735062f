"""The notifications use cases: one function each, called by a route, a handler or the worker."""
