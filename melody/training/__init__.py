"""Training: corpora tokenized and cached, the Trainer (truncated BPTT, clipping, schedule,
checkpoints, resume), its configuration, and torchrun process groups."""
