"""Terminal output for the CLI: rich progress bars and messages on stderr, JSON on stdout."""

from __future__ import annotations

import json
import math
import sys
import time
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

err = Console(stderr=True, highlight=False)


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    err.print(message)


def show(result) -> None:
    """A command's result (its pieces, its table) on stdout, where a pipe or a file gets it: lines
    are never wrapped or cut to the terminal's width there. Messages and progress stay on stderr."""
    piped = not sys.stdout.isatty()
    Console(highlight=False, soft_wrap=True, width=200 if piped else None).print(result)


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
        plain = _PlainLines()

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if plain.due(final=done == total):  # a log file hears how far reading has got
                err.print(f"{description}: {done} of {total}")

        yield update


class _PlainLines:
    """When stderr is not a terminal (a log file, CI), the bar draws nothing until the end: a plain
    line every `every` seconds instead (and a final one, for work that took that long)."""

    def __init__(self, every: float = 30.0):
        self.active = not err.is_terminal
        self.every = every
        self.last = time.monotonic()
        self.spoke = False

    def due(self, final: bool = False) -> bool:
        if not self.active:
            return False
        now = time.monotonic()
        if (final and self.spoke) or now - self.last >= self.every:
            self.last, self.spoke = now, True
            return True
        return False


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
        plain, plan = _PlainLines(), {}

        def on_event(event: dict) -> None:
            if event["kind"] == "start":
                plan.update(event)
                bar.console.print(
                    f"one epoch: {event['steps_per_epoch']} steps of {event['tokens_per_step']} tokens "
                    f"({event['train_tokens']:,} training tokens)"
                )
            elif event["kind"] == "step":
                info = (
                    f"step {event['step']} train {event['loss'] / math.log(2):.3f} bits/token "
                    f"|g| {event['grad_norm']:.2f} {event['tokens_per_second']:.0f} tok/s"
                )
                bar.update(task, completed=int(1000 * event["fraction"]), info=info)
                if plan and not plan.get("estimated"):
                    plan["estimated"] = True
                    bar.console.print(_epoch_estimate(plan, event["tokens_per_second"]))
                if plain.due():
                    bar.console.print(f"epoch {event['epoch']} {info} ({event['fraction']:.0%})")
            elif event["kind"] == "eval" and event["val_bits_per_token"] is not None:
                epoch = f"epoch {event['epoch']} " if "epoch" in event else ""
                bar.console.print(
                    f"{epoch}step {event['step']}: validation {event['val_bits_per_token']:.4f} bits/token"
                )
            elif event["kind"] == "warning":
                bar.console.print(f"[yellow]warning:[/] {event['message']}")

        yield on_event


def _epoch_estimate(plan: dict, tokens_per_second: float) -> str:
    """How long one epoch takes at the speed just measured, and how much of one this run covers."""
    seconds = plan["steps_per_epoch"] * plan["tokens_per_step"] / max(tokens_per_second, 1e-9)
    line = f"measured {tokens_per_second:,.0f} tokens/s: one epoch takes about {seconds / 60:.1f} min"
    if plan.get("max_minutes"):
        epochs = 60 * plan["max_minutes"] / seconds
        line += f"; --max-minutes {plan['max_minutes']:g} covers about {epochs:.1f} epochs"
        if epochs < 1:
            line += " [yellow](less than one: not every piece will be seen)[/]"
    return line
