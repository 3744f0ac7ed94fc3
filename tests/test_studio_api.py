"""The studio's HTTP API without a browser: its caps, its choice of models by name only, its
errors, its queue, and `melody serve` when the extra is missing."""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")
from starlette.testclient import TestClient  # noqa: E402

from melody.cli.program import main  # noqa: E402
from melody.sampling.config import number_fields  # noqa: E402
from melody.studio.app import MAX_BODY, create_app  # noqa: E402

MAX_COUNT = number_fields()["count"]["page"][1]

TUNE = "X:1\nT:Little Air\nM:3/4\nL:1/8\nK:D\n|:A2|d2 f2 a2|g2 e2 c2|d6:|\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    import shutil

    from melody.network.checkpoint import SHIPPED_DIR

    runs = tmp_path_factory.mktemp("runs")
    (runs / "empty-run").mkdir()  # a folder with no model file is not offered
    (runs / "my-run").mkdir()
    shutil.copy(SHIPPED_DIR / "folk-char.safetensors", runs / "my-run" / "best.safetensors")
    with TestClient(create_app(runs, warm=None)) as test_client:
        yield test_client


def events_of(client, job: str) -> list[tuple[str, dict]]:
    with client.stream("GET", f"/api/jobs/{job}/events") as response:
        text = "".join(response.iter_text())
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        found.append((fields["event"], json.loads(fields["data"])))
    return found


def test_models_are_offered_by_name_and_never_taken_as_paths(client):
    offered = client.get("/api/models").json()["models"]
    assert {"folk", "chorales", "my-run"} <= set(offered) and "empty-run" not in offered
    job = client.post("/api/compose", json={"model": "my-run", "seed": 5}).json()["job"]
    assert events_of(client, job)[-1][0] == "done"  # a run folder under --models composes
    for name in ("/etc/passwd", "../melody/models/folk.safetensors", "melody/models/folk.safetensors"):
        answer = client.post("/api/compose", json={"model": name})
        assert answer.status_code == 400 and "no model named" in answer.json()["error"]


@pytest.mark.parametrize(
    "body, words",
    [
        ({"count": MAX_COUNT + 1}, "count must be between"),
        ({"max_tokens": 10**6}, "max_tokens must be between"),
        ({"temperature": "hot"}, "temperature must be a number"),
        ({"type": "tango"}, "not a tune type"),
        ({"key": "x" * 500}, "key must be a short text"),
    ],
)
def test_requests_past_the_caps_are_refused_with_a_reason(client, body, words):
    answer = client.post("/api/compose", json={"model": "folk", **body})
    assert answer.status_code == 400 and words in answer.json()["error"]


def test_a_request_larger_than_the_cap_is_refused(client):
    answer = client.post("/api/check", json={"abc": "a" * (MAX_BODY + 1)})
    assert answer.status_code == 400 and "larger than" in answer.json()["error"]
    assert client.post("/api/check", content=b"{not json").status_code == 400


def test_jobs_queue_and_stream_their_tunes(client):
    first = client.post("/api/compose", json={"model": "folk", "count": 2, "seed": 3}).json()
    second = client.post("/api/compose", json={"model": "folk", "count": 1, "seed": 4}).json()
    assert second["ahead"] >= 1  # the first is queued or running: the second waits behind it
    for job, count in ((first["job"], 2), (second["job"], 1)):
        events = events_of(client, job)
        names = [name for name, _ in events]
        assert names[:2] == ["queued", "started"] and names[-1] == "done"
        tunes = [data for name, data in events if name == "tune"]
        assert len(tunes) == count and all(t["abc"].startswith("X:") and t["bars"] > 0 for t in tunes)
        assert all(isinstance(t["longest_copied_bars"], int) for t in tunes)  # its novelty, from the model file


def test_a_failing_job_says_why_and_the_worker_goes_on(client):
    failed = client.post("/api/compose", json={"model": "folk", "primer": "M:6/8\nK:D\n|:A|d2e [[ab"}).json()
    assert events_of(client, failed["job"])[-1] == ("failed", {"message": "primer: bar 1: a chord inside a chord"})
    after = client.post("/api/compose", json={"model": "folk", "seed": 1}).json()
    assert events_of(client, after["job"])[-1][0] == "done"


def test_vary_turns_the_clicked_notes_into_bars_and_samples_them_again(client):
    waltz = "X:1\nT:Short Waltz\nM:3/4\nL:1/8\nK:D\n|:A2|d2 f2 a2|g2 e2 c2|d4:|\n|:f2|a2 f2 d2|e2 c2 A2|d4:|\n"
    where = {text: waltz.index(text) for text in ("A2|", "d2 f2", "g2 e2", "d4:|\n|", "f2|a2", "a2 f2", "e2 c2 A2")}
    bars = {}
    for text, offset in where.items():
        answer = client.post("/api/vary", json={"model": "folk", "abc": waltz, "from_char": offset, "to_char": offset})
        bars[text] = answer.json()["bars"][0]
    # the anacrusis belongs to bar 1, a part's pickup to the bar it leads into
    assert bars == {"A2|": 1, "d2 f2": 1, "g2 e2": 2, "d4:|\n|": 3, "f2|a2": 4, "a2 f2": 4, "e2 c2 A2": 5}
    body = {"model": "folk", "abc": waltz, "from_char": where["g2 e2"], "to_char": where["g2 e2"], "seed": 4}
    events = events_of(client, client.post("/api/vary", json=body).json()["job"])
    assert events[-1][0] == "done", events[-1]
    (varied,) = [data for name, data in events if name == "tune"]
    assert varied["varied_bars"] == [2, 2] and "g2 e2 c2" not in varied["abc"] and "d2 f2 a2" in varied["abc"]
    missing = client.post("/api/vary", json={"model": "folk", "abc": waltz})
    assert missing.status_code == 400 and "click a note" in missing.json()["error"]


def test_a_model_of_scores_continues_an_abc_primer(client):
    job = client.post("/api/compose", json={"model": "chorales", "seed": 2, "primer": TUNE, "max_tokens": 400}).json()
    events = events_of(client, job["job"])
    assert events[-1][0] == "done", events[-1]
    tune = next(data for name, data in events if name == "tune")
    assert tune["kind"] == "score" and tune["roll"]["notes"]
    assert [n[0] for n in tune["roll"]["notes"][:3]] == [69, 74, 78]  # A2|d2 f2: the primer's opening


def test_exports_are_the_files_convert_and_play_write(client):
    import io

    import pretty_midi

    midi = client.post("/api/export/mid", json={"abc": TUNE})
    assert midi.headers["content-disposition"] == 'attachment; filename="little-air.mid"'
    notes = pretty_midi.PrettyMIDI(io.BytesIO(midi.content)).instruments[0].notes
    assert len(notes) == 2 * 8  # the repeat played out
    wav = client.post("/api/export/wav", json={"abc": TUNE})
    assert wav.content[:4] == b"RIFF"
    assert float(wav.headers["x-melody-seconds"]) == pytest.approx(10.0)  # 20 beats at 120 a minute
    assert b"<score-partwise" in client.post("/api/export/musicxml", json={"abc": TUNE}).content
    assert client.post("/api/export/exe", json={"abc": TUNE}).status_code == 404
    broken = client.post("/api/export/mid", json={"abc": "X:1\nT:x\n"})
    assert broken.status_code == 400 and broken.json()["error"]


def test_the_bar_check_answers_for_text_as_typed(client):
    assert client.post("/api/check", json={"abc": TUNE}).json() == {"problems": []}
    short = client.post("/api/check", json={"abc": TUNE.replace("g2 e2 c2", "g2 e2")}).json()["problems"]
    assert short and short[0].startswith("bar 2:")


def test_every_response_carries_the_content_policy(client):
    for path in ("/", "/api/models", "/static/studio.js"):
        assert "default-src 'self'" in client.get(path).headers["content-security-policy"]


def test_serve_without_the_extra_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    assert main(["serve", "--port", "8123"]) != 0
    assert "pip install 'melody[studio]'" in capsys.readouterr().err


def test_serve_warns_when_listening_beyond_this_machine(monkeypatch, capsys):
    import melody.studio

    monkeypatch.setattr(melody.studio, "serve", lambda *args, **kwargs: None)
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    assert "anyone who can reach this machine" in capsys.readouterr().err


def test_serve_on_a_taken_port_says_so_in_one_line(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["serve", "--port", str(taken.getsockname()[1])]) != 0
    err = capsys.readouterr().err
    assert "cannot listen on 127.0.0.1" in err and "Traceback" not in err
