#!/usr/bin/env python3
"""Regenerate the tables of docs/questions.md from `caseflow diff` of each question.

Usage: scripts/question-tables.py [--reuse] [CASEFLOW_BINARY]   (default target/release/caseflow)

For every section of docs/questions.md that names a question scenario
(`scenarios/questions/NAME.toml`), runs `caseflow diff scenarios/kazakhstan.toml
scenarios/questions/NAME.toml` (8 runs, master seed 1, the documented defaults) into
results/diffs/questions/NAME and rewrites the rows of the section's table (the series and
years it lists stay; the numbers come from diff.csv). `--reuse` reads diffs already there
instead of running them. The prose is left alone: reread it against the new numbers. Standard
library only.
"""
import csv
import re
import subprocess
import sys
from pathlib import Path

DOC = Path("docs/questions.md")
ROW = re.compile(r"^\| `(?P<series>[^`]+)` \| (?P<year>\d{4}) \|")


def mean(v):
    """Means: whole numbers with separators from 1,000, else three significant digits."""
    if abs(v) >= 1000:
        return f"{round(v):,}"
    return f"{v:.3g}"


def signed(v):
    """Differences: whole numbers with separators from 1,000, else four significant digits."""
    if abs(v) >= 1000:
        return f"{round(v):+,}"
    return f"{v:+.4g}"


def main():
    args = sys.argv[1:]
    reuse = "--reuse" in args
    args = [a for a in args if a != "--reuse"]
    binary = args[0] if args else "target/release/caseflow"
    lines = DOC.read_text().split("\n")
    rows = {}
    question = None
    for i, line in enumerate(lines):
        m = re.match(r"^`scenarios/questions/([a-z0-9-]+)\.toml`", line)
        if m:
            question = m.group(1)
            out = Path("results/diffs/questions") / question
            if not (reuse and (out / "diff.csv").exists()):
                subprocess.run(
                    [binary, "diff", "scenarios/kazakhstan.toml", f"scenarios/questions/{question}.toml",
                     "--out", str(out), "--force"],
                    check=True, stdout=subprocess.DEVNULL)
            with open(out / "diff.csv", newline="") as f:
                rows = {(r["series"], r["year"]): r for r in csv.DictReader(f)}
            continue
        m = ROW.match(line)
        if m and question:
            r = rows[(m.group("series"), m.group("year"))]
            base, alt = float(r["base_mean"]), float(r["alt_mean"])
            d, lo, hi = float(r["diff_mean"]), float(r["diff_lo"]), float(r["diff_hi"])
            rel = 100 * (alt / base - 1) if base != 0 else float("nan")
            change = "n/a" if base == 0 else f"{rel:+.1f}%" if abs(rel) < 10 else f"{rel:+.0f}%"
            lines[i] = (f"| `{m.group('series')}` | {m.group('year')} | {mean(base)} | {mean(alt)} | "
                        f"{signed(d)} [{signed(lo)}, {signed(hi)}] | {change} |")
    DOC.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
