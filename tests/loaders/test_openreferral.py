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


def test_service_without_organisation_is_skipped_with_a_warning_and_refused_when_strict(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps([{"id": "s1", "name": "Orphan", "service_areas": []},
                             {"id": "s2", "name": "Kept", "description": "d", "organization": {"id": "o", "name": "O"}}]))
    ct = oruk.load(p)
    assert list(ct["services"]["id"]) == ["s2"] and ct.skipped == {"service with no organisation": 1}
    assert f"{p}, [0], organization: service s1 names no organisation; it was not loaded" in ct.warnings
    with pytest.raises(ValidationError) as e:
        oruk.load(p, strict=True)
    assert [(i.sheet, i.column, i.check) for i in e.value.issues] == [("[0]", "organization", "publisher")]


FEED = FIX / "oruk_feed"


def test_a_feed_dump_is_read_file_by_file_by_what_each_holds():
    # api_details.json (the API description), organization_list.json (2 organisations, no services),
    # service_list.json (4 summaries), service_full.json (the first in full), taxonomy and term lists
    ct = oruk.load(FEED)
    orgs = ct["organisations"].set_index("id")
    s = ct["services"].set_index("id")
    assert sorted(s["name"]) == ["Advice line", "Carers' breaks", "Lunch club"]
    # the organisation list loads as organisations (its charity by its org-id), never as services
    assert orgs.loc["GB-CHC-1000001", "name"] == "Trafford Carers Centre"
    assert "Sale Food Hub" in set(orgs["name"])
    # the full record replaces the summary: its area, its category, its location's postcode on the organisation
    carers = s.loc["9f1e2d3c-4b5a-4697-8877-665544332211"]
    assert carers["areas"] == ["E05015239"] and carers["description"] == "Short breaks for unpaid carers."
    assert orgs.loc["GB-CHC-1000001", "postcode"] == "WA14 1AA"
    assert ct.skipped == {"service listed twice": 1, "service with no organisation": 1}
    # what carries no services is ignored, and said
    for name, what in (("api_details.json", "the API description"), ("taxonomy_list.json", "1 taxonom(y/ies)"),
                       ("taxonomy_term_list.json", "2 taxonomy term(s)")):
        assert f"{FEED}: {name}: {what} (no services); ignored" in ct.warnings
    # a service naming an organisation outside the feed keeps a placeholder, with a warning
    assert orgs.loc["ffffffff-0000-4000-8000-000000000000", "placeholder"] is True
    assert not check_tables(oruk.load(FEED, places=True).tables, source=str(FEED))


def test_the_validators_checks_are_located_warnings():
    ct = oruk.load(FEED)
    lunch = "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968"
    located = {w.split(": ")[0].replace(f"{FEED}/", "") for w in ct.warnings if w.startswith(f"{FEED}/")}
    assert located == {
        "organization_list.json, contents[1], website", "organization_list.json, contents[1], email",
        "service_list.json, contents[1], description", "service_list.json, contents[1], url",
        "service_list.json, contents[1], email", "service_list.json, contents[1], service_areas",
        "service_list.json, contents[3], organization", "service_list.json, contents[2], organization_id"}
    assert f"{FEED}/service_list.json, contents[1], url: the service's url is not a web address (http:// or " \
           "https://) (value 'htp:/lunch')" in ct.warnings
    assert f"{FEED}/service_list.json, contents[1], description: service {lunch} has no description" in ct.warnings
    with pytest.raises(ValidationError) as e:
        oruk.load(FEED, strict=True)
    assert len(e.value.issues) == len(located) and {i.check for i in e.value.issues} == {"publisher"}


def test_what_the_analysis_cannot_use_is_counted(tmp_path):
    ct = oruk.load(FEED)
    # Lunch club: "Sale and nearby" is free text (its empty area is a warning, not text)
    assert ct.unusable == {"free-text service areas": 1}
    assert any(w.startswith(f"{FEED}: not usable by the analysis: 1 free-text service areas") for w in ct.warnings)
    page = {"contents": [
        {"id": "s", "name": "S", "description": "d", "organization": {"id": "o", "name": "O"},
         "attributes": [{"taxonomy_term": {"id": "x", "term": "Knitting circles", "taxonomy": "local"}}],
         "service_at_locations": [{"location": {"addresses": [{"postal_code": "M15 4AB"}]}},
                                  {"location": {"addresses": [{"postal_code": "WA14 1AA"}]}}]}]}
    p = tmp_path / "page.json"
    p.write_text(json.dumps(page))
    assert oruk.load(p).unusable == {"location postcodes no postcode lookup placed": 2, "unmapped taxonomy terms": 1}
    lookup = tmp_path / "pc.csv"
    lookup.write_text("pcds,wd23cd\nWA14 1AA,E05015239\n")
    assert oruk.load(p, postcode_lookup=lookup).unusable == {"unmapped taxonomy terms": 1}


@needs_data
def test_the_official_examples_folder_loads_as_a_feed():
    files = sorted(p.name for p in ORUK.glob("*.json"))
    ct = oruk.load(ORUK)
    raw = json.loads((ORUK / "service_full.json").read_text())
    assert list(ct["services"]["id"]) == [raw["id"]]
    # the one service appears in four files; the taxonomy-term list carries none
    assert ct.skipped["service listed twice"] == sum(
        1 for f in files if raw["id"] in (ORUK / f).read_text()) - 1 == 3
    assert f"{ORUK}: taxonomy_term_list.json: 1 taxonomy term(s) (no services); ignored" in ct.warnings
    assert ct.unusable == {"free-text service areas": len(raw["service_areas"]),
                           "location postcodes no postcode lookup placed": len(raw["service_at_locations"]),
                           "unmapped taxonomy terms": 1}
