"""OCDS into the real store: flows with their places and assumed ends, tender-stage processes as Procurement nodes."""

from __future__ import annotations

import json

import pytest
from support import SAMPLE_DATA

from ecosystem.pipeline import load

CF25 = (SAMPLE_DATA / "ocds" / "uk_contracts_finder_2025"
        / "contracts_finder_search_2025-01-20_to_2025-01-23_release_package.json")
needs_data = pytest.mark.skipif(not CF25.exists(), reason="shared sample data not present")


@needs_data
def test_contracts_finder_loads_procurements_and_flows_and_reloads_unchanged(store):
    releases = json.loads(CF25.read_text(encoding="utf-8"))["releases"]
    awarded = {r["ocid"] for r in releases if r.get("awards")}
    open_ = {r["ocid"] for r in releases} - awarded
    first = load(store, [CF25], fmt="ocds", source="cf25")
    assert first["counts"]["procurements"] == len(open_) == 37
    with store.session() as s:
        procs = {r["id"]: dict(r) for r in s.run(
            "MATCH (p:Procurement) RETURN p.id AS id, p.buyer AS buyer, p.category AS category, "
            "p.places AS places, p.stage AS stage, p.start AS start")}
        buyers = {r["id"] for r in s.run("MATCH (o:Organisation) RETURN o.id AS id")}
        funds = [dict(r) for r in s.run("MATCH ()-[f:FUNDS]->() RETURN f.id AS id, f.end_assumed AS assumed, "
                                        "f.beneficiary_places AS places, f.currency AS currency")]
    assert set(procs) == open_
    assert {p["buyer"] for p in procs.values()} <= buyers
    transport = "ocds-b5fd17-0064608c-a004-4bf1-bea8-bcc569de6670"
    assert procs[transport]["category"] == "transport" and procs[transport]["places"] == ["E92000001"]
    assert {p["stage"] for p in procs.values()} == {"tender", "planning"}
    awards, placed = {}, set()
    for r in sorted(releases, key=lambda r: r["date"]):
        for a in r.get("awards", []):
            awards.setdefault((r["ocid"], a["id"]), {}).update(a)
        for it in r.get("tender", {}).get("items", []):
            if any(ad.get("region") or (ad.get("countryName") and not ad.get("postalCode"))
                   for ad in it.get("deliveryAddresses", [])):
                placed.add(r["ocid"])
    n_flows = sum(len(a["suppliers"]) for a in awards.values())
    assert len(funds) == n_flows == 70 and {f["currency"] for f in funds} == {"GBP"}
    assert not any(f["assumed"] for f in funds)
    n_placed = sum(len(a["suppliers"]) for (ocid, _), a in awards.items() if ocid in placed)
    assert sum(1 for f in funds if f["places"]) == n_placed == 48
    again = load(store, [CF25], fmt="ocds", source="cf25")
    assert again["status"] == "unchanged"


@needs_data
def test_contracts_finder_tenders_make_the_pipeline(store):
    from ecosystem import analysis as an
    from ecosystem.pull import pull_frames

    releases = json.loads(CF25.read_text(encoding="utf-8"))["releases"]
    as_of = max(r["date"] for r in releases)[:10]
    load(store, [CF25], fmt="ocds", source="cf25")
    with store.session() as s:
        starts = {r["id"]: r["start"] for r in s.run("MATCH (p:Procurement) RETURN p.id AS id, p.start AS start")}
    later = sorted((str(v.to_native()), k) for k, v in starts.items() if v is not None and str(v.to_native()) > as_of)
    a = an.analyse_frames(pull_frames(store), place=None, as_of=as_of)
    p = a.pipeline
    assert list(p["procurement"]) == [k for _, k in later] and len(p) > 30
    transport = p.set_index("procurement").loc["ocds-b5fd17-0064608c-a004-4bf1-bea8-bcc569de6670"]
    assert transport["category"] == "transport" and transport["places"] == ["E92000001"]
    # no needs are loaded, so no procurement answers a gap; an unclassified one never does
    assert all(g == [] for g in p["gaps"])
    assert (p["category"] == "unclassified").sum() > 0
