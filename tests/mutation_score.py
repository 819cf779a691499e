"""Per-module score of the last ``mutmut run`` (``make mutation``): killed (timeouts count as
killed: the tests stopped the mutant) over all mutants, and the survivors to look at. Exits
non-zero when a module is under ``THRESHOLD``."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict

THRESHOLD = 0.95
_LINE = re.compile(r"^\s*(?P<module>[\w.]+?)\.x.*?: (?P<status>[\w ]+)$")


def main() -> int:
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for line in listing.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        status = match["status"].strip()
        counts[match["module"]][status] += 1
        if status not in ("killed", "timeout"):
            survivors.append(line.strip())
    failing = []
    for module, count in sorted(counts.items()):
        total = sum(count.values())
        killed = count["killed"] + count["timeout"]
        score = killed / total
        print(f"{module:45} {killed:4}/{total:<4} {score:6.1%}")
        if score < THRESHOLD:
            failing.append(module)
    for survivor in survivors:
        print(f"  {survivor}   (mutmut show {survivor.split(':')[0]})")
    if failing:
        print(f"under {THRESHOLD:.0%}: {', '.join(failing)}")
    return 1 if failing or not counts else 0


if __name__ == "__main__":
    sys.exit(main())
