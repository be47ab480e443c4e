"""Partnership-board workshops: the walkthrough, and the record a board leaves behind.

A workshop is a :data:`~ecosystem.model.WORKSHOP` node for one place and one
date. It holds an ordered walkthrough of views (place overview → gaps →
duplication → fragility → scenario by default) that the presenter edits,
reorders and steps through, and the record of the meeting, kept in the
graph so it survives restarts and shows up in reports and detail pages:

- notes: ``Note`` nodes (``kind = "note"``) ``ON`` the workshop, ``CONCERNS``
  the places, categories, organisations and services they are about (a
  note about a finding concerns what the finding is about and keeps the
  finding's id in ``finding``);
- dot-votes on gaps and fragilities: one ``VOTED_ON`` relationship per dot
  from the workshop to a vote item, a ``Note`` (``kind = "finding"``) that
  carries the finding's summary as its ``text`` and the dot count in
  ``votes``; each member has ``votes_per_member`` dots;
- actions: ``Action`` nodes (``text``, ``owner``, ``due``, ``status``) ``ON``
  the workshop and ``CONCERNS`` what they are about;
- the views shown: the workshop's ``shown`` list (one JSON entry per move).

Roles. Each workshop has a presenter token and a board token, made with
:mod:`secrets` and stored only as SHA-256 hashes; links carry them as
``?workshop=ID&token=…``. The presenter edits everything; board members
view, vote and add notes. :func:`role_for` decides the role of a request:
only a token gives one, on this machine too.

Members. A vote counts under a member key: the dashboard passes each
device's member identity (``member_id``, from a signed cookie), so votes,
budgets and take-backs belong to a member, not to a typed name; without
one (the library used directly) the key is the display name.

Concurrency. Every write is one transaction (``execute_write``, retried on
transient conflicts) that starts by bumping the workshop's ``revision``:
writes to one workshop are serialised, so a vote budget is checked and
spent atomically and no vote or note is lost or counted twice. Followers
poll :func:`state` and redraw when the revision changes.

Safety. Text is checked for length and stripped of control characters
here; the front ends show it as text. :class:`RateLimiter` limits writes
per client. Nothing here imports Dash.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import ipaddress
import json
import logging
import random
import re
import secrets
import threading
import time
import unicodedata
import urllib.parse
import uuid
from typing import Any, Callable, Iterable, Mapping, Sequence

import neo4j

from queries import query

from ecosystem.store import _to_python

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


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Tokens and roles
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Rate limiting
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Workshops
# --------------------------------------------------------------------------
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


def link(base_url: str, wid: str, token: str) -> str:
    """``{base}/workshop?workshop=ID&token=…``."""
    return base_url.rstrip("/") + "/workshop?" + urllib.parse.urlencode({"workshop": wid, "token": token})


#: the file in ECOMAP_HOME where a running dashboard notes its address (so printed links use it)
DASHBOARD_FILE = "dashboard.json"


def record_dashboard(home: Any, url: str) -> None:
    """Note that a dashboard in this process answers at ``url`` (read by :func:`dashboard_url`)."""
    import os
    import pathlib

    path = pathlib.Path(home) / DASHBOARD_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"url": url.rstrip("/"), "pid": os.getpid()}, f)
    except OSError as e:
        log.warning("could not note the dashboard's address in %s: %s", path, e)


def forget_dashboard(home: Any) -> None:
    import os
    import pathlib

    path = pathlib.Path(home) / DASHBOARD_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def dashboard_url(home: Any) -> str | None:
    """The address of the dashboard running for this ECOMAP_HOME, or None when none is running."""
    import os
    import pathlib

    try:
        rec = json.loads((pathlib.Path(home) / DASHBOARD_FILE).read_text(encoding="utf-8"))
        url, pid = str(rec["url"]), int(rec["pid"])
        os.kill(pid, 0)  # still running?
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return url if url.startswith(("http://", "https://")) else None


def _now(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _run(tx, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    q = query(name)
    q.check_params(params)
    return [{k: _to_python(v) for k, v in r.items()} for r in tx.run(q.text, params).data()]


def _read(store, work: Callable) -> Any:
    with store.session(default_access_mode=neo4j.READ_ACCESS) as s:
        return s.execute_read(work)


def _write(store, wid: str, work: Callable[[Any, Workshop], Any]) -> Any:
    """Run ``work(tx, workshop)`` in one write transaction that first bumps the workshop's revision."""
    def tx_work(tx):
        rows = _run(tx, "workshop_touch", {"id": wid})
        if not rows:
            raise NotFound(f"no workshop {wid!r} (see `ecomap workshop list`)")
        return work(tx, Workshop.from_props(rows[0]["workshop"]))

    return _retrying(store, tx_work)


#: Conflicts worth another try: the store's transient errors (ArcadeDB reports a concurrent change to the same
#: record as one), and a unique-key clash when two members' first votes on a finding both create its vote item.
class _Conflict(Exception):
    """A write saw another writer's half-finished change (e.g. a vote item being made at the same moment)."""


_RETRY = (neo4j.exceptions.TransientError, neo4j.exceptions.ConstraintError, neo4j.exceptions.SessionExpired,
          _Conflict)


def _retrying(store, tx_work: Callable, *, attempts: int = 40) -> Any:
    """``tx_work(tx)`` in one explicit write transaction, tried again after a conflict with another writer.

    The driver's own retry (``execute_write``) waits a second or more
    between tries; a board voting at once conflicts often and briefly, so
    this waits a few milliseconds (growing, with jitter) instead.
    """
    for attempt in range(attempts):
        try:
            with store.session(default_access_mode=neo4j.WRITE_ACCESS) as s:
                with s.begin_transaction() as tx:
                    result = tx_work(tx)
                    tx.commit()
                    return result
        except _RETRY as e:
            if attempt == attempts - 1:
                raise
            log.debug("workshop write conflicted (%s); trying again", type(e).__name__)
            time.sleep(random.uniform(0.002, 0.01) * min(attempt + 1, 20))
    raise AssertionError("unreachable")  # pragma: no cover


def check_steps(steps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validated walkthrough steps: ``view`` (one of :data:`VIEWS`), ``title``, optional ``category``, ``scenario``."""
    out = []
    for i, s in enumerate(steps, start=1):
        if not isinstance(s, Mapping):
            raise WorkshopError(f"step {i}: expected an object with a view")
        view = s.get("view")
        if view not in VIEWS:
            raise WorkshopError(f"step {i}: view {view!r} is not one of {', '.join(VIEWS)}")
        step = {"view": view,
                "title": clean_text(s.get("title") or VIEWS[view], field=f"step {i} title", limit=MAX_TITLE,
                                    multiline=False)}
        for k in ("category", "scenario"):
            v = clean_text(s.get(k), field=f"step {i} {k}", limit=MAX_KEY, required=False, multiline=False)
            if v:
                step[k] = v
        out.append(step)
    if not out:
        raise WorkshopError("a walkthrough needs at least one step")
    if len(out) > MAX_STEPS:
        raise WorkshopError(f"a walkthrough has at most {MAX_STEPS} steps ({len(out)} given)")
    return out


def create(store, name: str, place: str, *, as_of: dt.date | None = None, votes_per_member: int = 5,
           steps: Iterable[Mapping[str, Any]] | None = None, now: dt.datetime | None = None) -> Links:
    """Create a workshop for ``place`` (a place code in the store) and return it with its two tokens."""
    wid = workshop_id(name)
    name = clean_text(name, field="workshop name", limit=MAX_NAME, multiline=False)
    place = clean_text(place, field="place", limit=MAX_KEY, multiline=False)
    if not isinstance(votes_per_member, int) or isinstance(votes_per_member, bool) \
            or not 1 <= votes_per_member <= MAX_VOTES:
        raise WorkshopError(f"votes per member must be a whole number from 1 to {MAX_VOTES}")
    steps = check_steps(DEFAULT_STEPS if steps is None else steps)
    presenter, board = new_token(), new_token()
    props = {"id": wid, "name": name, "place": place, "as_of": as_of or dt.date.today(), "created": _now(now),
             "steps": json.dumps(steps), "current": 0, "votes_per_member": votes_per_member, "revision": 0,
             "shown": [], "presenter_hash": hash_token(presenter), "board_hash": hash_token(board)}

    def work(tx):
        found = _run(tx, "workshop_place", {"code": place})
        if not found:
            raise WorkshopError(f"place {place!r} is not in the store (see `ecomap query pull_places`)")
        props["place_name"] = found[0]["name"] or place
        if _run(tx, "workshop_get", {"id": wid}):
            raise WorkshopError(f"a workshop with id {wid!r} already exists; choose another name")
        _run(tx, "workshop_create", {"props": props})
        return props

    with store.session(default_access_mode=neo4j.WRITE_ACCESS) as s:
        try:
            made = s.execute_write(work)
        except neo4j.exceptions.ConstraintError:
            raise WorkshopError(f"a workshop with id {wid!r} already exists; choose another name") from None
    log.info("created workshop %s for %s", wid, place)
    return Links(Workshop.from_props({**made, "as_of": made["as_of"]}), presenter, board)


def get(store, wid: str) -> Workshop:
    rows = _read(store, lambda tx: _run(tx, "workshop_get", {"id": str(wid)}))
    if not rows:
        raise NotFound(f"no workshop {wid!r} (see `ecomap workshop list`)")
    return Workshop.from_props(rows[0]["workshop"])


def find(store, name_or_id: str) -> Workshop:
    """A workshop by id, or by the name it was created with."""
    try:
        return get(store, name_or_id)
    except NotFound:
        try:
            wid = workshop_id(name_or_id)
        except WorkshopError:
            raise NotFound(f"no workshop {name_or_id!r} (see `ecomap workshop list`)") from None
        return get(store, wid)


def list_workshops(store) -> list[dict[str, Any]]:
    """Every workshop (as :meth:`Workshop.to_dict`) with counts of ``notes``, ``votes`` and ``actions``."""
    rows = _read(store, lambda tx: _run(tx, "workshop_list", {}))
    return [{**Workshop.from_props(r["workshop"]).to_dict(), "notes": int(r["notes"]), "votes": int(r["votes"]),
             "actions": int(r["actions"])} for r in rows]


def new_links(store, wid: str) -> Links:
    """Replace both tokens (old links stop working) and return the new ones."""
    presenter, board = new_token(), new_token()

    def work(tx, w):
        _run(tx, "workshop_update", {"id": w.id, "props": {"presenter_hash": hash_token(presenter),
                                                           "board_hash": hash_token(board)}})
        return w

    w = _write(store, wid, work)
    return Links(get(store, w.id), presenter, board)


def state(store, wid: str) -> dict[str, int]:
    """What followers poll: ``revision`` (changes with every write) and ``current`` step."""
    rows = _read(store, lambda tx: _run(tx, "workshop_state", {"id": str(wid)}))
    if not rows:
        raise NotFound(f"no workshop {wid!r}")
    return {"revision": int(rows[0]["revision"]), "current": int(rows[0]["current"])}


def set_steps(store, wid: str, steps: Iterable[Mapping[str, Any]], *, role: str | None) -> Workshop:
    """Replace the walkthrough (the presenter edits, adds, removes and reorders steps)."""
    require(role, "steps")
    steps = check_steps(steps)

    def work(tx, w):
        current = min(w.current, len(steps) - 1)
        _run(tx, "workshop_update", {"id": w.id, "props": {"steps": json.dumps(steps), "current": current}})

    _write(store, wid, work)
    return get(store, wid)


def move_step(steps: Sequence[Mapping[str, Any]], index: int, offset: int) -> list[dict[str, Any]]:
    """``steps`` with step ``index`` moved by ``offset`` places (clamped to the ends)."""
    out = [dict(s) for s in steps]
    if not 0 <= index < len(out):
        raise WorkshopError(f"there is no step {index + 1}")
    to = min(max(index + offset, 0), len(out) - 1)
    out.insert(to, out.pop(index))
    return out


def go_to(store, wid: str, index: int, *, role: str | None, now: dt.datetime | None = None) -> Workshop:
    """Show step ``index`` (0-based) and add it to the record of views shown."""
    require(role, "navigate")

    def work(tx, w):
        if not isinstance(index, int) or not 0 <= index < len(w.steps):
            raise WorkshopError(f"there is no step {index + 1 if isinstance(index, int) else index!r}; "
                                f"the walkthrough has {len(w.steps)}")
        step = w.steps[index]
        entry = json.dumps({"step": index, "view": step["view"], "title": step["title"], "at": _now(now),
                            **{k: step[k] for k in ("category", "scenario") if step.get(k)}})
        _run(tx, "workshop_show_step", {"id": w.id, "current": index, "entry": entry})

    _write(store, wid, work)
    return get(store, wid)


# --------------------------------------------------------------------------
# Targets: what a note or action is about
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Targets:
    places: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    finding: dict[str, Any] | None = None

    def params(self) -> dict[str, list[str]]:
        return {"places": list(self.places), "categories": list(self.categories),
                "organisations": list(self.organisations), "services": list(self.services)}

    def props(self) -> dict[str, Any]:
        p: dict[str, Any] = {k: v for k, v in self.params().items() if v}
        if self.finding:
            p["finding"] = self.finding["id"]
            p["finding_kind"] = self.finding.get("kind")
            p["finding_summary"] = self.finding.get("summary")
        return p


def targets(items: Iterable[Any] = (), *, findings: Mapping[str, Mapping[str, Any]] | None = None) -> Targets:
    """What a note or action concerns, from ``(kind, key)`` pairs or ``{"kind", "key"}`` dicts.

    ``kind`` is one of :data:`TARGET_KINDS`. A ``finding`` target needs the
    finding itself (from :func:`ecosystem.analysis.findings`), looked up in
    ``findings`` by id (or given as the pair's key when it is a dict): the
    record then concerns the finding's place, category, organisations and
    services.
    """
    acc: dict[str, list[str]] = {"place": [], "category": [], "organisation": [], "service": []}
    finding = None
    items = list(items)
    if len(items) > MAX_TARGETS:
        raise WorkshopError(f"a record can concern at most {MAX_TARGETS} things")
    for it in items:
        kind, key = (it.get("kind"), it.get("key")) if isinstance(it, Mapping) else tuple(it)
        if kind not in TARGET_KINDS:
            raise WorkshopError(f"{kind!r} is not something a record can concern ({', '.join(TARGET_KINDS)})")
        if kind == "finding":
            f = key if isinstance(key, Mapping) else (findings or {}).get(str(key))
            if f is None:
                raise WorkshopError(f"finding {key!r} is not in this workshop's analysis")
            finding = _finding(f)
            if finding["place"]:
                acc["place"].append(finding["place"])
            if finding["category"]:
                acc["category"].append(finding["category"])
            acc["organisation"] += finding["organisations"]
            acc["service"] += finding["services"]
            continue
        k = clean_text(key if isinstance(key, str) else None, field=f"{kind} key", limit=MAX_KEY, multiline=False)
        acc[kind].append(k)
    uniq = {k: tuple(dict.fromkeys(v)) for k, v in acc.items()}
    return Targets(uniq["place"], uniq["category"], uniq["organisation"], uniq["service"], finding)


def _finding(f: Mapping[str, Any]) -> dict[str, Any]:
    if not f.get("id") or not f.get("kind"):
        raise WorkshopError("a finding needs an id and a kind")
    return {"id": str(f["id"]), "kind": str(f["kind"]), "summary": str(f.get("summary") or f["id"]),
            "place": f.get("place"), "category": f.get("category"),
            "organisations": [str(o) for o in f.get("organisations") or []],
            "services": [str(s) for s in f.get("services") or []]}


# --------------------------------------------------------------------------
# Notes, votes, actions
# --------------------------------------------------------------------------
def add_note(store, wid: str, text: str, *, author: str, role: str | None, about: Targets | None = None,
             step: int | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Record a note by ``author`` (a display name); returns the stored note."""
    require(role, "note")
    text = clean_text(text, field="note", limit=MAX_TEXT)
    author = clean_text(author, field="your name", limit=MAX_MEMBER, multiline=False)
    about = about or Targets()

    def work(tx, w):
        s = w.steps[step] if step is not None and 0 <= step < len(w.steps) else w.step
        props = {"id": f"note-{uuid.uuid4().hex}", "kind": "note", "workshop": w.id, "place": w.place,
                 "text": text, "author": author, "role": role, "created": _now(now),
                 "view": s["view"] if s else None, "step_title": s["title"] if s else None, **about.props()}
        props = {k: v for k, v in props.items() if v is not None}
        _run(tx, "workshop_create_note", {"workshop": w.id, "props": props, **about.params()})
        return props

    return _write(store, wid, work)


def vote_item_id(wid: str, finding_id: str) -> str:
    return f"vote|{wid}|{finding_id}"


def vote(store, wid: str, finding: Mapping[str, Any], *, member: str, role: str | None,
         member_id: str | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Place one of ``member``'s dots on a gap or fragility finding.

    Returns ``votes`` (dots on this finding), ``used`` and ``left`` (the
    member's). Raises :class:`VoteLimit` when the member has no dots left.
    """
    require(role, "vote")
    f = _finding(finding)
    if f["kind"] not in VOTABLE_KINDS:
        raise WorkshopError(f"votes are for gaps and fragilities; {f['kind']!r} findings cannot be voted on")
    name = clean_text(member, field="your name", limit=MAX_MEMBER, multiline=False)
    key = _key(name, member_id)
    about = targets([("finding", f)])

    def work(tx, w):
        used = int(_run(tx, "workshop_member_votes", {"workshop": w.id, "member": key})[0]["used"])
        if used >= w.votes_per_member:
            raise VoteLimit(f"{name} has used all {w.votes_per_member} votes; take one back to vote again")
        item = vote_item_id(w.id, f["id"])
        props = {"id": item, "kind": "finding", "workshop": w.id, "place": f["place"] or w.place,
                 "text": f["summary"], "created": _now(now), "votes": 0, **about.props()}
        _run(tx, "workshop_merge_vote_item", {"workshop": w.id, "id": item,
                                              "props": {k: v for k, v in props.items() if v is not None},
                                              **about.params()})
        rows = _run(tx, "workshop_add_vote", {"workshop": w.id, "item": item, "member": key, "name": name,
                                              "at": _now(now)})
        if not rows:  # another member's first vote on this finding is creating the item right now
            raise _Conflict(item)
        votes = rows[0]["votes"]
        return {"votes": int(votes), "used": used + 1, "left": w.votes_per_member - used - 1}

    return _write(store, wid, work)


def unvote(store, wid: str, finding_id: str, *, member: str, role: str | None,
           member_id: str | None = None) -> dict[str, int]:
    """Take back one of ``member``'s dots on a finding (nothing happens when there is none)."""
    require(role, "vote")
    key = _key(member, member_id)

    def work(tx, w):
        item = vote_item_id(w.id, str(finding_id))
        removed = int(_run(tx, "workshop_remove_vote", {"workshop": w.id, "item": item, "member": key})[0]["removed"])
        rows = _run(tx, "workshop_count_votes", {"item": item})
        used = int(_run(tx, "workshop_member_votes", {"workshop": w.id, "member": key})[0]["used"])
        return {"votes": int(rows[0]["votes"]) if rows else 0, "used": used, "left": w.votes_per_member - used,
                "removed": removed}

    return _write(store, wid, work)


def votes_left(store, wid: str, member: str, *, member_id: str | None = None) -> int:
    w = get(store, wid)
    key = _key(member, member_id)
    rows = _read(store, lambda tx: _run(tx, "workshop_member_votes", {"workshop": w.id, "member": key}))
    return w.votes_per_member - int(rows[0]["used"])


def _due(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise WorkshopError(f"due date {value!r} is not a date; use YYYY-MM-DD") from None


def _status(value: Any) -> str:
    s = str(value or "open").strip().lower()
    if s not in ACTION_STATUSES:
        raise WorkshopError(f"status {value!r} is not one of {', '.join(ACTION_STATUSES)}")
    return s


def add_action(store, wid: str, text: str, *, owner: str, due: Any = None, status: str = "open",
               role: str | None, about: Targets | None = None, author: str | None = None,
               now: dt.datetime | None = None) -> dict[str, Any]:
    """Record an action: what (``text``), ``owner``, ``due`` date, ``status``."""
    require(role, "action")
    props: dict[str, Any] = {
        "text": clean_text(text, field="action", limit=MAX_TEXT),
        "owner": clean_text(owner, field="owner", limit=MAX_OWNER, multiline=False),
        "due": _due(due), "status": _status(status),
        "author": clean_text(author, field="your name", limit=MAX_MEMBER, required=False, multiline=False)}
    about = about or Targets()

    def work(tx, w):
        s = w.step
        full = {"id": f"action-{uuid.uuid4().hex}", "kind": "action", "workshop": w.id, "place": w.place,
                "created": _now(now), "updated": _now(now), "view": s["view"] if s else None, **props,
                **about.props()}
        full = {k: v for k, v in full.items() if v is not None}
        _run(tx, "workshop_create_action", {"workshop": w.id, "props": full, **about.params()})
        return full

    return _write(store, wid, work)


def update_action(store, wid: str, action_id: str, *, role: str | None, text: str | None = None,
                  owner: str | None = None, due: Any = ..., status: str | None = None,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    """Change an action; arguments left out keep their value (``due=None`` clears the date)."""
    require(role, "action")
    props: dict[str, Any] = {"updated": _now(now)}
    if text is not None:
        props["text"] = clean_text(text, field="action", limit=MAX_TEXT)
    if owner is not None:
        props["owner"] = clean_text(owner, field="owner", limit=MAX_OWNER, multiline=False)
    if due is not ...:
        props["due"] = _due(due)
    if status is not None:
        props["status"] = _status(status)

    def work(tx, w):
        rows = _run(tx, "workshop_update_action", {"workshop": w.id, "id": str(action_id), "props": props})
        if not rows:
            raise NotFound(f"no action {action_id!r} in workshop {w.id!r}")
        return rows[0]["action"]

    return _write(store, wid, work)


# --------------------------------------------------------------------------
# Reading the record
# --------------------------------------------------------------------------
def _clean_record(p: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in p.items():
        if k in ("source", "load_run"):
            continue
        if isinstance(v, dt.date):
            v = v.isoformat()
        out[k] = v
    return out


def notes(store, wid: str) -> list[dict[str, Any]]:
    """The workshop's notes (``kind = "note"``), oldest first."""
    rows = _read(store, lambda tx: _run(tx, "workshop_notes", {"workshop": wid}))
    return [_clean_record(r["note"]) for r in rows if r["note"].get("kind") == "note"]


def tally(store, wid: str) -> list[dict[str, Any]]:
    """Dot-votes per finding, most first: ``finding``, ``kind``, ``summary``, ``votes``, ``voters`` (names, sorted)."""
    def work(tx):
        return (_run(tx, "workshop_notes", {"workshop": wid}), _run(tx, "workshop_votes", {"workshop": wid}))

    items, votes = _read(store, work)
    voters: dict[str, dict[str, int]] = {}
    display: dict[str, str] = {}
    for v in votes:
        voters.setdefault(v["item"], {})
        voters[v["item"]][v["member"]] = voters[v["item"]].get(v["member"], 0) + 1
        display.setdefault(v["member"], v.get("name") or v["member"])
    out = []
    for r in items:
        n = r["note"]
        if n.get("kind") != "finding":
            continue
        who = voters.get(n["id"], {})
        out.append({"item": n["id"], "finding": n.get("finding"), "kind": n.get("finding_kind"),
                    "summary": n.get("text"), "votes": sum(who.values()),
                    "voters": sorted(f"{display[m]} ×{c}" if c > 1 else display[m] for m, c in who.items()),
                    "place": n.get("place"), "categories": n.get("categories") or [],
                    "organisations": n.get("organisations") or [], "services": n.get("services") or []})
    out = [t for t in out if t["votes"] > 0]
    return sorted(out, key=lambda t: (-t["votes"], t["summary"] or "", t["finding"] or ""))


def member_votes(store, wid: str, member: str | None, *, member_id: str | None = None) -> dict[str, int]:
    """``{finding id: dots}`` placed by one member (by ``member_id`` when given, else by display name)."""
    key = _key(member, member_id)
    items, votes = _read(store, lambda tx: (_run(tx, "workshop_notes", {"workshop": wid}),
                                            _run(tx, "workshop_votes", {"workshop": wid})))
    finding = {r["note"]["id"]: r["note"].get("finding") for r in items}
    out: dict[str, int] = {}
    for v in votes:
        if v["member"] == key and finding.get(v["item"]):
            out[finding[v["item"]]] = out.get(finding[v["item"]], 0) + 1
    return out


def actions(store, wid: str) -> list[dict[str, Any]]:
    """The workshop's actions, oldest first."""
    rows = _read(store, lambda tx: _run(tx, "workshop_actions", {"workshop": wid}))
    return [_clean_record(r["action"]) for r in rows]


def record(store, wid: str) -> dict[str, Any]:
    """The whole record: ``workshop``, ``shown``, ``notes``, ``votes`` (the tally), ``actions``, ``members``."""
    w = get(store, wid)
    ns, ts, acts = notes(store, w.id), tally(store, w.id), actions(store, w.id)
    members = sorted({n["author"] for n in ns if n.get("author")}
                     | {v.split(" ×")[0] for t in ts for v in t["voters"]}, key=str.casefold)
    return {"workshop": w.to_dict(), "shown": [dict(s) for s in w.shown], "notes": ns, "votes": ts,
            "actions": acts, "members": members}


_LABEL_KIND = {"Place": "place", "Category": "category", "Organisation": "organisation", "Service": "service"}


def concerning(store, kind: str, key: str) -> list[dict[str, Any]]:
    """Workshop notes, vote items and actions about one place, category, organisation or service.

    Each row has ``record`` (``note`` or ``action``) and the stored
    properties (``text``, ``votes``, ``owner``, ``due``, ``status``,
    ``workshop`` …), oldest first.
    """
    if kind not in ("place", "category", "organisation", "service"):
        raise WorkshopError(f"{kind!r}: records can be listed for a place, category, organisation or service")
    rows = _read(store, lambda tx: _run(tx, f"workshop_concerning_{kind}", {"key": str(key)}))
    return [{"record": r["record"], **_clean_record(r["properties"])} for r in rows]


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
FORMATS = ("json", "md", "csv")
CSV_COLUMNS = ["record", "id", "step", "view", "text", "author", "owner", "due", "status", "votes", "voters",
               "finding", "places", "categories", "organisations", "services", "at"]


def export(rec: Mapping[str, Any], fmt: str) -> str:
    """The record (from :func:`record`) as ``json``, ``md`` (meeting minutes) or ``csv`` (one row per item)."""
    if fmt == "json":
        return json.dumps(rec, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "md":
        return minutes(rec)
    if fmt == "csv":
        return _csv(rec)
    raise WorkshopError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(s: Any) -> str:
    """User text made inert in Markdown: one line, HTML characters as entities, Markdown punctuation escaped."""
    t = re.sub(r"\s+", " ", str(s if s is not None else "")).strip()
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", t)


def _when(iso: Any) -> str:
    s = str(iso or "")
    return s[11:16] if len(s) >= 16 else s


def minutes(rec: Mapping[str, Any]) -> str:
    """Meeting minutes in Markdown: attendees, views shown, priorities by votes, notes by step, actions."""
    w = rec["workshop"]
    place = f"{w.get('place_name') or w['place']} ({w['place']})"
    lines = [f"# Workshop minutes: {md_text(w['name'])}", "",
             f"- **Place:** {md_text(place)}", f"- **Figures as of:** {w['as_of']}",
             f"- **Workshop created:** {md_text(w['created'][:16].replace('T', ' '))} UTC",
             f"- **Contributors:** {', '.join(md_text(m) for m in rec['members']) or 'none recorded'}",
             f"- **Votes per member:** {w['votes_per_member']}", ""]
    lines += ["## Views shown", ""]
    if rec["shown"]:
        lines += [f"{i}. {_when(s.get('at'))} — {md_text(s.get('title'))}" for i, s in enumerate(rec["shown"], 1)]
    else:
        lines.append("No views were shown.")
    lines += ["", "## Priorities (dot votes)", ""]
    if rec["votes"]:
        lines += ["| Rank | Finding | Votes | Voters |", "|---:|---|---:|---|"]
        for i, t in enumerate(rec["votes"], 1):
            lines.append(f"| {i} | {md_text(t['summary'])} | {t['votes']} | "
                         f"{', '.join(md_text(v) for v in t['voters'])} |")
    else:
        lines.append("No votes were cast.")
    lines += ["", "## Notes", ""]
    if rec["notes"]:
        by_step: dict[str, list] = {}
        for n in rec["notes"]:
            by_step.setdefault(n.get("step_title") or "General", []).append(n)
        for title, ns in by_step.items():
            lines += [f"### {md_text(title)}", ""]
            for n in ns:
                about = n.get("finding_summary")
                about = f" _(about: {md_text(about)})_" if about else ""
                lines.append(f"- **{md_text(n.get('author'))}** ({_when(n.get('created'))}): {md_text(n['text'])}"
                             f"{about}")
            lines.append("")
    else:
        lines += ["No notes were recorded.", ""]
    lines += ["## Actions", ""]
    if rec["actions"]:
        lines += ["| Action | Owner | Due | Status | Concerns |", "|---|---|---|---|---|"]
        for a in rec["actions"]:
            concerns = a.get("finding_summary") or ", ".join(
                str(x) for k in ("places", "categories", "organisations", "services") for x in a.get(k) or [])
            lines.append(f"| {md_text(a['text'])} | {md_text(a.get('owner'))} | {a.get('due') or ''} | "
                         f"{md_text(a.get('status'))} | {md_text(concerns)} |")
    else:
        lines.append("No actions were agreed.")
    return "\n".join(lines).rstrip() + "\n"


def csv_cell(v: Any) -> str:
    """A CSV value a spreadsheet will not run as a formula."""
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        v = "; ".join(str(x) for x in v)
    from ecosystem.export import inert

    return inert(str(v))


def _csv(rec: Mapping[str, Any]) -> str:
    rows = []
    for i, s in enumerate(rec["shown"], 1):
        rows.append({"record": "view", "id": i, "step": s.get("step", 0) + 1, "view": s.get("view"),
                     "text": s.get("title"), "at": s.get("at")})
    for t in rec["votes"]:
        rows.append({"record": "vote", "id": t["item"], "text": t["summary"], "votes": t["votes"],
                     "voters": t["voters"], "finding": t["finding"], "places": t.get("place"),
                     "categories": t["categories"], "organisations": t["organisations"], "services": t["services"]})
    for n in rec["notes"]:
        rows.append({"record": "note", "id": n["id"], "view": n.get("view"), "step": n.get("step_title"),
                     "text": n["text"], "author": n.get("author"), "finding": n.get("finding"),
                     "places": n.get("places"), "categories": n.get("categories"),
                     "organisations": n.get("organisations"), "services": n.get("services"), "at": n.get("created")})
    for a in rec["actions"]:
        rows.append({"record": "action", "id": a["id"], "view": a.get("view"), "text": a["text"],
                     "author": a.get("author"), "owner": a.get("owner"), "due": a.get("due"),
                     "status": a.get("status"), "finding": a.get("finding"), "places": a.get("places"),
                     "categories": a.get("categories"), "organisations": a.get("organisations"),
                     "services": a.get("services"), "at": a.get("created")})
    buf = io.StringIO()
    wr = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    wr.writeheader()
    for r in rows:
        wr.writerow({c: csv_cell(r.get(c)) for c in CSV_COLUMNS})
    return buf.getvalue()
