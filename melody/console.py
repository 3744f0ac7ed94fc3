"""Terminal output for the CLI: rich progress bars and messages on stderr, JSON on stdout."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

err = Console(stderr=True, highlight=False)


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    err.print(message)


@contextmanager
def counting_progress(description: str):
    """A bar for work counted in items (files, pieces); yields a callback(done, total)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def training_progress():
    """A bar for training, fed by the Trainer's events: loss, tokens/s, ETA."""
    columns = (
        TextColumn("train"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("train", total=1000, info="starting")

        def on_event(event: dict) -> None:
            if event["kind"] == "step":
                info = (
                    f"step {event['step']} loss {event['loss']:.3f} "
                    f"|g| {event['grad_norm']:.2f} {event['tokens_per_second']:.0f} tok/s"
                )
                bar.update(task, completed=int(1000 * event["fraction"]), info=info)
            elif event["kind"] == "eval" and event["val_bits_per_token"] is not None:
                bar.console.print(f"step {event['step']}: validation {event['val_bits_per_token']:.4f} bits/token")
            elif event["kind"] == "warning":
                bar.console.print(f"[yellow]warning:[/] {event['message']}")

        yield on_event
