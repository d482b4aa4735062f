"""The countries service's use cases: one async function each, in the order a change goes.

A write is ``verb_noun(command, uow, ctx)``: it loads through ``storage``, asks
``domain`` whether the change may be made (a refusal is a ``shared.errors``
exception, which rolls the unit of work back: no state, no event), stores the
result and emits what ``events`` builds. A read takes the command and a
session (no write lock is taken for it) and answers domain objects.
"""
