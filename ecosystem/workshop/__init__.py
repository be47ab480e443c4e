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

Modules, one job each: :mod:`~ecosystem.workshop.model` (roles, views,
limits, errors, the stored workshop), :mod:`~ecosystem.workshop.text`
(cleaning what people type), :mod:`~ecosystem.workshop.access` (tokens,
roles, rate limits), :mod:`~ecosystem.workshop.address` (the dashboard's
recorded address), :mod:`~ecosystem.workshop.sessions` (creating and
steering workshops), :mod:`~ecosystem.workshop.targets` (what an item is
about), :mod:`~ecosystem.workshop.contributions` (notes, votes, actions),
:mod:`~ecosystem.workshop.reading` (the record read back) and
:mod:`~ecosystem.workshop.minutes` (exports). Import from the package:
``from ecosystem import workshop as ws``.
"""

from ecosystem.workshop.model import (  # noqa: F401
    ACTION_STATUSES,
    BOARD,
    DEFAULT_STEPS,
    FRAGILITY_KINDS,
    Forbidden,
    GAP_KINDS,
    Links,
    MAX_KEY,
    MAX_MEMBER,
    MAX_NAME,
    MAX_OWNER,
    MAX_STEPS,
    MAX_TARGETS,
    MAX_TEXT,
    MAX_TITLE,
    MAX_VOTES,
    NotFound,
    PRESENTER,
    ROLES,
    RateLimited,
    TARGET_KINDS,
    VIEWS,
    VOTABLE_KINDS,
    VoteLimit,
    Workshop,
    WorkshopError,
)
from ecosystem.workshop.text import (  # noqa: F401
    clean_text,
    member_key,
    workshop_id,
)
from ecosystem.workshop.access import (  # noqa: F401
    RateLimiter,
    can,
    hash_token,
    is_local_request,
    is_loopback,
    new_token,
    require,
    role_for,
    role_for_hash,
)
from ecosystem.workshop.address import (  # noqa: F401
    DASHBOARD_FILE,
    dashboard_url,
    forget_dashboard,
    link,
    record_dashboard,
)
from ecosystem.workshop.sessions import (  # noqa: F401
    check_steps,
    create,
    find,
    get,
    go_to,
    list_workshops,
    move_step,
    new_links,
    set_steps,
    state,
)
from ecosystem.workshop.targets import (  # noqa: F401
    Targets,
    targets,
)
from ecosystem.workshop.contributions import (  # noqa: F401
    add_action,
    add_note,
    unvote,
    update_action,
    vote,
    vote_item_id,
    votes_left,
)
from ecosystem.workshop.reading import (  # noqa: F401
    actions,
    concerning,
    member_votes,
    notes,
    record,
    tally,
)
from ecosystem.workshop.minutes import (  # noqa: F401
    CSV_COLUMNS,
    FORMATS,
    csv_cell,
    export,
    md_text,
    minutes,
)

__all__ = [
    "ACTION_STATUSES",
    "BOARD",
    "DEFAULT_STEPS",
    "FRAGILITY_KINDS",
    "Forbidden",
    "GAP_KINDS",
    "Links",
    "MAX_KEY",
    "MAX_MEMBER",
    "MAX_NAME",
    "MAX_OWNER",
    "MAX_STEPS",
    "MAX_TARGETS",
    "MAX_TEXT",
    "MAX_TITLE",
    "MAX_VOTES",
    "NotFound",
    "PRESENTER",
    "ROLES",
    "RateLimited",
    "TARGET_KINDS",
    "VIEWS",
    "VOTABLE_KINDS",
    "VoteLimit",
    "Workshop",
    "WorkshopError",
    "clean_text",
    "member_key",
    "workshop_id",
    "RateLimiter",
    "can",
    "hash_token",
    "is_local_request",
    "is_loopback",
    "new_token",
    "require",
    "role_for",
    "role_for_hash",
    "DASHBOARD_FILE",
    "dashboard_url",
    "forget_dashboard",
    "link",
    "record_dashboard",
    "check_steps",
    "create",
    "find",
    "get",
    "go_to",
    "list_workshops",
    "move_step",
    "new_links",
    "set_steps",
    "state",
    "Targets",
    "targets",
    "add_action",
    "add_note",
    "unvote",
    "update_action",
    "vote",
    "vote_item_id",
    "votes_left",
    "actions",
    "concerning",
    "member_votes",
    "notes",
    "record",
    "tally",
    "CSV_COLUMNS",
    "FORMATS",
    "csv_cell",
    "export",
    "md_text",
    "minutes",
]
