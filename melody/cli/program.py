"""The `melody` command: flags map onto the library's configs; errors are caught here, once."""

from __future__ import annotations

import argparse
import re
import sys
import textwrap

from melody import __version__
from melody.errors import MelodyError, did_you_mean
from melody.network.config import CELL_NAMES, ModelConfig
from melody.sampling.config import number_fields
from melody.training.config import PRECISIONS, SAVE_DTYPES, SCHEDULES, TrainConfig

EXAMPLES = {
    "generate": """
        melody generate -n 4                         4 folk tunes from the shipped model into outputs/
        melody generate --type jig --key Dmix --title "Morning Jig" --seed 3
        melody generate -n 10 --type reel            ten reels, in the books' forms: AABB or AB of 8 bars
        melody generate --type jig --form AABBCC --part-bars 8
        melody generate --model runs/mine --primer-file start.abc --temperature 0.8 --top-p 0.95
        melody generate --model runs/songs --accompany tune.mid -n 2
        melody generate -n 8 --seed 7 --out /tmp/x --json   machine-readable list of files
        melody generate -n 3 --preview               see and hear what came out""",
    "train": """
        melody train folk --out runs/folk --max-minutes 30        the built-in folk collections
        melody train ~/tunes/ --out runs/mine --epochs 10 --hidden-size 256
        melody train ~/tunes/ --resume runs/mine --max-minutes 60  carry on where it stopped
        melody train ~/tunes/ --init-from folk --out runs/fine --max-minutes 10  fine-tune the shipped model""",
    "evaluate": """
        melody evaluate folk                            the shipped model on folk's held-out tunes
        melody evaluate folk --samples 200 --json       also judge 200 generated tunes
        melody evaluate folk --samples 50 --html report.html   the same as a web page to keep
        melody evaluate runs/mine ~/tunes/""",
    "vary": """
        melody vary outputs/tune-1-in-d.abc --bars 5-8 -n 4     bars 5-8 written again, four ways
        melody vary book.abc --tune 3 --bars 1-2 --model runs/mine --seed 1""",
    "play": """
        melody play outputs/tune-1-in-g.mid                     piano roll, then play (or write a .wav)
        melody play tune.abc --no-audio --wav tune.wav          render only, no sound device needed
        melody play tune.mid --renderer sine                     without FluidSynth""",
    "convert": """
        melody convert tune.abc tune.mid             ABC -> MIDI (repeats played out)
        melody convert song.mid song.abc             MIDI -> readable ABC, one V: block per voice
        melody convert book.abc --tune 3 t3.musicxml for MuseScore""",
    "serve": """
        melody serve                                 the studio at http://127.0.0.1:8000
        melody serve --port 8080 --models runs/      also offer every run folder under runs/""",
    "corpus": """
        melody corpus folk
        melody corpus ~/tunes/ --json""",
}


class Parser(argparse.ArgumentParser):
    """argparse that suggests the closest command or flag when one is mistyped."""

    def error(self, message: str):
        match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if match:
            choices = re.findall(r"'?([\w-]+)'?", match.group(2))
            message += did_you_mean(match.group(1), choices)
        super().error(message)


def _unknown_flags(parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]) -> None:
    """A mistyped flag: the command's own usage line and the closest flag it has (argparse alone
    answers with the top-level usage and no hint)."""
    sub = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    command = sub.choices[args.command]
    flags = [flag for action in command._actions for flag in action.option_strings]
    unknown = [extra for extra in extras if extra.startswith("-")] or extras
    hints = [f"{extra}{did_you_mean(extra.split('=')[0], flags)}" for extra in unknown]
    command.error("unrecognized arguments: " + ", ".join(hints))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="melody", description="Learn and write music with recurrent networks.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"melody {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        epilog = "examples:" + textwrap.indent(textwrap.dedent(EXAMPLES.get(name, "")), "  ")
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
        return sub

    gen = command("generate", "sample new pieces from a model into .abc and .mid files")
    gen.add_argument("--model", default=None, help="model file, run folder or shipped name (default: folk)")
    numbers = number_fields()  # SampleConfig's limits and words, written once

    def number(*flags: str, name: str) -> None:
        limits = numbers[name]
        gen.add_argument(*flags, dest=name, type=limits["type"], default=limits["default"], help=limits["help"])

    number("-n", "--count", name="count")
    gen.add_argument("--out", default="outputs", help="output folder (default: outputs/)")
    gen.add_argument("--force", action="store_true", help="overwrite files that exist")
    number("--seed", name="seed")
    number("--temperature", name="temperature")
    number("--top-k", name="top_k")
    number("--top-p", name="top_p")
    number("--max-tokens", name="max_tokens")
    gen.add_argument("--primer", default=None, help="ABC text the pieces start with (\\n for a new line)")
    gen.add_argument("--primer-file", default=None, help="file whose ABC the pieces start with")
    gen.add_argument(
        "--accompany",
        default=None,
        metavar="FILE",
        help="MIDI event models: a melody (.mid, .abc, .musicxml) played note for note; the model writes the rest",
    )
    gen.add_argument(
        "--tracks",
        default=None,
        metavar="NAMES",
        help="MIDI event models: the corpus's tracks to write, by name or role, e.g. melody,bass (default: all)",
    )
    number("--tempo", name="tempo")
    gen.add_argument("--key", default=None, help="K: field, e.g. G, Dmix, Em")
    gen.add_argument("--meter", default=None, help="M: field, e.g. 6/8")
    gen.add_argument("--title", default=None, help="T: field (default: the model's own)")
    gen.add_argument(
        "--type", dest="tune_type", default=None, help="tune type (R:), e.g. reel, jig, hornpipe, polka, waltz, song"
    )
    gen.add_argument(
        "--form",
        default=None,
        help="parts: AABB, AB, AABBCC, ABAC...; free: none (default: the forms of its type's books; AABB for dances)",
    )
    number("--part-bars", name="part_bars")
    gen.add_argument(
        "--cadence",
        default=None,
        choices=["tonic", "free"],
        help="tonic: each part and the tune end on the tonic (default with a form, songs aside)",
    )
    gen.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    gen.add_argument(
        "--preview",
        action="store_true",
        help="afterwards: a table of the pieces, the first one's piano roll, a .wav beside each .mid",
    )

    tr = command("train", "train a model on a built-in corpus or your own ABC files")
    tr.add_argument("corpus", nargs="*", help="files, folders or built-in names (folk)")
    tr.add_argument("--out", default=None, help="run folder (default: runs/<corpus>)")
    tr.add_argument(
        "--resume",
        default=None,
        metavar="RUN_DIR",
        help="carry on from a run folder (its corpus, unless you name one; --max-minutes then means minutes more)",
    )
    tr.add_argument("--force", action="store_true", help="start anew in an --out folder that already holds a run")
    tr.add_argument(
        "--init-from",
        default=None,
        metavar="MODEL",
        help="start from a trained model's weights (fine-tune, e.g. folk on your own tunes; its sizes are kept)",
    )
    tr.add_argument(
        "--tokenizer",
        default="auto",
        choices=["auto", "char", "abc", "midi", "performance"],
        help="auto (default): abc for ABC corpora, midi for MIDI/MusicXML ones (a mix: the majority); "
        "abc: musical ABC tokens (notes, lengths, bars); char: ABC characters; midi: beat-quantized note events; "
        "performance: note-ons, note-offs and 10 ms time shifts (auto picks it when most MIDI files fit no grid)",
    )
    tr.add_argument(
        "--clean",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train only on ABC tunes whose every bar fits the meter (default; --no-clean keeps all)",
    )
    tr.add_argument("--no-decorations", action="store_true", help="abc tokenizer: drop decorations (~ . !trill!)")
    _track_flags(tr)
    tr.add_argument("--cell", default=ModelConfig.cell, choices=CELL_NAMES)
    tr.add_argument("--embed-dim", type=int, default=ModelConfig.embed_dim)
    tr.add_argument("--hidden-size", type=int, default=ModelConfig.hidden_size)
    tr.add_argument("--layers", dest="num_layers", metavar="N", type=int, default=ModelConfig.num_layers)
    tr.add_argument("--dropout", type=float, default=ModelConfig.dropout)
    tr.add_argument("--seq-len", type=int, default=TrainConfig.seq_len, help="window length for truncated BPTT")
    tr.add_argument(
        "--batch-size", type=int, default=TrainConfig.batch_size, help="rows per step (on a GPU, try 64 or more)"
    )
    tr.add_argument("--lr", type=float, default=TrainConfig.lr)
    tr.add_argument("--weight-decay", type=float, default=TrainConfig.weight_decay)
    tr.add_argument("--clip", type=float, default=TrainConfig.clip, help="gradient-norm clipping threshold")
    tr.add_argument("--warmup-steps", type=int, default=TrainConfig.warmup_steps)
    tr.add_argument("--schedule", default=TrainConfig.schedule, choices=SCHEDULES)
    tr.add_argument(
        "--epochs", type=int, default=None, help=f"default {TrainConfig.epochs} when no other limit is given"
    )
    tr.add_argument("--max-steps", type=int, default=None)
    tr.add_argument("--max-minutes", type=float, default=None)
    tr.add_argument("--val-fraction", type=float, default=0.05)
    tr.add_argument(
        "--log-every", type=int, default=TrainConfig.log_every, metavar="STEPS", help="write metrics.jsonl this often"
    )
    tr.add_argument(
        "--checkpoint-every",
        type=int,
        default=TrainConfig.checkpoint_every,
        metavar="STEPS",
        help="save a resumable checkpoint this often (also after each epoch)",
    )
    tr.add_argument(
        "--save-dtype",
        default=TrainConfig.save_dtype,
        choices=SAVE_DTYPES,
        help="dtype of the .safetensors model files (float16 halves their size)",
    )
    tr.add_argument(
        "--transpose",
        type=int,
        default=TrainConfig.transpose,
        metavar="K",
        help="midi tokenizer: shift each training piece by a random -K..K semitones per epoch",
    )
    tr.add_argument("--seed", type=int, default=TrainConfig.seed)
    tr.add_argument("--device", default=TrainConfig.device, help="auto, cpu or cuda")
    tr.add_argument(
        "--precision",
        default=TrainConfig.precision,
        choices=PRECISIONS,
        help="auto: float32 (TF32 on CUDA; measured faster than bf16 for the default model); bfloat16: autocast",
    )
    tr.add_argument("--compile", action="store_true", help="torch.compile the network (CUDA: may help)")
    tr.add_argument("--no-cache", action="store_true", help="re-read the corpus even if cached")

    ev = command("evaluate", "held-out bits per token of a model on a corpus")
    ev.add_argument("model", help="model file, run folder or shipped name")
    ev.add_argument("corpus", nargs="*", help="files, folders or built-in names (default: folk, or chorales)")
    ev.add_argument(
        "--split",
        default="auto",
        choices=["auto", "val", "all"],
        help="val: the corpus's held-out split; all: every tune; auto (default): val on the model's own "
        "training corpus, all on any other",
    )
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--samples", type=int, default=0, metavar="N", help="also generate N tunes and judge them")
    ev.add_argument("--seed", type=int, default=0, help="seed for --samples")
    ev.add_argument(
        "--clean",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="score only tunes that pass the bar checker (default: as the model was trained)",
    )
    ev.add_argument("--no-baseline", action="store_true", help="skip the character n-gram baseline")
    ev.add_argument(
        "--html", default=None, metavar="FILE", help="also write the evaluation as a web page (histograms, every tune)"
    )

    va = command("vary", "write variants of a tune with a range of bars sampled again, every other bar kept")
    va.add_argument("file", help=".abc file (its first tune, or --tune N)")
    va.add_argument("--bars", required=True, help="the bars to write again, e.g. 5-8 (the anacrusis is not a bar)")
    va.add_argument("-n", "--count", type=int, default=4, help="how many variants (default 4)")
    va.add_argument("--candidates", type=int, default=8, help="bars sampled per variant; the best is kept")
    va.add_argument("--model", default=None, help="model file, run folder or shipped name (default: folk)")
    va.add_argument("--tune", type=int, default=1, help="which tune of a multi-tune ABC file")
    va.add_argument("--seed", type=int, default=0, help="make the result repeatable")
    va.add_argument("--out", default="outputs", help="output folder (default: outputs/)")
    va.add_argument("--force", action="store_true", help="overwrite files that exist")

    pl = command("play", "hear and see a piece: render to audio and play it, or write a .wav; piano roll")
    pl.add_argument("file", nargs="?", help=".mid/.midi, .abc (first tune, or --tune N) or .musicxml")
    pl.add_argument("--port", default=None, help="stream the MIDI in real time to this MIDI output port")
    pl.add_argument("--list-ports", action="store_true", help="list MIDI output ports and exit")
    pl.add_argument("--tune", type=int, default=1, help="which tune of a multi-tune ABC file")
    pl.add_argument("--no-audio", action="store_true", help="do not play; write the .wav and say where")
    pl.add_argument("--wav", default=None, help="write the audio here (default: next to FILE)")
    pl.add_argument("--soundfont", default=None, help="General MIDI .sf2 (else $MELODY_SOUNDFONT, system, bundled)")
    pl.add_argument("--sample-rate", type=int, default=44100)
    pl.add_argument("--renderer", default="auto", choices=["auto", "fluidsynth", "sine"])
    pl.add_argument("--no-roll", action="store_true", help="do not print the piano roll")
    pl.add_argument("--png", default=None, metavar="OUT", help="write a piano-roll image (needs melody[plot])")
    pl.add_argument("--svg", default=None, metavar="OUT", help="engrave sheet music as SVG (needs melody[score])")

    sv = command("serve", "the studio: compose, see and hear tunes in the browser (needs melody[studio])")
    sv.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sv.add_argument("--models", default=None, metavar="DIR", help="also offer each run folder under DIR")
    sv.add_argument("--device", default="cpu", help="where the models run (cpu, cuda)")

    command("doctor", "what preview can use on this machine, and how to install what is missing")

    cv = command("convert", "convert between ABC, MIDI and MusicXML")
    cv.add_argument("input", help=".abc, .mid/.midi or .musicxml/.xml/.mxl")
    cv.add_argument("output", help=".abc, .mid or .musicxml")
    cv.add_argument("--tune", type=int, default=1, help="which tune of a multi-tune ABC file (default 1)")
    cv.add_argument("--force", action="store_true", help="overwrite the output if it exists")

    co = command("corpus", "what a corpus holds: pieces, characters, keys, meters, files that failed")
    co.add_argument("corpus", nargs="+", help="files, folders or built-in names")
    co.add_argument("--check", action="store_true", help="check every tune bar by bar; the clean share per file")
    _track_flags(co)
    return parser


def _track_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracks",
        default=None,
        metavar="NAMES",
        help="MIDI: keep only these tracks, by name or role (melody, chords, bass, drums, other), e.g. melody,piano",
    )
    parser.add_argument(
        "--no-drums", action="store_true", help="MIDI: drop drum tracks (kept as a drum voice by default)"
    )


def as_flags(message: str, parser: argparse.ArgumentParser, command: str) -> str:
    """The library names a config's fields in backticks (`top_k`); here they are the command's
    flags (--top-k), or its arguments by name."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    flags = {a.dest: a.option_strings[-1] for a in sub._actions if a.option_strings}
    arguments = {a.dest for a in sub._actions if not a.option_strings}

    def flag(match: re.Match) -> str:
        name = match.group(1)
        return name if name in arguments else flags.get(name, "--" + name.replace("_", "-"))

    return re.sub(r"`(\w+)`", flag, message)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        _unknown_flags(parser, args, extras)
    from melody.cli import commands, play_commands  # heavy imports (torch) only after --help has been answered

    try:
        run = getattr(commands, f"run_{args.command}", None) or getattr(play_commands, f"run_{args.command}")
        return run(args)
    except MelodyError as error:
        if args.debug:
            raise
        print(f"melody {args.command}: error: {as_flags(str(error), parser, args.command)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"melody {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
