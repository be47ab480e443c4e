"""Who may use the dashboard, over HTTP (the app's werkzeug test client and a served app): host, login, workshop
links, member identity, size limit, security headers and the access log."""

from __future__ import annotations

import io
import json
import logging
import urllib.request

import pytest
from support import serving

from dashboard import access
from ecosystem import workshop as ws

LOGIN = "a-login-token-for-the-tests-0123456789"


@pytest.fixture
def app(app_over_demo):
    yield app_over_demo
    access.configure()  # back to a loopback dashboard with no login


@pytest.fixture
def lan(app):
    """The dashboard as ``ecomap serve --host 0.0.0.0 --public-url http://board.example:8050`` sets it up."""
    access.configure(host="0.0.0.0", port=8050, public_url="http://board.example:8050", token=LOGIN)
    return app.server.test_client()


@pytest.fixture(scope="module")
def meeting(demo_store):
    from ecosystem.demo import DEMO_AS_OF, DEMO_PLACE

    import uuid
    return ws.create(demo_store, f"Access {uuid.uuid4().hex[:8]}", DEMO_PLACE, as_of=DEMO_AS_OF, votes_per_member=2)


def _poll(client, wid):
    return client.post("/_dash-update-component", json={
        "output": "workshop-seen.data", "outputs": {"id": "workshop-seen", "property": "data"},
        "inputs": [{"id": "workshop-poll", "property": "n_intervals", "value": 1}],
        "state": [{"id": "workshop-auth", "property": "data", "value": {"workshop": wid}},
                  {"id": "workshop-rev", "property": "data", "value": -1}],
        "changedPropIds": ["workshop-poll.n_intervals"]})


def _overview(client, inputs=("overview-place", "overview-category", "overview-as-of", "overview-scenario",
                                       "overview-metric")):
    from dashboard.pages.overview import OUTPUTS

    outputs = [{"id": o.component_id, "property": o.component_property} for o in OUTPUTS]
    return client.post("/_dash-update-component", json={
        "output": ".." + "...".join(str(o) for o in OUTPUTS) + "..",
        "outputs": outputs,
        "inputs": [{"id": i, "property": "value", "value": None} for i in inputs],
        "state": [{"id": "overview-map-summary", "property": "n_clicks", "value": 0}],
        "changedPropIds": ["overview-place.value"]})


def test_a_foreign_host_is_refused_on_loopback_too(app):
    access.configure()  # 127.0.0.1, no login
    c = app.server.test_client()
    for host in ("localhost", "127.0.0.1:8050", "[::1]:8050", "localhost:8050"):
        assert c.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("attacker.example", "attacker.example:8050", "127.0.0.1.attacker.example", ""):
        r = c.get("/", headers={"Host": host})
        assert r.status_code == 400 and b"not the dashboard's" in r.data, host
    assert c.post("/_dash-update-component", json={}, headers={"Host": "rebound.example"}).status_code == 400


def test_a_page_on_another_site_cannot_post(app):
    access.configure()
    c = app.server.test_client()
    r = _overview(c.__class__(app.server)) if False else c.post(
        "/_dash-update-component", json={}, headers={"Origin": "http://attacker.example"})
    assert r.status_code == 403
    assert _overview(c).status_code == 200  # the same request from the dashboard's own pages (no foreign Origin)


def test_one_request_reads_the_data_version_once(app):
    """The overview's answer is built of several cached parts, each of which asked the store for the data
    version; within one request it is asked once."""
    from dashboard import state

    access.configure()
    store = state.service().store
    asked, real = [], store.run
    store.run = lambda name, *a, **k: (asked.append(name), real(name, *a, **k))[1]
    try:
        for _ in range(2):
            asked.clear()
            assert _overview(app.server.test_client()).status_code == 200
            assert asked.count("latest_load_run") == 1, asked
    finally:
        del store.run


def test_a_request_of_the_wrong_shape_is_a_short_refusal_not_a_500(app):
    access.configure()
    c = app.server.test_client()
    r = _overview(c, inputs=("overview-place",))  # three inputs missing
    assert r.status_code == 400 and b"could not be used" in r.data
    assert c.post("/_dash-update-component", data=b"[1, 2", content_type="application/json").status_code == 400
    assert c.get("/no-such-file.js").status_code in (200, 404)


def test_security_headers_on_every_answer(app):
    c = app.server.test_client()
    for path in ("/", "/_dash-layout", "/workshop", "/no-such-page"):
        h = c.get(path).headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"], path
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff", path
        assert h["Referrer-Policy"] == "no-referrer", path


def test_beyond_loopback_the_login_token_is_needed_and_kept_as_a_cookie(lan):
    assert lan.get("/", headers={"Host": "board.example:8050"}).status_code == 401
    page = lan.get("/gaps", headers={"Host": "board.example:8050"})
    assert page.status_code == 401 and b"needs its login token" in page.data and b"Gaps" not in page.data
    assert _overview(lan).status_code == 401
    assert lan.get("/?token=wrong").status_code == 401
    r = lan.get("/gaps?place=E08000009&token=" + LOGIN)
    assert r.status_code == 303 and r.headers["Location"] == "/gaps?place=E08000009"  # the token leaves the address
    assert LOGIN not in r.headers["Set-Cookie"]  # the cookie carries a signed digest, not the token
    assert lan.get("/gaps").status_code == 200
    assert _overview(lan).status_code == 200
    assert lan.get("/_dash-layout").status_code == 200  # the page shell has no data in it


def test_the_login_form(lan):
    assert lan.post("/login", data={"token": "nope", "next": "/"}).status_code == 401
    r = lan.post("/login", data={"token": LOGIN, "next": "//attacker.example/"})
    assert r.status_code == 303 and r.headers["Location"] == "/"  # never sent elsewhere
    assert lan.get("/data").status_code == 200


def test_a_made_up_token_is_printed_once_when_none_is_given(app):
    cfg = access.configure(host="0.0.0.0")
    assert cfg.token and len(cfg.token) >= 32
    assert access.configure(host="127.0.0.1").token is None


def test_a_board_link_opens_its_workshop_and_nothing_else(lan, meeting):
    wid = meeting.workshop.id
    r = lan.get(f"/workshop?workshop={wid}&token={meeting.board_token}")
    assert r.status_code == 303 and r.headers["Location"] == f"/workshop?workshop={wid}"
    cookies = r.headers.getlist("Set-Cookie")
    assert any(c.startswith(access.WORKSHOP_COOKIE + "=") for c in cookies)
    assert any(c.startswith(access.MEMBER_COOKIE + "=") for c in cookies)  # a member identity on joining
    assert all(meeting.board_token not in c for c in cookies) and all("HttpOnly" in c for c in cookies)
    assert lan.get(f"/workshop?workshop={wid}").status_code == 200
    assert _poll(lan, wid).status_code == 200  # the workshop's own callbacks answer
    assert _overview(lan).status_code == 403  # other pages' callbacks do not
    assert lan.get("/data").status_code == 401
    routing = lan.post("/_dash-update-component", json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/data"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "state": [], "changedPropIds": ["_pages_location.pathname"]})
    assert routing.status_code == 403  # page routing only to the workshop


def test_the_workshop_poll_answers_only_with_the_workshops_token(app, meeting):
    access.configure()
    owner = app.server.test_client()  # the dashboard's owner on this machine, with no workshop link
    assert _poll(owner, meeting.workshop.id).status_code == 204
    wrong = app.server.test_client()
    wrong.get(f"/workshop?workshop={meeting.workshop.id}&token=not-the-token")
    assert _poll(wrong, meeting.workshop.id).status_code == 204
    member = app.server.test_client()
    member.get(f"/workshop?workshop={meeting.workshop.id}&token={meeting.board_token}")
    r = _poll(member, meeting.workshop.id)
    assert r.status_code == 200 and r.get_json()["response"]["workshop-seen"]["data"] == \
        ws.state(app_store(), meeting.workshop.id)["revision"]


def app_store():
    from dashboard import state

    return state.service().store


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(app):
    """A request announcing 2 GB gets its refusal at once, though not one byte of the body was sent."""
    import socket
    import urllib.parse

    access.configure(upload_mb=1)
    with serving(app.server) as base:
        addr = urllib.parse.urlsplit(base)
        with socket.create_connection((addr.hostname, addr.port), timeout=20) as s:
            s.sendall(b"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 2000000000\r\n\r\n")
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b"upload limit of 1 MB" in answer
    c = app.server.test_client()
    assert c.post("/_dash-update-component", data=b"x" * (access.request_limit(1) + 1),
                  content_type="application/json").status_code == 413
    assert c.post("/_dash-update-component", data=b"{}", content_type="application/json").status_code != 413


def test_tokens_never_reach_the_access_log(app, meeting, caplog):
    access.configure(host="127.0.0.1", token=LOGIN)
    caplog.set_level(logging.INFO, logger="werkzeug")
    with serving(app.server) as base:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        for url in (f"{base}/?token={LOGIN}", f"{base}/workshop?workshop={meeting.workshop.id}&token="
                    f"{meeting.board_token}", f"{base}/?token=guessed-wrong-token"):
            try:
                opener.open(url, timeout=30).read()
            except urllib.error.HTTPError as e:
                assert e.code == 401
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /?token=[hidden]" in logged  # the requests are logged, without their tokens
    assert LOGIN not in logged and meeting.board_token not in logged and "guessed-wrong-token" not in logged


@pytest.mark.parametrize("argv, words", [
    (["serve", "--public-url", "board.example"], "--public-url 'board.example' is not an http(s) address"),
    (["serve", "--public-url", "ftp://x.example"], "is not an http(s) address"),
    (["serve", "--max-upload-mb", "0"], "--max-upload-mb must be at least 1"),
])
def test_serve_refuses_bad_options_before_it_starts(argv, words, capsys):
    from ecosystem import cli

    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and "ecomap dashboard:" not in err


def test_the_list_of_workshops_needs_the_login(lan):
    page = lan.get("/workshop")
    assert page.status_code == 401 and b"needs its login token" in page.data
    lan.get("/?token=" + LOGIN)
    assert lan.get("/workshop").status_code == 200


def test_the_cookie_key_is_kept_private_in_the_home_so_a_restart_keeps_members(tmp_path):
    import os

    first = access.home_secret(tmp_path / "home")
    assert len(first) == 32 and access.home_secret(tmp_path / "home") == first
    assert oct(os.stat(tmp_path / "home" / "dashboard-secret").st_mode & 0o777) == "0o600"
    assert access.home_secret(tmp_path / "other") != first
