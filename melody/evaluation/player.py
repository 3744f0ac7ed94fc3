"""The report page's play button: a tune's notes in seconds, and a few lines of WebAudio that play
them with a soft triangle tone. Inline, so the page needs nothing from elsewhere."""

from __future__ import annotations

from melody.formats.abc.lexer import tune_tokens
from melody.formats.abc.player import tokens_to_score
from melody.formats.abc.syntax import LexError
from melody.formats.abc.text import normalize_tune

PLAYER_SCRIPT = """
let audio = null, playing = [];
function stop() { playing.forEach(o => { try { o.stop(); } catch (e) {} }); playing = []; }
document.querySelectorAll('button.play').forEach(button => button.addEventListener('click', () => {
  audio = audio || new AudioContext();
  stop();
  const start = audio.currentTime + 0.05;
  for (const [at, length, pitch] of JSON.parse(button.dataset.notes)) {
    const tone = audio.createOscillator(), gain = audio.createGain();
    tone.type = 'triangle';
    tone.frequency.value = 440 * Math.pow(2, (pitch - 69) / 12);
    gain.gain.setValueAtTime(0, start + at);
    gain.gain.linearRampToValueAtTime(0.2, start + at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.001, start + at + Math.max(length, 0.05));
    tone.connect(gain).connect(audio.destination);
    tone.start(start + at);
    tone.stop(start + at + length + 0.05);
    playing.push(tone);
  }
}));
"""


def tune_notes(abc: str) -> list[list[float]]:
    """[start seconds, length seconds, MIDI pitch] of each note of a tune, repeats played out;
    empty when the tune cannot be read."""
    canonical, _reason = normalize_tune(abc.split("\n", 1)[1] if abc.startswith("X:") else abc)
    if canonical is None:
        return []
    try:
        score = tokens_to_score(tune_tokens(canonical))
    except LexError:
        return []
    seconds = 60.0 / score.tempo
    return [[round(n.start * seconds, 3), round(n.duration * seconds, 3), n.pitch] for n in score.notes]
