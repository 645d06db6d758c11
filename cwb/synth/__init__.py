"""Synthetic datasets of any size, for tests and the benchmark (``cwb synth``).

Not a pipeline stage: it writes dataset folders that the stages read.

- ``sampling``: random draws and the skill vocabulary of synthetic rows.
- ``geography``: sites, clusters, areas and postcodes of a synthetic place.
- ``generate``: the tables, written in any format.
- ``national``: a national dataset over England's towns, written in GeoParquet chunks.
"""

from cwb.synth.generate import SynthResult, synth_dataset, synth_tables, write_synth

__all__ = [
    "SynthResult",
    "synth_dataset",
    "synth_tables",
    "write_synth",
]
