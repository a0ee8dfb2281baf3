"""WebSocket client (asyncio, the `websockets` package): requests with replies, login, and a local
order book kept correct by the book's sequence numbers and checksums (docs/websocket.md)."""
from __future__ import annotations

import asyncio
import itertools
import json
import zlib
from decimal import Decimal
from typing import Any

import websockets

from .errors import ApiError
from .signing import Signer, TimestampSource, ws_login_canonical_string

Level = tuple[str, str]


def book_checksum(bids: list[Level], asks: list[Level]) -> int:
    """CRC-32 of "p:q,p:q|p:q,...", each side best first, prices and quantities as received."""
    text = ",".join(f"{p}:{q}" for p, q in bids) + "|" + ",".join(f"{p}:{q}" for p, q in asks)
    return zlib.crc32(text.encode())


class BookChecksumError(Exception):
    """The local copy no longer matches the server's: resubscribe for a fresh snapshot."""


class LocalOrderBook:
    """One instrument's top levels, rebuilt from `book.snapshot` and kept by `book.update`."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.book_seq = -1
        self._bids: dict[str, str] = {}
        self._asks: dict[str, str] = {}
        self.updates = 0

    @property
    def bids(self) -> list[Level]:
        return sorted(self._bids.items(), key=lambda lv: Decimal(lv[0]), reverse=True)

    @property
    def asks(self) -> list[Level]:
        return sorted(self._asks.items(), key=lambda lv: Decimal(lv[0]))

    def apply_snapshot(self, frame: dict[str, Any]) -> None:
        self._bids = {p: q for p, q in frame["bids"]}
        self._asks = {p: q for p, q in frame["asks"]}
        self.book_seq = frame["bookSeq"]
        self._verify(frame)

    def apply_update(self, frame: dict[str, Any]) -> None:
        """Raises BookChecksumError on a sequence gap or a checksum mismatch (the copy is then stale)."""
        if frame["prevBookSeq"] != self.book_seq:
            raise BookChecksumError(f"{self.symbol}: update follows bookSeq {frame['prevBookSeq']}, we hold {self.book_seq}")
        for side, levels in ((self._bids, frame["bids"]), (self._asks, frame["asks"])):
            for price, quantity in levels:
                if Decimal(quantity) == 0:
                    side.pop(price, None)
                else:
                    side[price] = quantity
        self.book_seq = frame["bookSeq"]
        self.updates += 1
        self._verify(frame)

    def _verify(self, frame: dict[str, Any]) -> None:
        if "checksum" in frame and book_checksum(self.bids, self.asks) != frame["checksum"]:
            raise BookChecksumError(f"{self.symbol}: checksum mismatch at bookSeq {self.book_seq}")


class WsClient:
    """A connection to /v1/ws. `async with WsClient(url, signer) as ws:` connects (and logs in with a signer)."""

    def __init__(self, url: str = "ws://127.0.0.1:8080/v1/ws", signer: Signer | None = None) -> None:
        self.url = url
        self.signer = signer
        self.clock = TimestampSource()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._books: dict[str, LocalOrderBook] = {}
        self._book_args: dict[str, dict[str, Any]] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._conn: Any = None
        self._reader: asyncio.Task[None] | None = None
        self.resyncs = 0

    async def __aenter__(self) -> "WsClient":
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def connect(self) -> None:
        self._conn = await websockets.connect(self.url)
        self._reader = asyncio.create_task(self._read())
        if self.signer is not None:
            ts = self.clock.now()
            await self.request("login", {"keyId": self.signer.key_id, "timestamp": ts, "signature": self.signer.sign(ws_login_canonical_string(ts))})

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def request(self, op: str, args: dict[str, Any] | None = None, timeout: float = 10.0) -> Any:
        """Sends one request and returns its reply's `result`; an error frame raises ApiError."""
        rid = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        await self._conn.send(json.dumps({"id": rid, "op": op, **({"args": args} if args is not None else {})}))
        frame = await asyncio.wait_for(future, timeout)
        if frame["type"] == "error":
            raise ApiError(frame.get("status", 400), {"code": frame.get("code"), "detail": frame.get("message", ""), **frame})
        return frame.get("result")

    async def book(self, symbol: str, depth: int = 10) -> LocalOrderBook:
        """Subscribes to `symbol`'s book; the returned copy stays current (resynced on any mismatch)."""
        book = self._books[symbol] = LocalOrderBook(symbol)
        self._book_args[symbol] = {"channel": "book", "symbol": symbol, "depth": depth}
        await self.request("subscribe", self._book_args[symbol])
        return book

    async def next_event(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame that is not a reply or a book frame (trades, tickers, private updates)."""
        return await asyncio.wait_for(self._events.get(), timeout)

    async def _read(self) -> None:
        async for raw in self._conn:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind in ("reply", "error") and frame.get("id") in self._pending:
                future = self._pending.pop(frame["id"])
                if not future.done():
                    future.set_result(frame)
            elif kind in ("book.snapshot", "book.update") and frame.get("symbol") in self._books:
                await self._on_book(frame)
            else:
                self._events.put_nowait(frame)

    async def _on_book(self, frame: dict[str, Any]) -> None:
        book = self._books[frame["symbol"]]
        try:
            if frame["type"] == "book.snapshot":
                book.apply_snapshot(frame)
            elif book.book_seq >= 0:
                book.apply_update(frame)
        except BookChecksumError:
            # Resubscribe: the reply is followed by a fresh snapshot. Not awaited here, so the
            # reader keeps reading (the reply arrives through it).
            self.resyncs += 1
            book.book_seq = -1
            args = self._book_args[frame["symbol"]]
            asyncio.ensure_future(self._resubscribe(args))

    async def _resubscribe(self, args: dict[str, Any]) -> None:
        await self.request("unsubscribe", args)
        await self.request("subscribe", args)
