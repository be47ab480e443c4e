"""``ecomap report`` end to end against the real Bolt store.

The small fixture (tests/fixtures/template/small), as of 2026-07-01:

    LA (pop 300) ── W1 (100), W2 (200)
    C1 ──F1 £1000 (S1, ends 2026-12-31)──▶ P1 ──DELIVERS──▶ S1 (mh, W1;W2, cap 90)
    C1 ──F2 £500 (open-ended)──────────▶ P2 ──DELIVERS──▶ S2 (mh, W2, cap 10)
    needs: W1 mh 50, LA mh 60 (spread 20 to W1, 40 to W2)

Run 1: W1 need 70, supply 90×⅓ = 30, unmet 40 (under, 3/7); W2 need 40,
supply 60 + 10 = 70 (over, 175%, two providers: duplication). F1 ends within
6 months with nothing after it: a cliff of £1,000.

Between the runs the same source is reloaded without S1 and F1, and F2 now
ends 2026-09-30. Run 2: W1 unserved (need 70); W2 supply 10, unmet 30
(under); S1 and P1 left; F1 no longer a cliff (resolved); F2 a new cliff.
"""

from __future__ import annotations

import csv
import json
import re

import pytest

from ecosystem import cli
from ecosystem.pipeline import load

AS_OF = "2026-07-01"


def _rewrite(path, keep=lambda row: True, change=lambda row: row):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        fields = list(rows[0].keys())
    rows = [change(dict(r)) for r in rows if keep(r)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def _remove_s1(template_dir):
    _rewrite(template_dir / "services.csv", keep=lambda r: r["id"] != "S1")
    _rewrite(template_dir / "funding.csv", keep=lambda r: r["id"] != "F1",
             change=lambda r: {**r, "end": "2026-09-30"} if r["id"] == "F2" else r)


def _report(tmp_path, name, *extra):
    out = tmp_path / name
    code = cli.main(["report", "--place", "LA", "--as-of", AS_OF, "--out", str(out), *extra])
    return code, out


def _json(out):
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def two_runs(store, template_dir, tmp_path, capsys):
    load(store, [template_dir], fmt="template", source="small")
    code1, first = _report(tmp_path, "first")
    _remove_s1(template_dir)
    result = load(store, [template_dir], fmt="template", source="small")
    assert result["status"] == "loaded"
    code2, second = _report(tmp_path, "second", "--previous", str(first), "--fail-on", "new-unserved")
    err = capsys.readouterr().err
    return code1, first, code2, second, err


def test_first_report_has_hand_computed_figures(two_runs):
    code1, first, *_ = two_runs
    assert code1 == 0
    doc = _json(first)
    cov = {(r["place"], r["category"]): r for r in doc["analysis"]["coverage"]}
    assert cov[("W1", "mh")]["demand"] == pytest.approx(70)
    assert cov[("W1", "mh")]["supply"] == pytest.approx(30)
    assert cov[("W1", "mh")]["unmet"] == pytest.approx(40)
    assert cov[("W1", "mh")]["status"] == "under"
    assert cov[("W2", "mh")]["coverage"] == pytest.approx(1.75)
    assert cov[("W2", "mh")]["status"] == "over"
    assert [(r["place"], r["providers"]) for r in doc["analysis"]["duplication"]] == [("W2", 2)]
    assert [(r["funding"], r["amount"]) for r in doc["analysis"]["funding_cliffs"]] == [("F1", 1000.0)]
    assert [(r["funding"], r["within_months"]) for r in doc["cliff_outlook"]] == [("F1", 6)]
    assert doc["active"] == {"services": ["S1", "S2"], "providers": ["P1", "P2"]}
    assert doc["place_name"] == "Town"
    assert doc["changes"] is None
    assert [s["source"] for s in doc["data"]["sources"]] == ["small"]
    md = (first / "report.md").read_text(encoding="utf-8")
    # names, not codes, where a person reads them
    assert "| North | Mental health | 70 | 30 | 40 | 43% | under-served | 1 |" in md
    assert "Provider One" in md and "Council" in md


def test_change_section_names_the_removed_service_and_fail_on_exits_3(two_runs):
    _, first, code2, second, err = two_runs
    assert code2 == 3
    assert "--fail-on met: new-unserved (1)" in err
    doc = _json(second)
    ch = doc["changes"]
    assert ch["previous"]["as_of"] == AS_OF
    assert [(r["place"], r["category"], r["demand"], r["status_before"]) for r in ch["newly_unserved"]] == [
        ("W1", "mh", pytest.approx(70), "under")]
    assert ch["newly_met"] == []
    assert [(r["place"], r["unmet_before"], r["unmet_after"], r["change"]) for r in ch["unmet_changes"]] == [
        ("W1", pytest.approx(40), pytest.approx(70), pytest.approx(30)),
        ("W2", pytest.approx(0), pytest.approx(30), pytest.approx(30))]
    assert ch["services_left"] == ["S1"] and ch["providers_left"] == ["P1"]
    assert ch["services_appeared"] == [] and ch["providers_appeared"] == []
    assert [(r["funding"], r["end"], r["services"]) for r in ch["new_cliffs"]] == [("F2", "2026-09-30", ["S2"])]
    assert [(r["funding"], r["why"]) for r in ch["passed_cliffs"]] == [("F1", "resolved")]
    assert ch["unmet_before"] == pytest.approx(40) and ch["unmet_after"] == pytest.approx(100)

    # the change section names it, in every format, with its name from the earlier report
    md = (second / "report.md").read_text(encoding="utf-8")
    changes_md = md[md.index("## What changed"):md.index("## Gaps")]
    assert "Services that left: Talk (S1)" in changes_md
    assert "Providers that left: Provider One (P1)" in changes_md
    assert "| North | Mental health | 70 | under-served |" in changes_md
    html = (second / "report.html").read_text(encoding="utf-8")
    changes_html = html[html.index('<section id="changes">'):html.index('<section id="figures">')]
    assert "Services that left: Talk (S1)" in changes_html
    moves = _csv(second / "changes_services_providers.csv")
    assert {(r["kind"], r["change"], r["id"], r["name"]) for r in moves} == {
        ("service", "left", "S1", "Talk"), ("provider", "left", "P1", "Provider One")}
    assert [r["place"] for r in _csv(second / "changes_newly_unserved.csv")] == ["W1"]


def test_no_change_means_exit_0_with_fail_on(store, template_dir, tmp_path, capsys):
    load(store, [template_dir], fmt="template", source="small")
    assert _report(tmp_path, "a")[0] == 0
    code, out = _report(tmp_path, "b", "--previous", str(tmp_path / "a"), "--fail-on", "new-unserved,new-cliff")
    assert code == 0
    ch = _json(out)["changes"]
    assert all(ch[k] == [] for k in ("newly_unserved", "newly_met", "unmet_changes", "new_cliffs",
                                     "passed_cliffs", "services_left", "providers_left"))


def test_new_cliff_alert(store, template_dir, tmp_path, capsys):
    load(store, [template_dir], fmt="template", source="small")
    _report(tmp_path, "a")
    _rewrite(template_dir / "funding.csv", change=lambda r: {**r, "end": "2026-09-30"} if r["id"] == "F2" else r)
    load(store, [template_dir], fmt="template", source="small")
    code, out = _report(tmp_path, "b", "--previous", str(tmp_path / "a"), "--fail-on", "new-cliff")
    assert code == 3
    assert "new-cliff (1)" in capsys.readouterr().err
    assert [r["funding"] for r in _json(out)["changes"]["new_cliffs"]] == ["F2"]
    # and new-unserved alone is not met by it
    code, _ = _report(tmp_path, "c", "--previous", str(tmp_path / "a"), "--fail-on", "new-unserved")
    assert code == 0


def test_markdown_and_csv_agree_with_analyse_json(store, template_dir, tmp_path, capsys):
    _remove_s1(template_dir)  # an unserved cell as well as an under-served one
    load(store, [template_dir], fmt="template", source="small")
    capsys.readouterr()
    assert cli.main(["analyse", "--place", "LA", "--as-of", AS_OF, "--json"]) == 0
    analysed = json.loads(capsys.readouterr().out)
    code, out = _report(tmp_path, "r")
    assert code == 0
    doc = _json(out)
    assert doc["analysis"] == analysed  # report.json carries exactly the analyse --json object

    for table in ("coverage", "duplication", "overlaps", "funding_dependency", "sole_providers",
                  "critical_providers", "funding_cliffs", "concentration"):
        rows = _csv(out / f"{table}.csv")
        assert len(rows) == len(analysed[table]), table
        for got, want in zip(rows, analysed[table]):
            for k, v in want.items():
                if isinstance(v, bool):
                    assert got[k] == str(v), (table, k)
                elif isinstance(v, (int, float)):
                    assert float(got[k]) == pytest.approx(v, abs=1e-9), (table, k)
                elif isinstance(v, list):
                    assert got[k] == "; ".join(map(str, v)), (table, k)
                elif v is None:
                    assert got[k] == "", (table, k)
                else:
                    assert got[k] == str(v), (table, k)
    cov_csv = {(r["place"], r["category"]): r for r in _csv(out / "coverage.csv")}
    assert cov_csv[("W1", "mh")]["place_name"] == "North"

    md = (out / "report.md").read_text(encoding="utf-8")
    t = analysed["totals"]
    head = re.search(r"Need ([\d,.]+) · supply ([\d,.]+) · unmet ([\d,.]+) people a year across (\d+) "
                     r"place/category cells: (\d+) unserved, (\d+) under-served, (\d+) over-supplied", md)
    num = lambda s: float(s.replace(",", ""))  # noqa: E731
    assert [num(x) for x in head.groups()] == pytest.approx(
        [t["demand"], t["supply"], t["unmet"], t["cells"], t["unserved_cells"], t["under_cells"], t["over_cells"]],
        abs=0.05)
    # the "Cells with unmet need" table, row by row, against the JSON
    names = {"North": "W1", "South": "W2"}
    section = md[md.index("### Cells with unmet need"):md.index("## Duplication")]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ") and
            not line.startswith("| Place")]
    cov = {(r["place"], r["category"]): r for r in analysed["coverage"]}
    want = sorted((r for r in analysed["coverage"] if r["unmet"] > 0), key=lambda r: -r["unmet"])
    assert len(rows) == len(want) == 2
    for cells in rows:
        cells = [c.strip() for c in cells]
        r = cov[(names[cells[0]], "mh")]
        assert [num(cells[2]), num(cells[3]), num(cells[4])] == pytest.approx(
            [r["demand"], r["supply"], r["unmet"]], abs=0.05)
        assert cells[6] == {"unserved": "unserved", "under": "under-served"}[r["status"]]
    assert [c.strip() for c in rows[0]][:2] == ["North", "Mental health"]  # largest unmet first (70 > 30)


EXTERNAL = [
    re.compile(r"""\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?!#)[^"'\s>]""", re.I),
    re.compile(r"<\s*(?:link|script|iframe|object|embed|img|base)\b", re.I),
    re.compile(r"@import|url\s*\(", re.I),
    re.compile(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", re.I),
]


@pytest.fixture(scope="module")
def demo_report(graph_store, tmp_path_factory):
    """The Trafford demo's report (loaded once for this module's demo tests)."""
    from ecosystem import demo

    graph_store.wipe()
    load(graph_store, [demo.DEMO_DIR], fmt="template", source=demo.DEMO_SOURCE)
    out = tmp_path_factory.mktemp("demo") / "report"
    code = cli.main(["report", "--place", demo.DEMO_PLACE, "--as-of", demo.DEMO_AS_OF.isoformat(), "--out", str(out),
                     "--format", "html,md,csv"])
    assert code == 0
    return out


def test_html_is_self_contained(demo_report):
    html = (demo_report / "report.html").read_text(encoding="utf-8")
    for pattern in EXTERNAL:
        assert not pattern.search(html), pattern.search(html)
    # the in-page links are the only links, and each has its target
    for target in re.findall(r'href="#([^"]+)"', html):
        assert f'id="{target}"' in html
    assert "<style>" in html and "@media print" in html
    assert html.count("<svg") >= 4  # map, grid, unmet by category, funding at risk
    assert html.count("<path d=") == 21  # one per Trafford ward with a boundary


def test_demo_report_reads_as_names(demo_report):
    html = (demo_report / "report.html").read_text(encoding="utf-8")
    md = (demo_report / "report.md").read_text(encoding="utf-8")
    assert "<h1>Gap report: Trafford</h1>" in html
    # the five unserved youth cells lead the largest unmet needs, by ward name
    top = md[md.index("### Largest unmet needs"):md.index("## Gaps")]
    assert "| Old Trafford | Youth services | 1,525 | 0 | 1,525 | unserved |" in top
    assert "E05015253" not in top
    assert "Illustrative: Borough Commissioning and In-house Services" in md
    assert "Funding cliffs: 1 in the next 3 months (£15,000); 3 in the next 6 months (£93,000)" in md
    assert "## Methods and data" in md and "trafford-demo" in md
    assert "No workshop notes, votes or actions are recorded for this place." in md


def test_duplication_section_leads_with_the_summary_then_every_pair(two_runs):
    # run 1: S1 "Talk" (P1) serves both wards, all of Town; S2 "Walk" (P2) serves W2 inside it: one pair
    _, first, *_ = two_runs
    doc = _json(first)
    assert doc["analysis"]["area_wide_services"] == [
        {"category": "mh", "area": "LA", "services": ["S1"], "providers": 1, "inside": 1, "pairs": 1,
         "shared_funder_pairs": 1}]
    md = (first / "report.md").read_text(encoding="utf-8")
    section = md.split("## Duplication", 1)[1]
    lead = "1 provider runs 1 Mental health service that covers all of Town; 1 other Mental health service lies inside it: Talk"
    assert lead in section
    assert section.index(lead) < section.index("Every overlapping pair")
    assert "most in Mental health, where 1 provider(s) run 1 service(s) that each cover all of Town" in md
    rows = _csv(first / "area_wide_services.csv")
    assert rows[0]["services"] == "S1" and rows[0]["services_name"] == "Talk" and rows[0]["area_name"] == "Town"
