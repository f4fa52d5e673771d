"""HTTP checks of hosted websites: the monitor's only contact with the outside world.

A site is up when it answers with a status below 400 (after redirects) within the
timeout. Checks run concurrently with a bound on open connections, so a round over many
sites takes about as long as the slowest few.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_CONCURRENCY = 20
USER_AGENT = "Backhaul uptime monitor"


@dataclass(frozen=True)
class CheckResult:
    url: str
    up: bool
    status_code: int | None
    error: str
    elapsed_ms: int


async def _check(client: httpx.AsyncClient, url: str, limit: asyncio.Semaphore) -> CheckResult:
    async with limit:
        started = time.perf_counter()
        try:
            response = await client.get(url)
        except httpx.HTTPError as exc:
            elapsed = int((time.perf_counter() - started) * 1000)
            message = str(exc) or type(exc).__name__
            return CheckResult(url, False, None, f"{type(exc).__name__}: {message}"[:300], elapsed)
        elapsed = int((time.perf_counter() - started) * 1000)
        up = response.status_code < 400
        error = "" if up else f"HTTP {response.status_code}"
        return CheckResult(url, up, response.status_code, error, elapsed)


async def _check_all(
    urls: Sequence[str],
    *,
    timeout: float,
    concurrency: int,
    on_done: Callable[[CheckResult], None] | None,
) -> list[CheckResult]:
    limit = asyncio.Semaphore(max(1, concurrency))
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
    ) as client:
        tasks = [asyncio.ensure_future(_check(client, url, limit)) for url in urls]
        if on_done is not None:
            for task in tasks:
                task.add_done_callback(lambda t: on_done(t.result()))
        return list(await asyncio.gather(*tasks))


def check_urls(
    urls: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Check each URL once; results in the order of ``urls``."""
    if not urls:
        return []
    return asyncio.run(_check_all(urls, timeout=timeout, concurrency=concurrency, on_done=on_done))
