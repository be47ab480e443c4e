"""``ecomap report --kind market-position`` on the small fixture: hand-computed figures and every refusal.

The small fixture (tests/fixtures/template/small) plus one procurement, as of 2026-07-01:

    LA (pop 300) ── W1 (100), W2 (200)
    C1 ──F1 £1000 (S1, 2025-01-01 – 2026-12-31: 24 months)──▶ P1 (vcse) ── S1 (mh, W1;W2, cap 90, from 2024-01-01)
    C1 ──F2 £500 (2025-01-01, open-ended)────────────────────▶ P2 (vcse) ── S2 (mh, W2, cap 10)
    needs: W1 mh 50, LA mh 60 (spread 20 to W1, 40 to W2)
    PR1: C1 buys mh in W1 from 2027-01-01, £2,000

Need 110 (W1 70, W2 40); supply 100 (S1 30 to W1 and 60 to W2, S2 10 to W2):
W1 unmet 40 (under), W2 over; unmet 40, coverage 100/110. P1 gives 90 of 100,
P2 10: shares 0.9 and 0.1, HHI (0.81 + 0.01) × 10,000 = 8,200 (concentrated);
both VCSE: the VCSE share is 1. Funding £1,500: F1 lasts 24 months (neither
short nor multi-year), F2 is open-ended (multi-year): short 0, multi-year
500/1500. F1 ends on 2026-12-31 with nothing after it: a cliff within 6
months. PR1 starts after the date, in W1: it may answer W1's gap (40 unmet)
and F1's cliff (its buyer funds S1, an mh service).

The default trend is yearly from 2023-07-01 to 2027-07-01: on 2023-07-01 only
S2 is active (supply 10, unmet 70 + 30 = 100) and no funding has started.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from ecosystem import cli
from ecosystem import workshop as ws
from ecosystem.pipeline import load
from ecosystem.report.write import find_chromium

AS_OF = "2026-07-01"


def _procurement(template_dir):
    (template_dir / "procurements.csv").write_text(
        "id,buyer,title,category,start,end,value,places,stage\n"
        "PR1,C1,Talking therapies <north>,mh,2027-01-01,2029-12-31,2000,W1,tender\n"
        "PR0,C1,Already started,mh,2026-01-01,,100,,award\n"
        "PR3,C1,Supported housing,hous,2027-04-01,,,LA,planning\n", encoding="utf-8")
    with open(template_dir / "categories.csv", "a", encoding="utf-8") as f:
        f.write("hous,Housing support\n")  # no need or provision: PR3 is an "other" procurement


@pytest.fixture
def small(store, template_dir):
    _procurement(template_dir)
    result = load(store, [template_dir], fmt="template", source="small")
    assert result["status"] == "loaded"
    return store


def run(*args):
    return cli.main(["report", "--kind", "market-position", "--as-of", AS_OF, *args])


def _doc(out):
    return json.loads((out / "market-position.json").read_text(encoding="utf-8"))


def _md_sections(out) -> dict[str, str]:
    text = (out / "market-position.md").read_text(encoding="utf-8")
    parts = text.split("\n## ")
    return {p.split("\n", 1)[0]: p for p in parts[1:]}


def test_hand_computed_statement(small, tmp_path, capsys):
    links = ws.create(small, "Mental health board", "LA", as_of=dt_date())
    wid = links.workshop.id
    ws.add_action(small, wid, "Recommission talking therapies in North", owner="Commissioning", due="2026-10-01",
                  role=ws.PRESENTER, about=ws.targets([("category", "mh")]))
    ws.add_action(small, wid, "Publish a provider forum timetable", owner="Market team", role=ws.PRESENTER)
    ws.add_action(small, wid, "An idea the board dropped", owner="Nobody", status="dropped", role=ws.PRESENTER,
                  about=ws.targets([("category", "mh")]))
    with small.session() as s:
        s.run("CREATE (:Action {id: 'A-far', text: 'About somewhere else', place: 'ELSEWHERE', "
              "status: 'open'})").consume()

    out = tmp_path / "mps"
    assert run("--out", str(out), "--format", "html,md") == 0
    err = capsys.readouterr().err
    assert "wrote the market position statement for Town as of 2026-07-01 (1 category)" in err
    assert sorted(os.listdir(out)) == ["market-position.html", "market-position.json", "market-position.md"]
    doc = _doc(out)
    assert doc["kind"] == "market-position" and doc["place"] == "LA"  # the only top-level place by default
    assert doc["categories"] == ["mh"]
    mk = doc["markets"][0]
    t = mk["totals"]
    assert (t["demand"], t["supply"], t["unmet"]) == pytest.approx((110, 100, 40))
    assert t["coverage"] == pytest.approx(100 / 110)
    assert (t["wards_with_need"], t["unserved"], t["under"]) == (2, 0, 1)
    assert [(w["place"], w["status"]) for w in mk["wards"]] == [("W1", "under"), ("W2", "over")]
    assert [(p["provider"], p["sector"], p["services"]) for p in mk["providers"]] == [
        ("P1", "vcse", ["S1"]), ("P2", "vcse", ["S2"])]
    assert [p["share"] for p in mk["providers"]] == pytest.approx([0.9, 0.1])
    assert [(r["sector"], r["providers"]) for r in mk["diversity"]] == [("vcse", 2)]
    assert mk["diversity"][0]["share"] == pytest.approx(1.0)
    assert mk["concentration"]["hhi"] == pytest.approx(8200) and mk["concentration"]["concentrated"]
    assert [(r["currency"], r["funding"]) for r in mk["money"]] == [("GBP", 1500)]
    assert mk["money"][0]["short_term_share"] == pytest.approx(0)
    assert mk["money"][0]["multi_year_share"] == pytest.approx(500 / 1500)
    assert [(c["funding"], c["within_months"]) for c in mk["cliffs"]] == [("F1", 6)]
    assert [p["procurement"] for p in mk["pipeline"]] == ["PR1"]  # PR0 started before the date
    assert mk["pipeline"][0]["gaps"] == [{"place": "W1", "status": "under", "unmet": pytest.approx(40)}]
    assert mk["pipeline"][0]["cliffs"] == ["F1"]
    assert [a["text"] for a in mk["intentions"]] == ["Recommission talking therapies in North"]
    assert [a["text"] for a in doc["intentions"]] == ["Publish a provider forum timetable"]
    trend = {r["as_of"]: r for r in mk["series"]}
    assert sorted(trend) == ["2023-07-01", "2024-07-01", "2025-07-01", "2026-07-01", "2027-07-01"]
    assert (trend["2023-07-01"]["supply"], trend["2023-07-01"]["unmet"]) == pytest.approx((10, 100))
    assert trend["2023-07-01"]["funding"] is None
    assert trend["2027-07-01"]["unmet"] == pytest.approx(40)
    totals = [r for r in doc["funding_security"] if r["funder"] is None]
    assert [(r["currency"], r["amount"], r["flows"]) for r in totals] == [("GBP", 1500, 2)]

    md = _md_sections(out)
    assert list(md) == ["About this statement", "How the money flows across the place", "Mental health",
                        "Other procurements ahead", "Commissioning intentions for the whole place",
                        "Methods and data"]
    assert [r["procurement"] for r in doc["other_pipeline"]] == ["PR3"]
    assert "| Supported housing | Housing support | Council | planning | 2027-04-01 | – | Town |" in \
        md["Other procurements ahead"]
    sec = md["Mental health"]
    for heading in ("Need now and its trend", "Supply and gaps by area", "Who provides",
                    "How the money flows, and how secure it is", "What ends soon", "What is being procured",
                    "Commissioning intentions"):
        assert f"### {heading}" in sec
    assert "About 110 people a year in Town need mental health. Active services can support about 100 (91% of " \
           "need); in the areas where need is greater than supply, about 40 people a year are left without a " \
           "place." in sec
    assert "| North | 70 | 30 | 40 | 43% | under-served | 1 |" in sec  # names, not codes
    assert "Every one of the 2 areas with recorded need has an active service; 1 is under-served (supply below " \
           "need)." in sec
    assert "| Provider One | VCSE | Talk | 90 | 90% |" in sec
    assert "The market is concentrated: a few providers give most of the supply (HHI 8,200 on a scale of 0 to " \
           "10,000, where above 2,500 counts as concentrated). The largest, Provider One, gives 90%." in sec
    assert "The providers of this support receive £1,500 in active funding: 0% of it in awards of 12 months or " \
           "less and 33% in awards of three years or more" in sec
    assert "| 2026-12-31 | Council | Provider One | £1,000 | Talk |" in sec
    assert "| Talking therapies &lt;north&gt; | Council | tender | 2027-01-01 | 2029-12-31 | £2,000 | North |" \
        in sec  # user text inert in Markdown
    assert "North (under-served, 40 unmet)" in sec and "Provider One (£1,000, ends 2026-12-31)" in sec
    assert "Recommission talking therapies in North" in sec and "An idea the board dropped" not in sec
    assert "About somewhere else" not in (out / "market-position.md").read_text(encoding="utf-8")
    assert "- Unmet need:" in md["Methods and data"] and "- Concentration:" in md["Methods and data"]
    html = (out / "market-position.html").read_text(encoding="utf-8")
    assert "Talking therapies &lt;north&gt;" in html and "<north>" not in html
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")


def dt_date():
    return dt.date(2026, 7, 1)


def test_a_chosen_category_and_series(small, tmp_path, capsys):
    out = tmp_path / "o"
    assert run("--place", "W1", "--category", "mh", "--series", "2025-07-01:2026-07-01:6m", "--format", "md",
               "--json", "--out", str(out)) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["categories"] == ["mh"] and printed["place"] == "W1"
    doc = _doc(out)
    assert doc["dates"] == ["2025-07-01", "2026-01-01", "2026-07-01"]
    assert doc["other_pipeline"] == []  # categories chosen: nothing else is the statement's business
    t = doc["markets"][0]["totals"]
    assert (t["demand"], t["supply"], t["unmet"]) == pytest.approx((70, 30, 40))


@pytest.mark.parametrize("args, message", [
    (["--kind", "nonsense"], "--kind 'nonsense': unknown; choose from gap, market-position"),
    (["--place", "NOWHERE"], "--place 'NOWHERE': no such place in the store"),
    (["--category", "mh", "NOPE"], "--category 'NOPE': no such category in the store"),
    (["--category", " "], "--category needs at least one category code"),
    (["--format", "html,csv"], "--format 'html,csv': unknown csv; choose from html, md, pdf"),
    (["--series", "2026-01-01:2025-01-01:1y"], "--series '2026-01-01:2025-01-01:1y': series end 2025-01-01 is "
                                               "before its start"),
    (["--series", "2020-01-01:2026-01-01:0m"], "series step '0m' must be"),
    (["--previous", "x"], "--previous does not apply to --kind market-position"),
    (["--fail-on", "new-unserved"], "--fail-on does not apply to --kind market-position"),
    (["--allow-missing-previous"], "--allow-missing-previous does not apply to --kind market-position"),
    (["--unmet-threshold", "5"], "--unmet-threshold does not apply to --kind market-position"),
    (["--dependency-threshold", "0.4"], "--dependency-threshold does not apply to --kind market-position"),
    (["--horizon", "-1"], "--horizon -1: use 0 to 1,200 months"),
    (["--as-of", "1/7/2026"], "--as-of '1/7/2026' is not a date"),
])
def test_refusals_exit_2_with_one_line(small, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    code = cli.main(["report", "--kind", "market-position", "--out", str(out), *args]) if args[0] != "--kind" \
        else cli.main(["report", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("args, flag", [(["--category", "mh"], "--category"),
                                        (["--series", "2025-01-01:2026-01-01:1y"], "--series")])
def test_market_options_refused_by_the_gap_report(small, tmp_path, capsys, args, flag):
    out = tmp_path / "out"
    assert cli.main(["report", "--place", "LA", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert f"{flag} applies to --kind market-position only" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_unwritable_out_exits_2(small, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for out, message in ((a_file, "exists and is not a folder"), (a_file / "sub", "is a file, not a folder")):
        assert run("--out", str(out)) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            assert run("--out", str(locked / "mps")) == 2
            assert "cannot write in" in capsys.readouterr().err
        finally:
            locked.chmod(0o700)


def test_several_top_level_places_need_a_place(store, template_dir, tmp_path, capsys):
    with open(template_dir / "places.csv", "a", encoding="utf-8") as f:
        f.write("LB,Other town,la,,100\n")
    load(store, [template_dir], fmt="template", source="small")
    assert run("--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert "a market position statement is for one place: give --place CODE (the store holds 2 top-level " \
           "places: LA, LB)" in err


def test_empty_store_exits_2(store, tmp_path, capsys):
    assert run("--out", str(tmp_path / "o")) == 2
    assert "the store holds no data" in capsys.readouterr().err


def test_pdf_that_cannot_be_made_exits_1(small, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ECOMAP_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = tmp_path / "o"
    assert run("--out", str(out), "--format", "md,pdf") == 1
    assert "the PDF was not made: no Chromium or Chrome found" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["market-position.json", "market-position.md"]


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium on this machine to print with")
def test_pdf_is_printed(small, tmp_path):
    out = tmp_path / "o"
    assert run("--out", str(out), "--format", "pdf") == 0
    pdf = (out / "market-position.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 5000
    assert sorted(os.listdir(out)) == ["market-position.json", "market-position.pdf"]  # printed from a temporary copy


def test_money_in_two_currencies_is_given_per_currency(store, template_dir, tmp_path):
    """F3: €300 from C1 to P2, 2026-01-01 – 2026-12-31 (12 months: short-term; not a cliff, F2 from the same
    funder to the same recipient is open-ended). Euros are never added to pounds."""
    (template_dir / "funding.csv").write_text(
        "id,funder,recipient,amount,start,end,service,currency\n"
        "F1,C1,P1,1000,2025-01-01,2026-12-31,S1,GBP\n"
        "F2,C1,P2,500,2025-01-01,,,GBP\n"
        "F3,C1,P2,300,2026-01-01,2026-12-31,,EUR\n", encoding="utf-8")
    load(store, [template_dir], fmt="template", source="small")
    out = tmp_path / "o"
    assert run("--out", str(out), "--format", "md") == 0
    doc = _doc(out)
    mk = doc["markets"][0]
    assert [(r["currency"], r["funding"], r["short_term_share"], r["multi_year_share"]) for r in mk["money"]] == [
        ("GBP", 1500, 0, pytest.approx(1 / 3)), ("EUR", 300, 1, 0)]
    totals = [(r["currency"], r["amount"]) for r in doc["funding_security"] if r["funder"] is None]
    assert totals == [("GBP", 1500), ("EUR", 300)]
    assert [c["funding"] for c in mk["cliffs"]] == ["F1"]
    md = _md_sections(out)
    assert "The providers of this support receive £1,500 in active funding: 0% of it in awards of 12 months or " \
           "less and 33% in awards of three years or more (or with no end date); and €300 in active funding: 100% " \
           "of it in awards of 12 months or less and 0% in awards of three years or more" in md["Mental health"]
    place = md["How the money flows across the place"]
    assert "£1,500 in 2 active award(s)" in place and "€300 in 1 active award(s)" in place
    assert "The amounts are in more than one currency; each is given on its own and none is converted." in place
    assert "£1,800" not in (out / "market-position.md").read_text(encoding="utf-8")
    # the statement's trends of every category at once are series()'s rows, in both currencies
    from pandas.testing import assert_frame_equal

    from ecosystem.analysis.market import series
    from ecosystem.report.market import category_series
    from ecosystem.service import Ecomap

    frames = Ecomap(store).frames("LA")
    dates = [dt.date(2023, 7, 1), dt.date(2026, 7, 1), dt.date(2027, 7, 1)]
    together = category_series(frames, dates, place="LA", categories=["mh", "hous"])
    for cat in ("mh", "hous"):
        assert_frame_equal(together[cat], series(frames, dates, place="LA", category=cat), check_exact=True)
    assert len(together["mh"]) == 4  # 2023: no funding yet; 2026: pounds and euros; 2027: only F2, in pounds
