#!/usr/bin/env python3
"""One line from a libFuzzer log: `fuzz TARGET: N runs, cov C, ft F,
corpus K, E exec/s` (the final stats libFuzzer prints with
-print_final_stats=1)."""

from __future__ import annotations

import re
import sys


def summarize(name: str, text: str) -> str:
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    speed = re.findall(r"stat::average_exec_per_sec:\s*(\d+)", text)
    status = re.findall(r"#\d+\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", text)
    cov, ft, corp = status[-1] if status else ("?", "?", "?")
    return (f"fuzz {name}: {runs[-1] if runs else '?'} runs, cov {cov}, ft {ft}, "
            f"corpus {corp}, {speed[-1] if speed else '?'} exec/s")


if __name__ == "__main__":
    print(summarize(sys.argv[1], open(sys.argv[2], errors="replace").read()))
