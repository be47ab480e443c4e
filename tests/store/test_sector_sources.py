"""A sector the user gave is kept when a standard file's flags would say another (SPEC §5: the flags fill
the sector where none is given), whichever is loaded first; a derived sector still fills a blank one."""

from __future__ import annotations

import json
import pathlib

from ecosystem.pipeline import load

OCDS_RELEASE = {
    "ocid": "ocds-t-1", "id": "r1", "date": "2024-03-01", "tag": ["award"], "initiationType": "tender",
    "buyer": {"id": "B"},
    "parties": [{"id": "B", "name": "Trafford Council", "identifier": {"scheme": "GB-LAE", "id": "TRF"},
                 "roles": ["buyer"]},
                {"id": "S1", "name": "Supplier One", "identifier": {"scheme": "GB-COH", "id": "00000001"},
                 "roles": ["supplier"], "details": {"scale": "sme"}},
                {"id": "S2", "name": "Supplier Two", "identifier": {"scheme": "GB-COH", "id": "00000002"},
                 "roles": ["supplier"], "details": {"vcse": True}}],
    "awards": [{"id": "a1", "status": "active", "date": "2024-03-01", "value": {"amount": 1000, "currency": "GBP"},
                "suppliers": [{"id": "S1"}, {"id": "S2"}]}],
}


def _ocds(tmp_path: pathlib.Path) -> pathlib.Path:
    p = tmp_path / "pkg.json"
    p.write_text(json.dumps({"uri": "x", "publishedDate": "2024-05-01", "releases": [OCDS_RELEASE]}))
    return p


def _template(tmp_path: pathlib.Path, sector: str = "other") -> pathlib.Path:
    d = tmp_path / "mine"
    d.mkdir(exist_ok=True)
    (d / "organisations.csv").write_text(f"id,name,sector\nGB-COH-00000001,Supplier One,{sector}\n"
                                         "GB-COH-00000002,Supplier Two,\n")
    return d


def _sectors(store) -> dict:
    with store.session() as s:
        return {r["id"]: (r["sector"], r["basis"]) for r in s.run(
            "MATCH (o:Organisation) WHERE o.id STARTS WITH 'GB-COH' "
            "RETURN o.id AS id, o.sector AS sector, o.sector_basis AS basis")}


def test_a_given_sector_is_kept_over_later_flags(store, tmp_path):
    load(store, [_template(tmp_path)], fmt="template", source="mine")
    load(store, [_ocds(tmp_path)], fmt="ocds", source="cf")
    # Supplier One's own sector stays; Supplier Two had none, so its VCSE flag fills it
    assert _sectors(store) == {"GB-COH-00000001": ("other", None),
                               "GB-COH-00000002": ("vcse", "OCDS supplier flags")}


def test_a_given_sector_replaces_earlier_flags_and_stays(store, tmp_path):
    load(store, [_ocds(tmp_path)], fmt="ocds", source="cf")
    assert _sectors(store)["GB-COH-00000001"] == ("private", "OCDS supplier flags")
    load(store, [_template(tmp_path, "public")], fmt="template", source="mine")
    assert _sectors(store)["GB-COH-00000001"] == ("public", None)
    # the flags loaded again (a changed file) do not take it back
    OCDS_RELEASE["date"] = "2024-03-02"
    try:
        load(store, [_ocds(tmp_path)], fmt="ocds", source="cf")
    finally:
        OCDS_RELEASE["date"] = "2024-03-01"
    assert _sectors(store)["GB-COH-00000001"] == ("public", None)
