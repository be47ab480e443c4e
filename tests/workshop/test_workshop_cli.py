"""``ecomap workshop new|list|export|links`` on the real store."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse

from ecosystem import cli
from ecosystem import workshop as ws


def _json(capsys, argv):
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def test_new_prints_both_links_and_list_and_export_read_the_record(small, fresh, capsys, tmp_path):
    name = fresh("Board May")
    code, out, _ = _json(capsys, ["workshop", "new", name, "--place", "LA", "--as-of", "2026-01-01", "--votes", "4",
                                  "--url", "http://board.example:8050", "--json"])
    assert code == 0
    assert out["id"] == ws.workshop_id(name) and out["place"] == "LA" and out["as_of"] == "2026-01-01"
    assert out["votes_per_member"] == 4
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(out["board_link"]).query)
    assert out["board_link"].startswith("http://board.example:8050/workshop?")
    assert q == {"workshop": [out["id"]], "token": [out["board_token"]]}
    w = ws.get(small, out["id"])
    assert ws.role_for(w, out["presenter_token"], local=False) == ws.PRESENTER
    assert ws.role_for(w, out["board_token"], local=False) == ws.BOARD

    ws.add_note(small, out["id"], "Needs a <b>closer</b> look", author="Ann", role=ws.BOARD)
    ws.add_action(small, out["id"], "Ask P1", owner="Bo", due="2026-03-01", role=ws.PRESENTER)

    code, rows, _ = _json(capsys, ["workshop", "list", "--json"])
    mine = [r for r in rows if r["id"] == out["id"]]
    assert code == 0 and len(mine) == 1 and (mine[0]["notes"], mine[0]["votes"], mine[0]["actions"]) == (1, 0, 1)

    assert cli.main(["workshop", "export", name, "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Workshop minutes: Board May") and "Needs a &lt;b&gt;closer&lt;/b&gt; look" in md
    assert "| Ask P1 | Bo | 2026\\-03\\-01 | open |" in md or "| Ask P1 | Bo | 2026-03-01 | open |" in md

    assert cli.main(["workshop", "export", out["id"], "--format", "csv", "--out", str(tmp_path)]) == 0
    written = tmp_path / f"workshop-{out['id']}.csv"
    assert f"wrote {written}" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(written.read_text(encoding="utf-8"))))
    assert [r["record"] for r in rows] == ["note", "action"]

    code, rec, _ = _json(capsys, ["workshop", "export", out["id"], "--format", "json"])
    assert code == 0 and rec["workshop"]["name"] == name and rec["actions"][0]["due"] == "2026-03-01"


def test_new_without_json_prints_the_links_on_stdout(small, fresh, capsys):
    name = fresh()
    assert cli.main(["workshop", "new", name, "--place", "LA"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith(f"created workshop '{name}'") and "Town (LA)" in lines[0]
    assert lines[1].startswith("presenter link") and "http://127.0.0.1:8050/workshop?workshop=" in lines[1]
    assert lines[2].startswith("board link") and "token=" in lines[2]
    assert "shown only now" in out.err


def test_links_replaces_the_tokens(small, fresh, capsys):
    name = fresh()
    _, first, _ = _json(capsys, ["workshop", "new", name, "--place", "LA", "--json"])
    code, second, err = _json(capsys, ["workshop", "links", name, "--json"])
    assert code == 0 and "old links no longer work" in err
    w = ws.get(small, first["id"])
    assert ws.role_for(w, first["board_token"], local=False) is None
    assert ws.role_for(w, second["board_token"], local=False) == ws.BOARD


def test_bad_input_exits_2_with_a_reason(small, fresh, capsys):
    assert cli.main(["workshop", "new", fresh(), "--place", "NOWHERE"]) == 2
    assert "place 'NOWHERE' is not in the store" in capsys.readouterr().err
    assert cli.main(["workshop", "export", "never made", "--format", "md"]) == 2
    assert "no workshop" in capsys.readouterr().err
    assert cli.main(["workshop", "export", "x", "--format", "pdf"]) == 2
    assert cli.main(["workshop", "new", fresh(), "--place", "LA", "--as-of", "May"]) == 2
    assert "is not a date" in capsys.readouterr().err


def test_help_ends_with_an_example(capsys):
    for sub in ("new", "list", "export", "links"):
        assert cli.main(["workshop", sub, "--help"]) == 0
        assert "example:\n  ecomap workshop " + sub in capsys.readouterr().out


def test_links_use_the_running_dashboards_address(small, fresh, capsys, ecomap_home, tmp_path, monkeypatch):
    """A dashboard served with --host 0.0.0.0 --port 8123 notes its address; `workshop new` and `links` use it."""
    import os

    from ecosystem.server import default_home

    home = default_home()
    ws.record_dashboard(home, "http://192.168.1.20:8123")
    try:
        assert oct(os.stat(home / ws.DASHBOARD_FILE).st_mode & 0o777) == "0o600"
        code, out, err = _json(capsys, ["workshop", "new", fresh(), "--place", "LA", "--json"])
        assert code == 0 and out["board_link"].startswith("http://192.168.1.20:8123/workshop?workshop=")
        assert "assume" not in err
        code, again, _ = _json(capsys, ["workshop", "links", out["id"], "--json"])
        assert again["presenter_link"].startswith("http://192.168.1.20:8123/workshop?")
    finally:
        ws.forget_dashboard(home)
    assert ws.dashboard_url(home) is None
    code, out, err = _json(capsys, ["workshop", "new", fresh(), "--place", "LA", "--json"])
    assert out["board_link"].startswith("http://127.0.0.1:8050/") and "no dashboard is running" in err
    (home / ws.DASHBOARD_FILE).write_text('{"url": "http://10.0.0.9:8050", "pid": 999999999}')  # a dashboard gone
    assert ws.dashboard_url(home) is None
    (home / ws.DASHBOARD_FILE).unlink()
