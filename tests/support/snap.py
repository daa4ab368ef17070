"""SNAP activity lines built by hand, and the landing folders holding them (DIR/snap/<file>)."""

from __future__ import annotations

from pathlib import Path

JULY_1 = 1341100800  # 2012-07-01T00:00:00Z

# Day one: 20 activity lines, a comment, a blank line, one malformed line (1/21 conformable = 4.8% quarantined).
DAY_ONE = [
    "# Higgs-style activity, hand-built",
    *[
        f"{a} {b} {JULY_1 + 60 * i} {kind}"
        for i, (a, b, kind) in enumerate(
            [
                ("1", "2", "RT"),
                ("3", "2", "RT"),
                ("4", "2", "MT"),
                ("5", "2", "RE"),
                ("2", "6", "RT"),
                ("6", "2", "RT"),
                ("7", "6", "MT"),
                ("8", "9", "RT"),
                ("9", "8", "RT"),
                ("1", "3", "MT"),
                ("3", "1", "RE"),
                ("4", "5", "RT"),
                ("10", "10", "RT"),
                ("11", "2", "RT"),
                ("12", "2", "MT"),
                ("13", "6", "RT"),
                ("14", "2", "RT"),
                ("2", "14", "RE"),
                ("15", "16", "RT"),
                ("1", "2", "MT"),
            ]
        )
    ],
    "",
    "17 18 notatime RT",
]
DAY_ONE_ACCOUNTS = {str(n) for n in range(1, 17)}  # 17 and 18 are on the quarantined line

# Day two (2012-07-02): 20 -> 2, 21 -> 20, and a day-one event again (already stored): 16 + 2 accounts.
DAY_TWO = [f"20 2 {JULY_1 + 86400} RT", f"21 20 {JULY_1 + 86401} MT", DAY_ONE[1]]

# The wrong dump landed: 8 of 9 lines are not SNAP at all, far above the 5% a night may quarantine.
WRONG_DUMP = ['{"id": 1, "text": "hello"}'] * 8 + [f"1 2 {JULY_1 + 86400} RT"]


def land(folder: Path, name: str, lines: list[str]) -> Path:
    """Write `lines` as DIR/snap/<name> (the folder is created, a file of that name replaced); returns DIR."""
    (folder / "snap").mkdir(parents=True, exist_ok=True)
    (folder / "snap" / name).write_text("\n".join(lines) + "\n")
    return folder
