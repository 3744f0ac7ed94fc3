"""What a corpus of MIDI (or MusicXML) files holds, file by file: the figures `melody corpus` shows
before anyone trains on it — tracks with their roles, how well the notes fit a grid, the meter and
the key as declared and as found, tempi, and what will be skipped and why."""

from __future__ import annotations

from collections import Counter

from melody.formats.midi_grid import FITS_GRID
from melody.music.score import Score, pitch_name


def track_rows(score: Score) -> list[dict]:
    """One row per voice: name, program, notes, range, role and what decided it (music/roles.py)."""
    from melody.music.roles import voice_roles_and_evidence

    roles = voice_roles_and_evidence(score)
    rows = []
    for voice in range(score.voices):
        pitches = [n.pitch for n in score.notes if n.voice == voice]
        drum = score.is_drum(voice)
        rows.append(
            {
                "name": score.voice_name(voice) or f"voice {voice + 1}",
                "program": "drums" if drum else score.programs[voice],
                "notes": len(pitches),
                "range": f"{pitch_name(min(pitches))}-{pitch_name(max(pitches))}" if pitches and not drum else "",
                "role": roles[voice][0],
                "role_from": roles[voice][1],
            }
        )
    return rows


def file_row(source: str, score: Score) -> dict:
    reading = score.reading or {}
    return {
        "file": source,
        "tracks": track_rows(score),
        "grid_fit": reading.get("grid_fit"),
        "on_grid": reading.get("grid_fit") is None or reading["grid_fit"] >= FITS_GRID,
        "lead_in_beats": reading.get("lead_in"),
        # where the first bar line falls in the file, in beats: the lead-in taken off, then the pickup
        "first_bar_line_beats": round((reading.get("lead_in") or 0.0) + score.pickup, 3),
        "meter_declared": reading.get("meter_declared"),
        "meter_found": reading.get("meter_found") or f"{score.meter[0]}/{score.meter[1]}",
        "meter_evidence": reading.get("meter_evidence"),
        "key_declared": reading.get("key_declared"),
        "key_found": score.key,
        "key_evidence": reading.get("key_evidence"),
        "tempo_range": reading.get("tempo_range") or [score.tempo, score.tempo],
        "dropped": dict(score.dropped),
    }


def score_corpus_report(pieces: list[Score], sources: list[str], failed: list[tuple[str, str]]) -> dict:
    """Per-file rows and a summary: tracks per file, roles, meters found, grid fit, the tokenizer
    `--tokenizer auto` would choose, and whether `--tokenizer abc` (the melody alone) would suit."""
    rows = [file_row(source, score) for source, score in zip(sources, pieces)]
    off_grid = [row["file"] for row in rows if not row["on_grid"]]
    changed = sum(1 for r in rows if r["meter_declared"] and r["meter_declared"] != r["meter_found"])
    rekeyed = sum(1 for r in rows if r["key_declared"] and r["key_declared"] != r["key_found"])
    melodies = sum(any(t["role"] == "melody" for t in r["tracks"]) for r in rows)
    summary = {
        "files": len(rows) + len(failed),
        "read": len(rows),
        "tracks_per_file": dict(sorted(Counter(len(r["tracks"]) for r in rows).items())),
        "layouts": dict(Counter(" ".join(t["role"] for t in r["tracks"]) for r in rows).most_common(5)),
        "meters_found": dict(Counter(r["meter_found"] for r in rows).most_common(8)),
        "meters_corrected": changed,
        "keys_found": dict(Counter(r["key_found"] for r in rows).most_common(8)),
        "keys_declared": sum(1 for r in rows if r["key_declared"]),
        "keys_corrected": rekeyed,
        "on_grid": len(rows) - len(off_grid),
        "off_grid": off_grid,
        "tokenizer_auto": "performance" if len(off_grid) > len(rows) / 2 else "midi",
        "skipped": [{"file": f, "reason": r} for f, r in failed],
    }
    if rows and melodies == len(rows) and all(len(r["tracks"]) == 1 for r in rows):
        summary["advice"] = "every file is one melody: --tokenizer abc learns it as a tune"
    elif rows and melodies >= 0.9 * len(rows):
        summary["advice"] = "--tokenizer abc would learn the melody track alone (a tune, as ABC)"
    return {"files": rows, "summary": summary}
