"""Another place, end to end: Manchester from the Greater Manchester-wide public files alone.

Nothing here is Trafford's or was cut for the test. Through the command line a commissioner uses, it
loads: the GM ward → LA lookup (2022 wards), the GM local-authority boundaries, the LSOA → ward best-fit
lookup, the output area → LSOA → MSOA → LA lookup, the Indices of Deprivation 2025 LA summaries (all
England), the DCMS libraries list (once as a small postcode lookup, since it names each library's
postcode and LA, and once as services), Power to Change's national 360Giving grants (their beneficiary
places are 2011 LSOAs, the recipients anywhere in England) and the Charity Commission's list of
charities operating in Trafford (their numbers join 360Giving recipients). Then it analyses Manchester
(E08000003) and checks, against figures worked out here from the raw files: the places loaded and their
tree, the organisations placed by postcode, the funded organisations in scope (grants whose beneficiary
LSOA lies in Manchester), and what is unplaced.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from contextlib import redirect_stdout

import pytest
from support import SAMPLE_DATA

from ecosystem import cli
from loaders.parse import assumed_end

D = SAMPLE_DATA
LA = "E08000003"  # Manchester
AS_OF = dt.date(2018, 10, 1)
GEO = D / "geography"
GRANTS = D / "360giving" / "power_to_change_grants_2015-2019.json"
LIBRARIES = D / "service_directory" / "gm_libraries.csv"
CHARITIES = D / "service_directory" / "charities_operating_in_trafford.csv"
IOD = D / "needs" / "iod2025_local_authority_district_summaries.csv"

pytestmark = pytest.mark.skipif(not GRANTS.exists(), reason="shared sample data not present")


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _pc(text) -> str:
    return "".join(str(text or "").split()).upper()


def _day(text) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def _blank(v) -> bool:
    return v is None or str(v).strip() in ("", "NA")


def _num(v) -> str:
    return str(v).strip().upper().lstrip("0")


def loaded_places() -> dict[str, str]:
    """code -> level, from every place file the test loads."""
    out = {}
    for r in _rows(GEO / "gm_ward22_to_lad22_lookup.csv"):
        out[r["wd22cd"]], out[r["lad22cd"]] = "ward", "la"
    for f in json.load(open(GEO / "gm_local_authority_2023_generalised.geojson", encoding="utf-8"))["features"]:
        out[f["properties"]["area_code"]] = "la"
    for r in _rows(GEO / "gm_lsoa21_to_ward22_best_fit_lookup.csv"):
        out[r["lsoa21cd"]], out[r["wd22cd"]], out[r["lad22cd"]] = "lsoa", "ward", "la"
    for r in _rows(GEO / "gm_oa21_lsoa21_msoa21_lad22_lookup.csv"):
        out[r["oa21cd"]], out[r["lsoa21cd"]], out[r["msoa21cd"]], out[r["lad22cd"]] = "oa", "lsoa", "msoa", "la"
    for r in _rows(IOD):
        out[r["area_code"]] = "la"
    return out


def expected():
    """The figures, from the raw files."""
    places = loaded_places()
    inside = {LA}  # Manchester and every place in it
    for r in _rows(GEO / "gm_oa21_lsoa21_msoa21_lad22_lookup.csv"):
        if r["lad22cd"] == LA:
            inside |= {r["oa21cd"], r["lsoa21cd"], r["msoa21cd"]}
    for r in _rows(GEO / "gm_ward22_to_lad22_lookup.csv"):
        if r["lad22cd"] == LA:
            inside.add(r["wd22cd"])
    library_la = {}  # postcode -> LA, the first row of a repeated postcode
    for r in _rows(LIBRARIES):
        library_la.setdefault(_pc(r["postcode"]), r["area_code"])
    grants = json.load(open(GRANTS, encoding="utf-8"))["grants"]
    charities = _rows(CHARITIES)
    # one organisation per org-id, charity number or company number (ecomap merges on any of them)
    parent: dict = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    def union(keys):
        for k in keys[1:]:
            a, b = find(k), find(keys[0])
            if a != b:
                parent[a] = b

    for g in grants:
        ro = g["recipientOrganization"][0]
        union([("id", ro["id"])] + [(k, _num(ro[k])) for k in ("charityNumber", "companyNumber") if ro.get(k)])
    for c in charities:
        union([("charityNumber", _num(c["registered_charity_number"]))]
              + ([] if _blank(c["charity_company_registration_number"])
                 else [("companyNumber", _num(c["charity_company_registration_number"]))]))
    listed = {find(("charityNumber", _num(c["registered_charity_number"]))) for c in charities}  # serve Trafford
    recipients = {find(("id", g["recipientOrganization"][0]["id"])) for g in grants}
    beneficiary: dict = {}
    based = {}
    for g in grants:
        ro = g["recipientOrganization"][0]
        org = find(("id", ro["id"]))
        beneficiary.setdefault(org, set()).update(b.get("geoCode") for b in g.get("beneficiaryLocation", []))
        if _pc(ro.get("postalCode")) in library_la:
            based[org] = library_la[_pc(ro.get("postalCode"))]
    placed = {o for o in recipients if o in listed or o in based or beneficiary[o] & set(places)}
    flows = []
    for g in grants:
        planned = (g.get("plannedDates") or [{}])[0]
        start = _day(planned.get("startDate")) or _day(g["awardDate"])
        end = _day(planned.get("endDate"))
        if end is None or end < start:  # no end, or an impossible one: 12 months from the start
            end = assumed_end(start, 12)
        flows.append({"org": find(("id", g["recipientOrganization"][0]["id"])), "start": start, "end": end,
                      "amount": float(g["amountAwarded"])})
    active = [f for f in flows if f["start"] <= AS_OF <= f["end"]]
    in_scope = {o for o in recipients if based.get(o) == LA or beneficiary[o] & inside}
    unplaced = [f for f in active if f["org"] not in placed]
    # organisations placed by postcode: libraries, listed charities and recipients whose postcode a library has
    by_postcode = {r["name"].strip(): library_la[_pc(r["postcode"])] for r in _rows(LIBRARIES)}
    by_postcode |= {c["charity_name"].strip(): library_la[_pc(c["charity_contact_postcode"])] for c in charities
                    if _pc(c["charity_contact_postcode"]) in library_la}
    iod = next(r for r in _rows(IOD) if r["area_code"] == LA and r["index_domain"] == "Index of Multiple Deprivation")
    n_la = sum(1 for r in _rows(IOD) if r["index_domain"] == "Index of Multiple Deprivation")
    return {
        "places": places,
        "by_postcode": by_postcode,
        "recipients_by_postcode": {o[1]: la for o, la in based.items()},
        "funded": sorted(o[1] for o in {f["org"] for f in active} & in_scope),
        "funding": {o[1]: sum(f["amount"] for f in active if f["org"] == o) for o in in_scope},
        "unplaced_organisations": len(recipients - placed),
        "unplaced_flows": len(unplaced),
        "unplaced_amount": sum(f["amount"] for f in unplaced),
        "imd_decile": max(1, min(10, math.ceil(float(iod["rank_average_score"]) * 10 / n_la))),
        "libraries": sum(1 for r in _rows(LIBRARIES) if r["area_code"] == LA),
    }


def load(*args) -> None:
    assert cli.main(["load", *map(str, args)]) == 0, args


@pytest.fixture(scope="module")
def manchester(graph_store):
    graph_store.wipe()
    load(GEO / "gm_ward22_to_lad22_lookup.csv")
    load(GEO / "gm_local_authority_2023_generalised.geojson")
    load(GEO / "gm_lsoa21_to_ward22_best_fit_lookup.csv")
    load(GEO / "gm_oa21_lsoa21_msoa21_lad22_lookup.csv")
    load(IOD)
    # the libraries list names each library's postcode and LA: a small postcode lookup, under its own source
    # name so that loading the same file as services below does not replace it
    load(LIBRARIES, "--format", "postcodes", "--source", "gm-library-postcodes")
    load(GRANTS)
    load(LIBRARIES, "--as", "services", "--map", "name=name,postcode=postcode,category=type,areas=area_code")
    load(CHARITIES, "--as", "services", "--map",
         "name=charity_name,category=charity_type,charity_number=registered_charity_number,"
         "company_number=charity_company_registration_number,postcode=charity_contact_postcode,"
         "sector='vcse',areas='E08000009'")
    yield graph_store
    from ecosystem import pipeline
    from ecosystem.demo import DEMO_DIR, DEMO_SOURCE

    graph_store.wipe()  # other modules share the session's store and may expect the demo in it
    pipeline.load(graph_store, [DEMO_DIR], fmt="template", source=DEMO_SOURCE)


@pytest.fixture(scope="module")
def analysis(manchester):
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert cli.main(["analyse", "--place", LA, "--as-of", AS_OF.isoformat(), "--json"]) == 0
    return json.loads(buf.getvalue())


def test_every_place_is_loaded_once_in_one_tree(manchester):
    want = expected()["places"]
    with manchester.session() as s:
        got = {r["code"]: r["level"] for r in s.run("MATCH (p:Place) RETURN p.code AS code, p.level AS level")}
        wards = {r["code"]: r["la"] for r in s.run(
            "MATCH (w:Place {level: $lvl})-[:PART_OF]->(la:Place) RETURN w.code AS code, la.code AS la", lvl="ward")}
        imd = s.run("MATCH (p:Place {code: $c}) RETURN p.imd_decile AS d, p.name AS n", c=LA).single()
    assert got == want
    assert wards == {r["wd22cd"]: r["lad22cd"] for r in _rows(GEO / "gm_ward22_to_lad22_lookup.csv")}
    assert (imd["n"], imd["d"]) == ("Manchester", expected()["imd_decile"])


def test_organisations_are_placed_by_postcode(manchester):
    want = expected()
    with manchester.session() as s:
        got = {r["name"]: r["code"] for r in s.run(
            "MATCH (o:Organisation)-[b:BASED_IN]->(p:Place) WHERE b.basis = $basis "
            "RETURN o.name AS name, o.id AS id, p.code AS code", basis="postcode")}
        recipients = {r["id"]: r["code"] for r in s.run(
            "MATCH (o:Organisation)-[b:BASED_IN]->(p:Place) WHERE o.id IN $ids RETURN o.id AS id, p.code AS code",
            ids=sorted(want["recipients_by_postcode"]))}
    assert want["recipients_by_postcode"], "a Power to Change recipient shares a library's postcode"
    assert recipients == want["recipients_by_postcode"]
    assert {n: c for n, c in got.items() if n in want["by_postcode"]} == want["by_postcode"]
    assert len(got) == len(want["by_postcode"]) + len(want["recipients_by_postcode"])


def test_funded_organisations_in_scope(analysis):
    want = expected()
    dep = {r["provider"]: r for r in analysis["funding_dependency"]}
    assert want["funded"], "Power to Change grants name Manchester LSOAs as beneficiary places"
    assert sorted(dep) == want["funded"]
    for r in want["funded"]:
        assert dep[r]["top_funder"] == "GB-CHC-1159982" and dep[r]["top_share"] == 1.0
        assert float(dep[r]["amount"]) == pytest.approx(want["funding"][r])


def test_unplaced_counts(analysis):
    want = expected()
    u = analysis["unplaced"]
    assert u["organisations"] == want["unplaced_organisations"]
    assert u["flows"] == want["unplaced_flows"]
    assert u["amount"] == pytest.approx(want["unplaced_amount"], abs=0.01)
    assert u["fix"][0].startswith("load a postcode lookup")


def test_the_text_says_it_in_names(manchester, capsys):
    assert cli.main(["analyse", "--place", LA, "--as-of", AS_OF.isoformat(), "--top", "3"]) == 0
    out = capsys.readouterr().out
    want = expected()
    assert out.startswith(f"Ecosystem analysis of Manchester on {AS_OF.isoformat()}")
    assert f"Unplaced: {want['unplaced_organisations']:,} organisations and {want['unplaced_flows']:,} active" in out
    assert f"{len(want['funded'])} of {len(want['funded'])} funded organisations" in out
    assert "Power to Change Trust" in out and "Local authority run library" in out


def test_the_readme_says_what_this_test_finds(manchester, analysis):
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Another place, other publishers' files", 1)[1].split("\n## ", 1)[0]
    want = expected()
    levels = {lvl: sum(1 for v in want["places"].values() if v == lvl) for lvl in ("ward", "lsoa", "msoa", "oa", "la")}
    assert (f"{len(want['places']):,} places ({levels['ward']} wards, {levels['lsoa']:,} LSOAs, {levels['msoa']} "
            f"MSOAs, {levels['oa']:,} output areas, {levels['la']} LAs)") in section
    n = len(want["funded"])
    assert f'"{n} of {n} funded organisations"' in section
    u = analysis["unplaced"]
    assert f"the {u['organisations']} recipients elsewhere" in section
    assert f"({u['flows']} active flows,\n£{u['amount']:,.0f})" in section
    with manchester.session() as s:
        by_postcode = s.run("MATCH (o:Organisation)-[b:BASED_IN]->(:Place) WHERE b.basis = $b RETURN count(*) AS n",
                            b="postcode").single()["n"]
    libraries = sum(1 for _ in _rows(LIBRARIES))
    assert f"places the {libraries} libraries and {by_postcode - libraries} other organisations" in section
    for line in ("ecomap load service_directory/gm_libraries.csv --format postcodes --source gm-library-postcodes",
                 "ecomap analyse --place E08000003 --as-of 2018-10-01 --top 3"):
        assert line in section
