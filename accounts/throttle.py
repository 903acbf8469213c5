"""Counting requests per key in fixed windows, in the shared cache: the survey pages' limits
and the password-reset limits per client address and per e-mail use it."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def rate_limit_hit(*, key: str, limit: int, window_seconds: int) -> bool:
    """Count one request against ``key`` in the current fixed window; True once there were more
    than ``limit``. Uses the shared cache so every web process sees the same count."""
    bucket = f"surveys:rate:{key}:{int(time.time() // window_seconds)}"
    try:
        cache.add(bucket, 0, timeout=window_seconds)
        try:
            count = cache.incr(bucket)
        except ValueError:  # evicted between add and incr
            cache.set(bucket, 1, timeout=window_seconds)
            count = 1
    except Exception:
        # The cache (Redis) is down: people must still be able to use the site, so the limit
        # is not enforced until it is back.
        logger.warning("Rate limit not enforced for %s: the cache is unreachable.", key)
        return False
    return count > limit
