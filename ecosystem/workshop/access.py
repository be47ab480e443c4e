"""Tokens, roles and rate limits: who may do what in a workshop."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from typing import TYPE_CHECKING, Callable

from ecosystem.workshop.model import BOARD, Forbidden, PRESENTER, RateLimited

if TYPE_CHECKING:
    from ecosystem.workshop.model import Workshop


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """SHA-256 of a token (tokens carry 192 random bits, so a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    h = host.strip().strip("[]")
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def is_local_request(server_name: str | None, remote_addr: str | None) -> bool:
    """True when the server is bound to a loopback address and the client is on this machine."""
    return is_loopback(server_name) and is_loopback(remote_addr)


def role_for(workshop: "Workshop", token: str | None, *, local: bool = False) -> str | None:
    """The role a request has: ``presenter``, ``board`` or ``None`` (may not read or write the workshop).

    Only a token gives a role (a wrong token gives none). ``local`` is
    kept for callers that still pass it and no longer changes anything:
    a tokenless request from this machine could be a page on another
    site driving the browser, so even there the presenter needs the link.
    """
    if token:
        return role_for_hash(workshop, hash_token(str(token)))
    return None


def role_for_hash(workshop: "Workshop", token_hash: str | None) -> str | None:
    """The role a token's hash (as a dashboard keeps it in a signed cookie) gives, or ``None``."""
    if not token_hash:
        return None
    h = str(token_hash)
    if workshop.presenter_hash and hmac.compare_digest(h, workshop.presenter_hash):
        return PRESENTER
    if workshop.board_hash and hmac.compare_digest(h, workshop.board_hash):
        return BOARD
    return None


_ALLOWED = {PRESENTER: {"read", "note", "vote", "action", "steps", "navigate"}, BOARD: {"read", "note", "vote"}}


def can(role: str | None, what: str) -> bool:
    return what in _ALLOWED.get(role or "", set())


def require(role: str | None, what: str) -> None:
    if not can(role, what):
        who = "without a valid workshop link" if role is None else f"as a {role} member"
        doing = {"read": "see this workshop", "note": "add notes", "vote": "vote", "action": "record actions",
                 "steps": "change the walkthrough", "navigate": "move the walkthrough"}.get(what, what)
        raise Forbidden(f"you cannot {doing} {who}")


class RateLimiter:
    """A token bucket per client: ``burst`` writes at once, refilled at ``rate`` per second.

    Thread-safe; remembers at most ``max_clients`` clients (the longest idle
    are forgotten). ``clock`` is injectable for tests.
    """

    def __init__(self, *, rate: float = 0.5, burst: int = 10, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate, self.burst, self.max_clients, self.clock = rate, burst, max_clients, clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Spend one write for ``client`` or raise :class:`RateLimited`."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                raise RateLimited(f"too many changes at once; try again in {max(1, round(wait))} s", wait)
            self._buckets[client] = (tokens - 1.0, now)  # re-inserted last: dict order = least recently used first
            while len(self._buckets) > self.max_clients:
                self._buckets.pop(next(iter(self._buckets)))
