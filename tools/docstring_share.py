"""Share of a package's lines that are docstrings (module, class and function), read with ast.

    python tools/docstring_share.py [PACKAGE ...]   # default: dgm_core
"""
import ast
import sys
from pathlib import Path


def docstring_lines(source: str) -> int:
    """Lines spanned by the docstrings of a module and of every class and function in it."""
    n = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                n += first.end_lineno - first.lineno + 1
    return n


def share(package: Path) -> tuple[int, int]:
    """(docstring lines, all lines) over the package's .py files."""
    doc = total = 0
    for path in sorted(package.rglob("*.py")):
        text = path.read_text()
        doc += docstring_lines(text)
        total += len(text.splitlines())
    return doc, total


if __name__ == "__main__":
    for name in sys.argv[1:] or ["dgm_core"]:
        doc, total = share(Path(name))
        print(f"{name}: {doc} docstring lines of {total} ({doc / total:.1%})")
