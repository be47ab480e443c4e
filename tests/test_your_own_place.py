"""Your own place, end to end: Trafford from the real public files in the shared sample data.

Loads, through the command line a commissioner uses: the 2023 ward boundaries, a ward → LA lookup
(made here from the council's postcode extract, the only file that names the 2023 wards' LA), the
postcode extracts (2025 for the wards; 2022 to translate the Census file's older ward codes), the
mid-2022 ward population and the Census 2021 general-health needs, Power to Change's 360Giving
grants (the org-id register ships with ecomap), and two of the council's lists (care homes and
sports clubs, through a column mapping). Then analyses Trafford and checks, against figures worked
out here from the raw files: the organisations placed by postcode, the funded organisations in scope,
the cliffs on assumed ends, and what is unplaced.
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from support import SAMPLE_DATA

from ecosystem import cli
from loaders.parse import assumed_end

D = SAMPLE_DATA
LA = "E08000009"
AS_OF = dt.date(2018, 10, 1)
GRANTS = D / "360giving" / "power_to_change_grants_2015-2019.json"
POSTCODES = D / "geography" / "trafford_postcodes_onspd_2025-02.csv"

pytestmark = pytest.mark.skipif(not GRANTS.exists(), reason="shared sample data not present")


def _pc(text) -> str:
    return "".join(str(text or "").split()).upper()


def _day(text) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def expected():
    """The figures, from the raw files."""
    wards = {}
    for r in csv.DictReader(open(POSTCODES, encoding="utf-8-sig")):
        wards[_pc(r["postcode"])] = r["ward_code"]
    grants = json.load(open(GRANTS, encoding="utf-8"))["grants"]
    # one organisation per org-id, charity number or company number (ecomap merges on any of them)
    parent: dict = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for g in grants:
        ro = g["recipientOrganization"][0]
        keys = [("id", ro["id"])] + [(k, str(ro[k]).strip().upper().lstrip("0")) for k in ("charityNumber",
                                                                                          "companyNumber") if ro.get(k)]
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
    orgs = {find(("id", g["recipientOrganization"][0]["id"])) for g in grants}
    based = {}  # recipient id -> ward of its postcode, for recipients with a Trafford postcode
    for g in grants:
        ro = g["recipientOrganization"][0]
        if _pc(ro.get("postalCode")) in wards:
            based[ro["id"]] = wards[_pc(ro.get("postalCode"))]
    flows = []
    for g in grants:
        planned = (g.get("plannedDates") or [{}])[0]
        start = _day(planned.get("startDate")) or _day(g["awardDate"])
        end = _day(planned.get("endDate"))
        assumed = end is None or end < start  # no end, or an impossible one: 12 months from the start
        if assumed:
            end = assumed_end(start, 12)
        flows.append({"id": g["id"], "recipient": g["recipientOrganization"][0]["id"], "start": start, "end": end,
                      "assumed": assumed, "amount": float(g["amountAwarded"])})
    active = [f for f in flows if f["start"] <= AS_OF <= f["end"]]
    horizon = dt.date(2019, 4, 1)  # as_of + 6 months
    cliffs = sorted(f["id"] for f in active if f["recipient"] in based and AS_OF < f["end"] <= horizon
                    and not any(o["recipient"] == f["recipient"] and o["end"] > f["end"] for o in flows))
    unplaced_flows = [f for f in active if f["recipient"] not in based]
    return {
        "based": based,
        "funded": sorted({f["recipient"] for f in active if f["recipient"] in based}),
        "funding": {r: sum(f["amount"] for f in active if f["recipient"] == r) for r in based},
        "cliffs": cliffs,
        "cliff_assumed": {f["id"]: f["end"] for f in flows if f["id"] in cliffs and f["assumed"]},
        "unplaced_organisations": len(orgs) - len({find(("id", r)) for r in based}),
        "unplaced_flows": len(unplaced_flows),
        "unplaced_amount": sum(f["amount"] for f in unplaced_flows),
    }


def ward_lookup(path):
    """WD23CD,WD23NM,LAD23CD,LAD23NM from the postcode extract: which LA each 2023 ward is in."""
    rows = {}
    for r in csv.DictReader(open(POSTCODES, encoding="utf-8-sig")):
        rows[r["ward_code"]] = (r["ward_code"], r["ward_name"], r["la_code"], r["la_name"])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["WD23CD", "WD23NM", "LAD23CD", "LAD23NM"])
        w.writerows(sorted(rows.values()))
    return path


def load(*args) -> None:
    assert cli.main(["load", *map(str, args)]) == 0, args


@pytest.fixture(scope="module")
def trafford(graph_store, tmp_path_factory):
    graph_store.wipe()
    tmp = tmp_path_factory.mktemp("trafford")
    load(D / "geography" / "trafford_ward_2023_generalised.geojson")
    load(ward_lookup(tmp / "trafford_ward23_to_lad23.csv"))
    load(POSTCODES)
    load(D / "geography" / "trafford_postcodes_onspd_2022-08.csv")
    load(D / "needs" / "trafford_mid-2022_population_estimates_ward.csv")
    load(D / "needs" / "trafford_census2021_general_health_ward.csv")
    load(GRANTS)
    load(D / "service_directory" / "trafford_care_homes.csv", "--as", "services",
         "--map", "name=name,postcode=postcode,category=type,provider=provider,id=cqc_id")
    load(D / "service_directory" / "trafford_sports_clubs.csv", "--as", "services",
         "--map", "name=name,postcode=postcode,category=category,sector='vcse',areas='E08000009'")
    yield graph_store
    from ecosystem import pipeline
    from ecosystem.demo import DEMO_DIR, DEMO_SOURCE

    graph_store.wipe()  # other modules share the session's store and may expect the demo in it
    pipeline.load(graph_store, [DEMO_DIR], fmt="template", source=DEMO_SOURCE)


@pytest.fixture(scope="module")
def analysis(trafford):
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert cli.main(["analyse", "--place", LA, "--as-of", AS_OF.isoformat(), "--json"]) == 0
    return json.loads(buf.getvalue())


def test_recipients_are_placed_by_their_postcode(trafford):
    want = expected()["based"]
    assert want  # the file has Trafford recipients
    with trafford.session() as s:
        got = {r["id"]: r["ward"] for r in s.run(
            "MATCH (o:Organisation)-[:BASED_IN]->(p:Place) WHERE o.id IN $ids RETURN o.id AS id, p.code AS ward",
            ids=sorted(want))}
    assert got == want
    # the sports clubs with a Trafford postcode are based in their postcode's ward too
    clubs = {r["name"].strip(): _pc(r["postcode"]) for r in csv.DictReader(
        open(D / "service_directory" / "trafford_sports_clubs.csv", encoding="utf-8-sig"))}
    wards = {_pc(r["postcode"]): r["ward_code"] for r in csv.DictReader(open(POSTCODES, encoding="utf-8-sig"))}
    with trafford.session() as s:
        based = {r["name"]: r["ward"] for r in s.run(
            "MATCH (o:Organisation)-[:BASED_IN]->(p:Place) WHERE o.name IN $names RETURN o.name AS name, "
            "p.code AS ward", names=sorted(clubs))}
    assert based == {n: wards[pc] for n, pc in clubs.items() if pc in wards}


def test_funded_organisations_in_scope(analysis):
    want = expected()
    dep = {r["provider"]: r for r in analysis["funding_dependency"]}
    assert sorted(dep) == want["funded"]
    for r in want["funded"]:
        assert dep[r]["top_funder"] == "GB-CHC-1159982" and dep[r]["top_share"] == 1.0
        assert float(dep[r]["amount"]) == pytest.approx(want["funding"][r])


def test_cliffs_on_assumed_ends(analysis):
    want = expected()
    cliffs = analysis["funding_cliffs"]
    assert sorted(c["funding"] for c in cliffs) == want["cliffs"]
    assert want["cliff_assumed"], "the cliff here is a grant published without an end"
    for c in cliffs:
        assert c["end"] == want["cliff_assumed"][c["funding"]].isoformat()


def test_unplaced_counts(analysis):
    want = expected()
    u = analysis["unplaced"]
    assert u["organisations"] == want["unplaced_organisations"]
    assert u["flows"] == want["unplaced_flows"]
    assert u["amount"] == pytest.approx(want["unplaced_amount"], abs=0.01)
    assert u["currency"] == "GBP" and u["fix"][0].startswith("load a postcode lookup")


def test_the_text_says_it_in_names(trafford, capsys):
    assert cli.main(["analyse", "--place", LA, "--as-of", AS_OF.isoformat(), "--top", "3"]) == 0
    out = capsys.readouterr().out
    want = expected()
    assert out.startswith(f"Ecosystem analysis of Trafford on {AS_OF.isoformat()}")
    assert f"Unplaced: {want['unplaced_organisations']:,} organisations and {want['unplaced_flows']:,} active" in out
    assert "Gorsehill Studios Creative Community" in out and "Power to Change Trust" in out
