"""Progress bars for pulls, exports and layer extraction.

Drawn on stderr, and only when stderr is a terminal: piped or captured
output (CI, --json) stays clean.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int | None, description: str) -> tqdm:
    return tqdm(
        total=total,
        desc=description,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
    )
