"""Who may use the dashboard, checked on every request before any page or callback runs (as Jupyter does it).

- **Host**: a request whose ``Host`` is not the bound address, a loopback
  name, the ``--public-url`` host or (bound to every address) one of this
  machine's own addresses is refused, on loopback too: a web page on
  another site cannot reach the dashboard by pointing its own name at
  127.0.0.1 (DNS rebinding). A ``POST`` from a page on another origin is
  refused likewise.
- **Login**: a dashboard bound beyond loopback needs its login token
  (``--token`` / ``ECOMAP_TOKEN``, or one made at start and printed once).
  ``?token=…`` on any address, or the login form, sets it as a cookie and
  the token is taken out of the address at once.
- **Workshop links**: ``/workshop?workshop=ID&token=…`` with that workshop's
  presenter or board token opens only that workshop, in that role, without
  the login token: the token's hash goes into a signed cookie and the
  address loses the token. Such a visitor can reach the workshop page and
  its callbacks, nothing else. Each visitor gets a member identity (a
  signed, random id) the first time they open a workshop, so votes and
  budgets belong to a device, not to a typed name.
- **Size**: a request body larger than the upload limit is refused from
  its ``Content-Length``, before it is read.
- **Headers**: no framing (``frame-ancestors 'none'``, ``X-Frame-Options``),
  ``nosniff``, no referrer (links carry tokens).
- **Logs**: the access log never shows a token.
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import socket
import urllib.parse
from typing import Any, Iterable

from flask import Flask, Response, g, redirect, request
from itsdangerous import BadSignature, URLSafeSerializer

log = logging.getLogger(__name__)

LOGIN_COOKIE = "ecomap-login"
WORKSHOP_COOKIE = "ecomap-workshop"
MEMBER_COOKIE = "ecomap-member"
#: default upload limit (the largest file the data page takes), in MB; ``--max-upload-mb`` / ECOMAP_MAX_UPLOAD_MB
DEFAULT_UPLOAD_MB = 50
#: paths any visitor may fetch: the page shell and Dash's own scripts (no data is in them)
PUBLIC = ("/_dash-component-suites/", "/assets/", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
          "/_reload-hash", "/login")
#: callback outputs a visitor holding only a workshop link may ask for (the workshop page, page routing, messages)
WORKSHOP_OUTPUTS = re.compile(r"^(workshop-[a-z-]+|_pages_content|_pages_store|app-error|"
                              r"\{\"index\":.*\"type\":\"workshop-[a-z-]+\"\})\.")
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_TOKEN_IN_TEXT = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)


def upload_limit_mb() -> int:
    """The upload limit in MB: ECOMAP_MAX_UPLOAD_MB, else :data:`DEFAULT_UPLOAD_MB`."""
    raw = os.environ.get("ECOMAP_MAX_UPLOAD_MB")
    try:
        return max(1, int(raw)) if raw else DEFAULT_UPLOAD_MB
    except ValueError:
        log.warning("ECOMAP_MAX_UPLOAD_MB=%r is not a whole number; using %d", raw, DEFAULT_UPLOAD_MB)
        return DEFAULT_UPLOAD_MB


def request_limit(upload_mb: int) -> int:
    """Bytes a request may carry for uploads of ``upload_mb`` MB: base64 (4/3) in JSON, plus room for the rest."""
    return upload_mb * 2**20 * 4 // 3 + 2**20


@dataclasses.dataclass
class Config:
    """How the running dashboard is reached (set by :func:`configure`)."""

    host: str = "127.0.0.1"
    port: int = 8050
    public_url: str | None = None
    token: str | None = None  # the login token; None: no login (a loopback dashboard)
    upload_mb: int = DEFAULT_UPLOAD_MB
    secret: bytes = dataclasses.field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    allowed_hosts: frozenset[str] = frozenset()

    @property
    def base_url(self) -> str:
        """The address links should use: the public URL, else the bound address (a LAN address for 0.0.0.0)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = lan_address() or "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


_CONFIG = Config()


def config() -> Config:
    return _CONFIG


def is_loopback(host: str | None) -> bool:
    h = (host or "").strip().strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """This machine's address on its local network (the one its default route uses), or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent
            addr = s.getsockname()[0]
        return None if addr.startswith("127.") else addr
    except OSError:
        return None


def _own_names() -> set[str]:
    names = {socket.gethostname().lower()}
    try:
        names.add(socket.getfqdn().lower())
        names |= set(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    lan = lan_address()
    if lan:
        names.add(lan)
    return names


def configure(*, host: str = "127.0.0.1", port: int = 8050, public_url: str | None = None,
              token: str | None = None, upload_mb: int | None = None, secret: bytes | None = None) -> Config:
    """Set how the dashboard is reached. Beyond loopback a login token is required: one is made when none is given."""
    global _CONFIG
    if public_url:
        parts = urllib.parse.urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--public-url {public_url!r} is not an http(s) address such as http://10.0.0.5:8050")
    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(24)
    allowed = {"localhost", "127.0.0.1", "::1"}
    if host not in ("0.0.0.0", "::", ""):
        allowed.add(host.lower().strip("[]"))
    else:
        allowed |= _own_names()
    if public_url:
        allowed.add(urllib.parse.urlsplit(public_url).hostname.lower())
    _CONFIG = Config(host=host, port=port, public_url=public_url.rstrip("/") if public_url else None, token=token,
                     upload_mb=upload_mb or upload_limit_mb(), secret=secret or secrets.token_bytes(32),
                     allowed_hosts=frozenset(allowed))
    return _CONFIG


def home_secret(home: Any) -> bytes:
    """The key that signs the dashboard's cookies, kept in ECOMAP_HOME (0600) so a restart keeps members and logins."""
    import pathlib

    path = pathlib.Path(home) / "dashboard-secret"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except OSError:
        pass
    data = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as e:  # a read-only home: cookies then last as long as this process
        log.warning("could not keep the dashboard's cookie key in %s: %s", path, e)
    return data


def host_allowed(host_header: str | None, cfg: Config | None = None) -> bool:
    cfg = cfg or _CONFIG
    if not host_header:
        return False
    name = urllib.parse.urlsplit("//" + host_header.strip()).hostname or ""
    return is_loopback(name) or name.lower() in cfg.allowed_hosts


# ---------------------------------------------------------------- cookies
def _signer(cfg: Config, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(cfg.secret, salt=f"ecomap-{purpose}")


def _read(purpose: str, default: Any) -> Any:
    raw = request.cookies.get({"login": LOGIN_COOKIE, "workshop": WORKSHOP_COOKIE, "member": MEMBER_COOKIE}[purpose])
    if not raw:
        return default
    try:
        return _signer(_CONFIG, purpose).loads(raw)
    except BadSignature:
        return default


def _set(resp: Response, name: str, purpose: str, value: Any) -> None:
    resp.set_cookie(name, _signer(_CONFIG, purpose).dumps(value), httponly=True, samesite="Lax",
                    secure=request.is_secure, path="/")


def logged_in(cfg: Config | None = None) -> bool:
    """Whether this request may use the whole dashboard (no login needed, or the login cookie is good)."""
    cfg = cfg or _CONFIG
    if not cfg.token:
        return True
    got = _read("login", None)
    return isinstance(got, str) and hmac.compare_digest(got, _digest(cfg.token))


def _digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def workshop_hashes() -> dict[str, str]:
    """``{workshop id: token hash}`` this visitor holds (from workshop links they opened)."""
    got = _read("workshop", {})
    return {str(k): str(v) for k, v in got.items()} if isinstance(got, dict) else {}


def member_id() -> str | None:
    """This visitor's member identity (given when they first opened a workshop), or None."""
    if getattr(g, "ecomap_member", None):
        return g.ecomap_member
    got = _read("member", None)
    return got if isinstance(got, str) and re.fullmatch(r"m-[0-9a-f]{32}", got) else None


def in_request() -> bool:
    try:
        request.path  # noqa: B018
        return True
    except RuntimeError:
        return False


# ---------------------------------------------------------------- the checks
def _refuse(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _login_page(status: int = 401, wrong: bool = False) -> Response:
    from html import escape

    note = "<p role='alert'>That token is not right.</p>" if wrong else ""
    body = f"""<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>ecomap — log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
input,button{{font-size:1.1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.3rem 0}}</style></head>
<body><h1>ecomap</h1><p>This dashboard needs its login token. Open the address that <code>ecomap serve</code>
printed (it ends with <code>?token=…</code>) or paste the token here.</p>{note}
<p>Board members: open the workshop link the presenter gave you.</p>
<form method="post" action="/login"><label for="token">Login token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{escape(request.full_path if request.method == 'GET' else '/')}">
<button type="submit">Log in</button></form></body></html>"""
    return Response(body, status=status, mimetype="text/html")


def _without_token(url_path: str, args: Iterable[tuple[str, str]]) -> str:
    rest = [(k, v) for k, v in args if k != "token"]
    return url_path + ("?" + urllib.parse.urlencode(rest) if rest else "")


def _safe_next(target: str | None) -> str:
    t = str(target or "/")
    return t if t.startswith("/") and not t.startswith("//") else "/"


def _workshop_link(token: str, wid: str) -> Response:
    """A workshop link opened: keep the token's hash for that workshop (when it is right) and drop it from the URL."""
    from dashboard import state
    from ecosystem import workshop as ws

    target = _without_token(request.path, request.args.items(multi=True))
    resp = redirect(target, code=303)
    try:
        w = ws.get(state.service().store, wid)
    except Exception as e:  # no such workshop, or the store is down: the page says which
        log.info("workshop link for %r not accepted: %s", wid, type(e).__name__)
        return resp
    if ws.role_for(w, token, local=False):
        held = workshop_hashes()
        held[w.id] = ws.hash_token(token)
        _set(resp, WORKSHOP_COOKIE, "workshop", dict(list(held.items())[-20:]))
        if not member_id():  # joining: this device becomes a member with its own identity
            _set(resp, MEMBER_COOKIE, "member", f"m-{secrets.token_hex(16)}")
    return resp


def _callback_is_workshop_only() -> bool:
    body = request.get_json(silent=True, cache=True)
    if not isinstance(body, dict):
        return False
    outs = body.get("outputs")
    outs = outs if isinstance(outs, list) else [outs]
    for o in outs:
        if not isinstance(o, dict):
            return False
        ident = o.get("id")
        ident = json.dumps(ident, sort_keys=True, separators=(",", ":")) if isinstance(ident, dict) else str(ident)
        if not WORKSHOP_OUTPUTS.match(f"{ident}.{o.get('property')}"):
            return False
    for i in body.get("inputs") or []:  # page routing only to the workshop page
        if isinstance(i, dict) and i.get("id") == "_pages_location" and i.get("property") == "pathname" \
                and i.get("value") != "/workshop":
            return False
    return True


def before_request():
    cfg = _CONFIG
    if not host_allowed(request.host, cfg):
        log.warning("refused a request for host %r (not this dashboard's address)", request.host[:100])
        return _refuse(400, "This address is not the dashboard's. Use the address `ecomap serve` printed "
                            "(or start it with --public-url for the name people use).")
    origin = request.headers.get("Origin")
    if request.method not in ("GET", "HEAD", "OPTIONS") and origin and origin != "null" \
            and not host_allowed(urllib.parse.urlsplit(origin).netloc, cfg):
        return _refuse(403, "A page on another site may not change this dashboard.")
    limit = request_limit(cfg.upload_mb)
    request.max_content_length = limit  # a body sent without a length is cut off at the limit as it is read
    if request.content_length is not None and request.content_length > limit:
        return _refuse(413, f"The request is larger than the upload limit of {cfg.upload_mb} MB; load big files "
                            "with `ecomap load` instead.")
    path = request.path
    token = request.args.get("token")
    if token is not None and request.method == "GET":
        if path.rstrip("/") == "/workshop" and request.args.get("workshop"):
            return _workshop_link(token, request.args["workshop"])
        if cfg.token and hmac.compare_digest(token.encode(), cfg.token.encode()):
            resp = redirect(_without_token(path, request.args.items(multi=True)), code=303)
            _set(resp, LOGIN_COOKIE, "login", _digest(cfg.token))
            return resp
        if cfg.token and not logged_in(cfg):
            return _login_page(wrong=True)
    if path == "/login":
        if request.method == "POST":
            given = request.form.get("token", "")
            if cfg.token and hmac.compare_digest(given.encode(), cfg.token.encode()):
                resp = redirect(_safe_next(request.form.get("next")), code=303)
                _set(resp, LOGIN_COOKIE, "login", _digest(cfg.token))
                return resp
            return _login_page(wrong=True)
        return redirect("/", code=303) if logged_in(cfg) else _login_page(status=200)
    if path.rstrip("/") == "/workshop" and request.method == "GET" and not member_id():
        g.ecomap_member = f"m-{secrets.token_hex(16)}"  # a new member identity, kept by after_request
    if any(path.startswith(p) for p in PUBLIC) or logged_in(cfg):
        return None
    # without the login token: the workshop page and its callbacks only (each checks the workshop link's role
    # itself, so a visitor without a valid link is told so and shown nothing)
    if path.rstrip("/") == "/workshop":
        return None if request.args.get("workshop") else _login_page()  # the list of workshops needs the login
    if path == "/_dash-update-component":
        if _callback_is_workshop_only():
            return None
        return _refuse(403 if workshop_hashes() else 401, "A workshop link opens only its workshop; the rest of "
                       "the dashboard needs its login token.")
    return _login_page()


def after_request(resp: Response) -> Response:
    for k, v in SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    new = getattr(g, "ecomap_member", None)
    if new and not request.cookies.get(MEMBER_COOKIE):
        _set(resp, MEMBER_COOKIE, "member", new)
    return resp


class RedactTokens(logging.Filter):
    """Takes ``token=…`` out of log records (the werkzeug access log shows each request's address)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_TOKEN_IN_TEXT.sub(r"\1[hidden]", a) if isinstance(a, str) else a
                                for a in (record.args if isinstance(record.args, tuple) else (record.args,)))
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_TEXT.sub(r"\1[hidden]", record.msg)
        return True


def failed(e: Exception):
    """An error no callback caught (a request of the wrong shape): a short answer, never a 500 page."""
    from werkzeug.exceptions import HTTPException

    if isinstance(e, HTTPException):
        return e
    log.warning("request to %s could not be answered: %s: %s", request.path, type(e).__name__, e)
    return _refuse(400, "That request could not be used (a value was missing or of the wrong kind); nothing was "
                        "changed.")


def _one_version():
    """A request reads the data version once (its callback's cached parts each asked the store for it)."""
    from ecosystem.service import one_version

    one_version()


def _versions_end(_exc=None):
    from ecosystem.service import one_version

    one_version(False)


def install(server: Flask) -> None:
    """Put the checks on the dashboard's Flask server (once)."""
    if getattr(server, "_ecomap_access", False):
        return
    server.before_request(before_request)
    server.before_request(_one_version)
    server.teardown_request(_versions_end)
    server.after_request(after_request)
    server.register_error_handler(Exception, failed)
    server.config["MAX_CONTENT_LENGTH"] = None  # checked per request against the configured limit (see above)
    wl = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactTokens) for f in wl.filters):
        wl.addFilter(RedactTokens())
    server._ecomap_access = True
