"""`python -m prover.gateway.embedded [--host 127.0.0.1] [--port 0]`: serve the upstream."""

from __future__ import annotations

import argparse

from prover.gateway.embedded.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(description="zkcredits embedded offline upstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--overrun-tokens", type=int, default=0, help="misbehave (tests only)")
    args = parser.parse_args()
    serve(args.host, args.port, overrun_tokens=args.overrun_tokens)


if __name__ == "__main__":
    main()
