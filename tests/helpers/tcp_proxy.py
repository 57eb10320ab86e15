"""A TCP proxy a test can freeze, stop and resume, to put a database behind a bad network.

* ``running``: bytes flow both ways.
* ``frozen`` (a black hole): new connections are accepted and bytes are read, but nothing
  is forwarded either way, as when the database host hangs or a firewall drops packets.
  Bytes read while frozen are held and delivered on resume, so a connection that
  survives a freeze is intact afterwards.
* ``stopped``: new connections are refused and open ones are closed, as when the
  database process is down.

It runs on its own thread with its own asyncio loop, so the code under test can block.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

State = Literal["running", "frozen", "stopped"]
CHUNK = 65_536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._state: State = "running"
        self._flowing: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                         name="tcp-proxy")

    @property
    def state(self) -> State:
        return self._state

    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def freeze(self) -> None:
        self._call(self._set("frozen"))

    def resume(self) -> None:
        self._call(self._set("running"))

    def stop(self) -> None:
        """Refuse new connections and cut the open ones (a stopped database)."""
        self._call(self._set("stopped"))

    def close(self) -> None:
        self.stop()
        self._call(self._cancel_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _cancel_all(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _call(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set(self, state: State) -> None:
        assert self._flowing is not None
        previous, self._state = self._state, state
        if state == "running":
            self._flowing.set()
            if previous == "stopped":
                await self._listen_again()
            return
        self._flowing.clear()
        if state == "stopped":
            if self._server is not None:
                self._server.close()
                self._server = None
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()

    async def _listen_again(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        await self._flowing.wait()  # frozen: accepted, then nothing happens
        if self._state == "stopped":
            client_w.transport.abort()
            return
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        self._writers |= {client_w, server_w}
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w),
                             return_exceptions=True)
        for writer in (client_w, server_w):
            self._writers.discard(writer)
            writer.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            await self._flowing.wait()
            if self._state == "stopped":
                break
            writer.write(data)
            await writer.drain()
        writer.transport.abort()


@contextmanager
def tcp_proxy(host: str, port: int) -> Iterator[TcpProxy]:
    proxy = TcpProxy(host, port).start()
    try:
        yield proxy
    finally:
        proxy.close()
