"""melody studio in a real browser: `melody serve` in its own process on a free local port, and
Debian's chromium driven by Playwright. Set MELODY_STUDIO_SCREENSHOT=FILE to keep the page's
picture after composing (the README's screenshot comes from here)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from melody.api.notation import written_bar_count

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs a chromium browser (Debian: apt-get install chromium)"),
]

BAD_PRIMER = "M:6/8\nK:D\n|:A|d2e f2g [[ab"
SCRIPT_TITLE = "<script>window.melodyPwned = 1</script>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_serve(*flags: str) -> tuple[str, subprocess.Popen]:
    """`melody serve` on a free port, once it answers: its URL and process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "melody", "serve", "--port", str(port), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "api/models", timeout=2).read()
            return url, process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"melody serve did not start: {process.stdout.read()}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def studio():
    url, process = start_serve()
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        yield launched
        launched.close()


@contextlib.contextmanager
def watched_page(browser, url: str, model_option: str = "#model option"):
    """A page of the studio once its model list has come; on leaving, no script error, no refused
    resource and no content-policy violation may have happened."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    opened = context.new_page()
    problems = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("console", lambda message: message.type == "error" and problems.append(message.text))
    opened.goto(url)
    opened.locator(model_option).first.wait_for(state="attached")
    yield opened
    context.close()
    assert not problems, problems


@pytest.fixture
def page(browser, studio):
    with watched_page(browser, studio) as opened:
        yield opened


def compose(page, count=1, seed=None, primer=None, model=None):
    if model:
        page.select_option("#model", model)
    page.fill("#count", str(count))
    page.fill("#seed", "" if seed is None else str(seed))
    if page.locator("#primer").is_visible():  # a model of scores takes a .mid primer instead
        page.fill("#primer", primer or "")
    page.click("#compose")


def stored_tunes(page) -> list[dict]:
    return page.evaluate("() => JSON.parse(localStorage.getItem('melody-studio-tunes') || '[]')")


def engraved_bars(card) -> int:
    """Bars abcjs drew: the distinct measure numbers of its notes and rests."""
    classes = card.locator(".engraving svg .abcjs-note, .engraving svg .abcjs-rest").evaluate_all(
        "elements => elements.map(e => e.getAttribute('class'))"
    )
    return len({word for names in classes for word in names.split() if word.startswith("abcjs-mm")})


def test_three_tunes_come_engraved_each_with_its_bars(page):
    compose(page, count=3, seed=11)
    page.locator(".tune .engraving svg").nth(2).wait_for(timeout=60_000)
    page.locator("#jobs li", has_text="3 tunes").wait_for()
    tunes = {tune["title"]: tune for tune in stored_tunes(page)}
    cards = page.locator(".tune")
    assert cards.count() == 3 and len(tunes) == 3
    for index in range(3):
        card = cards.nth(index)
        tune = tunes[card.locator(".title").text_content()]
        assert tune["bars"] >= 4
        assert engraved_bars(card) == tune["bars"]
    if os.environ.get("MELODY_STUDIO_SCREENSHOT"):
        page.screenshot(path=os.environ["MELODY_STUDIO_SCREENSHOT"])
    page.reload()  # the tunes of a visit stay
    page.locator(".tune .engraving svg").nth(2).wait_for()
    assert page.locator(".tune").count() == 3


def test_play_gives_audio_as_long_as_the_tune_and_a_cursor(page):
    compose(page, seed=4)
    card = page.locator(".tune").first
    card.locator(".engraving svg").wait_for(timeout=60_000)
    card.locator(".play").click()
    card.locator(".play", has_text="Stop").wait_for()
    card.locator(".engraving .playing").first.wait_for(timeout=10_000)  # the cursor follows the notes
    duration = card.locator("audio").evaluate("audio => audio.duration")
    seconds = stored_tunes(page)[0]["seconds"]
    assert 0 <= duration - seconds <= 2.5  # the music, then the last note's release
    card.locator(".play").click()
    card.locator(".play", has_text="Play").wait_for()
    assert card.locator("audio").evaluate("audio => audio.paused")


def test_downloaded_midi_and_musicxml_read_back(page, tmp_path):
    import pretty_midi
    from music21 import converter

    compose(page, seed=8)
    card = page.locator(".tune").first
    card.locator(".engraving svg").wait_for(timeout=60_000)
    tune = stored_tunes(page)[0]
    with page.expect_download() as midi:
        card.locator(".downloads button[data-kind=mid]").click()
    path = tmp_path / midi.value.suggested_filename
    midi.value.save_as(path)
    assert path.suffix == ".mid"
    assert sum(len(i.notes) for i in pretty_midi.PrettyMIDI(str(path)).instruments) == tune["notes"]
    with page.expect_download() as xml:
        card.locator(".downloads button[data-kind=musicxml]").click()
    xml.value.save_as(tmp_path / "tune.musicxml")
    assert converter.parse(str(tmp_path / "tune.musicxml")).metadata.bestTitle == tune["title"]


def test_a_bad_primer_gets_a_readable_error(page):
    compose(page, primer=BAD_PRIMER)
    error = page.locator("#error")
    error.wait_for(timeout=60_000)
    assert "chord inside a chord" in error.text_content()
    assert page.locator(".tune").count() == 0


def test_a_second_request_waits_its_turn(page):
    compose(page, count=6, seed=1)
    page.locator("#jobs li", has_text="composing").wait_for(timeout=60_000)
    compose(page, count=1, seed=2)
    page.locator("#jobs li", has_text="waiting, 1 ahead").wait_for(timeout=10_000)
    page.locator("#jobs li", has_text="6 tunes").wait_for(timeout=120_000)
    page.locator("#jobs li", has_text="1 tune").wait_for(timeout=60_000)
    assert page.locator(".tune .engraving svg").count() == 7


def test_a_script_in_a_title_shows_as_text(page):
    compose(page, seed=3, primer=f"T:{SCRIPT_TITLE}\nM:6/8\nK:D\n|:A|d2e f2g|")
    title = page.locator(".tune .title").first
    title.wait_for(timeout=60_000)
    assert title.text_content() == SCRIPT_TITLE
    assert page.locator("#tunes script").count() == 0
    assert page.evaluate("() => window.melodyPwned") is None


def test_editing_the_abc_reengraves_and_checks_bars(page):
    compose(page, seed=5)
    card = page.locator(".tune").first
    card.locator(".engraving svg").wait_for(timeout=60_000)
    card.locator(".verdict", has_text="every bar checks").wait_for()
    card.locator("summary").click()
    card.locator("textarea.abc").fill("X:1\nT:Edited\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc d2e|GABc dedB|]\n")
    card.locator(".title", has_text="Edited").wait_for()
    card.locator(".verdict", has_text="problem").wait_for(timeout=10_000)
    assert "where the meter wants" in card.locator(".verdict").text_content()
    assert engraved_bars(card) == 3


def test_continue_from_a_bar_puts_the_tune_up_to_it_in_the_primer(page):
    compose(page, seed=3)
    card = page.locator(".tune").first
    card.locator(".engraving svg").wait_for(timeout=60_000)
    card.locator(".engraving .abcjs-note.abcjs-mm2").first.click(force=True)  # abcjs listens on the whole SVG
    card.locator(".continue").click()
    primer = page.locator("#primer").input_value()
    abc = stored_tunes(page)[0]["abc"]
    assert primer.endswith("|") and abc.startswith("X:1\n" + primer)
    assert written_bar_count("X:1\n" + primer) == 3  # the bars abcjs numbers 0, 1 and 2


def test_vary_these_bars_samples_the_chosen_bars_again_and_keeps_the_rest(page):
    compose(page, seed=3)
    card = page.locator(".tune").first
    card.locator(".engraving svg").wait_for(timeout=60_000)
    assert card.locator(".vary").is_disabled()
    card.locator(".engraving .abcjs-note.abcjs-mm5").first.click(force=True)
    card.locator(".engraving .abcjs-note.abcjs-mm6").last.click(force=True, modifiers=["Shift"])
    assert card.locator(".engraving .chosen").count() >= 2  # both bars marked
    card.locator(".vary").click()
    page.locator(".tune").nth(1).locator(".figures", has_text="bars 5–6 varied").wait_for(timeout=60_000)
    original, varied = stored_tunes(page)[1]["abc"], stored_tunes(page)[0]["abc"]
    old, new = bars_of(original), bars_of(varied)
    assert len(old) == len(new) and old[:4] == new[:4] and old[6:] == new[6:] and old[4:6] != new[4:6]
    assert page.locator(".tune").nth(1).locator(".verdict", has_text="every bar checks").count() == 1


def bars_of(abc: str) -> list[list[str]]:
    """Each bar's tokens, as melody vary counts bars."""
    from melody.formats.abc.lexer import tune_tokens
    from melody.sampling.vary import bar_spans, canonical_tune

    tokens = tune_tokens(canonical_tune(abc))
    return [tokens[start:end] for start, end in bar_spans(tokens)]


def test_a_model_of_scores_shows_its_score_and_piano_roll(page):
    compose(page, seed=1, model="chorales")
    card = page.locator(".tune").first
    card.locator(".roll svg rect").first.wait_for(timeout=120_000)
    assert card.locator(".engraving svg").count() == 1
    assert card.locator(".roll svg rect").count() == stored_tunes(page)[0]["notes"]


def test_the_page_comes_with_a_content_policy_of_its_own_origin(studio):
    with urllib.request.urlopen(studio) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "http" not in policy
    with urllib.request.urlopen(studio + "static/vendor/abcjs-basic-min.js") as response:
        assert b"abcjs_basic v6.7.2" in response.read(200)
