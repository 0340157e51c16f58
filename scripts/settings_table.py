"""Write the table of every `ZKCREDITS_*` setting into docs/operations.md, or check it.

    .venv/bin/python scripts/settings_table.py          # rewrite the block between the markers
    .venv/bin/python scripts/settings_table.py --check  # exit 1 naming each drifted variable

The table comes from the settings classes (`prover.settings_doc`); every field needs a
description. `tests/prover/test_settings_doc.py` runs the same check.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prover.settings_doc import drift, missing_descriptions, settings_table, with_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def main(argv: list[str]) -> int:
    missing = missing_descriptions()
    if missing:
        print(f"fields without a description: {', '.join(missing)}", file=sys.stderr)
        return 1
    text = DOC.read_text()
    if "--check" in argv:
        drifted = drift(text)
        if drifted:
            print(f"docs/operations.md differs from the classes: {', '.join(drifted)}")
            print("run: .venv/bin/python scripts/settings_table.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(with_table(text, settings_table()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
