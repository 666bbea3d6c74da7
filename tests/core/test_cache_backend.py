"""core.cache.RedisCache: Django's Redis cache with one client object per process."""
import threading
import uuid

import pytest

from core.cache import RedisCache


@pytest.fixture
def redis_cache():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"meldcode-test-{uuid.uuid4().hex}"
    cache = RedisCache("redis://127.0.0.1:6379/1", {"KEY_PREFIX": prefix})
    yield cache
    # Only this test's keys: ``clear()`` would empty the whole database under other tests
    # running at the same time (pytest -n).
    client = redis.Redis(host="127.0.0.1", port=6379, db=1)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    cache.close()


def test_one_client_object_serves_every_call(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client() is client
    assert redis_cache._cache.get_client("k", write=False) is client


def test_it_behaves_as_djangos_backend(redis_cache):
    redis_cache.set("a", {"x": 1}, 30)
    redis_cache.set_many({"b": "twee", "c": 3}, 30)
    assert redis_cache.get("a") == {"x": 1}
    assert redis_cache.get_many(["a", "b", "c", "d"]) == {"a": {"x": 1}, "b": "twee", "c": 3}
    assert redis_cache.incr("c") == 4
    assert redis_cache.add("a", "other") is False
    redis_cache.delete("a")
    assert redis_cache.get("a") is None


def test_threads_share_the_client_safely(redis_cache):
    errors = []

    def work(n):
        try:
            for i in range(50):
                redis_cache.set(f"t{n}-{i}", i, 30)
                assert redis_cache.get(f"t{n}-{i}") == i
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
