"""The callers of bearer tokens verified before, remembered for a while per process.

A client reuses its token for every request; checking its signature again each time
costs CPU for nothing. Revocation is checked on top of this cache (see
:class:`shared.http.auth.TokenVerifier`), never inside it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import timedelta
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from shared.http.auth import Caller

#: Clock skew tolerated between issuer and verifier.
LEEWAY: Final = timedelta(seconds=30)
#: Verified tokens remembered per process (a client reuses its token for every request).
VERIFIED_CACHE_SIZE: Final = 1024
#: How long a verified token is remembered at most; the JWKS client keeps keys as long, so
#: a key the issuer withdraws stops counting no later than it did without this cache.
VERIFIED_CACHE_TTL: Final = timedelta(minutes=5)


class VerifiedTokens:
    """The callers of tokens verified before, each until its token expires (bounded, LRU).

    Only accepted tokens are kept, keyed by the whole token, so a token differing in
    any byte is verified afresh. Once accepted, a token stays valid until ``exp``
    plus the leeway (``iat``/``nbf`` only get further in the past); the entry is
    dropped then, or after :data:`VERIFIED_CACHE_TTL`, whichever comes first.
    Verification may run in worker threads, hence the lock.
    """

    def __init__(self, size: int = VERIFIED_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Caller, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> Caller | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if time.time() >= entry[1]:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return entry[0]

    def put(self, token: str, caller: Caller, expires: float) -> None:
        until = min(
            expires + LEEWAY.total_seconds(), time.time() + VERIFIED_CACHE_TTL.total_seconds()
        )
        with self._lock:
            self._entries[token] = (caller, until)
            self._entries.move_to_end(token)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
