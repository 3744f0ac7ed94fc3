"""What the page is sent of one composed or varied tune: its ABC (which abcjs engraves), the figures
shown beside it, its bar count, and for a model of scores the notes of a piano roll."""

from __future__ import annotations

import base64
import math

from melody.api.notation import written_bar_count


def tune_view(tune, number: int) -> dict:
    """`tune`: a melody.api.Tune; a varied one also says which bars were sampled again."""
    piece = tune.piece()
    score = piece.score
    kind = tune.kind
    bars = written_bar_count(piece.abc) if kind == "abc" else None
    if bars is None and score is not None:
        bars = math.ceil(score.duration / float(score.bar_beats) - 1e-9)
    view = {
        "number": number,
        "abc": piece.abc,
        "kind": kind,
        "bars": bars,
        "seconds": round(score.duration * 60 / score.tempo, 2) if score is not None else None,
        **piece.fields(),
    }
    if tune.variant is not None:
        view["varied_bars"] = list(tune.variant.span)
    if kind == "score" and score is not None:
        view["roll"] = {
            "notes": [[n.pitch, round(n.start, 4), round(n.end, 4), n.voice] for n in score.notes],
            "bar_beats": float(score.bar_beats),
        }
        view["tracks"] = [
            {"name": score.voice_name(v) or f"voice {v + 1}", "program": score.programs[v], "drums": score.is_drum(v)}
            for v in range(score.voices)
        ]
        view["midi"] = base64.b64encode(piece.midi).decode("ascii")  # downloads and audio: one track per voice
    return view
