"""What a face builds a sampling request from: `SampleConfig` and the limits of its numeric fields
(apart from the package's front door, so `import melody` loads no numpy)."""

from melody.sampling.config import SampleConfig, number_fields

__all__ = ["SampleConfig", "number_fields"]
