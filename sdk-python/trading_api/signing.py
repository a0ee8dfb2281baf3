"""Request signing as docs/authentication.md describes it: HMAC-SHA256 or Ed25519 over the canonical string."""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def rest_canonical_string(timestamp: int, method: str, path_with_query: str, body: bytes = b"") -> str:
    """timestamp + "\\n" + METHOD + "\\n" + pathWithQuery + "\\n" + hex(sha256(body))."""
    return f"{timestamp}\n{method.upper()}\n{path_with_query}\n{hashlib.sha256(body).hexdigest()}"


def ws_login_canonical_string(timestamp: int) -> str:
    """The WebSocket login signs a GET of /v1/ws with an empty body."""
    return rest_canonical_string(timestamp, "GET", "/v1/ws", b"")


class Signer(Protocol):
    key_id: str

    def sign(self, message: str) -> str:
        """The base64 signature of the message."""
        ...


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class HmacSigner:
    """An HMAC key: the secret exactly as the server returned it (base64url of 32 bytes)."""

    def __init__(self, key_id: str, secret: str) -> None:
        self.key_id = key_id
        self._secret = _b64url_decode(secret)

    def sign(self, message: str) -> str:
        return base64.b64encode(hmac.new(self._secret, message.encode(), hashlib.sha256).digest()).decode()


class Ed25519Signer:
    """An Ed25519 key: a PKCS#8 PEM private key, or the raw 32-byte seed."""

    def __init__(self, key_id: str, private_key: bytes | str | Ed25519PrivateKey) -> None:
        self.key_id = key_id
        if isinstance(private_key, Ed25519PrivateKey):
            self._key = private_key
        elif isinstance(private_key, bytes) and len(private_key) == 32:
            self._key = Ed25519PrivateKey.from_private_bytes(private_key)
        else:
            pem = private_key.encode() if isinstance(private_key, str) else private_key
            loaded = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError("not an Ed25519 private key")
            self._key = loaded

    def sign(self, message: str) -> str:
        return base64.b64encode(self._key.sign(message.encode())).decode()


class TimestampSource:
    """Milliseconds on the server's clock (local time plus a measured offset), strictly increasing, so
    two identical requests in the same millisecond still get different signatures (no replay refusal)."""

    def __init__(self) -> None:
        self.offset_ms = 0
        self._last = 0
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            t = max(time.time_ns() // 1_000_000 + self.offset_ms, self._last + 1)
            self._last = t
            return t
