"""A small HTTP/1.1 client for the load generators: one keep-alive connection per simulated person.

A person's browser or app keeps one connection to the service and sends one request at a time on it; so does
this client. It does what the load needs and no more (JSON bodies, Content-Length or chunked responses,
reconnecting when the server closes), so that the load generator, which runs on the same cores as the
server, spends its CPU on sending requests rather than on a general client's connection pool: with 50
connections in one pool, httpx (httpcore) scans the pool on every request and used about as much CPU as the
server it measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any


class HTTPError(Exception):
    """The request failed: no connection, a broken or malformed response, or no response in time."""


class Response:
    __slots__ = ("content", "status_code")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Connection:
    """One connection to `host:port`, opened on first use and again after the server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: Any) -> Response:
        return await self.request("POST", path, json.dumps(body).encode())

    async def request(self, method: str, path: str, payload: bytes = b"") -> Response:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(method, path, payload)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as error:
            await self.close()
            raise HTTPError(type(error).__name__) from None

    async def _exchange(self, method: str, path: str, payload: bytes) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self._writer.write(head.encode("latin-1") + payload)
        lines = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, content)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        chunks = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # no trailers are sent by the server
                return b"".join(chunks)
            chunks.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
