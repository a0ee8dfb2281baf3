"""The live suite runs against a server named by BASE_URL, with a funded key in API_KEY and
API_SECRET (test/sdk-python/pytest.test.ts starts a demo market and sets them). Without them
the suite fails rather than skip: an unexercised SDK is not a tested one."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trading_api import HmacSigner, RestClient  # noqa: E402


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("BASE_URL")
    if not url:
        pytest.fail("BASE_URL is not set: run the suite through test/sdk-python/pytest.test.ts, or point it at a demo server")
    return url


@pytest.fixture(scope="session")
def signer() -> HmacSigner:
    key, secret = os.environ.get("API_KEY"), os.environ.get("API_SECRET")
    if not key or not secret:
        pytest.fail("API_KEY and API_SECRET must name a funded read+trade key")
    return HmacSigner(key, secret)


@pytest.fixture()
def rest(base_url: str, signer: HmacSigner) -> RestClient:
    return RestClient(base_url, signer)


@pytest.fixture()
def ws_url(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/v1/ws"
