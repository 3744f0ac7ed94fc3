"""One sampling step of a model on CPU: plain matmuls (F.linear) against melody's step kernels
(oneDNN-packed weights for batches above one row, see melody/network/cpu_matmul.py).

    python bench/step_kernels.py [--model folk] [--threads 1 2]

Both kernels run interleaved in one process and each figure is the best of several repeats, so
the ratio holds on a busy machine. This is what `melody/network/cpu_matmul.py` is chosen by.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from melody.network.checkpoint import load_model


def step_ms(linears, head, embed, ids, state, repeats=5, steps=30) -> float:
    """Best milliseconds per LSTM step over `repeats` runs of `steps` steps."""
    best = float("inf")
    for _ in range(repeats):
        h_all, c_all = state
        start = time.perf_counter()
        for _ in range(steps):
            x, new_h, new_c = embed(ids), [], []
            for layer, linear in enumerate(linears):
                i, f, g, o = linear(torch.cat([x, h_all[layer]], dim=1)).chunk(4, dim=1)
                c = torch.sigmoid(f) * c_all[layer] + torch.sigmoid(i) * torch.tanh(g)
                x = torch.sigmoid(o) * torch.tanh(c)
                new_h.append(x)
                new_c.append(c)
            head(x)
            h_all, c_all = torch.stack(new_h), torch.stack(new_c)
        best = min(best, (time.perf_counter() - start) / steps * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="folk")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    args = parser.parse_args()
    network = load_model(args.model, "cpu").network.eval()
    config = network.config
    packed_layers, packed_head = network.step_weights()

    def plain(linear):
        return lambda x: F.linear(x, linear.weight, linear.bias)

    plain_layers, plain_head = [plain(linear) for linear in packed_layers], plain(packed_head)
    rows = []
    with torch.no_grad():
        for threads in args.threads:
            torch.set_num_threads(threads)
            for batch in args.batches:
                ids = torch.randint(0, config.vocab_size, (batch,))
                state = (torch.zeros(config.num_layers, batch, config.hidden_size),) * 2
                plain_ms = step_ms(plain_layers, plain_head, network.embed, ids, state)
                packed_ms = step_ms(packed_layers, packed_head, network.embed, ids, state)
                rows.append(
                    {
                        "threads": threads,
                        "batch": batch,
                        "plain_ms": round(plain_ms, 3),
                        "melody_ms": round(packed_ms, 3),
                        "speed-up": round(plain_ms / packed_ms, 2),
                    }
                )
                print(json.dumps(rows[-1]))
    print(json.dumps({"model": args.model, "onednn": packed_head.packed is not None, "steps": rows}))


if __name__ == "__main__":
    main()
