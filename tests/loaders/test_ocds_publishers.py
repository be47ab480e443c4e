"""OCDS publishers' errors, assumed ends, delivery places, postcodes and sectors, on fixtures made here."""

import datetime as dt
from decimal import Decimal
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem.model import ValidationError
from loaders import load_path, load_paths, ocds
from loaders.validate import check_tables

BUYER = {"id": "B", "name": "Trafford Council", "identifier": {"scheme": "GB-LAE", "id": "TRF"}, "roles": ["buyer"]}


def supplier(pid, **extra):
    return {"id": pid, "name": f"Supplier {pid}", "identifier": {"scheme": "GB-COH", "id": f"0000{pid[-4:]:0>4}"},
            "roles": ["supplier"], **extra}


def release(n, *, award=None, contract=None, parties=None, tender=None, date="2024-03-01"):
    a = {"id": f"a{n}", "status": "active", "date": "2024-03-01", "value": {"amount": 1000, "currency": "GBP"},
         "suppliers": [{"id": f"S{n:04d}"}], **(award or {})}
    r = {"ocid": f"ocds-t-{n}", "id": f"r{n}", "date": date, "tag": ["award"], "initiationType": "tender",
         "buyer": {"id": "B"}, "parties": parties or [BUYER, supplier(f"S{n:04d}")], "awards": [a]}
    if contract is not None:
        r["contracts"] = [{"id": f"c{n}", "awardID": f"a{n}", **contract}]
    if tender is not None:
        r["tender"] = tender
    return r


def write(tmp_path, releases, name="pkg.json"):
    p = tmp_path / name
    p.write_text(json.dumps({"uri": "x", "publishedDate": "2024-05-01", "releases": releases}), encoding="utf-8")
    return p


def period(start, end):
    return {"period": {"startDate": start, "endDate": end}}


# ---- publishers' errors --------------------------------------------------------------
def test_a_package_of_100_with_two_contracts_ending_the_day_before_they_start_loads_with_two_warnings(tmp_path):
    rels = [release(n, contract=period("2024-04-01", "2025-03-31")) for n in range(100)]
    rels[17]["contracts"][0]["period"] = {"startDate": "2024-04-01", "endDate": "2024-03-31"}
    rels[64]["contracts"][0]["period"] = {"startDate": "2024-06-10T00:00:00Z", "endDate": "2024-06-09T23:59:59Z"}
    p = write(tmp_path, rels)
    ct = ocds.load(p)
    assert len(ct["funding"]) == 100
    warned = [w for w in ct.warnings if "before the start" in w]
    assert warned == [
        f"{p}, ocid ocds-t-17, contracts[0].period.endDate: the end 2024-03-31 is before the start 2024-04-01; "
        "the end is not used",
        f"{p}, ocid ocds-t-64, contracts[0].period.endDate: the end 2024-06-09 is before the start 2024-06-10; "
        "the end is not used"]
    f = ct["funding"].set_index("ocid")
    # the documented rule: the end is dropped, and the assumed end applies from the start
    assert f.loc["ocds-t-17", "end"] == dt.date(2025, 3, 31) and bool(f.loc["ocds-t-17", "end_assumed"])
    assert f.loc["ocds-t-64", "end"] == dt.date(2025, 6, 9)
    assert not f.drop(["ocds-t-17", "ocds-t-64"])["end_assumed"].any()
    assert not check_tables(ct.tables, source=str(p))
    with pytest.raises(ValidationError) as e:
        ocds.load(p, strict=True)
    assert [(i.source, i.sheet, i.column, i.check) for i in e.value.issues] == [
        (str(p), "ocid ocds-t-17", "contracts[0].period.endDate", "publisher"),
        (str(p), "ocid ocds-t-64", "contracts[0].period.endDate", "publisher")]
    # the same through the loaders' entry point, which every command uses
    with pytest.raises(ValidationError):
        load_path(p, "ocds", strict=True)
    assert len(load_path(p, "ocds")["funding"]) == 100


def test_a_negative_amount_is_not_used_and_the_next_value_is(tmp_path):
    rels = [release(1, contract={"value": {"amount": -500, "currency": "GBP"}, **period("2024-04-01", "2025-03-31")}),
            release(2, award={"value": {"amount": -10, "currency": "GBP"}}),
            release(3, award={"value": {"amount": "lots", "currency": "GBP"}})]
    p = write(tmp_path, rels)
    ct = ocds.load(p)
    f = ct["funding"]
    assert f[["ocid", "amount", "value_from"]].values.tolist() == [["ocds-t-1", 1000, "award"]]
    assert ct.skipped["award without a value"] == 2
    assert sum("negative amount" in w for w in ct.warnings) == 2
    assert any(w.startswith(f"{p}, ocid ocds-t-3, awards[0].value.amount: amount cannot be read (not a number)") for w in ct.warnings)
    assert any(w.startswith(f"{p}, ocid ocds-t-2, awards[0].value: award a2 has no usable value; skipped")
               for w in ct.warnings)
    with pytest.raises(ValidationError) as e:
        ocds.load(p, strict=True)
    assert {i.sheet for i in e.value.issues} == {"ocid ocds-t-1", "ocid ocds-t-2", "ocid ocds-t-3"}


def test_an_unparseable_date_is_not_used(tmp_path):
    rels = [release(1, contract=period("31/13/2024", "2025-03-31")),
            release(2, award={"date": "soon"}, contract=period("not a date", None))]
    p = write(tmp_path, rels)
    ct = ocds.load(p)
    f = ct["funding"].set_index("ocid")
    # start falls back to the award date; the published end stays
    assert (f.loc["ocds-t-1", "start"], f.loc["ocds-t-1", "end"]) == (dt.date(2024, 3, 1), dt.date(2025, 3, 31))
    assert "ocds-t-2" not in f.index and ct.skipped["award without any date"] == 1
    assert any(w.startswith(f"{p}, ocid ocds-t-1, contracts[0].period.startDate: date '31/13/2024' cannot be read")
               for w in ct.warnings)
    assert any("ocid ocds-t-2, awards[0].date: date 'soon' cannot be read" in w for w in ct.warnings)


def test_an_award_with_no_buyer_is_skipped_with_a_located_warning(tmp_path):
    r = release(1)
    del r["buyer"]
    r["parties"] = [supplier("S0001")]
    p = write(tmp_path, [r])
    ct = ocds.load(p)
    assert len(ct["funding"]) == 0
    assert f"{p}, ocid ocds-t-1, buyer: award a1 has no buyer with an identifier, an id or a name; skipped" \
        in ct.warnings
    with pytest.raises(ValidationError):
        ocds.load(p, strict=True)


# ---- assumed ends ------------------------------------------------------------------------
def test_awards_without_an_end_or_duration_get_an_assumed_end(tmp_path):
    rels = [release(1),                                                            # award date only
            release(2, contract={"dateSigned": "2024-05-15", "period": {"startDate": None}}),  # signed
            release(3, contract={"period": {"startDate": "2024-07-01"}}),           # start, no end
            release(4, contract={"period": {"startDate": "2024-07-01", "durationInDays": 30}}),  # a duration
            release(5, contract=period("2024-07-01", "2024-12-31"))]                # published end
    p = write(tmp_path, rels)
    f = ocds.load(p)["funding"].set_index("ocid")
    assert f.loc["ocds-t-1", ["start", "end", "end_assumed"]].tolist() == [dt.date(2024, 3, 1), dt.date(2025, 2, 28), True]
    assert f.loc["ocds-t-2", ["start", "end", "end_assumed"]].tolist() == [dt.date(2024, 5, 15), dt.date(2025, 5, 14), True]
    assert f.loc["ocds-t-3", ["start", "end", "end_assumed"]].tolist() == [dt.date(2024, 7, 1), dt.date(2025, 6, 30), True]
    assert f.loc["ocds-t-4", ["start", "end", "end_assumed"]].tolist() == [dt.date(2024, 7, 1), dt.date(2024, 7, 30), False]
    assert f.loc["ocds-t-5", ["end", "end_assumed"]].tolist() == [dt.date(2024, 12, 31), False]
    ct = ocds.load(p, assume_months=6)
    assert ct["funding"].set_index("ocid").loc["ocds-t-3", "end"] == dt.date(2024, 12, 31)
    assert [w for w in ct.warnings if "assumed end" in w] == [
        f"{p}: 3 award(s) or contract(s) published without an end date or a duration were given an assumed end "
        "6 months after their start (or award or signature date); they are marked end_assumed"]


@settings(max_examples=40, deadline=None)
@given(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)), st.integers(1, 120))
def test_an_assumed_end_is_never_before_the_start(tmp_path_factory, start, months):
    p = write(tmp_path_factory.mktemp("a"), [release(1, contract={"period": {"startDate": start.isoformat()}})])
    row = ocds.load(p, assume_months=months)["funding"].iloc[0]
    assert row["start"] <= row["end"] and bool(row["end_assumed"])


# ---- delivery places, postcodes, sectors ---------------------------------------------
def test_delivery_locations_become_beneficiary_places_gss_codes_only(tmp_path):
    tender = {"id": "t", "items": [{"id": "1", "deliveryLocation": {"gazetteer": {"scheme": "GSS", "identifiers": [
        "E05000819", "not-a-code"]}}, "deliveryAddresses": [{"region": "North West", "countryName": "United Kingdom"},
                                                             {"postalCode": "m32 0ja"}]}],
              "deliveryAddresses": [{"region": "E08000009"}, {"region": "Somewhere nice"}]}
    rels = [release(1, tender=tender),
            release(2, award={"items": [{"id": "x", "deliveryLocations": [
                {"gazetteer": {"scheme": "GEONAMES", "identifiers": ["2634843"]}}]}]})]
    f = ocds.load(write(tmp_path, rels))["funding"].set_index("ocid")
    assert f.loc["ocds-t-1", "places"] == ["E08000009", "E05000819", "E12000002"]
    assert f.loc["ocds-t-1", "delivery_postcodes"] == "M32 0JA"
    assert f.loc["ocds-t-2", "places"] == []


def test_supplier_postcodes_are_normalised_and_only_uk_ones_kept(tmp_path):
    parties = [BUYER | {"address": {"postalCode": "m330ds"}},
               supplier("S0001", address={"postalCode": " wa14 2dt "}),
               supplier("S0002", address={"postalCode": "06600", "countryName": "Mexico"})]
    r = release(1, parties=parties)
    r["awards"][0]["suppliers"].append({"id": "S0002"})
    o = ocds.load(write(tmp_path, [r]))["organisations"].set_index("name")["postcode"].to_dict()
    assert o == {"Trafford Council": "M33 0DS", "Supplier S0001": "WA14 2DT", "Supplier S0002": None}


def test_sme_and_vcse_flags_set_the_sector(tmp_path):
    parties = [BUYER | {"details": {"scale": "large"}},
               supplier("S0001", details={"scale": "sme", "vcse": True}),
               supplier("S0002", details={"scale": "sme", "vcse": False}),
               supplier("S0003", details={"scale": "large"}),
               {"id": "S0004", "name": "A Council", "identifier": {"scheme": "GB-LAE", "id": "MAN"},
                "details": {"scale": "large"}, "roles": ["supplier"]},
               supplier("S0005")]
    r = release(1, parties=parties)
    r["awards"][0]["suppliers"] = [{"id": f"S000{i}"} for i in range(1, 6)]
    o = ocds.load(write(tmp_path, [r]))["organisations"].set_index("name")["sector"].to_dict()
    assert o == {"Trafford Council": "public", "Supplier S0001": "vcse", "Supplier S0002": "private",
                 "Supplier S0003": "private", "A Council": "public", "Supplier S0005": None}


# ---- currencies --------------------------------------------------------------------------
def test_two_currencies_and_suppliers_without_a_scheme_give_two_flows(tmp_path):
    """A city government's file: identifiers with no scheme, amounts in MXN and USD."""
    r = {"ocid": "ocds-mx-1", "id": "1", "date": "2019-05-01", "tag": ["award"], "initiationType": "tender",
         "buyer": {"name": "Secretaría de Obras", "id": "SOBSE"},
         "parties": [{"id": "SOBSE", "name": "Secretaría de Obras", "roles": ["buyer"]}],
         "awards": [{"id": "1", "status": "active", "date": "2019-05-01",
                     "value": {"amount": 1311264.00, "currency": "MXN"},
                     "suppliers": [{"name": "Constructora Uno", "identifier": {"id": "CUN010101AAA"}}]},
                    {"id": "2", "status": "active", "date": "2019-05-02",
                     "value": {"amount": 75464.96, "currency": "USD"},
                     "suppliers": [{"name": "Consultores Dos", "identifier": {"id": "CDO020202BBB"}}]}]}
    ct = ocds.load(write(tmp_path, [r]))
    f = ct["funding"].set_index("recipient")
    assert f[["amount", "currency"]].values.tolist() == [[Decimal("1311264.00"), "MXN"], [Decimal("75464.96"), "USD"]]
    assert sum("identified by the identifier id" in w for w in ct.warnings) == 2


def test_cli_strict_refuses_what_a_plain_load_warns_about(tmp_path, monkeypatch, capsys):
    from ecosystem import cli

    monkeypatch.setenv("ECOMAP_HOME", str(tmp_path / "home"))
    rels = [release(n, contract=period("2024-04-01", "2025-03-31")) for n in range(3)]
    rels[1]["contracts"][0]["period"]["endDate"] = "2024-03-31"
    p = write(tmp_path, rels)
    assert cli.main(["load", str(p), "--format", "ocds", "--dry-run", "--no-store"]) == 0
    out = capsys.readouterr()
    assert "before the start" in out.out + out.err
    assert cli.main(["load", str(p), "--format", "ocds", "--dry-run", "--no-store", "--strict"]) == 2
    out = capsys.readouterr()
    assert "ocid ocds-t-1" in out.out + out.err and "before the start" in out.out + out.err
    assert "Traceback" not in out.out + out.err


# ---- procurements --------------------------------------------------------------------------
def tender_release(n, *, tender, planning=None, tag="tender"):
    r = {"ocid": f"ocds-p-{n}", "id": f"t{n}", "date": "2025-01-10", "tag": [tag], "initiationType": "tender",
         "buyer": {"id": "B"}, "parties": [BUYER], "tender": {"id": f"T{n}", **tender}}
    if planning is not None:
        r["planning"] = planning
    return r


def cpv(code):
    return {"classification": {"scheme": "CPV", "id": code, "description": "x"}}


def test_planning_and_tender_stage_releases_become_procurements(tmp_path):
    rels = [
        tender_release(1, tender={"title": "Day opportunities for older people", "status": "active",
                                  **cpv("85311100"), "procurementMethod": "open",
                                  "value": {"amount": 250000, "currency": "GBP"},
                                  "tenderPeriod": {"endDate": "2025-02-01T12:00:00Z"},
                                  "contractPeriod": {"startDate": "2025-04-01", "endDate": "2028-03-31"},
                                  "items": [{"id": "1", "deliveryAddresses": [{"region": "North West"}]}]}),
        # a narrower code maps through its broader one (85312320 -> 85312300 mental health)
        tender_release(2, tender={"title": "Counselling", "status": "active", **cpv("85312320-8"),
                                  "tenderPeriod": {"endDate": "2025-03-01"}}),
        # unmapped code -> unclassified; planning stage; value from the budget
        tender_release(3, tender={"title": "Fuel cards", "status": "planned", **cpv("09100000")},
                       planning={"budget": {"amount": {"amount": 5000, "currency": "GBP"}}}, tag="planning"),
        tender_release(4, tender={"title": "Withdrawn one", "status": "cancelled", **cpv("85311100")}),
        # CPV from the items when the tender has no classification (as Contracts Finder 2014 publishes)
        tender_release(5, tender={"title": "Community services", "status": "active",
                                  "items": [{"id": "1", "classification": {"scheme": "CPV", "id": "85322000"}}]}),
    ]
    p = write(tmp_path, rels)
    ct = ocds.load(p)
    pr = ct["procurements"].set_index("id")
    assert sorted(pr.index) == ["ocds-p-1", "ocds-p-2", "ocds-p-3", "ocds-p-5"]
    one = pr.loc["ocds-p-1"]
    assert (one["buyer"], one["title"], one["category"], one["start"], one["end"], one["value"], one["stage"],
            one["route"], one["cpv"], one["places"]) == (
        "GB-LAE-TRF", "Day opportunities for older people", "older_people", dt.date(2025, 4, 1),
        dt.date(2028, 3, 31), 250000, "tender", "open", "85311100", ["E12000002"])
    assert pr.loc["ocds-p-2", "category"] == "mental_health" and pr.loc["ocds-p-2", "start"] == dt.date(2025, 3, 1)
    assert (pr.loc["ocds-p-3", "category"], pr.loc["ocds-p-3", "stage"], pr.loc["ocds-p-3", "value"]) == (
        "unclassified", "planning", 5000)
    assert pr.loc["ocds-p-5", "category"] == "community"
    assert ct.skipped["tender cancelled"] == 1
    assert set(ct["categories"]["code"]) == {"older_people", "mental_health", "unclassified", "community"}
    assert any("1 procurement(s) have a CPV code that the category map does not map" in w for w in ct.warnings)
    assert len(ct["funding"]) == 0
    assert not check_tables(ct.tables, source=str(p))


def test_the_users_category_map_maps_cpv_codes_and_categories_map_adds_them(tmp_path, monkeypatch, capsys):
    from ecosystem import cli
    from loaders import categories

    p = write(tmp_path, [tender_release(1, tender={"title": "Fuel cards", "status": "active", **cpv("09100000")}),
                         tender_release(2, tender={"title": "Taxis", "status": "active", **cpv("60120000")})])
    monkeypatch.setenv("ECOMAP_HOME", str(tmp_path / "home"))
    out = tmp_path / "map.csv"
    assert cli.main(["categories", "map", str(p), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unmapped_terms"] == [["CPV", "09100000"]]
    rows = out.read_text().splitlines()
    assert "CPV,09100000,unclassified,Unclassified (taxonomy term not mapped yet)" in rows
    out.write_text("\n".join(r.replace("CPV,09100000,unclassified,Unclassified (taxonomy term not mapped yet)",
                                       "CPV,09000000,transport,Transport") for r in rows) + "\n")
    pr = ocds.load(p, category_map=out)["procurements"].set_index("id")["category"].to_dict()
    assert pr == {"ocds-p-1": "transport", "ocds-p-2": "transport"}
    assert categories.cpv_candidates("85311300") == ["85311300", "85311000", "85310000", "85300000", "85000000"]


def test_several_ocds_files_in_one_load_share_their_categories(tmp_path):
    a = write(tmp_path, [tender_release(1, tender={"title": "A", "status": "active", **cpv("09100000")})], "a.json")
    b = write(tmp_path, [tender_release(2, tender={"title": "B", "status": "active", **cpv("09100000")}),
                         tender_release(3, tender={"title": "C", "status": "active", **cpv("60000000")})], "b.json")
    from ecosystem.pipeline import prepare

    ct = load_paths([a, b], "ocds")
    assert sorted(ct["categories"]["code"]) == ["transport", "unclassified"]
    assert sorted(ct["procurements"]["id"]) == ["ocds-p-1", "ocds-p-2", "ocds-p-3"]
    ready = prepare([a, b], fmt="ocds")  # identities resolved and every cross-table check passed
    assert ready.counts()["procurements"] == 3 and list(ready["organisations"]["id"]) == ["GB-LAE-TRF"]


# ---- exact amounts and currencies ----------------------------------------------------------
def test_amounts_are_exact_decimals_and_add_up_without_float_error(tmp_path):
    rels = [release(n, award={"value": {"amount": 1000.10, "currency": "GBP"}}) for n in range(7)]
    f = ocds.load(write(tmp_path, rels))["funding"]
    assert all(isinstance(a, Decimal) for a in f["amount"])
    assert sum(f["amount"]) == Decimal("7000.70")


def test_a_shared_award_is_split_exactly(tmp_path):
    parties = [BUYER] + [supplier(f"S000{i}") for i in range(1, 4)]
    r = release(1, parties=parties, award={"value": {"amount": 100, "currency": "GBP"}})
    r["awards"][0]["suppliers"] = [{"id": f"S000{i}"} for i in range(1, 4)]
    f = ocds.load(write(tmp_path, [r]))["funding"]
    assert f["amount"].tolist() == [Decimal("33.3334"), Decimal("33.3333"), Decimal("33.3333")]
    assert sum(f["amount"]) == 100 and set(f["amount_shared_by"]) == {3}


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
       st.integers(1, 9))
def test_shares_always_add_up_to_the_award(value, k):
    shares = ocds._split(value, k)
    assert len(shares) == k and sum(shares) == value and max(shares) - min(shares) <= Decimal("0.0009")


def test_an_unknown_currency_is_a_located_warning_and_kept_apart(tmp_path):
    rels = [release(1, award={"value": {"amount": 10, "currency": "GBP"}}),
            release(2, award={"value": {"amount": 20, "currency": "usd"}}),
            release(3, award={"value": {"amount": 30, "currency": "XYZ"}}),
            release(4, award={"value": {"amount": 40}})]
    p = write(tmp_path, rels)
    ct = ocds.load(p)
    f = ct["funding"].set_index("ocid")
    assert f["currency"].to_dict() == {"ocds-t-1": "GBP", "ocds-t-2": "USD", "ocds-t-3": "XYZ", "ocds-t-4": "GBP"}
    bad = [w for w in ct.warnings if "ISO 4217" in w]
    assert len(bad) == 1 and bad[0].startswith(f"{p}, ocid ocds-t-3, awards[0].value.currency: currency 'XYZ'")
    assert f"{p}: 1 value(s) name no currency; taken as GBP" in ct.warnings
    assert f"{p}: flows in 3 currencies (GBP: 2, USD: 1, XYZ: 1); amounts kept in their own currency, never " \
           "converted or added together" in ct.warnings
