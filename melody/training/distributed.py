"""Several processes (GPUs or CPU cores, one or many machines) training one model with PyTorch's
DistributedDataParallel. torchrun sets WORLD_SIZE/RANK/LOCAL_RANK; without them nothing changes."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def start(device_name: str) -> tuple[int, int, str]:
    """Join the process group if torchrun started us. Returns (rank, world size, device name)."""
    world = world_size()
    if world <= 1:
        return 0, 1, device_name
    use_cuda = device_name != "cpu" and torch.cuda.is_available()
    if use_cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device_name = f"cuda:{local}"
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return dist.get_rank(), world, device_name


def stop() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
