"""`ecomap db sources` and `ecomap db unload`: what each source contributed, and taking one back out exactly.

The small fixture is loaded as source ``small``; ``extra`` (written by the tests below) shares the
organisation P1 with it, adds P9 and a partnership P1–P9:

    small: C1, P1, P2, S1, S2, W1, W2, LA, mh …      extra: P1 (same values), P9, P1 ──consortium── P9
"""

from __future__ import annotations

import json

import pytest

from ecosystem import cli
from ecosystem.export import export_dict
from ecosystem.pipeline import load
from ecosystem.sources import UnknownSource, UnloadBlocked, list_sources, unload, unload_preview


def snapshot(store):
    return json.dumps(export_dict(store), sort_keys=True)


@pytest.fixture
def extra(tmp_path):
    d = tmp_path / "extra"
    d.mkdir()
    (d / "organisations.csv").write_text("id,name,sector\nP1,Provider One,vcse\nP9,Provider Nine,private\n")
    (d / "partnerships.csv").write_text("a,b,kind\nP1,P9,consortium\n")
    return d


def test_sources_lists_files_runs_rows_and_contents(store, template_dir, extra):
    load(store, [template_dir], source="small")
    load(store, [extra], source="extra")
    by = {s["source"]: s for s in list_sources(store)}
    assert sorted(by) == ["extra", "small"]
    small, ex = by["small"], by["extra"]
    assert small["runs"] == 1 and small["files"] == [str(template_dir)]
    assert small["tables"] == {"places": 3, "categories": 1, "organisations": 3, "services": 2, "needs": 2,
                               "funding": 2, "partnerships": 1}
    # small: 3 places, 1 category, 3 organisations, 2 services, 2 needs = 11 nodes; P1 is shared with extra
    assert sum(small["nodes"].values()) == 11 and small["only_nodes"] == 10
    assert ex["nodes"] == {"Organisation": 2} and ex["only_nodes"] == 1
    assert ex["relationships"] == {"PARTNERS_WITH": 1} and ex["only_relationships"] == 1
    assert ex["tables"] == {"organisations": 2, "partnerships": 1}
    assert small["last_loaded"] <= ex["last_loaded"]


def test_unload_restores_the_store_exactly_as_before_the_source(store, template_dir, extra):
    load(store, [template_dir], source="small")
    before = snapshot(store)
    load(store, [extra], source="extra")
    assert snapshot(store) != before
    preview = unload_preview(store, "extra")
    assert preview["delete"] == {"nodes": {"Organisation": 1}, "relationships": {"PARTNERS_WITH": 1}}
    assert preview["release"] == {"nodes": {"Organisation": 1}, "relationships": {}}
    assert preview["blockers"] == [] and preview["runs"] == 1
    unload(store, "extra")
    assert snapshot(store) == before  # P1 is small's again, with small's load run; P9 and the partnership gone


def test_unload_the_first_source_keeps_what_the_other_shares(store, template_dir, extra):
    load(store, [template_dir], source="small")
    load(store, [extra], source="extra")
    unload(store, "small")
    data = export_dict(store)
    ids = sorted(n["id"] for n in data["nodes"])
    assert [i for i in ids if not i.startswith("LoadRun:")] == ["Organisation:P1", "Organisation:P9"]
    p1 = next(n for n in data["nodes"] if n["id"] == "Organisation:P1")["properties"]
    assert p1["sources"] == ["extra"] and p1["source"] == "extra"
    assert p1["roles"] == []  # it no longer delivers or receives anything
    assert [r["type"] for r in data["relationships"]] == ["PARTNERS_WITH"]
    assert [s["source"] for s in list_sources(store)] == ["extra"]


def test_unload_refuses_when_another_source_hangs_on_its_nodes(store, template_dir, tmp_path):
    load(store, [template_dir], source="small")
    other = tmp_path / "other"
    other.mkdir()
    (other / "services.csv").write_text("id,name,provider,category,areas\nS9,Run,P2,mh,W1\n")
    load(store, [other], source="other")
    before = snapshot(store)
    with pytest.raises(UnloadBlocked) as e:
        unload(store, "small")
    assert "'other'" in str(e.value) and "DELIVERS" in str(e.value)
    assert snapshot(store) == before
    unload(store, "other")
    unload(store, "small")
    assert store.is_empty()


def test_unknown_source(store, template_dir):
    load(store, [template_dir], source="small")
    with pytest.raises(UnknownSource, match="sources in the store: small"):
        unload(store, "smal")


def test_cli_sources_and_unload(store, template_dir, extra, capsys):
    load(store, [template_dir], source="small")
    before = snapshot(store)
    load(store, [extra], source="extra")
    assert cli.main(["db", "sources", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["source"] for s in out] == ["extra", "small"]
    assert cli.main(["db", "sources"]) == 0
    text = capsys.readouterr().out
    assert "small" in text and "2 organisations, 1 partnerships" in text
    # no terminal and no --yes: refuse, say what would go, change nothing
    assert cli.main(["db", "unload", "extra"]) == 2
    err = capsys.readouterr().err
    assert "deletes 1 Organisation, 1 PARTNERS_WITH" in err and "without --yes" in err
    assert cli.main(["db", "unload", "nope", "--yes"]) == 2
    assert "no source named 'nope'" in capsys.readouterr().err
    assert cli.main(["db", "unload", "extra", "--yes"]) == 0
    assert "unloaded source 'extra'" in capsys.readouterr().err
    assert snapshot(store) == before


def test_cli_unload_blocked_is_exit_2(store, template_dir, tmp_path, capsys):
    load(store, [template_dir], source="small")
    other = tmp_path / "other"
    other.mkdir()
    (other / "funding.csv").write_text("id,funder,recipient,amount,start,end\nF9,C1,P1,10,2025-01-01,\n")
    load(store, [other], source="other")
    before = snapshot(store)
    assert cli.main(["db", "unload", "small", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "FUNDS from 'other'" in err and "Traceback" not in err
    assert snapshot(store) == before
