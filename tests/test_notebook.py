"""docs/quickstart.ipynb runs top to bottom in a Jupyter kernel, and its outputs, written to a page
and opened in Debian's chromium, show the engravings (with scripts off too, as a static viewer
shows a notebook) and working audio players with no console error and no request leaving the
machine. The notebook is committed with its outputs, small enough to keep in git."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOK = Path(__file__).parents[1] / "docs" / "quickstart.ipynb"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs a chromium browser (Debian: apt-get install chromium)"),
]


def outputs_page(notebook) -> str:
    """Every cell's output as a page: HTML where the cell gave HTML, else its text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                parts.append(data["text/html"])
            elif "text/plain" in data or "text" in output:
                parts.append(f"<pre>{html.escape(data.get('text/plain') or output.get('text', ''))}</pre>")
    return "<!doctype html><meta charset='utf-8'><body>" + "\n".join(parts) + "</body>"


def test_the_committed_notebook_carries_its_music_and_stays_small():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    pages = [o.get("data", {}).get("text/html", "") for c in notebook.cells for o in c.get("outputs", [])]
    assert sum(page.count('class="melody-engraving" style=') for page in pages) >= 4  # static SVG
    assert sum(page.count('src="data:audio/mpeg;base64,') for page in pages) >= 4
    assert NOTEBOOK.stat().st_size < 2_000_000


def test_the_quickstart_notebook_runs_and_shows_its_tunes(tmp_path):
    """Run as bench/quickstart.py runs it to commit its outputs (so that bench keeps running too),
    its training cell given a fifth of its minute."""
    import json
    import subprocess
    import sys

    executed = tmp_path / "quickstart.ipynb"
    done = subprocess.run(
        [sys.executable, "bench/quickstart.py", "--minutes", "0.2", "--out", str(executed)],
        cwd=NOTEBOOK.parents[1],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["errors"] == 0
    notebook = nbformat.read(executed, as_version=4)
    assert "minutes=1," in next(cell for cell in notebook.cells if "melody.train(" in cell.source).source
    page = tmp_path / "outputs.html"
    page.write_text(outputs_page(notebook), encoding="utf-8")
    requests, console_errors = [], []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page()
        tab.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        tab.on("pageerror", lambda error: console_errors.append(str(error)))
        tab.on("request", lambda request: requests.append(request.url))
        plain = browser.new_context(java_script_enabled=False).new_page()  # as a static viewer shows it
        plain.goto(page.as_uri())
        engraved_without_scripts = plain.locator(".melody-engraving svg").count()
        tab.goto(page.as_uri())
        tab.wait_for_timeout(500)
        engraved = tab.locator(".melody-engraving svg").count()
        players = tab.locator("audio").count()
        durations = tab.evaluate(
            """async () => Promise.all([...document.querySelectorAll('audio')].map(a => new Promise(done => {
                   if (a.readyState >= 1) return done(a.duration);
                   a.preload = 'metadata';
                   a.onloadedmetadata = () => done(a.duration); a.onerror = () => done(-1); a.load();
               })))"""
        )
        browser.close()
    assert engraved >= 4 and players >= 4  # two generated reels, a variant, a jig of the trained model
    assert engraved_without_scripts == engraved  # the engravings need no script
    assert all(seconds > 1 for seconds in durations), durations  # every player holds playable audio
    assert not console_errors, console_errors
    assert all(url.startswith(("file:", "data:")) for url in requests), [
        u for u in requests if not u.startswith(("file:", "data:"))
    ]
