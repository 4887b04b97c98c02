"""The command line: each command calls one function of the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .package import PackageError


def cmd_validate(args) -> int:
    from .validate import errors, validate

    problems = validate(args.root)
    for p in problems:
        print(p.github() if args.format == "github" else p.text())
    n_err = len(errors(problems))
    if args.format == "text":
        print(
            f"{n_err} error(s), {len(problems) - n_err} warning(s)" if problems else "valid: no problems found",
            file=sys.stderr,
        )
    return 1 if n_err else 0


def cmd_build(args) -> int:
    from .pipeline import build
    from .site import SiteBuildError

    try:
        target = build(args.root, args.site_dir)
    except PackageError as e:
        for p in e.problems:
            print(p.text(), file=sys.stderr)
        print("build stopped: the data is invalid; the previous site/ is unchanged", file=sys.stderr)
        return 1
    except SiteBuildError as e:
        print(f"{e}\nbuild stopped; the previous site/ is unchanged", file=sys.stderr)
        return 1
    print(f"built {target}")
    return 0


def cmd_coverage(args) -> int:
    import json

    from .coverage import coverage, format_text
    from .derive import derive
    from .load import load
    from .validate import validated_package

    try:
        pkg = validated_package(args.root)
    except PackageError as e:
        for p in e.problems:
            print(p.text(), file=sys.stderr)
        return 1
    report = coverage(derive(pkg, load(pkg)))
    print(json.dumps(report, indent=2) if args.json else format_text(report))
    return 0


def cmd_diff(args) -> int:
    from .diff import diff, format_markdown, format_text
    from .package import open_package

    try:
        changes = diff(open_package(args.root), args.ref)
    except (PackageError, ValueError) as e:
        print(e, file=sys.stderr)
        return 2
    print(format_markdown(changes, args.ref) if args.format == "markdown" else format_text(changes, args.ref))
    return 0


def cmd_serve(args) -> int:
    from .serve import serve

    return serve(args.root, args.addr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tariff-ledger", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("."), help="the package folder (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check the Data Package: file:line:column and the fix for every problem")
    p.add_argument("--format", choices=["text", "github"], default="text")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("build", help="validate, then build the site into site/ (atomic)")
    p.add_argument("--site-dir", type=Path, default=None)
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("coverage", help="how complete the record is: rows, events per partner, gaps, sourcing")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_coverage)
    p = sub.add_parser("diff", help="rows added, removed and changed since a git revision")
    p.add_argument("ref", help="a git revision, e.g. main or v0.1.0")
    p.add_argument("--format", choices=["text", "markdown"], default="text")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser("serve", help="preview at http://127.0.0.1:8000, re-rendering on every change")
    p.add_argument("--addr", default="127.0.0.1:8000")
    p.set_defaults(func=cmd_serve)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
