"""Regenerate circuits/lib/generators.circom and circuits/lib/tags.circom from the Python twin.

Run: .venv/bin/python circuits/gen_constants.py
"""

from prover.circuits.circom_constants import write_all

if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path}")
