"""Signing and checksums against the worked examples of the guides (no server needed)."""
import base64
import hashlib
import hmac
import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trading_api import Ed25519Signer, HmacSigner, book_checksum, rest_canonical_string, ws_login_canonical_string

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_canonical_string_is_four_lines_with_the_body_hash():
    s = rest_canonical_string(1718464000000, "post", "/v1/orders?x=1", b'{"a":1}')
    assert s.split("\n") == ["1718464000000", "POST", "/v1/orders?x=1", hashlib.sha256(b'{"a":1}').hexdigest()]
    assert ws_login_canonical_string(5).endswith("\nGET\n/v1/ws\n" + hashlib.sha256(b"").hexdigest())


def test_hmac_matches_the_fix_guide_worked_example():
    doc = (DOCS / "fix-rules-of-engagement.md").read_text()
    secret = re.search(r"secret `([A-Za-z0-9_-]+)`", doc).group(1)
    documented = re.search(r"signature = base64\(HMAC-SHA256\(secret, prehash\)\) = (\S+)", doc).group(1)
    prehash = "\x01".join(["20250615-15:06:40.000", "A", "1", "CLIENT1", "EXCHANGE"])
    assert HmacSigner("k", secret).sign(prehash) == documented
    raw = base64.urlsafe_b64decode(secret + "=")
    assert documented == base64.b64encode(hmac.new(raw, prehash.encode(), hashlib.sha256).digest()).decode()


def test_ed25519_signatures_verify_with_the_public_key_from_seed_or_pem():
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    for signer in (Ed25519Signer("k", pem), Ed25519Signer("k", seed), Ed25519Signer("k", key)):
        signature = base64.b64decode(signer.sign("hello"))
        key.public_key().verify(signature, b"hello")  # raises if wrong


def test_book_checksum_matches_the_websocket_guide():
    assert book_checksum([("25000.5", "0.4"), ("25000", "1.2")], [("25001", "0.3")]) == 779142831
    assert book_checksum([], []) == __import__("zlib").crc32(b"|")
