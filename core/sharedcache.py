"""Per-user facts kept in the shared cache across requests, dropped at once when they change.

Used for what every signed-in request otherwise reads from the database: a user's roles
(``schools.access``), whether the session's 2FA device still exists and is confirmed
(``core.middleware.CachedOTPMiddleware``) and the unread-notification count. Some of these
grant access, so a change made in any process must end the cached value at the next request
of every process. Hence:

* Only with a cache all processes share (``MELDCODE_SHARED_CACHE``: the default cache is
  not the per-process memory cache, i.e. Redis through ``REDIS_CACHE_URL``). With the memory
  cache nothing is cached here and every request reads the database, as before.
* Each entry carries the token of its key's generation. ``invalidate`` replaces the token
  (right away and again after the transaction commits; outside a transaction once, the rows
  being committed already), so a value computed from rows read
  before a concurrent change was committed is never served after that change: it was stored
  under the old token, or computed after the new token, thus after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


_PREFETCHED = "_meldcode_prefetched"
# What ``prefetch_for_user`` fetches in one round trip: names of per-user entries (keyed on
# the user's id) and plain cache keys. Registered by the modules that own them.
PER_USER: set[str] = set()
PLAIN_KEYS: set[str] = set()


def enabled() -> bool:
    return bool(getattr(settings, "MELDCODE_SHARED_CACHE", False))


def prefetch_for_user(user, entries=()) -> None:
    """Fetch the user's registered entries (and ``entries``: (name, ident) pairs) in one
    round trip, kept on ``user`` (a request's user object) for ``get_or_compute``/``get``.

    Each prefetched key serves once; later reads go to the cache. The values are those of
    the request's start, as a read at that moment would give.
    """
    if not enabled():
        return
    pairs = [(name, user.pk) for name in sorted(PER_USER)] + list(entries)
    keys = [key for name, ident in pairs for key in _keys(name, ident)] + sorted(PLAIN_KEYS)
    found = cache.get_many(keys)
    setattr(user, _PREFETCHED, {key: found.get(key) for key in keys})


def _take(holder, key):
    store = getattr(holder, _PREFETCHED, None) if holder is not None else None
    if store is None or key not in store:
        return False, None
    return True, store.pop(key)


def get(key, holder=None):
    """``cache.get(key)``, from ``holder``'s prefetch when there is one."""
    hit, value = _take(holder, key)
    return value if hit else cache.get(key)


def _keys(name: str, ident) -> tuple[str, str]:
    return f"meldcode:{name}:token:{ident}", f"meldcode:{name}:value:{ident}"


def get_or_compute(name: str, ident, compute: Callable[[], Any], ttl: int,
                   valid: Callable[[Any], bool] = lambda value: True, holder=None) -> Any:
    """``compute()``, from the cache while no ``invalidate(name, ident)`` came in between.

    ``valid`` may refuse a cached value (for instance one computed on another day);
    ``holder`` is the user object ``prefetch_for_user`` may have filled.
    Without a shared cache: always ``compute()``.
    """
    if not enabled():
        return compute()
    token_key, value_key = _keys(name, ident)
    hit_token, token = _take(holder, token_key)
    hit_value, entry = _take(holder, value_key)
    if not (hit_token and hit_value):
        found = cache.get_many([token_key, value_key])
        token, entry = found.get(token_key), found.get(value_key)
    if token is None:
        cache.add(token_key, uuid.uuid4().hex, None)
        token = cache.get(token_key)
        if token is None:  # the cache keeps nothing: do not cache either
            return compute()
    if entry is not None and entry[0] == token and valid(entry[1]):
        return entry[1]
    value = compute()
    cache.set(value_key, (token, value), ttl)
    return value


def invalidate(name: str, ident) -> None:
    """End the cached value of ``name``/``ident`` in every process (no-op without a shared
    cache). Call it from the code that changes the underlying rows, inside or outside a
    transaction."""
    invalidate_many(name, (ident,))


def invalidate_many(name: str, idents) -> None:
    """``invalidate(name, ident)`` for each of ``idents``, in one round trip to the cache (and
    one more after the commit)."""
    if not enabled():
        return
    token_keys = sorted({_keys(name, ident)[0] for ident in idents})
    if not token_keys:
        return

    def renew():
        cache.set_many({key: uuid.uuid4().hex for key in token_keys}, None)

    if transaction.get_connection().in_atomic_block:
        renew()
    # (Again) after the commit: a request that read the old rows in between stored its value
    # under the token set just now. Outside a transaction the rows are committed already and
    # ``on_commit`` renews at once: once is enough.
    transaction.on_commit(renew)
