"""Errors: the server's problem details as an exception, and the one case where the outcome is unknown."""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refused request: the RFC 9457 problem's `code`, `status`, `detail` and every extra member."""

    def __init__(self, status: int, body: dict[str, Any], request_id: str | None = None, retry_after: float | None = None) -> None:
        self.status = status
        self.code: str = str(body.get("code", "HTTP_%d" % status))
        self.title: str = str(body.get("title", ""))
        self.detail: str = str(body.get("detail", ""))
        self.body = body
        self.request_id = request_id or body.get("requestId")
        self.retry_after = retry_after
        super().__init__(f"{status} {self.code}: {self.detail}")


class StatusUnknownError(Exception):
    """A change whose outcome could not be learned (no response, and the recovery lookup failed too)."""
