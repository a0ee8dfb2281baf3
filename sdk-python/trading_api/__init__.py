"""Python client for the trading API (REST /v1 and WebSocket /v1/ws)."""
from .errors import ApiError, StatusUnknownError
from .rest import RestClient, RetryPolicy
from .signing import Ed25519Signer, HmacSigner, Signer, rest_canonical_string, ws_login_canonical_string
from .ws import BookChecksumError, LocalOrderBook, WsClient, book_checksum

__all__ = [
    "ApiError", "StatusUnknownError", "RestClient", "RetryPolicy", "Signer", "HmacSigner", "Ed25519Signer",
    "rest_canonical_string", "ws_login_canonical_string", "WsClient", "LocalOrderBook", "BookChecksumError", "book_checksum",
]
