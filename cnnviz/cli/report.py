"""``cnnviz report RUN [-o FILE.html] [--runs-dir D]``: a run as one self-contained HTML presentation.

The six sections of the course's final presentation, filled from the run (figures stay
interactive, images embedded, Plotly inlined: it opens with no network), with the
students' texts and names left as placeholders to fill in on the Present page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnviz.cli.exits import ExitCode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="a run folder, or a run's name under the runs folder")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE.html",
        help="where to write it (default: <run name>.html in the current folder)",
    )
    p.add_argument(
        "--runs-dir", metavar="D", help="where the runs are (default $CNNVIZ_RUNS_DIR or ./runs)"
    )


def run(args: argparse.Namespace) -> int:
    from cnnviz.report import build_report
    from cnnviz.train.store import RunError, open_run

    try:
        saved = open_run(args.run, args.runs_dir)
    except RunError as e:
        print(f"cnnviz: {e}", file=sys.stderr)
        return ExitCode.USAGE
    out = Path(args.output or f"{saved.id}.html")
    try:
        text = build_report(saved, placeholders=True)
    except RunError as e:  # a damaged run: a bad RUN argument, as an unknown one is
        print(f"cnnviz: the report of {saved.id} could not be made: {e}", file=sys.stderr)
        return ExitCode.USAGE
    except ValueError as e:
        print(f"cnnviz: the report of {saved.id} could not be made: {e}", file=sys.stderr)
        return ExitCode.INVALID
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        print(f"cnnviz: cannot write {out}: {e.strerror}", file=sys.stderr)
        return ExitCode.USAGE
    print(
        f"wrote {out} ({len(text.encode()) / 1e6:.1f} MB): open it in a browser, no network needed"
    )
    if 'id="cnnviz-explainer-data"' not in text:
        print(
            "the trained network does not run in this file: its Feature Extraction section "
            "says why (cnnviz export RUN --format explainer makes a file of its own)"
        )
    return ExitCode.OK
