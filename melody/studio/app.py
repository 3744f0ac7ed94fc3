"""The studio's web app: a page, its static files, and a small JSON API over melody's Python API,
which the CLI calls too. Every request is capped; a client names models from the catalog only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from melody.api import header
from melody.api.config import SampleConfig, number_fields
from melody.api.notation import NotationError, bar_at, file_stem, problems, tune_types
from melody.api.tunes import exported, read_midi_bytes, wav_of
from melody.errors import ConfigError, MelodyError
from melody.studio.composer import Composer, Variation, as_on_the_page, model_catalog
from melody.studio.tunes import tune_view

MAX_BODY = 512 * 1024  # bytes of one request: a long tune is a few kB, a song's MIDI (base64) some 100 kB
MAX_VARIANTS = 4  # one vary request: each variant samples 8 candidate ranges
WAV_RATE = 22050  # enough for a tune, and half the bytes of CD rate
EXPORTS = {
    "abc": "text/vnd.abc",
    "mid": "audio/midi",
    "wav": "audio/wav",
    "musicxml": "application/vnd.recordare.musicxml+xml",
}
# the page's own origin only; blob: is the audio and downloads the page makes from its own responses.
# The hash is the one <style> abcjs 6.7.2 adds to a clickable score (its selection styles).
ABCJS_STYLE = "'sha256-BCpnf71gZdCsSCHDzyB1RsBbZ0qQdqseK6v+yJsgg30='"
CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {ABCJS_STYLE}; img-src 'self' blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
STATIC = resources.files("melody.studio") / "static"


class RequestError(Exception):
    """A request the page should not have sent: answered 400 with its message."""


def create_app(models_dir: str | Path | None = None, device: str = "cpu", warm: str | None = "folk") -> Starlette:
    """The studio app. `warm`: a model to load at start, so the first compose finds it ready."""
    catalog = model_catalog(models_dir)
    composer = Composer(catalog, tune_view, device)
    if warm in catalog:
        composer.warm(warm)

    async def page(request: Request) -> Response:
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    async def models(request: Request) -> Response:
        types = tune_types()
        kinds = await run_in_threadpool(_model_kinds, catalog)
        limits = {name: {"min": found["page"][0], "max": found["page"][1]} for name, found in number_fields().items()}
        return JSONResponse(
            {
                "models": list(catalog),
                "default": warm if warm in catalog else None,
                "types": types,
                "kinds": kinds,
                "limits": limits,  # the page's number fields take their bounds from SampleConfig's
            }
        )

    def model_named(body: dict) -> str:
        name = body.get("model")
        if name not in catalog:
            raise RequestError(f"no model named {str(name)[:40]!r}; choose one of {', '.join(catalog)}")
        return name

    async def compose(request: Request) -> Response:
        body = await _json_body(request)
        name = model_named(body)
        config = _sample_config(body)
        job, ahead = composer.submit(name, config)
        return JSONResponse({"job": job.id, "ahead": ahead})

    async def vary(request: Request) -> Response:
        """Sample a tune's bars again: the bars from the note at `from_char` to the one at `to_char`
        (offsets in the ABC, as the engraving's clicks give them)."""
        body = await _json_body(request)
        name = model_named(body)
        abc = _abc_of(body)
        offsets = [_number(body, side, int, 0, len(abc), None) for side in ("from_char", "to_char")]
        if None in offsets:
            raise RequestError("choose the bars to vary: click a note, shift-click another")
        first, last = sorted(await run_in_threadpool(lambda: [bar_at(abc, offset) for offset in offsets]))
        count = _number(body, "count", int, 1, MAX_VARIANTS, 1)
        seed = _number(body, "seed", int, 0, 2**31 - 1, None)
        seed = random.randrange(2**31) if seed is None else seed
        job, ahead = composer.submit(name, SampleConfig(count=count), Variation(abc, (first, last), seed))
        return JSONResponse({"job": job.id, "ahead": ahead, "bars": [first, last]})

    async def events(request: Request) -> Response:
        job = composer.jobs.get(request.path_params["job"])
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        return StreamingResponse(_event_stream(job, request), media_type="text/event-stream")

    async def check(request: Request) -> Response:
        abc = _abc_of(await _json_body(request))
        return JSONResponse({"problems": await run_in_threadpool(problems, abc)})

    async def export(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in EXPORTS:
            return JSONResponse({"error": f"no export {kind[:20]!r}"}, status_code=404)
        body = await _json_body(request)
        if body.get("midi") is not None:  # a piece of a MIDI model: its own file, one track per voice
            data, score, title = await run_in_threadpool(_export_midi, _midi_of(body), kind)
        else:
            data, score, title = await run_in_threadpool(_export, _abc_of(body), kind)
        name = f"{file_stem(title or 'tune')}.{kind}"
        seconds = score.duration * 60 / score.tempo  # the music, without the sound's release after it
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Melody-Seconds": f"{seconds:.3f}"}
        return Response(data, media_type=EXPORTS[kind], headers=headers)

    routes = [
        Route("/", page),
        Route("/api/models", models),
        Route("/api/compose", compose, methods=["POST"]),
        Route("/api/vary", vary, methods=["POST"]),
        Route("/api/jobs/{job}/events", events),
        Route("/api/check", check, methods=["POST"]),
        Route("/api/export/{kind}", export, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        composer.stop()

    app = Starlette(
        routes=routes,
        exception_handlers={RequestError: _bad_request, MelodyError: _bad_request, NotationError: _bad_request},
        lifespan=lifespan,
    )
    app.state.composer = composer
    app.add_middleware(_SecurityHeaders)
    return app


async def _bad_request(request: Request, error: Exception) -> Response:
    message = getattr(error, "message", None) or str(error)
    return JSONResponse({"error": as_on_the_page(message)}, status_code=400)


async def _json_body(request: Request) -> dict:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise RequestError(f"request larger than {MAX_BODY // 1024} kB")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise RequestError(f"request larger than {MAX_BODY // 1024} kB")
    try:
        body = json.loads(data or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RequestError("the request is not JSON") from None
    if not isinstance(body, dict):
        raise RequestError("the request is not a JSON object")
    return body


def _abc_of(body: dict) -> str:
    abc = body.get("abc")
    if not isinstance(abc, str) or not abc.strip():
        raise RequestError("no ABC text")
    return abc


def _field(body: dict, name: str, **given):
    """A SampleConfig number from the page, within the bounds its field gives a page."""
    limits = number_fields()[name] | given
    return _number(body, name, limits["type"], *limits["page"], limits["default"])


def _number(body: dict, name: str, kind, low, high, default):
    value = body.get(name, default)
    if value is None or value == "":
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise RequestError(f"{name} must be a number") from None
    if not low <= number <= high:
        raise RequestError(f"{name} must be between {low} and {high}")
    return number


def _text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise RequestError(f"{name} must be a short text")
    return value.strip()


def _model_kinds(catalog: dict[str, str]) -> dict[str, dict]:
    """Per model: what kind of pieces it writes and what it can do, read from the files' headers."""
    kinds = {}
    for name, where in catalog.items():
        try:
            kinds[name] = header(where)
        except MelodyError:
            kinds[name] = {"kind": "abc", "voices": [], "accompanies": False}
    return kinds


def _midi_of(body: dict) -> bytes:
    import base64
    import binascii

    value = body.get("midi")
    try:
        data = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except binascii.Error:
        data = b""
    if not data.startswith(b"MThd"):
        raise RequestError("midi must be a MIDI file, base64-encoded")
    return data


def _score_of_midi(data: bytes):
    """A Score read from MIDI bytes as `melody` reads a .mid file."""
    try:
        return read_midi_bytes(data)
    except MelodyError as error:
        raise RequestError(error.message) from None


def _export_midi(data: bytes, kind: str):
    """A MIDI piece as .mid (its own bytes) or .wav (rendered as `melody play --wav` renders it);
    .abc and .musicxml come from its ABC."""
    score = _score_of_midi(data)
    if kind == "mid":
        return data, score, None
    if kind != "wav":
        raise RequestError(f"a MIDI piece exports as .mid or .wav here, not .{kind}")
    return wav_of(score, WAV_RATE), score, None


def _sample_config(body: dict) -> SampleConfig:
    """A SampleConfig from the page's fields, within the studio's caps. For MIDI models, a primer
    or a melody to accompany comes as an uploaded MIDI file (base64)."""
    primer = body.get("primer") or None
    if primer is not None and not isinstance(primer, str):
        raise RequestError("primer must be ABC text")
    primer_score = _score_of_midi(_midi_of({"midi": body["primer_midi"]})) if body.get("primer_midi") else None
    accompany = _score_of_midi(_midi_of({"midi": body["accompany_midi"]})) if body.get("accompany_midi") else None
    tracks = body.get("tracks") or None
    if tracks is not None and not (isinstance(tracks, list) and all(isinstance(t, str) for t in tracks)):
        raise RequestError("tracks must be a list of track names")
    try:
        return SampleConfig(
            count=_field(body, "count", default=1),
            temperature=_field(body, "temperature"),
            top_p=_field(body, "top_p"),
            max_tokens=_field(body, "max_tokens"),
            seed=_field(body, "seed"),
            primer=primer,
            key=_text(body, "key"),
            meter=_text(body, "meter"),
            tune_type=_text(body, "type"),
            form=_text(body, "form"),
            primer_score=primer_score,
            accompany=accompany,
            tracks=tuple(tracks) if tracks else None,
            tempo=_field(body, "tempo"),
        )
    except ConfigError as error:
        raise RequestError(error.message) from None


def _export(abc: str, kind: str):
    """One tune's ABC as a file of `kind`, written as `melody convert` and `melody play --wav` do;
    also its Score and title."""
    return exported(abc, f".{kind}", WAV_RATE)


async def _event_stream(job, request: Request):
    """The job's events as server-sent events, until it is done or the page goes away. Each event
    carries its index as id, so a reconnecting page resumes where it left off."""
    last = request.headers.get("last-event-id", "")
    sent = int(last) + 1 if last.isdigit() else 0
    while True:
        if sent >= len(job.events):
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.05)
            continue
        event, data = job.events[sent]
        yield f"id: {sent}\nevent: {event}\ndata: {json.dumps(data)}\n\n"
        sent += 1
        if event in ("done", "failed"):
            return


class _SecurityHeaders:
    """Adds the content-security policy and no-sniffing to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
