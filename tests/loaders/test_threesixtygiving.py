"""360Giving loader on the real files in shared/data beside the repository and a hand-made CSV."""

import datetime as dt
import decimal
import json
import pathlib
import re
import tracemalloc

import openpyxl
import pytest
from support import SAMPLE_DATA

from ecosystem.model import ValidationError
from loaders import threesixtygiving as tsg
from loaders.parse import assumed_end, normalise_postcode
from loaders.validate import check_tables

DATA = SAMPLE_DATA / "360giving"
FIX = pathlib.Path(__file__).parents[1] / "fixtures" / "loaders"
PTC = DATA / "power_to_change_grants_2015-2019.json"
ABCT_X = DATA / "ab_charitable_trust_grants_2013-2020.xlsx"
ABCT_J = DATA / "ab_charitable_trust_grants_2013-2020.converted.json"

needs_data = pytest.mark.skipif(not DATA.exists(), reason="shared sample data not present")


def _raw_grants(path):
    return json.loads(path.read_text(encoding="utf-8"))["grants"]


def _raw_exact(path):
    """The raw grants with every number as an exact decimal (as a publisher wrote it)."""
    return json.loads(path.read_text(encoding="utf-8"), parse_float=decimal.Decimal)["grants"]


def _expected_assumed(g):
    """Whether SPEC §5 gives this raw grant an assumed end: no usable end and no duration."""
    p = (g.get("plannedDates") or [{}])[0]
    start, end, duration = p.get("startDate"), p.get("endDate"), p.get("duration")
    first = (start or g["awardDate"])[:10]
    usable_end = end is not None and end[:10] >= first
    return not usable_end and not duration


@needs_data
def test_power_to_change_counts_and_total_match_the_raw_json():
    grants = _raw_grants(PTC)
    exact = _raw_exact(PTC)
    ct = tsg.load(PTC)
    funding = ct["funding"]
    assert len(funding) == len(grants) == 870
    # exact: the sum of the published decimals, to the penny
    assert sum(funding["amount"], decimal.Decimal(0)) == sum((decimal.Decimal(str(g["amountAwarded"])) for g in exact),
                                                             decimal.Decimal(0))
    assert set(funding["currency"]) == {g["currency"] for g in grants} == {"GBP"}
    recipients = {g["recipientOrganization"][0]["id"] for g in grants}
    funders = {g["fundingOrganization"][0]["id"] for g in grants}
    assert set(ct["organisations"]["id"]) == recipients | funders
    assert len(ct["organisations"]) == 695
    # planned start and end both given -> used as they are
    pd0 = [g["plannedDates"][0] for g in grants if g.get("plannedDates")]
    both = sum(1 for p in pd0 if "startDate" in p and "endDate" in p and p["endDate"] >= p["startDate"])
    reversed_ = sum(1 for p in pd0 if "startDate" in p and "endDate" in p and p["endDate"] < p["startDate"])
    assert (funding["date_basis"] == "planned_dates").sum() == both == 576
    assert reversed_ == 5 and sum("is before the planned start" in w for w in ct.warnings) == 5
    # no end and no duration -> an assumed end 12 months on, flagged, one warning with the count
    assumed = sum(_expected_assumed(g) for g in grants)
    assert int(funding["end_assumed"].sum()) == assumed == 292
    no_planned = sum(1 for g in grants if not g.get("plannedDates"))
    assert (funding["date_basis"] == "award_date_assumed_end").sum() == no_planned == 218
    assert [w for w in ct.warnings if "assumed end" in w] == [
        f"{PTC}: 292 grant(s) have no planned end date or duration; each was given an assumed end 12 months after "
        "its planned start, else its award date (end_assumed; change it with --assume-months N)"]
    a = funding[funding["date_basis"] == "award_date_assumed_end"].iloc[0]
    assert a["end"] == assumed_end(a["start"], 12) and a["end_assumed"] is True
    first = funding.iloc[0]
    assert (first["start"], first["end"], first["end_assumed"]) == (dt.date(2017, 1, 17), dt.date(2017, 6, 14), False)
    # beneficiary locations: every GSS code, at whatever level
    assert first["places"] == ["E01011681"]
    with_codes = sum(1 for g in grants if any(re.fullmatch(r"[EWSNK]\d{8}", (b.get("geoCode") or "").upper())
                                              for b in g.get("beneficiaryLocation") or []))
    assert sum(1 for x in funding["places"] if x) == with_codes == 849
    assert (first["_sheet"], first["_row"]) == ("grants[0]", 1)
    # postcodes normalised; charities among the recipients are VCSE
    orgs = ct["organisations"].set_index("id")
    raw_pc: dict = {}  # an organisation's first postcode in the file
    for g in grants:
        r = g["recipientOrganization"][0]
        if not raw_pc.get(r["id"]):
            raw_pc[r["id"]] = normalise_postcode(r.get("postalCode"))
    assert int(orgs["postcode"].notna().sum()) == sum(1 for v in raw_pc.values() if v) == 672
    assert all(orgs.loc[i, "postcode"] == pc for i, pc in raw_pc.items() if pc)
    charities = {g["recipientOrganization"][0]["id"] for g in grants
                 if g["recipientOrganization"][0].get("charityNumber")
                 or g["recipientOrganization"][0]["id"].startswith(("GB-CHC-", "GB-SC-", "GB-NIC-"))}
    assert set(orgs.index[orgs["sector"] == "vcse"]) == charities and len(charities) == 230
    assert ct.skipped == {}
    assert not check_tables(ct.tables, source=str(PTC))


@needs_data
def test_assume_months_changes_the_assumed_length():
    ct = tsg.load(PTC, assume_months=24)
    f = ct["funding"][ct["funding"]["end_assumed"]]
    assert len(f) == 292 and all(e == assumed_end(s, 24) for s, e in zip(f["start"], f["end"]))
    assert any("24 months" in w for w in ct.warnings)


@needs_data
def test_xlsx_and_converted_json_give_the_same_flows():
    wb = openpyxl.load_workbook(ABCT_X, read_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    amount_col = header.index("Amount Awarded")
    raw_total = sum(decimal.Decimal(str(r[amount_col])) for r in rows[1:] if r[0])
    x, j = tsg.load(ABCT_X), tsg.load(ABCT_J)
    assert len(x["funding"]) == len(j["funding"]) == 783
    assert sum(x["funding"]["amount"]) == sum(j["funding"]["amount"]) == raw_total == decimal.Decimal("12785625")
    cols = ["id", "funder", "recipient", "amount", "start", "end", "end_assumed", "currency"]
    assert x["funding"][cols].to_dict("records") == j["funding"][cols].to_dict("records")
    assert set(x["organisations"]["id"]) == set(j["organisations"]["id"])
    assert x["funding"].iloc[0]["_sheet"] == "ABCT data - Jan 2013 - Aug 2020"
    assert x["funding"].iloc[0]["_row"] == 2
    # Excel dates, no planned dates: award date, and every grant an assumed end 12 months on
    first = x["funding"].iloc[0]
    assert (first["start"], first["end"], first["end_assumed"]) == (dt.date(2021, 1, 26), dt.date(2022, 1, 25), True)
    assert int(x["funding"]["end_assumed"].sum()) == sum(1 for r in rows[1:] if r[0]) == 783
    assert sum("783 grant(s) have no planned end date" in w for w in x.warnings) == 1
    # names only ("UK Wide"), no codes: no beneficiary places
    assert not any(x["funding"]["places"])
    # recipients with a charity number are VCSE, whatever else they are
    charity_col = header.index("Recipient Org:Charity Number")
    rid_col = header.index("Recipient Org:Identifier")
    charities = {r[rid_col] for r in rows[1:] if r[0] and (r[charity_col] or str(r[rid_col]).startswith("GB-CHC-"))}
    orgs = x["organisations"].set_index("id")
    assert set(orgs.index[orgs["sector"] == "vcse"]) == charities


def test_flattened_csv_dates_amounts_individuals_and_places():
    path = FIX / "grants_flattened_titles.csv"
    assert tsg.sniff(path)
    ct = tsg.load(path, places=True)
    f = ct["funding"].set_index("id")
    assert list(f.index) == ["360G-T-1", "360G-T-2", "360G-T-3"]
    assert ct.skipped == {"grant to an individual": 1}
    assert f.loc["360G-T-1", "amount"] == decimal.Decimal("1200.50")
    assert (f.loc["360G-T-1", "start"], f.loc["360G-T-1", "end"]) == (dt.date(2021, 5, 1), dt.date(2022, 4, 30))
    # award date with an offset + 6 months' duration
    assert (f.loc["360G-T-2", "start"], f.loc["360G-T-2", "end"]) == (dt.date(2021, 6, 1), dt.date(2021, 11, 30))
    assert f.loc["360G-T-2", "date_basis"] == "award_date_duration"
    # "TBC" in a date column is a located warning; text award date "1 April 2020" parses; no end: assumed
    assert (f.loc["360G-T-3", "start"], f.loc["360G-T-3", "end"]) == (dt.date(2020, 4, 1), dt.date(2021, 3, 31))
    assert f.loc["360G-T-3", "end_assumed"] and not f.loc["360G-T-1", "end_assumed"]
    assert [w for w in ct.warnings if "TBC" in w] == [
        f"{path}, row 4 (id 360G-T-3), Planned Dates:Start Date: 'TBC' is not a date (not a date; use YYYY-MM-DD); "
        "not used"]
    orgs = ct["organisations"].set_index("id")
    assert orgs.loc["GB-CHC-1000001", "charity_number"] == "1000001"
    assert orgs.loc["GB-CHC-1000001", "sector"] == "vcse"
    assert orgs.loc["GB-COH-00012345", "company_number"] == "00012345"
    assert orgs.loc["GB-COH-00012345", "sector"] is None
    assert orgs.loc["GB-LAE-TRF", "roles"] == "funder"
    assert ct["places"].to_dict("records")[0]["code"] == "E05015239"
    assert ct["places"].to_dict("records")[0]["level"] == "ward"
    assert f.loc["360G-T-1", "places"] == ["E05015239"] and f.loc["360G-T-2", "places"] == []
    assert f.loc["360G-T-1", "_row"] == 2
    assert not check_tables(ct.tables, source=str(path))


BAD = ("Identifier,Amount Awarded,Currency,Award Date,Planned Dates:Start Date,Planned Dates:End Date,"
       "Recipient Org:Identifier,Recipient Org:Postal Code,Funding Org:Identifier\n"
       "G1,lots,GBP,2020-01-01,,,GB-CHC-1,,GB-CHC-2\n"          # 2: unreadable amount -> skipped
       "G2,10,GBP,2020-01-01,,,,,GB-CHC-2\n"                    # 3: no recipient -> skipped
       "G3,5,GBP,31/02/2020,,,GB-CHC-1,,GB-CHC-2\n"             # 4: no readable date -> skipped
       "G4,-5,GBP,2020-01-01,,,GB-CHC-1,,GB-CHC-2\n"            # 5: negative amount -> skipped
       "G5,7,GBP,2020-01-01,2020-02-01,2019-02-01,GB-CHC-3,m15  4ab,GB-CHC-2\n"  # 6: end before start
       "G6,8,XYZ,2020-01-01,,,GB-CHC-3,not a postcode,GB-CHC-2\n"   # 7: unknown currency (kept)
       ",9,GBP,2020-01-01,,,GB-CHC-3,,GB-CHC-2\n")              # 8: no identifier -> skipped


def test_publishers_errors_are_located_warnings_and_the_rest_loads(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(BAD)
    ct = tsg.load(p)
    f = ct["funding"].set_index("id")
    assert list(f.index) == ["G5", "G6"]
    # end before start: the end is not used, so the assumed end applies
    assert (f.loc["G5", "start"], f.loc["G5", "end"], f.loc["G5", "end_assumed"]) == (
        dt.date(2020, 2, 1), dt.date(2021, 1, 31), True)
    assert f.loc["G6", "currency"] == "XYZ" and f.loc["G6", "amount"] == decimal.Decimal("8")
    where = {w.split(": ")[0].replace(f"{p}, ", "") for w in ct.warnings if w.startswith(f"{p}, row")}
    assert where == {"row 2 (id G1), Amount Awarded", "row 3 (id G2), Recipient Org:Identifier",
                     "row 4 (id G3), Award Date", "row 5 (id G4), Amount Awarded",
                     "row 6 (id G5), Planned Dates:End Date", "row 7 (id G6), Currency", "row 8, Identifier"}
    assert ct.skipped == {"grant with an unreadable amount": 1, "grant without an identifier": 2,
                          "grant without a date": 1, "grant with a negative amount": 1}
    orgs = ct["organisations"].set_index("id")
    assert orgs.loc["GB-CHC-3", "postcode"] == "M15 4AB"


def test_strict_makes_publishers_errors_refuse_the_load(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(BAD)
    with pytest.raises(ValidationError) as e:
        tsg.load(p, strict=True)
    got = {(i.row, i.column, i.check) for i in e.value.issues}
    assert got == {(2, "Amount Awarded", "publisher"), (3, "Recipient Org:Identifier", "publisher"),
                   (4, "Award Date", "publisher"), (5, "Amount Awarded", "publisher"),
                   (6, "Planned Dates:End Date", "publisher"), (8, "Identifier", "publisher")}
    assert any("XYZ" in w for w in e.value.warnings)  # an unknown currency stays a warning


def test_json_publishers_errors_name_the_grant_path(tmp_path):
    p = tmp_path / "g.json"
    p.write_text(json.dumps({"grants": [
        {"id": "G1", "amountAwarded": -3, "awardDate": "2020-01-01", "recipientOrganization": [{"id": "GB-CHC-9"}],
         "fundingOrganization": [{"id": "GB-CHC-8"}]},
        {"id": "G2", "amountAwarded": 1000.1, "awardDate": "2020-01-01", "currency": "usd",
         "recipientOrganization": [{"id": "GB-CHC-9", "postalCode": "SW1A1AA"}],
         "fundingOrganization": [{"id": "GB-CHC-8"}],
         "beneficiaryLocation": [{"geoCode": "E08000009"}, {"geoCode": "E12000002"}, {"geoCode": "K02000001"},
                                 {"name": "Worldwide"}]}]}))
    ct = tsg.load(p)
    assert ct.warnings[0] == f"{p}, grants[0] (id G1), amountAwarded: Amount Awarded -3 is negative; the grant was not loaded"
    g2 = ct["funding"].iloc[0]
    assert (g2["id"], g2["amount"], g2["currency"]) == ("G2", decimal.Decimal("1000.1"), "USD")
    assert g2["places"] == ["E08000009", "E12000002", "K02000001"]
    assert ct["organisations"].set_index("id").loc["GB-CHC-9", "postcode"] == "SW1A 1AA"


def test_json_org_objects_as_objects_not_arrays(tmp_path):
    p = tmp_path / "g.json"
    p.write_text(json.dumps({"grants": [{"id": "G1", "amountAwarded": "1000", "awardDate": "2020-01-01",
                                         "recipientOrganization": {"id": "GB-CHC-9", "name": "R"},
                                         "fundingOrganization": {"id": "GB-CHC-8", "name": "F"}}]}))
    ct = tsg.load(p)
    assert ct["funding"].iloc[0][["funder", "recipient", "amount"]].tolist() == ["GB-CHC-8", "GB-CHC-9",
                                                                                decimal.Decimal("1000")]


def test_large_package_streams_in_bounded_memory(tmp_path):
    n = 4000
    p = tmp_path / "big.json"
    grant = ('{"id": "360G-X-%d", "amountAwarded": 10, "awardDate": "2020-01-01", "description": "' + "x" * 2000
             + '", "recipientOrganization": [{"id": "GB-CHC-%d", "name": "R"}],'
             ' "fundingOrganization": [{"id": "GB-CHC-1", "name": "F"}]}')
    with p.open("w") as f:
        f.write('{"grants": [')
        f.write(",".join(grant % (i, i % 50) for i in range(n)))
        f.write("]}")
    size = p.stat().st_size
    tracemalloc.start()
    ct = tsg.load(p)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(ct["funding"]) == n and ct["funding"]["amount"].sum() == 10 * n
    # the package is never held whole: peak memory stays well below the file's size
    assert peak < size / 2, (peak, size)
