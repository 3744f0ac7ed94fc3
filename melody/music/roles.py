"""What each voice of a piece does: melody, chords, bass, drums or other.

A guess from the notes, as a musician glancing at a song's tracks would make it: drums are the
percussion channel; a voice that mostly plays several notes at once is chords; of the voices that
play one note at a time the highest is the melody and the lowest, when it lies low or under a
melody, the bass. The event tokenizer names each voice's role in its header, so the model knows
which line carries the tune, and the sampler keeps each voice in its role's register.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from melody.music.score import Score

ROLES = ("melody", "chords", "other", "bass", "drums")  # also the order the event tokenizer writes voices in
CHORDS_FROM = 0.3  # share of a voice's notes that sound over the one before: chords
PLAYED_OVERLAP = 0.1  # beats: a played line's notes overlap by a little (legato); chords by much more
BASS_BELOW = 55  # MIDI G3: a lone low line under no melody is a bass from here down


def voice_roles(score: Score) -> tuple[str, ...]:
    """One role per voice of `score.programs` (a voice without notes: "other"); `Score.roles` keeps it."""
    roles = ["other"] * score.voices
    lines = []  # (median pitch, voice) of voices that play one note at a time
    medians, all_medians = {}, score.table.voice_medians()  # of the pitched voices; of all
    table = score.table
    for voice in range(score.voices):
        if score.is_drum(voice):
            roles[voice] = "drums"
            continue
        if voice not in all_medians:
            continue
        medians[voice] = all_medians[voice]
        mine = table.voice == voice
        starts, ends = table.start[mine], table.end[mine]
        overlapping = int((starts[1:] < ends[:-1] - PLAYED_OVERLAP).sum())
        if overlapping > CHORDS_FROM * starts.size:
            roles[voice] = "chords"
        else:
            lines.append((medians[voice], voice))
    lines.sort()
    if lines:
        roles[lines[-1][1]] = "melody"
    if len(lines) > 1:
        roles[lines[0][1]] = "bass"
    elif lines and len(medians) > 1 and medians[lines[0][1]] < min(medians.values()) + 1e-9:
        roles[lines[0][1]] = "bass" if lines[0][0] < BASS_BELOW else "melody"
    return tuple(roles)


def by_role(score: Score) -> Score:
    """The same score with its voices renumbered in role order (melody first, drums last; the higher
    voice first within a role), so every piece of a corpus lists its voices alike."""
    roles = score.roles
    medians = score.table.voice_medians()
    heights = {v: medians.get(v, 0.0) for v in range(score.voices)}
    order = sorted(range(score.voices), key=lambda v: (ROLES.index(roles[v]), -heights[v], v))
    if order == list(range(score.voices)):
        return score
    arranged = _voices_taken(score, order)
    arranged.__dict__["roles"] = tuple(roles[v] for v in order)  # Score.roles' cache: the same voices, renumbered
    return arranged


def melody_voice(score: Score) -> Score:
    """The voice whose role is the melody, alone as voice 0 (else `Score.melody()`'s guess): what an
    ABC model learns of a MIDI file, and what --accompany plays."""
    if score.voices == 1:
        return score
    try:
        return keep_tracks(score, ("melody",))
    except ValueError:
        return score.melody()


def keep_tracks(score: Score, wanted: tuple[str, ...]) -> Score:
    """Only the voices named in `wanted` by track name or by role (any case): `--tracks melody,piano`.
    Raises ValueError when none is left."""
    wanted_lower = {w.strip().lower() for w in wanted if w.strip()}
    roles = score.roles
    kept = [v for v in range(score.voices) if score.voice_name(v).lower() in wanted_lower or roles[v] in wanted_lower]
    if not kept:
        raise ValueError(f"no track named or playing {', '.join(sorted(wanted_lower))}")
    return _voices_taken(score, kept)


def _voices_taken(score: Score, voices: list[int]) -> Score:
    """The score with only `voices`, renumbered in that order, their names, programs and drum flags kept."""
    table = score.table
    new = np.full(max(voices + [score.voices, int(table.voice.max(initial=0))]) + 1, -1)
    new[voices] = np.arange(len(voices))
    numbers = new[table.voice]

    def pick(values: tuple, default):
        return tuple(values[v] if v < len(values) else default for v in voices) if values else values

    return replace(
        score,
        notes=table.taken(numbers >= 0, voice=numbers),
        programs=pick(score.programs, 0),
        names=pick(score.names, ""),
        drums=pick(score.drums, False),
    )
