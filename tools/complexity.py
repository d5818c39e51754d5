"""Longest functions and branch points per function, for a package's source.

Branch points are counted the way McCabe counts decisions: ``if``/``elif``, conditional
expressions, ``for``/``while`` (and their comprehension forms), ``except`` clauses, ``match``
cases, ``assert``, and each extra operand of ``and``/``or``. Nested functions count on their
own, not in their parent.

    .venv/bin/python tools/complexity.py services/enrich/src/newswire_enrich
    .venv/bin/python tools/complexity.py services/enrich/src/newswire_enrich --top 15 --json
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DECISIONS = (
    ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.match_case,
    ast.Assert,
)  # fmt: skip


@dataclass(frozen=True)
class FunctionSize:
    """One function: where it is, its length in lines and its branch points."""

    name: str
    path: str
    line: int
    lines: int
    branches: int


def _branches(node: ast.AST) -> int:
    """Branch points inside `node`, not descending into nested functions or classes."""
    count = 0
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (*_FUNCTIONS, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(child, _DECISIONS):
            count += 1
        elif isinstance(child, ast.comprehension):
            count += 1 + len(child.ifs)
        elif isinstance(child, ast.BoolOp):
            count += len(child.values) - 1
        count += _branches(child)
    return count


def measure(root: Path) -> list[FunctionSize]:
    """Every function and method under `root` (a file or a folder of ``*.py``)."""
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    sizes: list[FunctionSize] = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, _FUNCTIONS):
                end = node.end_lineno or node.lineno
                sizes.append(
                    FunctionSize(
                        name=node.name,
                        path=path.as_posix(),
                        line=node.lineno,
                        lines=end - node.lineno + 1,
                        branches=_branches(node),
                    )
                )
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Print the summary and the top functions by branch points and by length."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", type=Path, help="a package folder or a .py file")
    ap.add_argument("--top", type=int, default=10, help="functions listed per ranking (10)")
    ap.add_argument("--threshold", type=int, default=20, help="branch points that count (20)")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    sizes = measure(args.root)
    by_branches = sorted(sizes, key=lambda f: (-f.branches, -f.lines))[: args.top]
    by_lines = sorted(sizes, key=lambda f: (-f.lines, -f.branches))[: args.top]
    over = sum(1 for f in sizes if f.branches >= args.threshold)
    if args.json:
        report = {
            "functions": len(sizes),
            f"with_{args.threshold}_or_more_branches": over,
            "by_branches": [asdict(f) for f in by_branches],
            "by_lines": [asdict(f) for f in by_lines],
        }
        print(json.dumps(report, indent=2))
        return 0
    print(f"{len(sizes)} functions, {over} with {args.threshold} or more branch points")
    for title, ranking in (("most branch points", by_branches), ("longest", by_lines)):
        print(f"\n{title}:")
        for f in ranking:
            print(f"  {f.branches:>4} branches  {f.lines:>4} lines  {f.name}  {f.path}:{f.line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
