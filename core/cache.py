"""The shared cache backend: Django's Redis cache, with one Redis client per process.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object (its tables of
response callbacks and all) for every cache call, about 0.1 ms of CPU each; a signed-in page
makes two or three calls. The object is thread-safe and only wraps the connection pool (which
redis-py resets in a forked child), so one per pool serves the whole process.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(index))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
