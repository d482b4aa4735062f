"""One async function per use case: load through storage, ask the domain, store, emit."""
