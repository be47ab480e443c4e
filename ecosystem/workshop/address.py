"""The dashboard's address, recorded so the links `ecomap workshop new` prints are real."""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Any

log = logging.getLogger(__name__)


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
