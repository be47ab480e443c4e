"""Fuzzed input: every format loader raises only ValidationError, never a stray exception."""

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ecosystem.model import CanonicalTables, ValidationError
from loaders import geography, needs, ocds, openreferral, threesixtygiving

MODULES = {"360giving": (threesixtygiving, ".json"), "openreferral": (openreferral, ".json"),
           "ocds": (ocds, ".json"), "geography": (geography, ".geojson"), "needs": (needs, ".csv"),
           "360giving-xlsx": (threesixtygiving, ".xlsx"), "needs-xlsx": (needs, ".xlsx"),
           "360giving-csv": (threesixtygiving, ".csv"), "ocds-jsonl": (ocds, ".jsonl")}
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["grants", "releases", "records", "ocid", "id", "awards", "suppliers", "value", "amount",
                         "contents", "organization", "service_areas", "features", "properties", "geometry", "type",
                         "recipientOrganization", "fundingOrganization", "amountAwarded", "awardDate", "buyer",
                         "parties", "plannedDates", "attributes", "taxonomy_term", "compiledRelease",
                         "area_code", "coordinates", "FeatureCollection", "Topology", "arcs", "objects"]),
        inner, max_size=5),
    max_leaves=25)


def _run(module, path):
    try:
        result = module.load(path)
    except ValidationError as e:
        assert e.issues, "a ValidationError must carry at least one issue"
        return
    assert isinstance(result, CanonicalTables)


@pytest.mark.parametrize("fmt", sorted(MODULES))
@SETTINGS
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(fmt, data, tmp_path):
    module, suffix = MODULES[fmt]
    p = tmp_path / f"input{suffix}"
    p.write_bytes(data)
    _run(module, p)


@pytest.mark.parametrize("fmt", ["360giving", "openreferral", "ocds", "geography", "needs"])
@SETTINGS
@given(doc=json_values)
def test_arbitrary_json(fmt, doc, tmp_path):
    module, _ = MODULES[fmt]
    suffix = ".geojson" if fmt == "geography" else ".json"
    p = tmp_path / f"input{suffix}"
    p.write_text(json.dumps(doc))
    if fmt == "needs":
        p = p.with_suffix(".csv")
        p.write_text(json.dumps(doc))
    _run(module, p)


@SETTINGS
@given(rows=st.lists(st.lists(st.text(max_size=8) | st.sampled_from(["2020-01-01", "31/12/2021", "1e9", "-5", "GB-CHC-1",
                                                                      "E05015239", ""]),
                              min_size=5, max_size=5), max_size=6))
def test_arbitrary_rows_under_real_headers(rows, tmp_path):
    import csv

    cases = [(threesixtygiving, ["Identifier", "Amount Awarded", "Award Date", "Recipient Org:Identifier",
                                 "Funding Org:Identifier"]),
             (needs, ["Indicator ID", "Indicator Name", "Area Code", "Time period", "Value"]),
             (geography, ["WD22CD", "WD22NM", "LAD22CD", "LAD22NM", "X"])]
    for module, header in cases:
        p = tmp_path / "rows.csv"
        with p.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        _run(module, p)


@SETTINGS
@given(cells=st.lists(st.text(max_size=6), min_size=4, max_size=4))
def test_arbitrary_hsds_package(cells, tmp_path):
    (tmp_path / "services.csv").write_text("id,organization_id,name,taxonomy_ids\n" + ",".join(
        '"' + c.replace('"', '""') + '"' for c in cells) + "\n")
    (tmp_path / "organizations.csv").write_text("id,name\n" + ",".join(
        '"' + c.replace('"', '""') + '"' for c in cells[:2]) + "\n")
    _run(openreferral, tmp_path)
