"""What a workshop is: roles, views, limits, errors, and the stored workshop and its links."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from typing import Any, Mapping

from ecosystem.workshop.address import link

log = logging.getLogger(__name__)


PRESENTER, BOARD = "presenter", "board"
ROLES = (PRESENTER, BOARD)

#: The views a walkthrough can show, with their default titles (also dashboard routes).
VIEWS = {"overview": "Place overview", "gaps": "Gaps", "duplication": "Duplication", "fragility": "Fragility",
         "scenario": "Scenario"}
DEFAULT_STEPS = tuple({"view": v, "title": t} for v, t in VIEWS.items())
#: Finding kinds a board can dot-vote on: gaps, and fragilities.
GAP_KINDS = ("unserved", "under")
FRAGILITY_KINDS = ("funding_dependency", "funding_cliff", "sole_provider", "critical_provider",
                   "articulation_point", "bridge")
VOTABLE_KINDS = GAP_KINDS + FRAGILITY_KINDS
#: What a note or action can be attached to.
TARGET_KINDS = ("place", "category", "organisation", "service", "finding")
ACTION_STATUSES = ("open", "in progress", "done", "dropped")

MAX_NAME = 80  # workshop name
MAX_MEMBER = 40  # display name
MAX_TEXT = 1000  # note or action text
MAX_OWNER = 120
MAX_TITLE = 120  # step title
MAX_KEY = 200  # an id or code
MAX_STEPS = 20
MAX_TARGETS = 20
MAX_VOTES = 50


class WorkshopError(ValueError):
    """Input that cannot be used; the message says what and how to fix it."""


class NotFound(LookupError):
    """No workshop (or action) with that id."""


class Forbidden(PermissionError):
    """The role may not do this (e.g. a board member editing the walkthrough)."""


class VoteLimit(WorkshopError):
    """The member has used all their votes."""


class RateLimited(WorkshopError):
    """Too many writes from one client; ``retry_after`` seconds to wait."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class Workshop:
    """A workshop as stored (token hashes only)."""

    id: str
    name: str
    place: str
    place_name: str | None
    as_of: dt.date
    created: str
    steps: tuple[dict[str, Any], ...]
    current: int
    votes_per_member: int
    revision: int
    shown: tuple[dict[str, Any], ...] = ()
    presenter_hash: str | None = dataclasses.field(default=None, repr=False)
    board_hash: str | None = dataclasses.field(default=None, repr=False)

    @property
    def step(self) -> dict[str, Any] | None:
        if not self.steps:
            return None
        return self.steps[min(max(self.current, 0), len(self.steps) - 1)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, without the token hashes."""
        return {"id": self.id, "name": self.name, "place": self.place, "place_name": self.place_name,
                "as_of": self.as_of.isoformat(), "created": self.created, "steps": [dict(s) for s in self.steps],
                "current": self.current, "votes_per_member": self.votes_per_member, "revision": self.revision}

    @classmethod
    def from_props(cls, p: Mapping[str, Any]) -> "Workshop":
        as_of = p.get("as_of")
        if hasattr(as_of, "to_native"):
            as_of = as_of.to_native()
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of[:10])
        shown = []
        for e in p.get("shown") or []:
            try:
                shown.append(json.loads(e))
            except (TypeError, ValueError):
                log.warning("workshop %s: unreadable shown entry %r", p.get("id"), e)
        return cls(id=p["id"], name=p.get("name") or p["id"], place=p.get("place"), place_name=p.get("place_name"),
                   as_of=as_of or dt.date.today(), created=str(p.get("created") or ""),
                   steps=tuple(json.loads(p.get("steps") or "[]")), current=int(p.get("current") or 0),
                   votes_per_member=int(p.get("votes_per_member") or 0), revision=int(p.get("revision") or 0),
                   shown=tuple(shown), presenter_hash=p.get("presenter_hash"), board_hash=p.get("board_hash"))


@dataclasses.dataclass(frozen=True)
class Links:
    """A new workshop (or new links for one) with its tokens: shown once, never stored."""

    workshop: Workshop
    presenter_token: str
    board_token: str

    def presenter_link(self, base_url: str) -> str:
        return link(base_url, self.workshop.id, self.presenter_token)

    def board_link(self, base_url: str) -> str:
        return link(base_url, self.workshop.id, self.board_token)
