"""What a face builds a sampling request from: `SampleConfig` and its tempo bounds (apart from the
package's front door, so `import melody` loads no numpy)."""

from melody.sampling.config import MAX_TEMPO, MIN_TEMPO, SampleConfig

__all__ = ["MAX_TEMPO", "MIN_TEMPO", "SampleConfig"]
