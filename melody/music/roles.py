"""What each voice of a piece does: melody, chords, bass, drums or other.

Decided as a musician reading a song's track list would: first by what the track is called (in the
languages people name tracks in, a name's words matched inside longer names: "Lead Vox", "MELODY 2",
"Bajo eléctrico"); then by its General MIDI sound (the percussion channel, a bass program, a lead
or pad synth); only then from the notes: a voice that mostly plays several notes at once is chords,
and of the voices that play one note at a time the highest is the melody and the lowest, when it
lies low or under a melody, the bass, unless a name already took that role. The event tokenizer
names each voice's role in its header, and the sampler keeps each voice in its role's register.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import numpy as np

from melody.music.score import Score

ROLES = ("melody", "chords", "other", "bass", "drums")  # also the order the event tokenizer writes voices in
CHORDS_FROM = 0.3  # share of a voice's notes that sound over the one before: chords
PLAYED_OVERLAP = 0.1  # beats: a played line's notes overlap by a little (legato); chords by much more
BASS_BELOW = 55  # MIDI G3: a lone low line under no melody is a bass from here down

# Words in track names, by the role they name; the first role (in this order) with a word in the
# name wins, so "Bass Drum" is drums and "Lead Guitar" the melody. Accents are ignored.
NAMED_ROLES = {
    "drums": (
        "drum drums drumkit kit percussion perc batteria bateria batterie schlagzeug schlagwerk tambor "
        "tamburo percusion percussao snare kick hihat cymbal cymbals toms"
    ),
    "melody": (
        "melody melodies melodie melodia lead vocal vocals voice voices vox vocalist singer sing "
        "soprano sopran soprani gesang stimme canto cantus chant chanteur voz voce solo theme tune "
        "hauptstimme oberstimme cantante"
    ),
    "bass": "bass basses basso bassi bajo baixo basse bassline contrabass contrabasso kontrabass bassstimme",
    "chords": "chords chord pad pads comp accomp accompaniment begleitung akkorde acordes accordi accords rhythm",
    "other": "alto altus tenor tenore counter countermelody obbligato descant",
}
_ROLE_OF_WORD = {word: role for role, words in NAMED_ROLES.items() for word in words.split()}
# Instruments that play chords as often as lines: such a name makes a voice chords only where its
# notes do not play one line (a "Piano" track holding the bass line is the bass)
CHORD_INSTRUMENTS = set(
    "piano pianos keys keyboard keyboards guitar guitars gtr strings string organ rhodes epiano klavier "
    "pianoforte guitarra chitarra gitarre guitare orgel orgue organo harp arpa harfe".split()
)
BASS_PROGRAMS = range(32, 40)  # General MIDI: acoustic to synth bass
LEAD_PROGRAMS = range(80, 88)  # synth leads
PAD_PROGRAMS = range(88, 96)  # synth pads


def name_words(name: str) -> list[str]:
    """A track name's words, lower case, accents and digits gone: "Bajo Eléctrico 2" -> bajo, electrico."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z]+", plain)


def role_of_name(name: str) -> str | None:
    """The role a track's name gives it, or None when none of its words names one."""
    found = {_ROLE_OF_WORD[word] for word in name_words(name) if word in _ROLE_OF_WORD}
    return next((role for role in NAMED_ROLES if role in found), None)


def voice_roles(score: Score) -> tuple[str, ...]:
    """One role per voice of `score.programs` (a voice without notes: "other"); `Score.roles` keeps it."""
    return tuple(role for role, _evidence in voice_roles_and_evidence(score))


def voice_roles_and_evidence(score: Score) -> tuple[tuple[str, str], ...]:
    """(role, what decided it: "channel 10", "name", "program", "name and notes" or "notes") per voice."""
    decided = {voice: _declared_role(score, voice) for voice in range(score.voices)}
    by_name = [found for found in decided.values() if found is not None and found[1] == "name"]
    if score.voices > 1 and len(by_name) == score.voices and len({role for role, _ in by_name}) == 1:
        # every track called the same ("voice 1", "voice 2" ...): the names number tracks, not roles
        decided = {voice: _declared_role(score, voice, names=False) for voice in range(score.voices)}
    taken = {found[0] for found in decided.values() if found is not None}
    lines = []  # (median pitch, voice) of undecided voices that play one note at a time
    medians = {v: m for v, m in score.table.voice_medians().items() if not score.is_drum(v)}
    table = score.table
    for voice in range(score.voices):
        if decided[voice] is not None:
            continue
        decided[voice] = ("other", "notes")
        if voice not in medians:
            continue
        mine = table.voice == voice
        starts, ends = table.start[mine], table.end[mine]
        overlapping = int((starts[1:] < ends[:-1] - PLAYED_OVERLAP).sum())
        if overlapping > CHORDS_FROM * starts.size:
            instrument = CHORD_INSTRUMENTS.intersection(name_words(score.voice_name(voice)))
            decided[voice] = ("chords", "name and notes" if instrument else "notes")
        else:
            lines.append((medians[voice], voice))
    lines.sort()
    lowest = min(medians.values(), default=0.0) + 1e-9
    if lines and "melody" not in taken:
        high, voice = lines.pop()
        decided[voice] = ("melody", "notes")
        if not lines and "bass" not in taken and len(medians) > 1 and high < min(lowest, BASS_BELOW):
            decided[voice] = ("bass", "notes")  # a lone low line under the other voices
        elif lines and "bass" not in taken:
            decided[lines[0][1]] = ("bass", "notes")
    elif lines and "bass" not in taken and lines[0][0] < lowest:  # under the named melody and all else
        decided[lines[0][1]] = ("bass", "notes")
    return tuple(decided[voice] for voice in range(score.voices))


def _declared_role(score: Score, voice: int, names: bool = True) -> tuple[str, str] | None:
    """A voice's role from what its file says of it (channel, name, program), or None."""
    program = score.programs[voice] if voice < len(score.programs) else 0
    named = role_of_name(score.voice_name(voice)) if names else None
    if score.is_drum(voice):
        return "drums", "channel 10"
    if named is not None:
        return named, "name"
    if program in BASS_PROGRAMS:
        return "bass", "program"
    if program in LEAD_PROGRAMS or program in PAD_PROGRAMS:
        return ("melody" if program in LEAD_PROGRAMS else "chords"), "program"
    return None


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
