"""OCDS loader on the real Contracts Finder and OCP sample files, and a JSON Lines fixture."""

import datetime as dt
from decimal import Decimal
import json
import pathlib

import pytest
from support import SAMPLE_DATA

from ecosystem.model import ValidationError
from loaders import ocds
from loaders.validate import check_tables

DATA = SAMPLE_DATA / "ocds"
CF25 = DATA / "uk_contracts_finder_2025" / "contracts_finder_search_2025-01-20_to_2025-01-23_release_package.json"
FIX = pathlib.Path(__file__).parents[1] / "fixtures" / "loaders"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="shared sample data not present")


@needs_data
def test_contracts_finder_2025_flows_match_the_raw_package():
    releases = json.loads(CF25.read_text(encoding="utf-8"))["releases"]
    # independent compile: per (ocid, award id) the latest release's fields win
    awards = {}
    for r in sorted(releases, key=lambda r: r["date"]):
        for a in r.get("awards", []):
            awards.setdefault((r["ocid"], a["id"]), {}).update(a)
    n_flows = sum(len(a["suppliers"]) for a in awards.values())
    # exact: each published amount as the decimal it is written as
    total = sum(Decimal(repr(a["value"]["amount"])) for a in awards.values())
    ocids = {r["ocid"] for r in releases}
    with_awards = {r["ocid"] for r in releases if r.get("awards")}

    ct = ocds.load(CF25)
    f = ct["funding"]
    assert len(f) == n_flows == 70
    assert sum(f["amount"]) == total == Decimal("121869256.4")
    assert set(f["currency"]) == {"GBP"}
    assert ct.skipped == {"process without awards": len(ocids - with_awards)} == {"process without awards": 37}
    assert any("no awards yet" in w for w in ct.warnings)
    assert set(f["kind"]) == {"contract"}
    orgs = ct["organisations"].set_index("id")
    # supplier identifiers as org-ids (scheme + id); SME/VCSE flags kept
    assert orgs.loc["GB-COH-02227962", "company_number"] == "02227962"
    assert orgs.loc["GB-COH-02227962", "scale"] == "large"
    assert orgs.loc["GB-COH-02227962", "vcse"] is False
    assert set(f["funder"]) <= set(orgs.index) and set(f["recipient"]) <= set(orgs.index)
    assert not check_tables(ct.tables, source=str(CF25))


@needs_data
def test_fictional_release_and_record_packages_agree():
    rel = ocds.load(DATA / "ocp_fictional_example_1.1" / "ocds-213czf-000-00001_release_package.json")
    rec = ocds.load(DATA / "ocp_fictional_example_1.1" / "ocds-213czf-000-00001_record_package.json")
    for ct in (rel, rec):
        row = ct["funding"].iloc[0]
        assert len(ct["funding"]) == 1
        assert (row["funder"], row["recipient"], row["amount"]) == ("GB-LAC-E09000003", "GB-COH-11111111", 11000000.0)
        assert (row["start"], row["end"]) == (dt.date(2010, 7, 1), dt.date(2011, 6, 30))
        assert row["value_from"] == "contract"


@needs_data
def test_tender_only_folders_load_organisations_without_flows():
    for sub in ("releases", "records"):
        path = DATA / "uk_contracts_finder_2014" / sub
        ct = ocds.load(path)
        assert len(ct["funding"]) == 0
        assert ct.skipped["process without awards"] == 11  # 11 distinct ocids in each folder
        assert len(ct["organisations"]) > 0
        # tender-stage processes still open become procurements; unsuccessful ones do not
        status = {}
        for f in sorted(path.iterdir()):
            doc = json.loads(f.read_text(encoding="utf-8"))
            for r in ([doc["compiledRelease"]] if "compiledRelease" in doc else doc.get("records", [doc])):
                r = r.get("compiledRelease", r)
                status[r["ocid"]] = r["tender"]["status"]
        open_ = {o for o, st in status.items() if st not in ("unsuccessful", "cancelled", "withdrawn", "complete")}
        assert set(ct["procurements"]["id"]) == open_ and len(open_) == 3
        assert ct.skipped["tender unsuccessful"] == len(status) - len(open_) == 8
        assert set(ct["procurements"]["cpv"]) == {"72000000", "85000000"}
        # each notice's two shapes in the releases folder merge: no buyer is lost
        assert "Bath and North East Somerset Council" in set(ct["organisations"]["name"])
        assert "Met Office" in set(ct["organisations"]["name"]) | {n.title() for n in ct["organisations"]["name"]}


def test_jsonl_compiles_latest_wins_and_reports_missing_fields():
    ct = ocds.load(FIX / "ocds_releases.jsonl")
    f = ct["funding"].sort_values("recipient").reset_index(drop=True)
    # award a1 updated to 120,000 by the later release; two suppliers share it equally
    assert f["amount"].tolist() == [60000.0, 60000.0]
    assert f["recipient"].tolist() == ["GB-CHC-1000001", "GB-COH-01234567"]
    assert set(f["funder"]) == {"GB-LAE-TRF"}
    # contract period inherited from the tender of the earlier release
    assert (f.loc[0, "start"], f.loc[0, "end"]) == (dt.date(2024, 4, 1), dt.date(2026, 3, 31))
    orgs = ct["organisations"].set_index("id")
    assert orgs.loc["GB-CHC-1000001", "sector"] == "vcse" and orgs.loc["GB-CHC-1000001", "scale"] == "sme"
    assert ct.skipped == {"release without ocid": 1, "process without awards": 2}
    assert sum("missing required OCDS field" in w for w in ct.warnings) == 2
    assert not check_tables(ct.tables, source="x")


def test_not_ocds_is_a_validation_error(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"hello": 1}')
    with pytest.raises(ValidationError) as e:
        ocds.load(p)
    assert e.value.issues[0].check == "shape"


@needs_data
def test_contracts_finder_2025_suppliers_without_a_scheme_are_counted_in_a_warning():
    releases = json.loads(CF25.read_text(encoding="utf-8"))["releases"]
    unschemed = set()
    for r in releases:
        for p in r.get("parties", []):
            ident = p.get("identifier") or {}
            if "supplier" in p.get("roles", []) and not (ident.get("scheme") and ident.get("id")):
                unschemed.add(p["id"])
    ct = ocds.load(CF25)
    assert len(unschemed) == 48
    assert f"{CF25}: {len(unschemed)} supplier(s) not identified by an identifier scheme and id " \
           f"(by party id: {len(unschemed)})" in ct.warnings
    located = [w for w in ct.warnings if "identified by its OCDS party id" in w]
    assert len(located) == 20 and all(w.startswith(f"{CF25}, ocid ocds-") for w in located)
