"""The gap report over two real funders' 360Giving files on Greater Manchester's wards: it is written, and its
chart of funding at risk adds up to the cliffs in report.json (the bands are differences of totals: a float's
last digits once stopped the report with "more than 4 decimal places")."""

from __future__ import annotations

import json
import re

import pytest
from support import SAMPLE_DATA

from ecosystem import cli

D = SAMPLE_DATA
FILES = [D / "geography" / "gm_ward22_to_lad22_lookup.csv", D / "geography" / "gm_lsoa21_to_ward22_best_fit_lookup.csv",
         D / "360giving" / "power_to_change_grants_2015-2019.json",
         D / "360giving" / "ab_charitable_trust_grants_2013-2020.xlsx"]

pytestmark = pytest.mark.skipif(not all(f.exists() for f in FILES), reason="shared sample data not present")


@pytest.mark.slow
def test_a_report_over_real_grants_is_written_and_its_cliff_chart_adds_up(store, tmp_path, capsys):
    assert cli.main(["load", *map(str, FILES[:2])]) == 0
    for f in FILES[2:]:
        assert cli.main(["load", str(f)]) == 0
    out = tmp_path / "r"
    assert cli.main(["report", "--as-of", "2019-01-01", "--out", str(out)]) == 0
    doc = json.loads((out / "report.json").read_text())
    gbp = [r for r in doc["cliff_outlook"] if (r.get("currency") or "GBP") == "GBP"]
    assert gbp, "the two funders' grants end within the year with nothing after them"
    html = (out / "report.html").read_text()
    assert "Funding at risk" in html
    # the bars (each band's own amount, rounded to the pound) add up to the cliffs' total
    bars = re.findall(r'font-size="12">£([\d,]+)</text>', html.split("Funding at risk", 1)[1].split("</figure>", 1)[0])
    assert bars and abs(sum(int(b.replace(",", "")) for b in bars) - sum(float(r["amount"]) for r in gbp)) <= len(bars)
