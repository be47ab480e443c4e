"""The workshop page in a real headless browser: a presenter and a board member, each in their own browser context.

The dashboard is configured as ``ecomap serve --host 0.0.0.0`` configures it (a login token is needed for
anything but a workshop link), while the socket itself stays on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from support import ARGS, CHROMIUM, serving

from ecosystem import workshop as ws

AS_OF = dt.date(2026, 1, 1)  # the date in conftest.py

WAIT = 30_000
LOGIN = "login-token-for-these-tests"
PUBLIC = "http://board.example:8050"  # as `ecomap serve --public-url` gives it
UNDER = "under|LA|W1|mh"
XSS = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> & <b>bold</b>"

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(small):
    from dashboard import state
    from dashboard.app import create_app

    from dashboard import access

    app = create_app(small, query={"place": "LA", "as_of": AS_OF.isoformat()})
    state.configure(small, defaults={"place": "LA", "as_of": AS_OF.isoformat()})
    access.configure(host="0.0.0.0", token=LOGIN, public_url=PUBLIC)
    try:
        with serving(app.server) as base:
            yield base
    finally:
        access.configure()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def two(browser):
    """Two separate browser contexts (separate storage, like two devices): presenter and board member."""
    made = []

    def page():
        c = browser.new_context(viewport={"width": 1400, "height": 1000})
        made.append(c)
        pg = c.new_page()
        pg.set_default_timeout(WAIT)
        pg.errors = []  # type: ignore[attr-defined]
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        return pg

    yield page(), page()
    for c in made:
        c.close()


def _name(page, name):
    page.fill("#workshop-name-input", name)
    page.click("#workshop-name-save")
    page.wait_for_function("n => document.querySelector('#workshop-you').innerText.includes(n)", arg=name)


def test_presenter_and_board_member_run_a_meeting(small, server, two, fresh):
    links = ws.create(small, fresh("Board"), "LA", as_of=AS_OF, votes_per_member=2)
    wid = links.workshop.id
    presenter, member = two
    presenter.goto(links.presenter_link(server))
    member.goto(links.board_link(server))
    presenter.wait_for_selector("#workshop-step-title:has-text('Place overview')")
    member.wait_for_selector("#workshop-step-title:has-text('Place overview')")
    presenter.wait_for_selector("#workshop-step-figure .main-svg")  # the overview step's map of unmet need
    assert "Unmet need by place" in presenter.inner_text(".workshop-step-figure")
    assert presenter.inner_text("#workshop-role") == "Presenter"
    assert member.inner_text("#workshop-role") == "Board member"
    assert member.is_hidden("#workshop-next") and member.is_hidden(".workshop-action-form")
    assert presenter.is_visible("#workshop-next") and presenter.is_visible(".workshop-action-form")
    _name(presenter, "Chair")
    _name(member, "Ann")

    # the presenter moves on; the member's screen follows by polling
    presenter.click("#workshop-next")
    presenter.wait_for_selector("#workshop-step-title:has-text('Gaps')")
    member.wait_for_selector("#workshop-step-title:has-text('Gaps')")
    assert member.inner_text("#workshop-step-count") == "Step 2 of 5"
    # each step shows what it discusses: the gaps step its heatmap, on the board member's screen too
    member.wait_for_selector("#workshop-step-figure .main-svg")
    assert "Coverage by place and category" in member.inner_text(".workshop-step-figure")

    # a dot-vote from the member shows on both screens and is in the store
    vote = f"li[data-finding='{UNDER}'] button.workshop-vote"
    member.click(vote)
    member.wait_for_selector(f"li[data-finding='{UNDER}'] .workshop-dots:has-text('1 vote (1 yours)')")
    presenter.wait_for_selector(f"li[data-finding='{UNDER}'] .workshop-dots:has-text('1 vote')")
    member.click(vote)
    member.wait_for_selector(f"li[data-finding='{UNDER}'] .workshop-dots:has-text('2 votes (2 yours)')")
    member.wait_for_function("() => document.querySelector('#workshop-you').innerText.includes('0 of 2 votes left')")
    assert member.is_disabled(vote)  # budget spent
    assert [(t["finding"], t["votes"]) for t in ws.tally(small, wid)] == [(UNDER, 2)]

    # a note with script and HTML payloads arrives as text on both screens and runs nothing
    member.fill("#workshop-note-text", XSS)
    member.click("#workshop-note-add")
    for page in (member, presenter):
        page.wait_for_selector(".workshop-note-text")
        page.wait_for_function(
            "t => [...document.querySelectorAll('.workshop-note-text')].some(e => e.innerText === t)", arg=XSS)
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate("document.querySelectorAll('#workshop-notes script, #workshop-notes img, "
                             "#workshop-notes b').length") == 0
    assert member.input_value("#workshop-note-text") == ""
    [note] = ws.notes(small, wid)
    assert note["text"] == XSS and note["author"] == "Ann" and note["view"] == "gaps"

    # the presenter records an action against a finding; the member sees it
    presenter.fill("#workshop-action-text", "Ask the ICB to extend Talk into North")
    presenter.fill("#workshop-action-owner", "Commissioning lead")
    presenter.fill("#workshop-action-due", "2026-03-31")
    presenter.click("#workshop-action-add")
    member.wait_for_selector(".workshop-action-text:has-text('Ask the ICB to extend Talk into North')")
    [action] = ws.actions(small, wid)
    assert (action["owner"], action["due"], action["status"]) == ("Commissioning lead", "2026-03-31", "open")
    assert presenter.errors == [] and member.errors == []

    rec = ws.record(small, wid)
    assert [s["title"] for s in rec["shown"]] == ["Gaps"] and rec["members"] == ["Ann"]


def test_presenter_reorders_the_walkthrough(small, server, two, fresh):
    links = ws.create(small, fresh("Reorder"), "LA", as_of=AS_OF)
    presenter, member = two
    presenter.goto(links.presenter_link(server))
    presenter.wait_for_selector("#workshop-step-list")
    presenter.click("button[aria-label='Move Place overview down']")
    presenter.wait_for_function(
        "() => document.querySelector('#workshop-step-list li').innerText.startsWith('Gaps')")
    assert [s["view"] for s in ws.get(small, links.workshop.id).steps][:2] == ["gaps", "overview"]
    member.goto(links.board_link(server))
    member.wait_for_selector("#workshop-step-title")
    assert member.query_selector("#workshop-step-list") is None  # board members do not get the editor


def test_without_a_valid_token_nothing_is_shown_or_writable(small, server, two, fresh):
    links = ws.create(small, fresh("Closed"), "LA", as_of=AS_OF)
    page, _ = two
    for url in (f"{server}/workshop?workshop={links.workshop.id}",
                f"{server}/workshop?workshop={links.workshop.id}&token=wrong",
                f"{server}/workshop?workshop=no-such-workshop&token={links.board_token}"):
        page.goto(url)
        page.wait_for_selector("#workshop-page .alert")
        assert "not valid" in page.inner_text("#workshop-page")
        assert page.query_selector("#workshop-note-add") is None and page.query_selector("#workshop-stage") is None
    page.goto(f"{server}/workshop")
    page.wait_for_selector("input#token")  # the list of workshops needs the login token
    assert page.query_selector("#workshop-lobby") is None
    page.goto(f"{server}/workshop?workshop={links.workshop.id}&token={links.board_token}")
    page.wait_for_selector("#workshop-stage")
    page.goto(f"{server}/gaps")  # a board link opens its workshop, nothing else
    assert "needs its login token" in page.inner_text("body")
    assert ws.get(small, links.workshop.id).revision == 0


def _refusal(page) -> str:
    """The message the page shows after a refused change."""
    page.wait_for_selector("#workshop-message .alert")
    return page.inner_text("#workshop-message")


def test_every_refusal_reaches_the_board_member_as_a_message(small, server, two, fresh, monkeypatch):
    from dashboard.pages import workshop as page_module

    links = ws.create(small, fresh("Refusals"), "LA", as_of=AS_OF, votes_per_member=1)
    wid = links.workshop.id
    ws.go_to(small, wid, 1, role=ws.PRESENTER)  # the gaps step, where there is something to vote on
    _, member = two
    statuses = []
    member.on("response", lambda r: statuses.append(r.status) if "_dash-update-component" in r.url else None)
    member.goto(links.board_link(server))
    member.wait_for_selector(f"li[data-finding='{UNDER}'] button.workshop-vote")

    # a vote before a name
    member.click(f"li[data-finding='{UNDER}'] button.workshop-vote")
    assert "add your name first" in _refusal(member)
    assert ws.tally(small, wid) == []

    # a presenter's action from a board member's page (the buttons are hidden; a page can still send it)
    member.evaluate("document.querySelector('.workshop-nav').hidden = false")
    member.click("#workshop-next")
    member.wait_for_function("() => document.querySelector('#workshop-message').innerText.includes('cannot')")
    assert "you cannot move the walkthrough as a board member" in member.inner_text("#workshop-message")
    assert ws.get(small, wid).current == 1

    # a vote after a name is placed
    _name(member, "Ann")
    member.click(f"li[data-finding='{UNDER}'] button.workshop-vote")
    member.wait_for_selector(f"li[data-finding='{UNDER}'] .workshop-dots:has-text('1 vote (1 yours)')")

    # the rate limit
    monkeypatch.setattr(page_module, "MEMBER_LIMIT", ws.RateLimiter(rate=0.001, burst=1))
    member.fill("#workshop-note-text", "first")
    member.click("#workshop-note-add")
    member.wait_for_function("() => document.querySelector('#workshop-message').innerText.includes('Note added')")
    member.fill("#workshop-note-text", "second")
    member.click("#workshop-note-add")
    member.wait_for_function("() => document.querySelector('#workshop-message').innerText.includes('too many')")
    assert member.input_value("#workshop-note-text") == "second"  # what was typed is kept for another try
    assert [n["text"] for n in ws.notes(small, wid)] == ["first"]
    assert statuses and 500 not in statuses and member.errors == []


def test_a_board_members_page_works_on_a_phone(small, server, browser, fresh, tmp_path):
    """390 × 844 (a common phone): nothing wider than the screen, buttons big enough to tap, a vote works."""
    import os
    import pathlib

    links = ws.create(small, fresh("Phone"), "LA", as_of=AS_OF, votes_per_member=3)
    ws.go_to(small, links.workshop.id, 1, role=ws.PRESENTER)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    try:
        phone = ctx.new_page()
        phone.set_default_timeout(WAIT)
        phone.goto(links.board_link(server))
        phone.wait_for_selector(f"li[data-finding='{UNDER}'] button.workshop-vote")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        _name(phone, "Sam, public health")
        vote = phone.locator(f"li[data-finding='{UNDER}'] button.workshop-vote")
        box = vote.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390
        vote.tap()
        phone.wait_for_selector(f"li[data-finding='{UNDER}'] .workshop-dots:has-text('1 vote (1 yours)')")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        shots = pathlib.Path(os.environ.get("ECOMAP_SCREENSHOTS") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(shots / "workshop-board-phone.png"), full_page=True)
    finally:
        ctx.close()


def test_the_lobby_needs_the_login_and_makes_new_links_on_the_public_address(small, server, two, fresh, tmp_path):
    import os
    import pathlib
    import urllib.parse

    shots = pathlib.Path(os.environ.get("ECOMAP_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    links = ws.create(small, fresh("Lobby"), "LA", as_of=AS_OF)
    owner, presenter = two
    owner.goto(f"{server}/workshop")
    owner.wait_for_selector("input#token")  # the login page, not the list
    owner.screenshot(path=str(shots / "login-page.png"))
    owner.fill("input#token", LOGIN)
    owner.click("button[type=submit]")
    owner.wait_for_selector("#workshop-lobby-list")
    assert owner.url == f"{server}/workshop"  # back where they were, without a token in the address
    owner.click(f"button[aria-label='New links for {links.workshop.name}']")
    owner.wait_for_selector("#lobby-presenter-link")
    owner.screenshot(path=str(shots / "workshop-lobby-links.png"), full_page=True)
    made = owner.inner_text("#lobby-presenter-link")
    board = owner.inner_text("#lobby-board-link")
    assert made.startswith(PUBLIC + "/workshop?") and board.startswith(PUBLIC + "/workshop?")
    w = ws.get(small, links.workshop.id)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(made).query)["token"][0]
    assert ws.role_for(w, token) == ws.PRESENTER and ws.role_for(w, links.presenter_token) is None
    presenter.goto(server + made[len(PUBLIC):])  # the same link on the test server's own address
    presenter.wait_for_selector("#workshop-role:has-text('Presenter')")
    assert "token=" not in presenter.url
