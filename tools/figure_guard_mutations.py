"""How tight the figure guard of tests/test_readme.py is: a one-unit edit of each figure it checks.

Each figure of the README, docs/RESULTS.md and docs/DEPLOY.md that the guard checks gets its last digit
raised by one, then lowered by one (where the digit allows), one edit at a time, and the guard is run on
the edited section; an edit it lets pass is printed. The guard is tight when none passes. It also counts the
figures tied to a results field, to a limit of dgm_core/budgets.py, and those marked not measured (by kind).

    .venv/bin/python tools/figure_guard_mutations.py            # the count, and every edit that passed
    .venv/bin/python tools/figure_guard_mutations.py --show DMFA  # each figure of the sections whose
                                                                  # title holds "DMFA", beside its field
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_readme import BUDGET, CHECKED, NOT_MEASURED, check, figure_fields, figures, surviving_edits  # noqa: E402


def show(title_part: str) -> None:
    """Each figure of the matching sections, a few words before it, its field and the field's value."""
    for section in CHECKED:
        if title_part.lower() not in section.title.lower():
            continue
        print(f"== {section.doc}: {section.title}")
        for fig, ref, value in figure_fields(section):
            before = section.text[max(0, fig.start - 40):fig.start].replace("\n", " ")
            mark = "  " if not isinstance(value, Exception) and fig.matches(value) else "!!"
            print(f"{mark} …{before:>40}[{fig.written}]  {ref}  = {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", metavar="TITLE",
                        help="list the figures and fields of the sections whose title holds TITLE")
    args = parser.parse_args()
    if args.show:
        show(args.show)
        return 0
    broken = [(s, p) for s in CHECKED for p in check(s)]
    for section, problem in broken:
        print(f"unedited, already failing: {section.doc} {section.title!r}: {problem}")
    n_figures, n_edits, survivors = surviving_edits(CHECKED)
    for line in survivors:
        print(f"passed the guard: {line}")
    by_doc = {}
    for section in CHECKED:
        by_doc[section.doc] = by_doc.get(section.doc, 0) + len(figures(section.text))
    print(", ".join(f"{doc}: {n}" for doc, n in by_doc.items()))
    fields = [ref for section in CHECKED for ref in section.fields]
    kinds: dict[str, int] = {}
    for ref in fields:
        m = NOT_MEASURED.match(ref)
        if m:
            kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
    limits = sum(1 for ref in fields if BUDGET.match(ref))
    marked = sum(kinds.values())
    print(f"{len(fields) - marked - limits} figures tied to a results field, {limits} to a limit of "
          "dgm_core/budgets.py, "
          f"{marked} marked not measured ({', '.join(f'{k}: {n}' for k, n in sorted(kinds.items())) or 'none'})")
    print(f"{len(survivors)} of {n_edits} one-unit edits of {n_figures} figures pass the guard")
    return 1 if survivors or broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
