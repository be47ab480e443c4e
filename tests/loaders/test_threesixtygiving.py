"""360Giving loader on the real files in shared/data beside the repository and a hand-made CSV."""

import datetime as dt
import json
import pathlib
import tracemalloc

import openpyxl
import pytest
from support import SAMPLE_DATA

from ecosystem.model import ValidationError
from loaders import threesixtygiving as tsg
from loaders.validate import check_tables

DATA = SAMPLE_DATA / "360giving"
FIX = pathlib.Path(__file__).parents[1] / "fixtures" / "loaders"
PTC = DATA / "power_to_change_grants_2015-2019.json"
ABCT_X = DATA / "ab_charitable_trust_grants_2013-2020.xlsx"
ABCT_J = DATA / "ab_charitable_trust_grants_2013-2020.converted.json"

needs_data = pytest.mark.skipif(not DATA.exists(), reason="shared sample data not present")


def _raw_grants(path):
    return json.loads(path.read_text(encoding="utf-8"))["grants"]


@needs_data
def test_power_to_change_counts_and_total_match_the_raw_json():
    grants = _raw_grants(PTC)
    ct = tsg.load(PTC)
    funding = ct["funding"]
    assert len(funding) == len(grants) == 870
    assert funding["amount"].sum() == pytest.approx(sum(float(g["amountAwarded"]) for g in grants))
    recipients = {g["recipientOrganization"][0]["id"] for g in grants}
    funders = {g["fundingOrganization"][0]["id"] for g in grants}
    assert set(ct["organisations"]["id"]) == recipients | funders
    assert len(ct["organisations"]) == 695
    # planned start and end both given -> used as they are
    pd0 = [g["plannedDates"][0] for g in grants if g.get("plannedDates")]
    both = sum(1 for p in pd0 if "startDate" in p and "endDate" in p and p["endDate"] >= p["startDate"])
    reversed_ = sum(1 for p in pd0 if "startDate" in p and "endDate" in p and p["endDate"] < p["startDate"])
    assert (funding["date_basis"] == "planned_dates").sum() == both == 576
    assert reversed_ == 5 and sum("before planned start" in w for w in ct.warnings) == 5
    no_planned = sum(1 for g in grants if not g.get("plannedDates"))
    assert (funding["date_basis"] == "award_date_open_end").sum() == no_planned == 218
    first = funding.iloc[0]
    assert (first["start"], first["end"]) == (dt.date(2017, 1, 17), dt.date(2017, 6, 14))
    assert first["beneficiary_places"] == "E01011681"
    assert (first["_sheet"], first["_row"]) == ("grants[0]", 1)
    assert ct.skipped == {}
    assert not check_tables(ct.tables, source=str(PTC))


@needs_data
def test_xlsx_and_converted_json_give_the_same_flows():
    wb = openpyxl.load_workbook(ABCT_X, read_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    amount_col = header.index("Amount Awarded")
    raw_total = sum(float(r[amount_col]) for r in rows[1:] if r[0])
    x, j = tsg.load(ABCT_X), tsg.load(ABCT_J)
    assert len(x["funding"]) == len(j["funding"]) == 783
    assert x["funding"]["amount"].sum() == pytest.approx(raw_total) == pytest.approx(12785625.0)
    cols = ["id", "funder", "recipient", "amount", "start", "end"]
    assert x["funding"][cols].to_dict("records") == j["funding"][cols].to_dict("records")
    assert set(x["organisations"]["id"]) == set(j["organisations"]["id"])
    assert x["funding"].iloc[0]["_sheet"] == "ABCT data - Jan 2013 - Aug 2020"
    assert x["funding"].iloc[0]["_row"] == 2
    # Excel dates, no planned dates: award date, open end, flagged
    assert x["funding"].iloc[0]["start"] == dt.date(2021, 1, 26) and x["funding"].iloc[0]["end"] is None
    assert any("open end" in w for w in x.warnings)


def test_flattened_csv_dates_amounts_individuals_and_places():
    path = FIX / "grants_flattened_titles.csv"
    assert tsg.sniff(path)
    ct = tsg.load(path, places=True)
    f = ct["funding"].set_index("id")
    assert list(f.index) == ["360G-T-1", "360G-T-2", "360G-T-3"]
    assert ct.skipped == {"grant to an individual": 1}
    assert f.loc["360G-T-1", "amount"] == 1200.5
    assert (f.loc["360G-T-1", "start"], f.loc["360G-T-1", "end"]) == (dt.date(2021, 5, 1), dt.date(2022, 4, 30))
    # award date with an offset + 6 months' duration
    assert (f.loc["360G-T-2", "start"], f.loc["360G-T-2", "end"]) == (dt.date(2021, 6, 1), dt.date(2021, 11, 30))
    assert f.loc["360G-T-2", "date_basis"] == "award_date_duration"
    # "TBC" in a date column is a warning; text award date "1 April 2020" parses
    assert f.loc["360G-T-3", "start"] == dt.date(2020, 4, 1) and f.loc["360G-T-3", "end"] is None
    assert any("TBC" in w for w in ct.warnings)
    orgs = ct["organisations"].set_index("id")
    assert orgs.loc["GB-CHC-1000001", "charity_number"] == "1000001"
    assert orgs.loc["GB-COH-00012345", "company_number"] == "00012345"
    assert orgs.loc["GB-LAE-TRF", "roles"] == "funder"
    assert ct["places"].to_dict("records")[0]["code"] == "E05015239"
    assert ct["places"].to_dict("records")[0]["level"] == "ward"
    assert f.loc["360G-T-1", "_row"] == 2
    assert not check_tables(ct.tables, source=str(path))


def test_bad_amount_and_missing_recipient_are_located(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("Identifier,Amount Awarded,Award Date,Recipient Org:Identifier,Funding Org:Identifier\n"
                 "G1,lots,2020-01-01,GB-CHC-1,GB-CHC-2\nG2,10,2020-01-01,,GB-CHC-2\nG3,5,31/02/2020,GB-CHC-1,GB-CHC-2\n")
    with pytest.raises(ValidationError) as e:
        tsg.load(p)
    got = {(i.row, i.column, i.check) for i in e.value.issues}
    assert got == {(2, "Amount Awarded", "number"), (3, "Recipient Org:Identifier", "required"),
                   (4, "Award Date", "date")}


def test_json_org_objects_as_objects_not_arrays(tmp_path):
    p = tmp_path / "g.json"
    p.write_text(json.dumps({"grants": [{"id": "G1", "amountAwarded": "1000", "awardDate": "2020-01-01",
                                         "recipientOrganization": {"id": "GB-CHC-9", "name": "R"},
                                         "fundingOrganization": {"id": "GB-CHC-8", "name": "F"}}]}))
    ct = tsg.load(p)
    assert ct["funding"].iloc[0][["funder", "recipient", "amount"]].tolist() == ["GB-CHC-8", "GB-CHC-9", 1000.0]


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
