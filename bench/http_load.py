"""An open-loop HTTP/1.1 load generator on raw asyncio sockets (for bench_http.py).

Open loop: request i is due at ``start + i / rate`` whatever happened to the ones
before, and its latency counts from that due time, not from when it was actually
written. A server that stalls therefore pays for every request that queued behind the
stall (no coordinated omission: a closed-loop client such as Debian's ``wrk`` would
simply send less while the server stalls, and report only the fast answers). Requests
go over a pool of keep-alive connections; a request due while every connection is busy
opens another (up to ``max_connections``), else waits for one, its wait counted.

The closed loop (:func:`saturate`) is for the most a server can do: ``connections``
clients each send the next request as soon as the last is answered.

Kept small on purpose: a request is pre-built bytes, a response is read by its
``Content-Length``; anything else is counted as an error.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

TIMEOUT_SECONDS = 10.0


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    late_sends: int = 0  # requests the generator itself wrote over 1 ms after their due time

    @property
    def done(self) -> int:
        return len(self.latencies_ms)

    def quantile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


def build_request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


class _Pool:
    def __init__(self, host: str, port: int, max_connections: int) -> None:
        self.host, self.port, self.max = host, port, max_connections
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.opened = 0

    async def warm(self, n: int) -> None:
        for _ in range(n):
            self.idle.put_nowait(await asyncio.open_connection(self.host, self.port))
            self.opened += 1

    async def get(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if not self.idle.empty() or self.opened >= self.max:
            return await self.idle.get()
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait()[1].close()


async def _one(pool: _Pool, request: bytes, due: float, result: Result) -> None:
    """One request; not answered within TIMEOUT_SECONDS of its due time, it is an error
    (waiting for a free connection counts)."""
    loop = asyncio.get_running_loop()
    try:
        reader, writer = await asyncio.wait_for(pool.get(), due + TIMEOUT_SECONDS - loop.time())
    except (OSError, TimeoutError):
        result.errors += 1
        return
    try:
        status = await asyncio.wait_for(_exchange(reader, writer, request),
                                        max(due + TIMEOUT_SECONDS - loop.time(), 0.001))
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
            ValueError):
        result.errors += 1
        writer.close()
        pool.opened -= 1  # a broken connection is dropped, the next request opens one
        return
    result.latencies_ms.append((loop.time() - due) * 1000)
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if status != 200:
        result.errors += 1
    pool.idle.put_nowait((reader, writer))


async def open_loop(
    host: str, port: int, requests: Sequence[bytes], rate: float, *,
    max_connections: int = 512, warm_connections: int = 16,
) -> Result:
    """Send ``requests`` at ``rate`` per second on schedule; latency from each due time."""
    loop = asyncio.get_running_loop()
    pool = _Pool(host, port, max_connections)
    await pool.warm(warm_connections)
    result = Result()
    tasks = []
    start = loop.time() + 0.01
    for i, request in enumerate(requests):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.001:
            result.late_sends += 1
        tasks.append(asyncio.create_task(_one(pool, request, due, result)))
    await asyncio.gather(*tasks)
    result.seconds = loop.time() - start
    pool.close()
    return result


async def saturate(
    host: str, port: int, requests: Sequence[bytes], *, connections: int = 64,
    seconds: float | None = None,
) -> Result:
    """Closed loop: ``connections`` clients, each sending its next request on an answer,
    until the requests run out or ``seconds`` have passed."""
    loop = asyncio.get_running_loop()
    pool = _Pool(host, port, connections)
    await pool.warm(connections)
    result = Result()
    queue = iter(requests)
    stop = loop.time() + seconds if seconds is not None else float("inf")

    async def client() -> None:
        for request in queue:
            if loop.time() >= stop:
                return
            await _one(pool, request, loop.time(), result)

    start = loop.time()
    await asyncio.gather(*(client() for _ in range(connections)))
    result.seconds = loop.time() - start
    pool.close()
    return result
