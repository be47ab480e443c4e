"""Open Referral UK / HSDS loader on the official examples and a hand-made page."""

import csv
import json
import pathlib

import pytest
from support import SAMPLE_DATA

from ecosystem.model import ValidationError
from loaders import categories
from loaders import openreferral as oruk
from loaders.validate import check_tables

ORUK = SAMPLE_DATA / "oruk/uk_profile_v3_examples"
HSDS = SAMPLE_DATA / "hsds_tabular/openreferral_sample_all_resources"
FIX = pathlib.Path(__file__).parents[1] / "fixtures" / "loaders"
needs_data = pytest.mark.skipif(not ORUK.exists(), reason="shared sample data not present")


@needs_data
@pytest.mark.parametrize("name", ["service_full.json", "organization_full.json", "service_at_location_full.json"])
def test_full_records_give_one_service_from_its_organisation(name):
    raw = json.loads((ORUK / "service_full.json").read_text())
    ct = oruk.load(ORUK / name)
    (svc,) = ct.records("services")
    assert svc["id"] == raw["id"] and svc["name"] == raw["name"]
    ident = raw["organization"]["organization_identifiers"][0]
    assert svc["provider"] == f"{ident['identifier_scheme']}-{int(ident['identifier']):08d}"  # GB-COH, zero-padded
    assert svc["category"] == "unclassified"  # the example's term is literally "name"
    assert svc["areas"] == [] and svc["area_text"].startswith("The service is available")
    assert svc["cost"] == raw["cost_options"][0]["amount"]
    assert any("impossible coordinates" in w for w in ct.warnings)  # latitude 100, longitude 101
    assert {c["code"] for c in ct.records("categories")} == {"unclassified"}


@needs_data
def test_v3_csv_package_matches_json():
    ct = oruk.load(ORUK / "csv")
    js = oruk.load(ORUK / "service_full.json")
    assert ct.records("services")[0]["provider"] == js.records("services")[0]["provider"]
    assert len(ct["organisations"]) == 1


@needs_data
def test_hsds_tabular_package_counts():
    with (HSDS / "services.csv").open(encoding="utf-8-sig", newline="") as f:
        services = list(csv.DictReader(f))
    with (HSDS / "organizations.csv").open(encoding="utf-8-sig", newline="") as f:
        orgs = list(csv.DictReader(f))
    ct = oruk.load(HSDS)
    assert len(ct["services"]) == len(services) == 13
    assert len(ct["organisations"]) == len(orgs) == 10
    assert set(ct["services"]["provider"]) <= {o["id"] for o in orgs}
    assert ct["services"].iloc[0]["_row"] == 2
    assert not check_tables(ct.tables, source=str(HSDS))


@needs_data
def test_list_page_warns_about_other_pages():
    ct = oruk.load(ORUK / "service_list.json")
    assert len(ct["services"]) == 1
    assert any("page 1 of 10" in w for w in ct.warnings)


def test_page_categories_areas_html_and_funding():
    ct = oruk.load(FIX / "oruk_services_page.json")
    s = ct["services"].set_index("id")
    assert s.loc["svc-1", "category"] == "mental_health"  # "Counselling" in the default map
    assert s.loc["svc-1", "other_categories"] == "community"  # "Befriending"
    assert s.loc["svc-2", "category"] == "unclassified"  # never dropped
    assert s.loc["svc-2", "taxonomy_terms"] == "Knitting circles"
    assert s.loc["svc-1", "areas"] == ["E05015239"] and s.loc["svc-1", "area_text"] == "Anywhere in Trafford"
    assert s.loc["svc-1", "description"] == "Free counselling & support.\nAdults"
    assert s.loc["svc-1", "provider"] == "GB-CHC-1001234"
    f = ct["funding"]
    assert f[["funder", "recipient", "service"]].values.tolist() == [["GB-LAE-TRF", "GB-CHC-1001234", "svc-1"]]
    assert ct.skipped == {"funding from the provider itself": 1, "funding that names no funder": 1}
    assert s.loc["svc-1", "funding_text"] == "Lottery and donations"
    assert sorted(ct["categories"]["code"]) == ["mental_health", "unclassified"]
    issues = check_tables(ct.tables, source="x")
    assert [(i.column, i.value) for i in issues] == [("areas", "E05015239")]  # left to geography loads
    assert not check_tables(ct.tables, source="x", known={"places": {"E05015239"}})
    with_places = oruk.load(FIX / "oruk_services_page.json", places=True)
    assert with_places.records("places")[0]["level"] == "ward"


def test_user_category_map_round_trip(tmp_path):
    terms = oruk.unmapped_terms(FIX / "oruk_services_page.json")
    assert terms == [("local", "Knitting circles")]
    user = categories.write_user_map(tmp_path / "my_map.csv", terms)
    text = user.read_text()
    assert "local,Knitting circles,unclassified" in text
    user.write_text(text.replace("local,Knitting circles,unclassified,Unclassified (taxonomy term not mapped yet)",
                                 "local,Knitting circles,community,Community and social connection"))
    ct = oruk.load(FIX / "oruk_services_page.json", category_map=user)
    assert ct["services"].set_index("id").loc["svc-2", "category"] == "community"
    # writing again keeps the user's edit and adds nothing
    categories.write_user_map(user, terms)
    assert "local,Knitting circles,community" in user.read_text()


def test_postcode_lookup_places_locations(tmp_path):
    lookup = tmp_path / "pc.csv"
    lookup.write_text("pcds,wd23cd\nWA14 1AA,E05015239\n")
    page = {"contents": [{"id": "s", "name": "S", "organization": {"id": "o", "name": "O"},
                          "service_at_locations": [{"location": {"addresses": [{"postal_code": "wa14 1aa"}]}}]}]}
    p = tmp_path / "page.json"
    p.write_text(json.dumps(page))
    ct = oruk.load(p, postcode_lookup=lookup)
    row = ct.records("services")[0]
    assert (row["areas"], row["areas_from"]) == (["E05015239"], "locations")


def test_service_without_organisation_is_an_issue(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"id": "s1", "name": "Orphan", "service_areas": []}))
    with pytest.raises(ValidationError) as e:
        oruk.load(p)
    assert e.value.issues[0].column == "organization"
