"""`ecomap demo` on a new ECOMAP_HOME, as the README's first command runs it: the store starts in the background
while the dashboard's code loads, the demo is loaded, and the dashboard answers with the demo's place."""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from support import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_on_a_new_home_serves_its_first_page(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}  # the embedded store, always
    env.update(ECOMAP_HOME=str(home), ECOMAP_WARM="off")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ecosystem", "demo", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, page = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    page = (r.status, r.read().decode())
                break
            except OSError:
                time.sleep(0.2)
        assert proc.poll() is None, proc.communicate(timeout=30)
        assert page is not None and page[0] == 200 and "<title>ecomap</title>" in page[1]
        # the dashboard reads the store the demo was loaded into (a callback answers, not only the page)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=30) as r:
            assert r.status == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
        subprocess.run([sys.executable, "-m", "ecosystem", "db", "stop"], env=env, cwd=ROOT, capture_output=True,
                       timeout=120)
    assert "Loaded the Trafford demo" in out
    assert f"ecomap dashboard: http://localhost:{port}/" in err and "Traceback" not in err


def test_while_the_store_starts_the_demo_loads_the_code_it_will_need():
    """The dashboard and every loader format are imported during the store's start, not after it."""
    code = ("import sys\nfrom ecosystem import demo\nbefore = set(sys.modules)\ndemo.start_and_preload()\n"
            "import loaders\nprint(sorted(set(sys.modules) - before))\n")
    env = {**os.environ, "NEO4J_URI": "bolt://127.0.0.1:9"}  # no store started: only the imports are tested
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    loaded = set(ast.literal_eval(r.stdout))
    from loaders import FORMAT_MODULES

    assert {"dashboard.app", "ecosystem.pipeline", *FORMAT_MODULES.values()} <= loaded
