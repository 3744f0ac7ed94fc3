"""The studio with a MIDI model, in a real browser: the controls an event model understands, one
roll colour per track with a legend naming the tracks, and downloads with one track per voice."""

from __future__ import annotations

import json
import urllib.request

import pretty_midi
import pytest

from melody.cli.program import main
from tests import test_studio
from tests.conftest import DATA
from tests.test_studio import CHROMIUM, start_serve, watched_page

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs a chromium browser (Debian: apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    flags = ["--hidden-size", "48", "--embed-dim", "16", "--batch-size", "4", "--seq-len", "64", "--lr", "0.01"]
    assert main(["train", str(DATA / "songs"), "--out", str(models / "songs"), "--max-steps", "30", *flags]) == 0
    url, process = start_serve("--models", str(models))
    kinds = json.loads(urllib.request.urlopen(url + "api/models", timeout=10).read())["kinds"]
    assert kinds["songs"] == {
        "tokenizer": "midi",
        "kind": "score",
        "voices": ["MELODY", "BRIDGE", "PIANO"],
        "accompanies": True,
        "keeps_beat": True,
    }
    yield url
    process.terminate()
    process.wait(timeout=10)


browser = test_studio.browser  # one chromium for this module too


@pytest.fixture
def page(browser, studio):
    with watched_page(browser, studio, "#model option[value='songs']") as opened:
        yield opened


def test_a_midi_model_composes_with_one_roll_colour_per_track(page, tmp_path):
    page.select_option("#model", "songs")
    assert page.locator("#type").is_hidden() and page.locator("#primer").is_hidden()
    assert page.locator("#accompany-midi").is_visible() and "MELODY" in page.locator("#model-voices").text_content()
    page.fill("#seed", "3")
    page.click("#compose")
    card = page.locator(".tune").first
    card.locator(".roll svg").wait_for(timeout=60_000)
    for voice in range(3):
        assert card.locator(f".roll rect.voice-{voice}").count() > 0
    assert card.locator(".roll rect.voice-3").count() == 0
    assert card.locator(".legend li").all_text_contents() == ["MELODY", "BRIDGE", "PIANO"]
    colours = card.locator(".legend .swatch").evaluate_all("s => s.map(e => getComputedStyle(e).backgroundColor)")
    assert len(set(colours)) == 3
    with page.expect_download() as download:
        card.locator(".downloads button[data-kind='mid']").click()
    path = tmp_path / "piece.mid"
    download.value.save_as(path)
    assert [i.name for i in pretty_midi.PrettyMIDI(str(path)).instruments] == ["MELODY", "BRIDGE", "PIANO"]


def test_the_studio_writes_the_tracks_ticked_at_the_tempo_asked(page, tmp_path):
    page.select_option("#model", "songs")
    boxes = page.locator("#tracks input").evaluate_all("boxes => boxes.map(b => b.value)")
    assert boxes == ["MELODY", "BRIDGE", "PIANO"]
    page.locator("#tracks input[value='BRIDGE']").uncheck()
    page.fill("#tempo-bpm", "84")
    page.fill("#seed", "2")
    page.click("#compose")
    card = page.locator(".tune").first
    card.locator(".roll svg").wait_for(timeout=60_000)
    assert card.locator(".legend li").all_text_contents() == ["MELODY", "PIANO"]
    with page.expect_download() as download:
        card.locator(".downloads button[data-kind='mid']").click()
    download.value.save_as(tmp_path / "two.mid")
    written = pretty_midi.PrettyMIDI(str(tmp_path / "two.mid"))
    assert [i.name for i in written.instruments] == ["MELODY", "PIANO"]
    assert round(written.get_tempo_changes()[1][0]) == 84


def test_the_studio_accompanies_an_uploaded_melody(page, tmp_path):
    tune = tmp_path / "tune.mid"
    assert main(["convert", str(DATA / "folk_sample.abc"), str(tune), "--tune", "2"]) == 0
    page.select_option("#model", "songs")
    page.set_input_files("#accompany-midi", str(tune))
    page.fill("#seed", "1")
    page.click("#compose")
    card = page.locator(".tune").first
    card.locator(".roll svg").wait_for(timeout=60_000)
    given = [n.pitch for n in pretty_midi.PrettyMIDI(str(tune)).instruments[0].notes]
    with page.expect_download() as download:
        card.locator(".downloads button[data-kind='mid']").click()
    download.value.save_as(tmp_path / "out.mid")
    written = pretty_midi.PrettyMIDI(str(tmp_path / "out.mid")).instruments
    assert [n.pitch for n in written[0].notes] == given and len(written) == 3
