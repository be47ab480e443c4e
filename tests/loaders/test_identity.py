"""One organisation, many sources: identity resolution and probable duplicates."""

import pathlib

import pandas as pd
from hypothesis import given, settings, strategies as st

from ecosystem.model import CanonicalTables
from loaders import identity, ocds, openreferral, threesixtygiving

FIX = pathlib.Path(__file__).parents[1] / "fixtures" / "loaders"


def _orgs(rows):
    cols = ["id", "name", "charity_number", "company_number"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols, dtype=object)


def test_keys_normalise_numbers():
    assert identity.identity_keys("GB-COH-4142000") & identity.identity_keys(None, None, "04142000")
    assert identity.identity_keys("GB-CHC-1000001") & identity.identity_keys("x", "1000001")
    assert not identity.identity_keys("GB-CHC-123") & identity.identity_keys("GB-COH-123")
    assert identity.make_org_id("GB-COH", "11111111.0") == "GB-COH-11111111"


def test_three_sources_merge_by_identifier():
    """360Giving (GB-CHC-1000001), OCDS (same charity) and ORUK (uuid + charity number) become one."""
    grants = threesixtygiving.load(FIX / "grants_flattened_titles.csv")
    contracts = ocds.load(FIX / "ocds_releases.jsonl")
    page = openreferral.load(FIX / "oruk_services_page.json")
    # the ORUK record of the carers' centre: a uuid id with the charity number alongside
    extra = CanonicalTables({"organisations": pd.DataFrame([
        {"id": "uuid-77", "name": "Trafford Carers", "charity_number": "1000001", "company_number": None}])})
    merged = CanonicalTables.concat([grants, contracts, page, extra])
    out = identity.resolve_identities(merged, None)
    orgs = out["organisations"].set_index("id")
    assert orgs.index.is_unique
    assert "uuid-77" not in orgs.index and "GB-CHC-1000001" in orgs.index
    assert orgs.loc["GB-CHC-1000001", "other_ids"] == "uuid-77"
    # the council funds in 360Giving and buys in OCDS under the same org-id
    assert (orgs.index == "GB-LAE-TRF").sum() == 1
    assert set(out["funding"]["recipient"]) >= {"GB-CHC-1000001"}
    assert len(out["organisations"]) == len(set(merged["organisations"]["id"])) - 1


def test_existing_organisation_keeps_its_id():
    incoming = CanonicalTables({
        "organisations": _orgs([("GB-COH-04142000", "Acme", None, None), ("GB-CHC-5", "Five", None, None)]),
        "funding": pd.DataFrame([{"id": "f", "funder": "GB-CHC-5", "recipient": "GB-COH-04142000", "amount": 1.0,
                                  "start": None, "end": None}])})
    existing = _orgs([("store-acme", "ACME Ltd", None, "4142000")])
    out = identity.resolve_identities(incoming, existing)
    assert sorted(out["organisations"]["id"]) == ["GB-CHC-5", "store-acme"]
    assert out["funding"].iloc[0]["recipient"] == "store-acme"
    assert incoming["funding"].iloc[0]["recipient"] == "GB-COH-04142000"  # input unchanged


def test_names_alone_never_merge_but_are_listed():
    incoming = CanonicalTables({"organisations": _orgs([
        ("GB-CFS-1", "The Trafford Carers Centre Ltd", None, None),
        ("GB-CHC-1000001", "Trafford Carers Centre", "1000001", None),
        ("GB-COH-1", "Other", None, None)])})
    out = identity.resolve_identities(incoming, None)
    assert len(out["organisations"]) == 3
    dups = identity.probable_duplicates(out["organisations"])
    assert dups[["id_a", "id_b"]].values.tolist() == [["GB-CFS-1", "GB-CHC-1000001"]]
    # a shared identifier is not a "probable" duplicate: it is already one organisation
    same = _orgs([("a", "X Trust", "9", None), ("b", "X Trust", "9", None)])
    assert identity.probable_duplicates(same).empty


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["GB-CHC-1", "GB-COH-00000001", "uuid-a", "uuid-b", "GB-LAE-X"]),
                          st.sampled_from([None, "1", "2"]), st.sampled_from([None, "1", "00000002"])),
                min_size=1, max_size=8))
def test_resolution_is_idempotent_and_keeps_references_valid(rows):
    orgs = _orgs([(i, f"name {i}", c, k) for i, c, k in rows]).drop_duplicates("id")
    funding = pd.DataFrame([{"id": f"f{n}", "funder": a, "recipient": b, "amount": 1.0, "start": None, "end": None}
                            for n, (a, b) in enumerate(zip(orgs["id"], list(orgs["id"])[::-1]))])
    once = identity.resolve_identities(CanonicalTables({"organisations": orgs, "funding": funding}), None)
    twice = identity.resolve_identities(once, None)
    ids = set(once["organisations"]["id"])
    assert once["organisations"]["id"].is_unique
    assert set(once["funding"]["funder"]) | set(once["funding"]["recipient"]) <= ids
    assert sorted(twice["organisations"]["id"]) == sorted(ids)
    assert len(ids) <= len(orgs)


# ------------------------------------------------------------------ org-id.guide prefixes
def test_org_id_prefix_list_is_org_id_guides():
    import csv

    from loaders.identity import org_id_prefixes

    path = pathlib.Path(identity.__file__).parent / "data" / "org_id_prefixes.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    known = org_id_prefixes()
    assert len(known) == len(rows) == len({r["code"] for r in rows})
    # the UK registers ecomap relies on, with their names as org-id.guide gives them
    assert {"GB-CHC", "GB-SC", "GB-NIC", "GB-COH", "GB-LAE", "GB-LAS", "GB-PLA", "GB-LANI", "GB-NHS", "GB-EDU",
            "GB-UKPRN", "XI-IATI", "XI-ROR"} <= set(known)
    assert known["GB-COH"]["name"] == "Companies House" and not known["GB-COH"]["deprecated"]
    assert known["XI-GRID"]["deprecated"] and "GB-GOVUK" in known["GB-GOV"]["former"]


def test_org_id_problems():
    p = identity.org_id_problem
    for fine in ("GB-CHC-1159982", "gb-coh-04142000", "GB-LAE-TRF", "XI-ROR-04ycpbx82", "CH_BS-CR-1", "P1", "COUNCIL",
                 "360G-PowerToChange-ABC", None, ""):
        assert p(fine) is None, fine
    assert p("GB-XYZ-1") == "'GB-XYZ' is not an org-id.guide prefix"
    assert p("GB-GOVUK-D1") == "'GB-GOVUK' is a withdrawn org-id.guide list; use GB-GOV"
    assert p("XI-GRID-grid.5292.c") == "'XI-GRID' is a withdrawn org-id.guide list"
    assert p("RUBBISH1-GB-CHC-1159982") == (
        "does not start with an org-id.guide prefix; 'GB-CHC-1159982' inside it would be one")
    assert p("ZZ-RUBBISH-GB-CHC-1") == "'ZZ-RUBBISH' is not an org-id.guide prefix"


def test_unknown_prefix_is_a_located_warning_and_the_load_goes_on(tmp_path):
    import shutil

    from ecosystem.pipeline import prepare

    src = pathlib.Path(__file__).parents[1] / "fixtures" / "template" / "small"
    shutil.copytree(src, tmp_path / "t")
    orgs = tmp_path / "t" / "organisations.csv"
    orgs.write_text("id,name,sector\nC1,Council,public\nRUBBISH1-GB-CHC-1159982,Provider One,vcse\n"
                    "GB-CHC-1000001,Provider Two,vcse\n", encoding="utf-8")
    for name in ("services.csv", "funding.csv", "partnerships.csv"):
        f = tmp_path / "t" / name
        f.write_text(f.read_text(encoding="utf-8").replace("P1", "RUBBISH1-GB-CHC-1159982")
                     .replace("P2", "GB-CHC-1000001"), encoding="utf-8")
    tables = prepare([tmp_path / "t"], fmt="template")
    assert sorted(tables.tables["organisations"]["id"]) == ["C1", "GB-CHC-1000001", "RUBBISH1-GB-CHC-1159982"]
    found = [w for w in tables.warnings if "org-id.guide" in w]
    assert len(found) == 1
    assert "organisations.csv" in found[0] and "row 3" in found[0] and "column id" in found[0]
    assert "'RUBBISH1-GB-CHC-1159982'" in found[0] and "'GB-CHC-1159982' inside it would be one" in found[0]
    # --strict makes implausible values errors, but an unknown prefix stays a warning
    assert len([w for w in prepare([tmp_path / "t"], fmt="template", options={"strict": True}).warnings
                if "org-id.guide" in w]) == 1
