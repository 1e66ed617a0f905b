"""Markdown cells and tables for the bench's reports (RESULTS.md, LOADTEST.md): one spelling of each."""

from __future__ import annotations

import math


def ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def times(ratio: float) -> str:
    return "n/a" if math.isnan(ratio) else f"{ratio:.2f}×"


def table(headings: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|" + "|".join("---" for _ in headings) + "|"]
    return lines + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
