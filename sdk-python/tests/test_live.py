"""Against a live demo market: signed REST, pagination, retries and the status-unknown recovery,
Ed25519 keys, and a WebSocket local book that stays checksum-verified while the market moves."""
from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import trading_api.rest as rest_module
from trading_api import ApiError, Ed25519Signer, RestClient, StatusUnknownError, WsClient


def best_bid(rest: RestClient, symbol: str = "BTC-USD") -> str:
    deadline = time.monotonic() + 60  # a bound for a bot that never quotes, not a measure of speed
    while time.monotonic() < deadline:
        book = rest.order_book(symbol, 1)
        if book["bids"]:
            return book["bids"][0]["price"]
        time.sleep(0.1)
    pytest.fail(f"the demo market maker never quoted {symbol}")


def test_public_and_signed_reads(rest: RestClient):
    assert rest.status()["status"] == "normal"
    symbols = [i["symbol"] for i in rest.instruments()]
    assert {"BTC-USD", "ETH-USD", "ETH-BTC"} <= set(symbols)
    assert any(b["asset"] == "USD" for b in rest.balances())
    offset = rest.calibrate_clock()
    assert abs(offset) < 5000


def test_place_cancel_and_refusals_carry_the_code(rest: RestClient):
    bid = best_bid(rest)
    cid = f"py-{time.time_ns()}"
    placed = rest.place_order({"symbol": "BTC-USD", "side": "buy", "type": "limit", "price": bid, "quantity": "0.001",
                               "timeInForce": "GTC", "postOnly": True, "clientOrderId": cid})
    assert placed["order"]["status"] == "new"
    assert rest.get_order_by_client_id(cid)["orderId"] == placed["order"]["orderId"]
    assert rest.cancel_order(placed["order"]["orderId"])["status"] == "canceled"
    with pytest.raises(ApiError) as refused:
        rest.place_order({"symbol": "BTC-USD", "side": "buy", "type": "limit", "price": bid.split(".")[0] + ".001", "quantity": "0.001"})
    assert refused.value.code == "PRICE_OFF_TICK" and refused.value.status == 400


def test_pagination_walks_every_page(rest: RestClient):
    bid = best_bid(rest)
    tag = f"pg{time.time_ns() % 10**9}"
    ids = set()
    for n in range(5):
        r = rest.place_order({"symbol": "BTC-USD", "side": "buy", "type": "limit", "price": bid, "quantity": "0.001",
                              "postOnly": True, "clientOrderId": f"{tag}-{n}"})
        ids.add(r["order"]["orderId"])
    rest.cancel_all("BTC-USD")
    seen = [o["orderId"] for o in rest.orders(symbol="BTC-USD", limit=2)]
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))


def test_open_orders_are_walked_page_by_page(rest: RestClient):
    bid = best_bid(rest)
    tag = f"op{time.time_ns() % 10**9}"
    placed = []
    for n in range(5):
        r = rest.place_order({"symbol": "BTC-USD", "side": "buy", "type": "limit", "price": bid, "quantity": "0.001",
                              "postOnly": True, "clientOrderId": f"{tag}-{n}"})
        placed.append(r["order"]["orderId"])
    try:
        first = rest.open_orders("BTC-USD", limit=2)
        assert len(first["data"]) == 2 and first["nextCursor"]
        second = rest.open_orders("BTC-USD", limit=2, cursor=first["nextCursor"])
        assert not {o["orderId"] for o in first["data"]} & {o["orderId"] for o in second["data"]}
        walked = [o["orderId"] for o in rest.iter_open_orders(symbol="BTC-USD", limit=2)]
        assert len(walked) == len(set(walked))
        assert [i for i in walked if i in placed] == placed  # oldest first
    finally:
        rest.cancel_all("BTC-USD")


def test_a_lost_placement_response_is_recovered_by_client_order_id(rest: RestClient, monkeypatch: pytest.MonkeyPatch):
    """The request reaches the server, the answer is lost: the SDK finds the order instead of guessing."""
    real_send = RestClient._send
    lost = {"count": 0}

    def send_then_lose(self, method, path, body, signed, headers):
        result = real_send(self, method, path, body, signed, headers)
        if method == "POST" and path == "/v1/orders" and lost["count"] == 0:
            lost["count"] += 1
            raise rest_module._NoResponse("connection reset after the request was sent")
        return result

    monkeypatch.setattr(RestClient, "_send", send_then_lose)
    bid = best_bid(rest)
    cid = f"lost-{time.time_ns()}"
    result = rest.place_order({"symbol": "BTC-USD", "side": "buy", "type": "limit", "price": bid, "quantity": "0.001",
                               "postOnly": True, "clientOrderId": cid})
    assert lost["count"] == 1 and result["recovered"] is True
    assert result["order"]["clientOrderId"] == cid
    open_ids = [o["orderId"] for o in rest.open_orders("BTC-USD")["data"] if o.get("clientOrderId") == cid]
    assert open_ids == [result["order"]["orderId"]]  # placed once, not twice
    rest.cancel_order(result["order"]["orderId"])
    with pytest.raises(StatusUnknownError):
        lost["count"] = 0
        rest.place_order({"symbol": "BTC-USD", "side": "buy", "type": "limit", "price": bid, "quantity": "0.001", "postOnly": True})


def test_rate_limited_requests_are_retried_after_retry_after(rest: RestClient, monkeypatch: pytest.MonkeyPatch):
    real_send = RestClient._send
    calls = {"n": 0}

    def refuse_once(self, method, path, body, signed, headers):
        calls["n"] += 1
        if calls["n"] == 1:
            return 429, {"Retry-After": "0"}, {"code": "RATE_LIMITED", "status": 429, "detail": "slow down"}
        return real_send(self, method, path, body, signed, headers)

    monkeypatch.setattr(RestClient, "_send", refuse_once)
    assert rest.server_time()["serverTime"] > 0
    assert calls["n"] == 2


def test_ed25519_key_signs_requests(rest: RestClient, base_url: str):
    key = Ed25519PrivateKey.generate()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    created = rest.request("POST", "/v1/api-keys", body={"label": "python ed25519", "scopes": ["read"], "publicKey": public_pem}, signed=True)
    ed = RestClient(base_url, Ed25519Signer(created["key"]["keyId"], key))
    assert isinstance(ed.balances(), list)


def test_websocket_book_stays_verified_while_the_market_moves(ws_url: str, signer):
    async def run() -> tuple[int, int, list, list]:
        async with WsClient(ws_url, signer) as ws:
            book = await ws.book("BTC-USD", depth=10)
            deadline = time.monotonic() + 60
            while book.updates < 5 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return book.updates, ws.resyncs, book.bids, book.asks

    updates, resyncs, bids, asks = asyncio.run(run())
    assert updates >= 5, "the market maker's quotes should move the book"
    assert resyncs == 0
    assert bids and asks
    assert Decimal(bids[0][0]) < Decimal(asks[0][0])


def test_the_readme_examples_run(base_url: str, signer, tmp_path: Path):
    """Every ```python block of the SDK's README runs as written (with BASE_URL, API_KEY, API_SECRET set)."""
    import os
    import re
    import subprocess
    import sys
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) >= 2
    for n, code in enumerate(blocks):
        script = tmp_path / f"example_{n}.py"
        script.write_text(code)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"README example {n} failed:\n{done.stdout}\n{done.stderr}"
        assert done.stdout.strip(), f"README example {n} printed nothing"


def test_rfq_request_accept_decline_and_the_limit_helper(rest: RestClient):
    best_bid(rest)  # the demo market maker quotes the book the built-in pricer prices from
    quote = rest.request_quote({"symbol": "BTC-USD", "side": "two_way", "quantity": "0.001"})
    assert quote["status"] == "open" and Decimal(quote["bidPrice"]) <= Decimal(quote["askPrice"])
    assert rest.get_quote(quote["quoteId"])["quoteId"] == quote["quoteId"]
    taken = rest.accept_quote(quote["quoteId"], "sell", f"py-rfq-{time.time_ns()}")
    assert taken["quote"]["status"] == "executed" and taken["fills"][0]["venue"] == "rfq"
    with pytest.raises(ApiError) as again:
        rest.accept_quote(quote["quoteId"], "sell")
    assert again.value.code == "QUOTE_NOT_OPEN" and again.value.status == 409

    other = rest.request_quote({"symbol": "BTC-USD", "side": "buy", "quantity": "0.001"})
    assert rest.decline_quote(other["quoteId"])["status"] == "declined"
    assert [q["quoteId"] for q in rest.quotes(limit=1)][:2] == [other["quoteId"], quote["quoteId"]]
    assert quote["quoteId"] in {f["quoteId"] for f in rest.quote_trades()}

    # The helper declines a quote beyond the limit and takes one within it.
    beyond = rest.request_and_accept("BTC-USD", "buy", "0.01", quantity="0.001")
    assert beyond["accepted"] is False and beyond["quote"]["status"] == "declined"
    within = rest.request_and_accept("BTC-USD", "buy", "10000000", quantity="0.001")
    assert within["accepted"] is True and within["result"]["fills"][0]["price"] == within["quote"]["askPrice"]
