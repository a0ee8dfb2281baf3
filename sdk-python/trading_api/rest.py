"""Signed REST over the standard library (urllib): retries, clock calibration, pagination, and
recovery of an order placement whose response was lost (the status-unknown case)."""
from __future__ import annotations

import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import ApiError, StatusUnknownError
from .signing import Signer, TimestampSource, rest_canonical_string

JSON = dict[str, Any]

# Refusals documented as changing nothing: safe to repeat whatever the request.
NOTHING_CHANGED = {"RATE_LIMITED", "AUTH_UNAVAILABLE", "JOURNAL_UNAVAILABLE"}


@dataclass
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.2
    max_delay: float = 5.0
    """A server's Retry-After longer than this is raised to the caller instead of waited out."""
    max_retry_after: float = 10.0


class _NoResponse(Exception):
    """The request may or may not have reached the server."""


class RestClient:
    def __init__(self, base_url: str = "http://127.0.0.1:8080", signer: Signer | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.clock = TimestampSource()

    # -- transport ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: bytes, signed: bool, headers: Mapping[str, str]) -> tuple[int, dict[str, str], Any]:
        h = {"Accept": "application/json", **headers}
        if body:
            h["Content-Type"] = "application/json"
        if signed:
            if self.signer is None:
                raise ValueError("this operation needs credentials: RestClient(signer=HmacSigner(key_id, secret))")
            ts = self.clock.now()
            h.update({"X-API-Key": self.signer.key_id, "X-API-Timestamp": str(ts),
                      "X-API-Signature": self.signer.sign(rest_canonical_string(ts, method, path, body))})
        req = urllib.request.Request(self.base_url + path, data=body or None, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                raw = res.read()
                return res.status, dict(res.headers.items()), json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                parsed = json.loads(raw) if raw else {}
            except ValueError:
                parsed = {"detail": raw.decode(errors="replace")}
            return err.code, dict(err.headers.items()), parsed
        except (urllib.error.URLError, socket.timeout, ConnectionError, TimeoutError) as err:
            raise _NoResponse(str(err)) from err

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                signed: bool = False, idempotent: bool | None = None, headers: Mapping[str, str] | None = None) -> Any:
        """One operation: retried on documented no-change refusals, and on lost responses when idempotent."""
        if query:
            path += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        if idempotent is None:
            idempotent = method in ("GET", "PUT", "DELETE")
        recalibrated = False
        for attempt in range(self.retry.max_retries + 1):
            last = attempt == self.retry.max_retries
            try:
                status, res_headers, payload = self._send(method, path, data, signed, headers or {})
            except _NoResponse:
                if idempotent and not last:
                    time.sleep(self._backoff(attempt))
                    continue
                raise
            if status < 400:
                return payload
            retry_after = _retry_after(res_headers)
            err = ApiError(status, payload if isinstance(payload, dict) else {}, res_headers.get("X-Request-Id"), retry_after)
            if err.code == "AUTH_TIMESTAMP_OUT_OF_WINDOW" and not recalibrated and signed:
                recalibrated = True
                self.calibrate_clock()
                continue
            retryable = err.code in NOTHING_CHANGED or (idempotent and status >= 500)
            if not retryable or last or (retry_after is not None and retry_after > self.retry.max_retry_after):
                raise err
            time.sleep(retry_after if retry_after is not None else self._backoff(attempt))
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.retry.max_delay, self.retry.base_delay * 2 ** attempt))

    def calibrate_clock(self, samples: int = 3) -> int:
        """Measures the offset to the server clock (GET /v1/time), keeping the quickest round trip."""
        best: tuple[float, int] | None = None
        for _ in range(samples):
            sent = time.time_ns() / 1e6
            server = self.request("GET", "/v1/time")["serverTime"]
            received = time.time_ns() / 1e6
            rtt = received - sent
            if best is None or rtt < best[0]:
                best = (rtt, round(server - (sent + received) / 2))
        assert best is not None
        self.clock.offset_ms = best[1]
        return best[1]

    # -- pagination ----------------------------------------------------------------------------

    def paginate(self, path: str, query: Mapping[str, Any] | None = None, signed: bool = False) -> Iterator[JSON]:
        """Every item of a cursor-paginated list, fetching the next page as the last one runs out."""
        params = dict(query or {})
        while True:
            page = self.request("GET", path, query=params, signed=signed)
            yield from page["data"]
            if not page.get("nextCursor"):
                return
            params["cursor"] = page["nextCursor"]

    # -- operations ----------------------------------------------------------------------------

    def server_time(self) -> JSON:
        return self.request("GET", "/v1/time")

    def status(self) -> JSON:
        return self.request("GET", "/v1/status")

    def instruments(self) -> Iterator[JSON]:
        return self.paginate("/v1/instruments")

    def order_book(self, symbol: str, depth: int | None = None) -> JSON:
        return self.request("GET", f"/v1/instruments/{symbol}/book", query={"depth": depth})

    def trades(self, symbol: str, limit: int | None = None) -> JSON:
        return self.request("GET", f"/v1/instruments/{symbol}/trades", query={"limit": limit})

    def balances(self) -> list[JSON]:
        return self.request("GET", "/v1/balances", signed=True)["data"]

    def account(self) -> JSON:
        return self.request("GET", "/v1/account", signed=True)

    def place_order(self, order: Mapping[str, Any]) -> JSON:
        """POST /v1/orders. With a `clientOrderId` the placement is safe to repeat: when the response
        is lost, the order is looked up by that id (it was placed: its state is returned) and re-sent
        only if it does not exist; without one, a lost response raises StatusUnknownError."""
        client_id = order.get("clientOrderId")
        try:
            return self.request("POST", "/v1/orders", body=dict(order), signed=True, idempotent=False)
        except _NoResponse as lost:
            if client_id is None:
                raise StatusUnknownError("no response to an order without clientOrderId: its outcome is unknown") from lost
            return self._recover_placement(order, str(client_id), lost)

    def _recover_placement(self, order: Mapping[str, Any], client_id: str, cause: Exception) -> JSON:
        for attempt in range(self.retry.max_retries + 1):
            try:
                found = self.request("GET", f"/v1/orders/by-client-id/{urllib.parse.quote(client_id, safe='')}", signed=True)
                return {"order": found, "fills": [], "recovered": True}
            except ApiError as err:
                if err.code != "ORDER_NOT_FOUND":
                    raise
            except _NoResponse:
                time.sleep(self._backoff(attempt))
                continue
            # Not there: the first attempt never arrived. The same clientOrderId and body make a
            # repeat idempotent should that one arrive after all.
            try:
                return self.request("POST", "/v1/orders", body=dict(order), signed=True, idempotent=False)
            except _NoResponse:
                time.sleep(self._backoff(attempt))
        raise StatusUnknownError(f"order {client_id}: no answer, and it could not be looked up") from cause

    def get_order(self, order_id: str) -> JSON:
        return self.request("GET", f"/v1/orders/{order_id}", signed=True)

    def get_order_by_client_id(self, client_order_id: str) -> JSON:
        return self.request("GET", f"/v1/orders/by-client-id/{urllib.parse.quote(client_order_id, safe='')}", signed=True)

    def cancel_order(self, order_id: str) -> JSON:
        return self.request("DELETE", f"/v1/orders/{order_id}", signed=True)

    def cancel_all(self, symbol: str | None = None) -> JSON:
        return self.request("DELETE", "/v1/orders", query={"symbol": symbol}, signed=True)

    def open_orders(self, symbol: str | None = None, limit: int | None = None, cursor: str | None = None) -> JSON:
        """One page of live orders, oldest first (at most `limit`; the server caps it at 1,000).
        `nextCursor` names the next page; `iter_open_orders` walks them all."""
        return self.request("GET", "/v1/orders/open", query={"symbol": symbol, "limit": limit, "cursor": cursor}, signed=True)

    def iter_open_orders(self, **query: Any) -> Iterator[JSON]:
        """Every live order (of `symbol=...`), page by page by cursor."""
        return self.paginate("/v1/orders/open", query, signed=True)

    def orders(self, **query: Any) -> Iterator[JSON]:
        return self.paginate("/v1/orders", query, signed=True)

    def fills(self, **query: Any) -> Iterator[JSON]:
        return self.paginate("/v1/fills", query, signed=True)

    # -- OTC request for quote -------------------------------------------------------------------

    def request_quote(self, rfq: Mapping[str, Any]) -> JSON:
        """POST /v1/rfq: a firm quote for `symbol`, `side` (buy, sell, two_way) and `quantity` (or,
        for a buy, `quoteQuantity`), holding until its `validUntil`. Not repeated after a lost response."""
        return self.request("POST", "/v1/rfq", body=dict(rfq), signed=True, idempotent=False)

    def get_quote(self, quote_id: str) -> JSON:
        return self.request("GET", f"/v1/rfq/{quote_id}", signed=True)

    def accept_quote(self, quote_id: str, side: str, client_order_id: str | None = None, **extra: Any) -> JSON:
        """Takes the quote on `side` at exactly its price and size. With a `client_order_id` the accept
        is repeated after a lost response (the server answers a repeat with the first result)."""
        body = {"side": side, **extra}
        if client_order_id is not None:
            body["clientOrderId"] = client_order_id
        return self.request("POST", f"/v1/rfq/{quote_id}/accept", body=body, signed=True, idempotent=client_order_id is not None)

    def decline_quote(self, quote_id: str) -> JSON:
        return self.request("POST", f"/v1/rfq/{quote_id}/decline", signed=True, idempotent=False)

    def quotes(self, **query: Any) -> Iterator[JSON]:
        """Every quote of the account, newest first."""
        return self.paginate("/v1/rfq", query, signed=True)

    def quote_trades(self, **query: Any) -> Iterator[JSON]:
        """Every quote trade of the account (fills with venue `rfq`)."""
        return self.paginate("/v1/rfq-trades", query, signed=True)

    def request_and_accept(self, symbol: str, side: str, limit_price: str, quantity: str | None = None,
                           quote_quantity: str | None = None, client_order_id: str | None = None) -> JSON:
        """Requests a one-way quote and accepts it only at `limit_price` or better (a buy's ask at most
        the limit, a sell's bid at least the limit); otherwise declines it. Returns
        `{"accepted": True, "quote": ..., "result": ...}` or `{"accepted": False, "quote": ...}`."""
        if side not in ("buy", "sell"):
            raise ValueError("side must be buy or sell")
        limit = Decimal(limit_price)
        rfq: JSON = {"symbol": symbol, "side": side}
        if quantity is not None:
            rfq["quantity"] = quantity
        if quote_quantity is not None:
            rfq["quoteQuantity"] = quote_quantity
        quote = self.request_quote(rfq)
        price = quote.get("askPrice" if side == "buy" else "bidPrice")
        within = price is not None and (Decimal(price) <= limit if side == "buy" else Decimal(price) >= limit)
        if not within:
            return {"accepted": False, "quote": self.decline_quote(quote["quoteId"])}
        result = self.accept_quote(quote["quoteId"], side, client_order_id or f"rfq-{uuid.uuid4().hex}")
        return {"accepted": True, "quote": result["quote"], "result": result}


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
