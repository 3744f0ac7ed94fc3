"""MIDI-path figures on the built-in `chorales` (or any corpus): ingestion speed cold and cached,
against MidiTok 3.1's REMI on the same files, and the event-token round trip on every piece.

    python bench/midi_ingest.py [CORPUS...]      # e.g. a folder made by bench/song_fixtures.py

Cold: files parsed (symusic for MIDI, music21 for MusicXML) and tokenized, cache empty, once in
this one process (MELODY_WORKERS=1) and once with worker processes. Cached: the same call again,
served from the on-disk cache. MidiTok: REMI with its default settings encoding each MIDI file in
one process (`pip install miditok`; the column is left out without it), against our one-process
cold figure; and symusic's parse alone. Round trip: each piece written as MIDI, read
back, encoded to event tokens and decoded: the notes must equal the quantized input.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time

from melody.formats.corpus import corpus_files, load_corpus
from melody.formats.midi import midi_to_score, score_to_midi_bytes
from melody.tokenizers.events import EventTokenizer
from melody.training.data import prepare_corpus


def main() -> None:
    corpus_args = sys.argv[1:] or ["chorales"]
    report = {"corpus": corpus_args, "workers": os.cpu_count()}
    with tempfile.TemporaryDirectory() as cache:
        os.environ["MELODY_CACHE"], os.environ["MELODY_WORKERS"] = cache, "1"
        start = time.perf_counter()
        prepare_corpus(corpus_args, "midi", val_fraction=0.05, use_cache=False)
        one_process_seconds = time.perf_counter() - start
        del os.environ["MELODY_WORKERS"]
        start = time.perf_counter()
        cold = prepare_corpus(corpus_args, "midi", val_fraction=0.05)
        cold_seconds = time.perf_counter() - start
        start = time.perf_counter()
        prepare_corpus(corpus_args, "midi", val_fraction=0.05)
        cached_seconds = time.perf_counter() - start
    files = cold.summary["files"]
    report |= {
        "files": files,
        "pieces": cold.summary["pieces"],
        "failed_files": len(cold.summary["failed_files"]),
        "tokens": cold.summary["train_tokens"] + cold.summary["val_tokens"],
        "cold_seconds_one_process": round(one_process_seconds, 2),
        "cold_seconds": round(cold_seconds, 2),
        "cold_files_per_second": round(files / cold_seconds, 1),
        "cached_seconds": round(cached_seconds, 3),
        "cached_files_per_second": round(files / cached_seconds, 1),
    }

    midi_files = [p for p in corpus_files(corpus_args) if p.suffix.lower() in (".mid", ".midi")]
    if midi_files:
        report |= _peers(midi_files, one_process_seconds)

    scores = load_corpus(corpus_args, kind="score").pieces
    notes = sum(len(s.notes) for s in scores)
    report["notes"] = notes
    report["cold_notes_per_second"] = round(notes / cold_seconds, 1)
    tokenizer, exact, note_errors = EventTokenizer(), 0, 0
    with tempfile.TemporaryDirectory() as folder:
        for number, score in enumerate(scores):
            path = os.path.join(folder, f"{number}.mid")
            with open(path, "wb") as handle:
                handle.write(score_to_midi_bytes(score))
            from_midi = midi_to_score(path)
            back = tokenizer.decode(tokenizer.encode(from_midi))
            expected = tokenizer.prepare(from_midi).notes
            exact += back.notes == expected
            note_errors += len(set(expected) ^ set(back.notes))
    report["round_trip_exact_pieces"] = f"{exact}/{len(scores)}"
    report["round_trip_note_differences"] = note_errors
    out = io.StringIO()
    json.dump(report, out, indent=2)
    print(out.getvalue())


def _peers(files: list, one_process_seconds: float) -> dict:
    """symusic's parse alone, and MidiTok's REMI on the same MIDI files in one process, against our
    cold reading in one process."""
    import symusic

    start = time.perf_counter()
    for path in files:
        symusic.Score(str(path))
    figures = {"midi_files": len(files), "symusic_parse_seconds": round(time.perf_counter() - start, 3)}
    try:
        from miditok import REMI, TokenizerConfig
    except ImportError:
        return figures | {"miditok_remi_seconds": "miditok not installed"}
    tokenizer = REMI(TokenizerConfig())
    start = time.perf_counter()
    for path in files:
        tokenizer.encode(path)
    seconds = time.perf_counter() - start
    return figures | {
        "miditok_remi_seconds": round(seconds, 2),
        "cold_speedup_over_miditok_one_process": round(seconds / one_process_seconds, 2),
    }


if __name__ == "__main__":
    main()
