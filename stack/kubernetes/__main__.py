"""`python -m stack.kubernetes`: write deploy/kubernetes/ (or, with --check, say what differs);
`python -m stack.kubernetes dev-secrets`: write the dev overlay's secret files where missing."""

from __future__ import annotations

import argparse
import sys

from stack.kubernetes import dev_secrets, layout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack.kubernetes", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["manifests", "dev-secrets"], default="manifests")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the files differ")
    parser.add_argument("--root", type=layout.Path, default=layout.ROOT, help="deploy/kubernetes by default")
    args = parser.parse_args(argv)
    if args.command == "dev-secrets":
        for path in dev_secrets.write(args.root / "overlays" / "dev" / "secrets"):
            print(f"wrote {path}")
        return 0
    if args.check:
        problems = layout.differences(args.root)
        for problem in problems:
            print(problem)
        if problems:
            print("deploy/kubernetes/ is not what the generator makes: run `make manifests`", file=sys.stderr)
        return 1 if problems else 0
    for path in layout.write(args.root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
