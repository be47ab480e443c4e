"""Invariants over random small ecosystems (hypothesis)."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from analysis_fixtures import AS_OF, D, graph
from ecosystem.analysis import ScenarioOptions, coverage, diff_options, extract, run_options, run_scenario

WARDS = ["W1", "W2", "W3", "W4"]
PROVIDERS = ["P0", "P1", "P2", "P3"]
DATES = st.sampled_from([None, D(2024, 6, 30), D(2025, 1, 1), D(2025, 5, 31), D(2026, 1, 1)])
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def ecosystems(draw):
    n = draw(st.integers(1, 4))
    wards = WARDS[:n]
    pops = {w: draw(st.one_of(st.none(), st.integers(0, 1000))) for w in wards}
    places = [{"code": "LA"}] + [{"code": w, "parent": "LA", "population": p} for w, p in pops.items()]
    areas = st.one_of(st.just(["LA"]), st.lists(st.sampled_from(wards), min_size=1, max_size=n, unique=True))
    services = []
    for i in range(draw(st.integers(0, 6))):
        start, end = draw(DATES), draw(DATES)
        services.append({"id": f"S{i}", "provider": draw(st.sampled_from(PROVIDERS)),
                         "category": draw(st.sampled_from(["C", "D"])), "areas": draw(areas),
                         "capacity": draw(st.one_of(st.none(), st.integers(0, 100))), "start": start, "end": end})
    needs = [{"id": f"N{i}", "place": draw(st.sampled_from(["LA"] + wards)),
              "category": draw(st.sampled_from(["C", "D"])), "people": draw(st.integers(0, 100))}
             for i in range(draw(st.integers(0, 5)))]
    funding = []
    for i in range(draw(st.integers(0, 6))):
        funding.append({"id": f"F{i}", "funder": draw(st.sampled_from(["X", "Y", "P0"])),
                        "recipient": draw(st.sampled_from(PROVIDERS)), "amount": draw(st.integers(1, 1000)),
                        "start": draw(DATES), "end": draw(DATES),
                        "service": draw(st.one_of(st.none(), st.sampled_from([s["id"] for s in services] or [None])))})
    orgs = [{"id": o, "name": o} for o in PROVIDERS + ["X", "Y"]]
    return graph(places=places, services=services, needs=needs, funding=funding, organisations=orgs), services, needs


@SETTINGS
@given(ecosystems())
def test_coverage_invariants_and_conservation(eco):
    G, services, needs = eco
    cov = coverage(G, as_of=AS_OF)
    assert (cov["unmet"] >= 0).all() and (cov["supply"] >= 0).all()
    assert ((cov["unmet"] - (cov["demand"] - cov["supply"]).clip(lower=0)).abs() < 1e-6).all()
    assert set(cov["status"]) <= {"unserved", "under", "met", "over", "no_demand"}
    assert ((cov["status"] == "unserved") == ((cov["demand"] > 0) & (cov["providers"] == 0))).all()
    # apportioning conserves people: every need and every active capacity lands on the leaves exactly once
    assert abs(cov["demand"].sum() - sum(n["people"] for n in needs)) < 1e-6
    active = [s for s in services if (s["start"] is None or s["start"] <= AS_OF) and (s["end"] is None or AS_OF <= s["end"])]
    assert abs(cov["supply"].sum() - sum(s["capacity"] or 0 for s in active)) < 1e-6


@SETTINGS
@given(ecosystems(), st.sampled_from(PROVIDERS), st.sampled_from(["X", "Y"]))
def test_removal_never_lowers_unmet_and_ranges_hold(eco, provider, funder):
    G, services, _ = eco
    nodes, edges = sorted(map(repr, G.nodes(data=True))), sorted(map(repr, G.edges(keys=True, data=True)))
    r = run_scenario(G, remove_providers=[provider], as_of=AS_OF)
    base = r.baseline
    assert r.unmet_after >= r.unmet_before - 1e-9
    crit = dict(zip(base.critical_providers["provider"], base.critical_providers["unmet_added"]))
    assert abs(crit.get(provider, 0.0) - r.unmet_added) < 1e-6
    k = base.concentration
    assert ((k["hhi"] >= 10000 / k["providers"] - 1e-6) & (k["hhi"] <= 10000 + 1e-6)).all()
    dep = base.funding_dependency
    assert ((dep["hhi"] > 0) & (dep["hhi"] <= dep["top_share"] + 1e-9)
            & (dep["hhi"] >= dep["top_share"] ** 2 - 1e-9) & (dep["top_share"] <= 1)).all()
    assert base.short_term_share is None or 0 <= base.short_term_share <= 1
    # removing a funder never lowers unmet need either
    if funder in {f for f in r.baseline.funding_dependency["top_funder"]}:
        rf = run_scenario(G, remove_funders=[funder], as_of=AS_OF)
        assert rf.unmet_after >= rf.unmet_before - 1e-9
    # an empty scenario is the baseline
    frames = extract(G)
    empty = run_options(frames, ScenarioOptions.make(as_of=AS_OF))
    assert empty.analysis.to_json_dict() == empty.baseline.to_json_dict() == base.to_json_dict()
    assert empty.unmet_change.empty
    # and nothing changed the input
    assert sorted(map(repr, G.nodes(data=True))) == nodes
    assert sorted(map(repr, G.edges(keys=True, data=True))) == edges


def brute_force_overlaps(services, pops, funders_of, threshold=0.5):
    """Every pair of active services compared directly, straight from SPEC §5 (the oracle)."""
    leaves = {"LA": sorted(pops)}
    active = [s for s in services if (s["start"] is None or s["start"] <= AS_OF) and (s["end"] is None or AS_OF <= s["end"])]
    out = []
    for i, s in enumerate(active):
        for t in active[i + 1:]:
            if s["category"] != t["category"] or s["provider"] == t["provider"]:
                continue
            a = {leaf for area in s["areas"] for leaf in leaves.get(area, [area])}
            b = {leaf for area in t["areas"] for leaf in leaves.get(area, [area])}
            shared = a & b
            if not shared:
                continue
            if any(pops[w] is None for w in a | b) or min(sum(pops[w] for w in a), sum(pops[w] for w in b)) <= 0:
                ov = len(shared) / min(len(a), len(b))
            else:
                ov = sum(pops[w] for w in shared) / min(sum(pops[w] for w in a), sum(pops[w] for w in b))
            if round(ov, 9) >= threshold:
                x, y = sorted([s, t], key=lambda v: v["id"])
                out.append((x["category"], x["id"], y["id"], round(ov, 9), len(shared), x["provider"], y["provider"],
                            not (funders_of(x) & funders_of(y))))
    return sorted(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ecosystems(), st.sampled_from([0.0, 0.25, 0.5, 1.0]))
def test_overlaps_equal_comparing_every_pair(eco, threshold):
    from ecosystem.analysis import overlaps

    G, services, _ = eco
    pops = {code: d.get("population") for (label, code), d in G.nodes(data=True)
            if label == "Place" and code != "LA"}
    flows = [(d["funder"] if "funder" in d else u[1], v[1], d) for u, v, d in G.edges(data=True)
             if d.get("type") == "FUNDS"]

    def active(d):
        s, e = d.get("start"), d.get("end")
        return (s is None or s <= AS_OF) and (e is None or AS_OF <= e)

    def funders_of(svc):
        return ({f for f, r, d in flows if active(d) and d.get("service") == svc["id"]}
                | {f for f, r, d in flows if active(d) and d.get("service") is None and r == svc["provider"]})

    ov = overlaps(G, as_of=AS_OF, threshold=threshold)
    got = sorted(zip(ov["category"], ov["service_a"], ov["service_b"], ov["overlap"].round(9), ov["shared_places"],
                     ov["provider_a"], ov["provider_b"], ov["different_funders"]))
    assert got == brute_force_overlaps(services, pops, funders_of, threshold)
    keys = list(zip(ov["category"], ov["service_a"], ov["service_b"]))
    assert keys == sorted(keys) and all(a < b for _, a, b in keys)


@SETTINGS
@given(ecosystems(), st.lists(st.sampled_from(PROVIDERS), max_size=2, unique=True),
       st.lists(st.sampled_from(["X", "Y"]), max_size=1), st.sampled_from([None, 0.0, 40.0]), st.sampled_from([1, 6]))
def test_the_difference_alone_equals_the_full_scenarios_difference(eco, providers, funders, capacity, horizon):
    G, services, _ = eco
    frames = extract(G)
    funded = set(frames.funding["funder"])
    caps = {services[0]["id"]: capacity} if services else None
    opts = ScenarioOptions.make(as_of=AS_OF, remove_providers=providers, horizon=horizon, capacity_changes=caps,
                                remove_funders=[f for f in funders if f in funded])
    full = run_options(frames, opts)
    alone = diff_options(frames, opts)
    assert alone.diff_dict() == full.diff_dict() == full.diff().diff_dict()
    # with the baseline given, its parts are used, and the answer is the same
    assert diff_options(frames, opts, baseline=full.baseline).diff_dict() == full.diff_dict()



@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ecosystems(), st.sampled_from([None, "LA", "W1"]), st.lists(st.sampled_from(PROVIDERS), max_size=2, unique=True),
       st.lists(st.sampled_from(["X", "Y", "P0"]), max_size=2, unique=True),
       st.lists(st.tuples(st.sampled_from(["S0", "S1", "S2"]), st.sampled_from([None, 0.0, 7.5, 40.0])), max_size=3),
       st.sampled_from([AS_OF, D(2025, 1, 1), D(2025, 5, 31)]))
def test_a_scenarios_after_derived_from_the_before_is_the_context_prepared_from_its_tables(
        eco, place, providers, funders, caps, as_of):
    """The "after" that diff_options derives from the "before" (changed_context) holds exactly what
    prepare() makes of the changed tables: every row, value, dtype and order, the scope and the unplaced."""
    import pandas as pd

    from ecosystem.analysis._tables import prepare, prepare_base
    from ecosystem.analysis.scenarios import apply, changed_context

    G, services, _ = eco
    frames = extract(G)
    funded = set(frames.funding["funder"])
    ids = {s["id"] for s in services}
    opts = ScenarioOptions.make(as_of=as_of, place=place, remove_providers=providers,
                                remove_funders=[f for f in funders if f in funded],
                                capacity_changes={sid: cap for sid, cap in caps if sid in ids})
    changed, removed, deactivated = apply(frames, opts)
    base = prepare_base(frames, place=place)
    ctx = prepare(frames, place=place, as_of=as_of, base=base)
    got = changed_context(base, ctx, changed, opts, set(removed) | set(deactivated))
    want = prepare(changed, place=place, as_of=as_of)
    for name in ("contrib", "demand", "services", "funding", "unplaced"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True, obj=name)
    assert (got.scope, got.leaves, got.as_of, got.place) == (want.scope, want.leaves, want.as_of, want.place)
    assert got.frames is changed
    # and the difference made through it is the full scenario's
    assert diff_options(frames, opts).diff_dict() == run_options(frames, opts).diff_dict()

def _followed_on_by_definition(funding, ending):
    """SPEC §5, pair by pair: another flow from the same funder to the same recipient (for the same service
    when the ending flow names one) that ends later or is open."""
    import pandas as pd

    out = []
    for e in ending.itertuples():
        hit = False
        for g in funding.itertuples():
            if g.funder != e.funder or g.recipient != e.recipient or pd.isna(g.funder) or pd.isna(g.recipient):
                continue
            if pd.notna(e.service) and g.service != e.service:
                continue
            if pd.isna(g.end) or g.end > e.end:
                hit = True
                break
        out.append(hit)
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", None]), st.sampled_from(["P", "Q", "R", None]),
                          st.sampled_from(["S1", "S2", None]), st.one_of(st.none(), st.integers(0, 6))),
                min_size=1, max_size=14),
       st.data())
def test_a_follow_on_is_what_the_definition_says(flows, data):
    import pandas as pd

    from ecosystem.analysis.fragility import followed_on

    funding = pd.DataFrame(
        [(f, r, s, None if e is None else pd.Timestamp("2026-01-01") + pd.DateOffset(months=e)) for f, r, s, e in flows],
        columns=["funder", "recipient", "service", "end"])
    funding["end"] = funding["end"].astype("datetime64[s]")
    funding.index = [f"F{i}" for i in range(len(funding))]  # an index of its own, as a filtered table has
    dated = [i for i in range(len(funding)) if pd.notna(funding["end"].iloc[i])]
    picked = data.draw(st.lists(st.sampled_from(dated), unique=True) if dated else st.just([]))
    ending = funding.iloc[sorted(picked)]
    got = followed_on(funding, ending).tolist()
    assert got == _followed_on_by_definition(funding, ending)
