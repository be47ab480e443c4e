"""Checking and cleaning the text people type: names, notes, ids."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ecosystem.workshop.model import MAX_KEY, MAX_MEMBER, MAX_NAME, WorkshopError


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any, *, field: str, limit: int, required: bool = True, multiline: bool = True) -> str | None:
    """User text as stored: normalised (NFC), control characters removed, trimmed, at most ``limit`` characters.

    Raises :class:`WorkshopError` naming ``field`` when it is missing (and
    ``required``), not text, or too long. Markup is kept as typed: front
    ends show it as text, never as HTML.
    """
    if value is None:
        if required:
            raise WorkshopError(f"{field} is required")
        return None
    if not isinstance(value, str):
        raise WorkshopError(f"{field} must be text, not {type(value).__name__}")
    s = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    s = _CONTROL.sub("", s)
    if not multiline:
        s = re.sub(r"\s+", " ", s)
    s = s.strip()
    if not s:
        if required:
            raise WorkshopError(f"{field} is required")
        return None
    if len(s) > limit:
        raise WorkshopError(f"{field} is {len(s)} characters long; the limit is {limit}")
    return s


def member_key(name: str) -> str:
    """The key a display name's votes are counted under (case and spacing do not matter)."""
    return clean_text(name, field="your name", limit=MAX_MEMBER, multiline=False).casefold()


def _key(name: str | None, member_id: str | None) -> str:
    """The key votes count under: the member identity when there is one, else the display name's key."""
    if member_id:
        key = clean_text(member_id, field="member identity", limit=MAX_KEY, multiline=False)
        return "id:" + key
    return member_key(name)


def workshop_id(name: str) -> str:
    """A workshop's id from its name: lower case, words joined by ``-`` (``Board, May`` → ``board-may``)."""
    clean = clean_text(name, field="workshop name", limit=MAX_NAME, multiline=False)
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", clean).encode("ascii", "ignore")
                  .decode().lower()).strip("-")
    if not slug:
        raise WorkshopError(f"workshop name {name!r} needs at least one letter or digit")
    return slug[:60]
