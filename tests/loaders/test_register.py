"""The bundled org-id → GSS register: what ships, which source wins, joins on the whole org-id."""

from __future__ import annotations

import csv
import pathlib

from loaders import identity

SHARED = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "org_id"


def _rows(name):
    with (SHARED / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_the_shipped_register_is_the_ogl_file_unchanged():
    shipped = pathlib.Path(identity.__file__).parent / "data" / "la_orgid_to_gss.csv"
    assert shipped.read_bytes() == (SHARED / "la_orgid_to_gss.csv").read_bytes()


def test_every_council_with_a_code_maps_to_it_first():
    raw = _rows("la_orgid_to_gss.csv")
    with_code = [r for r in raw if r["gss_code"]]
    for r in with_code:
        assert identity.public_body_codes(r["org_id"])[0] == r["gss_code"]
    assert [r["org_id"] for r in raw if not r["gss_code"] and identity.public_body_codes(r["org_id"])] == []
    assert identity.public_body_codes("GB-LAE-TRF") == ("E08000009",)


def test_three_letter_codes_repeat_across_registers():
    assert identity.public_body_codes("GB-LAE-BLA") == ("E07000129",)  # Blaby
    assert identity.public_body_codes("GB-LANI-BLA") == ()  # Ballymena: a pre-2015 council with no code
    assert identity.public_body_codes("BLA") == () and identity.public_body_codes(None) == ()


def test_where_mysociety_disagrees_its_code_is_the_second_choice():
    ms = {r["local-authority-code"]: r["gss-code"] for r in _rows("uk_local_authorities_mysociety.csv")}
    ogl = {r["org_id"]: r["gss_code"] for r in _rows("la_orgid_to_gss.csv")}
    disagree = {oid for oid, code in ogl.items() if oid.startswith("GB-LAE-") and code
                and ms.get(oid.rsplit("-", 1)[1]) not in (None, "", code)}
    assert disagree == {"GB-LAE-BNS", "GB-LAE-SHF", "GB-LAE-GLA"}
    for oid in disagree:
        assert identity.public_body_codes(oid) == (ogl[oid], ms[oid.rsplit("-", 1)[1]])


def test_nhs_bodies_map_through_their_ods_codes():
    raw = _rows("ccg20_to_stp20_lookup_england.csv")
    trafford = next(r for r in raw if r["CCG20NM"] == "NHS Trafford CCG")
    assert identity.public_body_codes(f"GB-NHS-{trafford['CCG20CDH']}") == (trafford["CCG20CD"],)
    assert identity.public_body_codes(f"GB-NHS-{trafford['STP20CDH']}") == (trafford["STP20CD"],)
