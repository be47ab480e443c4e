"""Ecomap's caches: the disk cache a new process starts from, invalidated by a load; one make per key."""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
import time

import pytest

from ecosystem import pipeline
from ecosystem.service import DiskCache, Ecomap, _LRU, default_cache_dir

AS_OF = dt.date(2025, 6, 1)


def test_a_new_process_reads_the_disk_cache_and_a_load_invalidates_it(store, template_dir, tmp_path, monkeypatch):
    pipeline.load(store, [template_dir], fmt="template", source="small")
    cache = tmp_path / "cache"
    first_app = Ecomap(store, cache_dir=cache)
    first = first_app.analysis(None, AS_OF)
    graph = first_app.graph(None)

    import ecosystem.service as service

    pulls = []
    real = service.pull_frames
    monkeypatch.setattr(service, "pull_frames", lambda *a, **k: pulls.append(1) or real(*a, **k))
    monkeypatch.setattr(service, "pull_graph", lambda *a, **k: pytest.fail("graph pulled although kept"))
    again = Ecomap(store, cache_dir=cache)  # a new process: nothing in memory
    assert again.analysis(None, AS_OF).to_json_dict() == first.to_json_dict()
    again.frames(None)
    assert pulls == []  # both came from disk
    assert sorted(again.graph(None).edges(keys=True)) == sorted(graph.edges(keys=True))
    folders = [p for p in cache.iterdir() if p.is_dir()]
    assert len(folders) == 1
    assert stat.S_IMODE(folders[0].stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in folders[0].glob("*.pkl"))

    # a load that changes the data: a new version, the old folder goes, the figures change
    services = template_dir / "services.csv"
    lines = services.read_text().splitlines()
    services.write_text("\n".join(lines[:-1]) + "\n")  # drop the last service
    pipeline.load(store, [template_dir], fmt="template", source="small")
    after = Ecomap(store, cache_dir=cache).analysis(None, AS_OF)
    assert pulls == [1]
    fresh = Ecomap(store).analysis(None, AS_OF)  # no disk cache at all
    assert after.to_json_dict() == fresh.to_json_dict()
    assert after.to_json_dict() != first.to_json_dict()
    assert [p for p in cache.iterdir() if p.is_dir()] != folders and not folders[0].exists()


def test_a_damaged_cache_file_is_recomputed(tmp_path):
    c = DiskCache(tmp_path / "c")
    c.put("v1", ("k",), {"a": 1})
    (f,) = list((tmp_path / "c").glob("*/*.pkl"))
    f.write_bytes(b"not a pickle")
    assert c.get("v1", ("k",)) is None and not f.exists()
    assert c.get("v2", ("k",)) is None


def test_a_cache_written_by_another_build_of_ecomap_is_not_read(tmp_path, monkeypatch):
    from ecosystem import service

    c = DiskCache(tmp_path / "c")
    c.put("v1", ("analysis", "LA"), {"shape": "old"})
    assert c.get("v1", ("analysis", "LA")) == {"shape": "old"}
    # an upgrade that changes the analysis code: the old pickles are never unpickled into the new code
    monkeypatch.setattr(service, "CODE_FINGERPRINT", "another-build")
    assert c.get("v1", ("analysis", "LA")) is None
    # and the fingerprint follows the code it hashes
    assert service._code_fingerprint() == service._code_fingerprint() != "another-build"


def test_the_disk_cache_keeps_at_most_its_limit(tmp_path):
    c = DiskCache(tmp_path / "c", limit=3)
    for i in range(5):
        c.put("v", ("k", i), i)
        time.sleep(0.01)
    assert len(list((tmp_path / "c").glob("*/*.pkl"))) == 3
    assert [c.get("v", ("k", i)) for i in range(5)] == [None, None, 2, 3, 4]


def test_cache_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOMAP_HOME", str(tmp_path))
    monkeypatch.delenv("ECOMAP_CACHE", raising=False)
    assert default_cache_dir() == tmp_path / "cache"
    monkeypatch.setenv("ECOMAP_CACHE", "off")
    assert default_cache_dir() is None


def test_threads_asking_for_one_key_make_it_once():
    lru = _LRU(4)
    made, results = [], []
    gate = threading.Event()

    def make():
        made.append(threading.get_ident())
        gate.wait(5)
        return "value"

    threads = [threading.Thread(target=lambda: results.append(lru.get_or_make("k", make))) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(5)
    assert len(made) == 1 and results == ["value"] * 6


def test_a_failed_make_lets_the_next_thread_try():
    lru = _LRU(4)
    with pytest.raises(RuntimeError):
        lru.get_or_make("k", lambda: (_ for _ in ()).throw(RuntimeError("store down")))
    assert lru.get_or_make("k", lambda: 7) == 7
    assert lru.making == {}


def test_files_are_private_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        c = DiskCache(tmp_path / "c")
        c.put("v", ("k",), 1)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) & 0o077 == 0
    (f,) = list((tmp_path / "c").glob("*/*.pkl"))
    assert stat.S_IMODE(f.stat().st_mode) == 0o600


def test_db_warm_prepares_the_first_view_for_a_new_process(store, template_dir, monkeypatch, capsys):
    from ecosystem.cli import main

    pipeline.load(store, [template_dir], fmt="template", source="small")
    cache = default_cache_dir()
    assert main(["db", "warm", "--as-of", AS_OF.isoformat()]) == 0
    assert "prepared the analysis of LA on 2025-06-01 and its trend" in capsys.readouterr().err
    import ecosystem.service as service

    monkeypatch.setattr(service, "pull_frames", lambda *a, **k: pytest.fail("pulled although prepared"))
    monkeypatch.setattr(service.an, "analyse_frames", lambda *a, **k: pytest.fail("analysed although prepared"))
    monkeypatch.setattr(service.an, "series", lambda *a, **k: pytest.fail("trend worked out although prepared"))
    a = Ecomap(store, cache_dir=cache).analysis("LA", AS_OF)
    assert a.place == "LA" and len(a.coverage)
    from ecosystem.analysis.market import trend_dates

    trend = Ecomap(store, cache_dir=cache).series("LA", trend_dates(AS_OF))  # the market page's, from disk
    assert len(trend) >= len(trend_dates(AS_OF)) and {"demand", "supply", "unmet"} <= set(trend.columns)
    assert main(["db", "warm", "--place", "NOWHERE"]) == 2


def test_a_load_from_the_command_line_warms_the_cache_in_the_background(store, template_dir, monkeypatch, capsys):
    import fcntl

    from ecosystem.cli import main

    monkeypatch.setenv("ECOMAP_WARM", "on")
    assert main(["load", str(template_dir), "--source", "small"]) == 0
    assert "preparing the dashboard's first view in the background" in capsys.readouterr().err
    version = Ecomap(store).version()
    folder = DiskCache(default_cache_dir())._folder(version)
    deadline = time.time() + 120
    while len(list(folder.glob("*.pkl"))) < 3 and time.time() < deadline:
        time.sleep(0.5)
    with open(default_cache_dir() / "warm.lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the background process has finished
    assert len(list(folder.glob("*.pkl"))) == 3  # the pulled tables, the analysis of today's view and its trend
    today = Ecomap(store, cache_dir=default_cache_dir())
    import ecosystem.service as service

    monkeypatch.setattr(service, "pull_frames", lambda *a, **k: pytest.fail("pulled although prepared"))
    assert today.analysis(today.default_place(), dt.date.today()).place == "LA"


def test_series_is_made_from_one_pull_and_kept_on_disk(store, template_dir, tmp_path, monkeypatch):
    pipeline.load(store, [template_dir], fmt="template", source="small")
    import ecosystem.service as service
    from ecosystem.analysis import market

    pulls = []
    real = service.pull_frames
    monkeypatch.setattr(service, "pull_frames", lambda *a, **k: pulls.append(1) or real(*a, **k))
    dates = market.parse_series("2024-06-01:2026-06-01:12m")
    first = Ecomap(store, cache_dir=tmp_path / "cache").series("LA", dates)
    assert pulls == [1] and list(first["as_of"]) == dates
    again = Ecomap(store, cache_dir=tmp_path / "cache").series("LA", dates)  # a new process: from disk
    assert pulls == [1]
    assert again.equals(first)
    a = Ecomap(store).analysis("LA", dates[1])
    assert first["unmet"].iloc[1] == a.totals()["unmet"]


def test_a_memo_is_made_once_kept_on_disk_and_dropped_by_a_load(store, template_dir, tmp_path):
    pipeline.load(store, [template_dir], fmt="template", source="small")
    cache = tmp_path / "cache"
    made = []
    app = Ecomap(store, cache_dir=cache)
    assert app.memo(("names", None), lambda: made.append(1) or {"a": 1}, kind=dict) == {"a": 1}
    assert app.memo(("names", None), lambda: made.append(1) or {"a": 2}, kind=dict) == {"a": 1}
    # a new process reads it from disk; another key is its own
    again = Ecomap(store, cache_dir=cache)
    assert again.memo(("names", None), lambda: pytest.fail("made again although kept"), kind=dict) == {"a": 1}
    assert again.memo(("names", "LA1"), lambda: made.append(1) or {"b": 1}, kind=dict) == {"b": 1}
    assert made == [1, 1]
    # a value of the wrong kind on disk is made again
    assert Ecomap(store, cache_dir=cache).memo(("names", None), lambda: {"c": 1}, kind=list) == {"c": 1}
    # a load that changes the data is a new data version: made afresh
    services = template_dir / "services.csv"
    services.write_text("\n".join(services.read_text().splitlines()[:-1]) + "\n")
    pipeline.load(store, [template_dir], fmt="template", source="small")
    assert Ecomap(store, cache_dir=cache).memo(("names", None), lambda: {"d": 1}, kind=dict) == {"d": 1}


def test_within_one_version_the_store_is_asked_once_and_again_after_a_write(store, template_dir, tmp_path):
    """A dashboard request asks for the data version once (its cached parts each asked the store); a load in
    the same request is seen at once, and a load by another process from the next request on."""
    import contextvars

    from ecosystem.service import one_version

    app = Ecomap(store, cache_dir=tmp_path / "cache")
    asked = []
    real = store.run

    def counting(name, *a, **k):
        asked.append(name)
        return real(name, *a, **k)

    store.run = counting
    try:
        def request():
            one_version()
            first = [app.version() for _ in range(4)]
            assert asked.count("latest_load_run") == 1 and len(set(first)) == 1 and first[0] == "empty"
            pipeline.load(store, [template_dir], fmt="template", source="small")  # a write in the same request
            after = app.version()
            assert after != "empty" and app.version() == after
            return asked.count("latest_load_run")

        assert contextvars.copy_context().run(request) == 2
        asked.clear()
        assert app.version() != "empty" and app.version() and asked.count("latest_load_run") == 2  # outside: each time

        from ecosystem.store import GraphStore

        def next_request(other_process):
            one_version()
            before = app.version()
            pipeline.load(other_process, [template_dir], fmt="template", source="again")  # not this process's writes
            return before, app.version()

        with GraphStore.open(store.home) as elsewhere:
            before, during = contextvars.copy_context().run(next_request, elsewhere)
        assert during == before  # one request reads one version throughout
        assert contextvars.copy_context().run(lambda: (one_version(), app.version())[1]) != before  # the next sees it
    finally:
        del store.run


def test_a_scenario_starts_from_the_cached_analysis_and_analyses_only_the_changed_data(store, template_dir, tmp_path,
                                                                                        monkeypatch):
    pipeline.load(store, [template_dir], fmt="template", source="small")
    from ecosystem import analysis as an
    from ecosystem.analysis import scenarios

    provider = store.run("frames_services", {"chunk": 50_000})["chunk"][0][0][1]  # the first service's provider
    options = an.ScenarioOptions.make(remove_providers=[provider], place="LA", as_of=AS_OF)
    fresh = an.run_options(Ecomap(store).frames("LA"), options)  # both analyses made here
    app = Ecomap(store, cache_dir=tmp_path / "cache")
    base = app.analysis("LA", AS_OF)
    made = []
    real = scenarios.analyse_frames
    monkeypatch.setattr(scenarios, "analyse_frames", lambda *a, **k: made.append(1) or real(*a, **k))
    r = app.run_scenario(options)
    assert made == [1]  # the changed data only: the baseline was in the cache
    assert r.baseline is base
    assert r.to_dict() == fresh.to_dict()
    # a new process with a cold memory still reads the baseline from disk
    made.clear()
    other = an.ScenarioOptions.make(remove_providers=[provider], place="LA", as_of=AS_OF, name="another")
    assert Ecomap(store, cache_dir=tmp_path / "cache").run_scenario(other).unmet_before == r.unmet_before
    assert made == [1]


def test_a_scenario_is_kept_on_disk_without_its_baseline_and_read_back_whole(store, template_dir, tmp_path,
                                                                             monkeypatch):
    pipeline.load(store, [template_dir], fmt="template", source="small")
    import pickle

    from ecosystem import analysis as an

    provider = store.run("frames_services", {"chunk": 50_000})["chunk"][0][0][1]
    options = an.ScenarioOptions.make(remove_providers=[provider], place="LA", as_of=AS_OF)
    first = Ecomap(store, cache_dir=tmp_path / "cache").run_scenario(options)
    kept = [v for v in (pickle.loads(f.read_bytes()) for f in (tmp_path / "cache").rglob("*.pkl"))
            if isinstance(v, an.ScenarioResult)]
    assert len(kept) == 1 and kept[0].baseline is None and kept[0].analysis is not None
    again = Ecomap(store, cache_dir=tmp_path / "cache")  # a new process: the scenario and its baseline from disk
    made = []
    real = an.run_options
    monkeypatch.setattr(an, "run_options", lambda *a, **k: made.append(1) or real(*a, **k))
    r = again.run_scenario(options)
    assert made == []  # read, not made
    assert r.baseline is again.analysis("LA", AS_OF)  # the place's analysis, shared with the other views
    assert r.to_dict() == first.to_dict()


def test_the_difference_alone_uses_a_held_analysis_makes_no_full_one_and_is_kept(store, template_dir, tmp_path,
                                                                                monkeypatch):
    pipeline.load(store, [template_dir], fmt="template", source="small")
    from ecosystem import analysis as an
    from ecosystem.analysis import scenarios

    provider = store.run("frames_services", {"chunk": 50_000})["chunk"][0][0][1]
    options = an.ScenarioOptions.make(remove_providers=[provider], place="LA", as_of=AS_OF)
    fresh = an.run_options(Ecomap(store).frames("LA"), options)
    full_made, parts_made = [], []
    real_full, real_parts = scenarios.analyse_frames, scenarios._headline_of
    monkeypatch.setattr(scenarios, "analyse_frames", lambda *a, **k: full_made.append(1) or real_full(*a, **k))
    monkeypatch.setattr(scenarios, "_headline_of", lambda *a, **k: parts_made.append(1) or real_parts(*a, **k))

    # nothing held: the parts before and after are computed (the after derived from the before), no full analysis
    d = Ecomap(store, cache_dir=tmp_path / "cache").scenario_diff(options)
    assert isinstance(d, an.ScenarioDiff) and d.diff_dict() == fresh.diff_dict()
    assert (full_made, parts_made) == ([], [1, 1])
    # a new process reads it from disk
    parts_made.clear()
    assert Ecomap(store, cache_dir=tmp_path / "cache").scenario_diff(options).diff_dict() == fresh.diff_dict()
    assert parts_made == []
    # another scenario in a process whose disk holds the place's analysis: only the changed data's parts
    app = Ecomap(store, cache_dir=tmp_path / "cache")
    app.analysis("LA", AS_OF)
    full_made.clear()
    other = an.ScenarioOptions.make(remove_providers=[provider], place="LA", as_of=AS_OF, name="another")
    assert Ecomap(store, cache_dir=tmp_path / "cache").scenario_diff(other).diff_dict() == fresh.diff_dict()
    assert (full_made, parts_made) == ([], [1])
    # a process that ran the full scenario (the dashboard) takes its difference, computing nothing
    parts_made.clear()
    third = an.ScenarioOptions.make(remove_providers=[provider], place="LA", as_of=AS_OF, name="a third")
    app.run_scenario(third)
    full_made.clear()
    assert app.scenario_diff(third).diff_dict() == fresh.diff_dict()
    assert (full_made, parts_made) == ([], [])
    # saving keeps the summary without a full analysis
    fresh_app = Ecomap(store, cache_dir=None)
    sid = fresh_app.save_scenario("exit", options)
    assert full_made == []
    saved = next(s for s in fresh_app.scenarios() if s["id"] == sid)
    assert saved["summary"]["unmet_added"] == fresh.unmet_added
    assert saved["summary"]["became_unserved"] == len(fresh.became_unserved)


def test_a_report_prepares_the_place_once_for_its_analysis_and_cliff_outlook(store, template_dir, tmp_path,
                                                                             monkeypatch):
    import ecosystem.analysis._core as core
    import ecosystem.analysis._tables as tables
    from ecosystem import report as rp

    pipeline.load(store, [template_dir], fmt="template", source="small")
    calls = []
    real = tables.prepare
    counted = lambda *a, **k: calls.append(k.get("place")) or real(*a, **k)  # noqa: E731
    monkeypatch.setattr(tables, "prepare", counted)
    monkeypatch.setattr(core, "prepare", counted)
    monkeypatch.setattr("ecosystem.service.Ecomap.version", lambda self: "v-test")
    app = Ecomap(store)
    doc = rp.build(app, "LA", AS_OF).doc
    assert calls == ["LA"]  # the 12-month outlook (horizon 6) reused the analysis's prepared tables
    fresh = rp.build(Ecomap(store), "LA", AS_OF).doc
    assert doc["cliff_outlook"] == fresh["cliff_outlook"] and doc["analysis"] == fresh["analysis"]
    # another date is prepared afresh, and its outlook is its own
    app.analysis("LA", AS_OF + dt.timedelta(days=400))
    assert calls[-1] == "LA" and len(calls) == 3


def test_db_warm_also_prepares_the_authority_under_a_country_and_region(store, template_dir, monkeypatch, capsys):
    from ecosystem.cli import main

    places = template_dir / "places.csv"
    places.write_text("code,name,level,parent,population\nE,England,country,,300\nR,North East,region,E,300\n"
                      "LA,Town,la,R,300\nW1,North,ward,LA,100\nW2,South,ward,LA,200\n")
    pipeline.load(store, [template_dir], fmt="template", source="small")
    assert Ecomap(store).authority_place() == "LA"
    assert main(["db", "warm", "--as-of", AS_OF.isoformat()]) == 0
    assert ("prepared the analysis of E on 2025-06-01 and its trend, and the analysis of LA, in"
            in capsys.readouterr().err)
    import ecosystem.service as service

    monkeypatch.setattr(service, "pull_frames", lambda *a, **k: pytest.fail("pulled although prepared"))
    monkeypatch.setattr(service.an, "analyse_frames", lambda *a, **k: pytest.fail("analysed although prepared"))
    cached = Ecomap(store, cache_dir=default_cache_dir())
    assert cached.analysis("LA", AS_OF).place == "LA" and cached.analysis("E", AS_OF).place == "E"
    monkeypatch.undo()
    # a given place is prepared alone; a region holding two authorities has no single authority below it
    assert main(["db", "warm", "--place", "LA", "--as-of", AS_OF.isoformat()]) == 0
    assert "and the analysis of" not in capsys.readouterr().err
    with places.open("a") as fh:
        fh.write("LA2,Other town,la,R,50\n")
    pipeline.load(store, [template_dir], fmt="template", source="small")
    assert Ecomap(store).authority_place() is None


def test_an_authority_at_the_top_is_the_first_view_itself(store, template_dir):
    pipeline.load(store, [template_dir], fmt="template", source="small")
    app = Ecomap(store)
    assert app.default_place() == "LA" and app.authority_place() is None
