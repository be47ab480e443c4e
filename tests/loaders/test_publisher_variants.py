"""Files shaped the way other publishers shape them, for another place (Manchester's codes).

Each fixture in tests/fixtures/publishers is a small hand-made file in a publisher's real shape: the ONS
National Statistics Postcode Lookup (``pcd``/``pcd2``/``pcds``, ``laua``, ``ward``, ``lsoa21``,
``msoa21``, ``doterm``), the ONS Postcode Directory's padded ``pcd7``/``pcd8``, a council's extract
(``Postcode``, ``Ward Code``; also as a workbook), upper-case headers with a UTF-8 BOM and CRLF line ends,
ONS ward → LA lookups of the 2024 vintage with the portal's ``FID``/``ObjectId`` row ids and Welsh-name
columns, ONS ward boundaries with ``WD24CD`` properties, 360Giving's numbered flattened titles
(``Beneficiary Location:0:Geographic Code``, ``Recipient Org:Postal Code``) in CSV and XLSX, and
Fingertips exports with ``Area Code`` (the website) or ``AreaCode`` (the API). Each must load to the
same canonical rows; a file that cannot be understood is refused with what was looked for and found.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import pathlib
from contextlib import redirect_stdout

import pytest

import loaders
from ecosystem import cli
from loaders import postcodes

F = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "publishers"
LA, ARDWICK, ANCOATS = "E08000003", "E05011351", "E05011350"


def _lookup(ct) -> dict[str, set[str]]:
    out = {}
    for r in ct.records("postcodes"):
        out.update({pc: set(codes) for pc, codes in postcodes.expand(r).items()})
    return out


# ---- postcode lookups ----
NSPL = {  # the two live rows of the NSPL fixture, every real GSS code (cty is the pseudo-code E99999999)
    "M1 1AE": {"E00025605", LA, ARDWICK, "E92000001", "E12000002", "E01005061", "E02001062"},
    "M12 4AB": {"E00025608", LA, ARDWICK, "E92000001", "E12000002", "E01005063", "E02001062"},
}


@pytest.mark.parametrize("name", ["nspl_manchester.csv", "nspl_manchester_upper_bom_crlf.csv"])
def test_nspl_shape_whatever_the_case_bom_or_line_ends(name):
    f = F / name
    assert loaders.resolve_format(f) == "postcodes"
    ct = loaders.load_path(f)
    assert _lookup(ct) == NSPL  # M12 4AD has a doterm (2009-12): terminated, skipped
    assert ct.skipped == {"terminated postcodes": 1}
    assert ct.counts()["places"] == 0


def test_onspd_padded_pcd7_pcd8_only():
    ct = loaders.load_path(F / "onspd_pcd7_pcd8.csv")
    assert _lookup(ct) == {"M1 1AE": {LA, ARDWICK, "E01005061"}, "M12 4AB": {LA, ARDWICK, "E01005063"}}
    assert ct.skipped == {"terminated postcodes": 1}


def test_council_extract_with_postcode_and_ward_code_headers():
    f = F / "council_postcodes_ward_code.csv"
    assert loaders.resolve_format(f) == "postcodes"
    # lower case and a doubled space are still postcodes; no termination column: every row is live
    assert _lookup(loaders.load_path(f)) == {"M1 1AE": {ARDWICK}, "M12 4AB": {ARDWICK}, "M12 4AD": {ARDWICK}}


def test_council_extract_saved_as_a_workbook():
    f = F / "council_postcodes.xlsx"
    assert loaders.resolve_format(f) == "postcodes"
    ct = loaders.load_path(f)
    assert _lookup(ct) == {"M1 1AE": {ARDWICK, "E01005061", LA}, "M12 4AB": {ARDWICK, "E01005063", LA}}
    assert {r["_sheet"] for r in ct.records("postcodes")} == {"Postcodes"}


def test_workbook_lookup_on_a_later_sheet(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Extract of the council's gazetteer, March 2025"])
    ws = wb.create_sheet("Data")
    ws.append(["POSTCODE", "WARD_CODE"])
    ws.append(["M12 4AB", ARDWICK])
    wb.save(tmp_path / "lookup.xlsx")
    ct = loaders.load_path(tmp_path / "lookup.xlsx", "postcodes")
    assert _lookup(ct) == {"M12 4AB": {ARDWICK}}
    assert {r["_sheet"] for r in ct.records("postcodes")} == {"Data"}


# ---- ward -> LA lookups and boundaries ----
@pytest.mark.parametrize("name,vintage", [("ward24_to_lad24_fid.csv", "2024"),
                                          ("ward24_to_lad24_objectid_lower.csv", "2024"),
                                          ("ward24_to_lad24.xlsx", "2024"),
                                          ("council_ward_to_la_spaced_headers.csv", None)])
def test_ward_to_la_lookups_of_other_vintages_and_headers(name, vintage):
    f = F / name
    assert loaders.resolve_format(f) == "geography"
    got = {r["code"]: (r["name"], r["level"], r["parent"], r["vintage"])
           for r in loaders.load_path(f).records("places")}
    # the portal's FID / ObjectId and the blank Welsh names are no places
    assert got == {ANCOATS: ("Ancoats & Beswick", "ward", LA, vintage), ARDWICK: ("Ardwick", "ward", LA, vintage),
                   LA: ("Manchester", "la", None, vintage)}


def test_workbook_ward_lookup_is_read_from_its_data_sheet():
    ct = loaders.load_path(F / "ward24_to_lad24.xlsx")
    assert {r["_sheet"] for r in ct.records("places")} == {"WD24_LAD24_UK_LU"}  # not the notes sheet before it


def test_windows_1252_files_are_read_with_a_warning():
    ct = loaders.load_path(F / "council_postcodes_windows1252.csv")
    assert _lookup(ct) == {"M1 1AE": {ARDWICK}, "M12 4AB": {ARDWICK}}
    assert any("not UTF-8; read as Windows-1252" in w for w in ct.warnings)
    ct = loaders.load_path(F / "ward24_to_lad24_windows1252.csv")
    assert {r["code"]: r["name"] for r in ct.records("places")}[ARDWICK] == "Ardwick \u2013 Brunswick"
    assert any("not UTF-8; read as Windows-1252" in w for w in ct.warnings)


def test_ons_ward_boundaries_with_wd24cd_properties():
    f = F / "wards_2024_ons_properties.geojson"
    got = {r["code"]: r for r in loaders.load_path(f).records("places")}
    assert sorted(got) == [ANCOATS, ARDWICK]
    a = got[ARDWICK]
    assert (a["name"], a["level"], a["vintage"], a["lat"], a["lon"]) == ("Ardwick", "ward", "2024", 53.4712, -2.2195)
    assert json.loads(a["boundary"])["type"] == "Polygon"


def test_boundaries_in_british_national_grid_load_their_places_without_boundaries():
    ct = loaders.load_path(F / "wards_2024_british_national_grid.geojson")
    got = {r["code"]: (r["name"], r["lat"], r["lon"], r["boundary"]) for r in ct.records("places")}
    # metres are no longitude and latitude: no boundary, and a centre only where LAT/LONG say it
    assert got == {ANCOATS: ("Ancoats & Beswick", 53.4849, -2.2201, None), ARDWICK: ("Ardwick", None, None, None)}
    (w,) = [w for w in ct.warnings if "not longitude and latitude" in w]
    assert "2 of 2 feature(s)" in w and "features[0], E05011350: 384,700, 398,100" in w
    assert "EPSG::27700" in w and "ogr2ogr -t_srs EPSG:4326" in w


# ---- 360Giving numbered columns ----
@pytest.mark.parametrize("name", ["grants_numbered_columns.csv", "grants_numbered_columns.xlsx"])
def test_360giving_numbered_columns_and_recipient_postal_code(name):
    ct = loaders.load_path(F / name)
    flows = {r["id"]: r for r in ct.records("funding")}
    assert sorted(flows) == ["360G-mcr-001", "360G-mcr-002"]
    one, two = flows["360G-mcr-001"], flows["360G-mcr-002"]
    assert one["places"] == [ARDWICK, LA] and two["places"] == [ANCOATS]  # both numbered locations, in order
    assert (one["amount"], two["amount"]) == (decimal.Decimal("5000"), decimal.Decimal("12500.5"))
    assert (one["start"], one["end"], bool(one["end_assumed"])) == (dt.date(2024, 4, 1), dt.date(2025, 3, 31), False)
    # no planned dates: 12 months from the award date, marked assumed
    assert (two["start"], two["end"], bool(two["end_assumed"])) == (dt.date(2024, 5, 15), dt.date(2025, 5, 14), True)
    assert one["funder"] == "GB-LAE-MAN" and one["beneficiary_names"] == "Ardwick; Manchester"
    orgs = {o["id"]: o for o in ct.records("organisations")}
    assert orgs["GB-CHC-1000001"]["postcode"] == "M12 4AB" and orgs["GB-COH-09999999"]["postcode"] == "M4 6BF"
    assert orgs["GB-CHC-1000001"]["sector"] == "vcse"


# ---- Fingertips ----
@pytest.mark.parametrize("name", ["fingertips_area_code.csv", "fingertips_areacode_api.csv"])
def test_fingertips_area_code_variants(name):
    f = F / name
    assert loaders.resolve_format(f) == "needs"
    got = {(r["place"], r["category"], r["period"]): r["people"] for r in loaders.load_path(f).records("needs")}
    # depression prevalence: value % of the denominator (the needs map's rule)
    assert got == {(LA, "mental_health", "2022/23"): 12.5 * 400000 / 100,
                   ("E08000006", "mental_health", "2022/23"): 14 * 200000 / 100}


# ---- Census 2021 bulk tables: one column per category ----
def test_census_bulk_tables_one_column_per_category():
    f = F / "census2021_ts037_bulk_ltla.csv"
    assert loaders.resolve_format(f) == "needs"
    got = {(r["place"], r["category"], r["period"]): r["people"] for r in loaders.load_path(f).records("needs")}
    # bad + very bad health; the total, very good, good and fair columns are not needs
    assert got == {(LA, "physical_health", "2021"): 27000 + 9938, ("E08000006", "physical_health", "2021"): 13000 + 5000}
    got = {(r["place"], r["category"]): r["people"]
           for r in loaders.load_path(F / "census2021_ts038_bulk_ltla.csv").records("needs")}
    assert got == {(LA, "disability"): 45000}  # limited a lot only, not the sub-total above it


def test_census_bulk_table_of_a_topic_the_needs_map_does_not_know(tmp_path, capsys):
    f = _csv(tmp_path, "ts058.csv", "date,geography,geography code,Distance travelled to work: Total,"
                                    "Distance travelled to work: Less than 2km,Distance travelled to work: 2km to "
                                    "less than 5km\n2021,Manchester,E08000003,1,2,3\n")
    err = _refused(capsys, f, "--format", "needs")
    assert "no column of this Census table matches a needs-map rule" in err and "'geography code'" in err


# ---- in the store: another place's files, end to end ----
def test_another_place_from_these_files_end_to_end(store, capsys):
    for args in ([F / "wards_2024_ons_properties.geojson"], [F / "ward24_to_lad24_fid.csv"],
                 [F / "nspl_manchester.csv"], [F / "grants_numbered_columns.xlsx"]):
        assert cli.main(["load", *map(str, args)]) == 0
    with store.session() as s:
        based = {r["id"]: (r["code"], r["basis"]) for r in s.run(
            "MATCH (o:Organisation)-[b:BASED_IN]->(p:Place) RETURN o.id AS id, p.code AS code, b.basis AS basis")}
    # the recipient's postcode M12 4AB is in Ardwick (its smallest loaded place); the council by the register;
    # M4 6BF is in no loaded lookup
    assert based == {"GB-CHC-1000001": (ARDWICK, "postcode"), "GB-LAE-MAN": (LA, "register")}
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert cli.main(["analyse", "--place", LA, "--as-of", "2024-06-01", "--json"]) == 0
    out = json.loads(buf.getvalue())
    dep = {r["provider"]: (r["top_funder"], float(r["amount"])) for r in out["funding_dependency"]}
    # both recipients belong to Manchester: one based in Ardwick, the other through its beneficiary ward
    assert dep == {"GB-CHC-1000001": ("GB-LAE-MAN", 5000.0), "GB-COH-09999999": ("GB-LAE-MAN", 12500.5)}
    assert out["unplaced"]["organisations"] == 0


# ---- what cannot be understood is said: what was looked for, what was found ----
def _refused(capsys, path, *args) -> str:
    assert cli.main(["load", str(path), *args, "--dry-run", "--no-store"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err
    return err


def _csv(tmp_path, name, text) -> pathlib.Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_refused_postcode_lookup_without_codes(tmp_path, capsys):
    f = _csv(tmp_path, "names.csv", "Postcode,Ward,District\nM1 1AE,Ardwick,Manchester\nM12 4AB,Ardwick,Manchester\n")
    err = _refused(capsys, f, "--format", "postcodes")
    assert "column Postcode" in err and "no column of GSS codes" in err
    assert "'Ward' (other values, e.g. 'Ardwick')" in err and "'Postcode' (postcodes, e.g. 'M1 1AE')" in err


def test_refused_postcode_lookup_without_postcodes(tmp_path, capsys):
    f = _csv(tmp_path, "districts.csv", "pcd,laua,cty\nM1,E08000003,E99999999\nM12,E08000003,E99999999\n")
    err = _refused(capsys, f, "--format", "postcodes")
    assert "no column of postcodes" in err and "'pcd' (other values, e.g. 'M1')" in err
    assert "'laua' (GSS codes, e.g. 'E08000003')" in err and "'cty' (only pseudo-codes" in err


def test_refused_workbook_postcode_lookup_names_its_sheet(tmp_path, capsys):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Wards"
    wb.active.append(["Postcode", "Ward"])
    wb.active.append(["M1 1AE", "Ardwick"])
    wb.save(tmp_path / "wards.xlsx")
    err = _refused(capsys, tmp_path / "wards.xlsx", "--format", "postcodes")
    assert "sheet Wards" in err and "'Ward' (other values, e.g. 'Ardwick')" in err


def test_refused_ward_lookup_without_code_columns(tmp_path, capsys):
    f = _csv(tmp_path, "wards.csv", "Ward,District\nArdwick,Manchester\n")
    err = _refused(capsys, f, "--format", "geography")
    assert "no code columns" in err and "WD24CD" in err and "found 2 column(s): 'Ward', 'District'" in err


def test_refused_needs_file_says_which_column_it_took_for_the_area(tmp_path, capsys):
    f = _csv(tmp_path, "needs.csv", "AreaCode,AreaName,Percent\nE08000003,Manchester,12.5\n")
    err = _refused(capsys, f, "--format", "needs")
    assert "column AreaCode" in err and "'AreaCode' is an area code column, but there is no value" in err
    f = _csv(tmp_path, "needs2.csv", "Place,Value\nManchester,12.5\n")
    assert "none of them is an area code column" in _refused(capsys, f, "--format", "needs")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_refused_360giving_file_says_what_is_missing(tmp_path, capsys, suffix):
    header = ["Identifier", "Amount", "Recipient Org:Name", "Funding Org:Identifier"]
    f = tmp_path / f"grants{suffix}"
    if suffix == ".csv":
        f.write_text(",".join(header) + "\n360G-x-1,100,Club,GB-LAE-MAN\n", encoding="utf-8")
    else:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.active.title = "Grants"
        wb.active.append(header)
        wb.save(f)
    err = _refused(capsys, f, "--format", "360giving")
    assert "missing Amount Awarded; found 4 column(s): 'Identifier', 'Amount'" in err
    if suffix == ".xlsx":
        assert "in sheet 'Grants'" in err


def test_one_file_in_two_roles_under_one_source_says_what_the_second_load_removed(store, tmp_path, capsys):
    # a list that names each row's postcode and LA (as the DCMS libraries list does) is also a small lookup
    f = _csv(tmp_path, "libraries.csv", "name,postcode,type,area_code\nArdwick Library,M12 4AB,Library,E08000003\n"
                                        "Central Library,M2 5PD,Library,E08000003\n")
    assert cli.main(["load", str(F / "ward24_to_lad24_fid.csv")]) == 0
    assert cli.main(["load", str(f), "--format", "postcodes"]) == 0
    capsys.readouterr()
    assert cli.main(["load", str(f), "--as", "services", "--map", "name=name,postcode=postcode,category=type"]) == 0
    err = capsys.readouterr().err
    assert ("warning: source 'libraries.csv' was loaded before with 2 postcodes; this load of it has none, so they "
            "were removed. To keep both, load this file under another name (--source NAME)") in err
    # under its own name the lookup stays, and the services' areas come from it
    assert cli.main(["load", str(f), "--format", "postcodes", "--source", "library-postcodes"]) == 0
    assert "were removed" not in capsys.readouterr().err
    with store.session() as s:
        based = {r["name"]: r["code"] for r in s.run(
            "MATCH (o:Organisation)-[:BASED_IN]->(p:Place) RETURN o.name AS name, p.code AS code")}
    assert based == {"Ardwick Library": LA, "Central Library": LA}


def test_a_list_with_postcodes_and_codes_is_not_taken_for_a_lookup_and_says_both_ways(tmp_path, capsys):
    # the DCMS libraries list's shape: names, addresses, postcodes and each library's LA
    f = _csv(tmp_path, "libraries.csv", "name,address,postcode,area_code\nArdwick Library,Hyde Road,M12 4AB,E08000003\n")
    err = _refused(capsys, f)
    assert ("postcodes: it has postcodes in 'postcode' and GSS codes in 'area_code', but also 'name', 'address' as a "
            "list of services has: if it is a postcode lookup, pass --format postcodes; if it is a list of services, "
            "--as services --map …") in err
