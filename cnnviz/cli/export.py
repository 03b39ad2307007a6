"""``cnnviz export SPEC``: the design as runnable PyTorch code, spec JSON or a share-link value.

``cnnviz export RUN --format script`` writes a saved run's whole training as one runnable
``train.py`` (data, DataLoader, model, loss, optimizer, loop, evaluation; torchrun-ready).
``cnnviz export RUN --format explainer -o FILE.html`` writes the run's trained network as one
HTML file that runs it in the browser, offline: pick, upload or draw an image and follow it
through every layer (``cnnviz.report.explainer``).
``cnnviz export RUN --format tensorboard -o DIR`` writes the run's TensorBoard event files
under ``DIR/<run id>`` (loss, accuracy, learning rate, weights' and gradients' histograms;
``tensorboard --logdir DIR``; needs ``pip install tensorboard``, exit 3 without it);
``--format csv -o DIR`` its metrics per iteration and per epoch, and its gradients' sizes
per layer, as CSV files in DIR.
RUN is a run folder or a run's name under the runs folder; the other formats accept one
too (they use the network the run trained).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnviz.cli.exits import ExitCode, UsageError
from cnnviz.cli.specs import guard, prepare, spec_arg
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import first_error, summarize


def add_arguments(p: argparse.ArgumentParser) -> None:
    spec_arg(p)
    p.add_argument(
        "--format",
        choices=("pytorch", "json", "url", "script", "explainer", "tensorboard", "csv"),
        default="pytorch",
        help="pytorch code (default), the spec as JSON, the ?net= value of a share link, "
        "or (for a saved RUN) the whole training as a runnable train.py, or the trained "
        "network running in one offline HTML page (explainer), or its metrics as TensorBoard "
        "event files or CSV files (tensorboard, csv: -o DIR)",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE instead of printing (a folder "
        "for tensorboard and csv)"
    )  # fmt: skip
    p.add_argument(
        "--runs-dir", metavar="D", help="where the runs are (default $CNNVIZ_RUNS_DIR or ./runs)"
    )
    p.set_defaults(batch_default=2)


def _run(args: argparse.Namespace):
    from cnnviz.train.store import RunError, open_run

    try:
        return open_run(args.spec, args.runs_dir)
    except RunError as e:
        raise UsageError(
            f"{e} (--format {args.format} exports a saved run: give its folder or its name)"
        ) from None


def _is_run(args: argparse.Namespace) -> bool:
    if args.spec in PRESETS or Path(args.spec).is_file():
        return False
    from cnnviz.train.store import runs_root

    p = Path(args.spec)
    return p.is_dir() or (runs_root(args.runs_dir) / p.name).is_dir()


def _emit(text: str, output: str | None) -> None:
    if not output:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {output}: {e.strerror}") from None
    print(f"wrote {output}", file=sys.stderr)


def _explainer(args: argparse.Namespace) -> int:
    from cnnviz.report.content import load_data
    from cnnviz.report.explainer import explainer_file
    from cnnviz.report.explainer.payload import NotEmbeddable
    from cnnviz.train.store import RunError

    saved = _run(args)
    try:
        text = explainer_file(saved, load_data(saved)[0])
    except (RunError, NotEmbeddable) as e:
        print(f"cnnviz: {saved.id} cannot be exported as an explainer: {e}", file=sys.stderr)
        return ExitCode.INVALID
    _emit(text, args.output)
    if args.output:
        print(
            f"{len(text.encode()) / 1e6:.1f} MB: open it in a browser, no network needed",
            file=sys.stderr,
        )
    return 0


def _folder_export(args: argparse.Namespace) -> int:
    """--format tensorboard / csv: the saved run's metrics as files in the folder -o DIR."""
    from cnnviz.train.store import RunError

    if not args.output:
        raise UsageError(f"--format {args.format} writes files into a folder: give it with -o DIR")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {args.output} is a file: give a folder for --format {args.format}")
    saved = _run(args)
    try:
        if args.format == "csv":
            from cnnviz.report.metrics_csv import write_csv

            for path in write_csv(saved, out):
                print(f"wrote {path}", file=sys.stderr)
            return 0
        from cnnviz.report.tensorboard_files import TensorBoardMissing, write_tensorboard

        try:
            n = write_tensorboard(saved, out)
        except TensorBoardMissing as e:
            print(f"cnnviz: {e}", file=sys.stderr)
            return ExitCode.UNAVAILABLE
    except RunError as e:
        print(f"cnnviz: {saved.id} cannot be exported: {e}", file=sys.stderr)
        return ExitCode.INVALID
    except OSError as e:
        raise UsageError(f"cannot write into {args.output}: {e.strerror}") from None
    print(
        f"wrote {n['scalars']} values and {n['histograms']} histograms to {out / saved.id}: "
        f"tensorboard --logdir {out}",
        file=sys.stderr,
    )
    return 0


@guard
def run(args: argparse.Namespace) -> int:
    """Print PyTorch code, spec JSON, the URL value or a run's train.py; exit 1 if the design is invalid."""
    from cnnviz.design.export import encode_spec, spec_to_json, to_pytorch_code
    from cnnviz.design.spec import SpecError

    if args.format == "script":
        from cnnviz.train.script import training_script

        try:
            _emit(training_script(_run(args)), args.output)
        except (SpecError, ValueError) as e:
            print(f"cnnviz: this run cannot be exported as a script: {e}", file=sys.stderr)
            return ExitCode.INVALID
        return 0
    if args.format == "explainer":
        return _explainer(args)
    if args.format in ("tensorboard", "csv"):
        return _folder_export(args)
    if _is_run(args):
        spec, batch = _run(args).spec, args.batch or args.batch_default
        try:
            rows = summarize(spec, batch)
        except SpecError as e:
            raise UsageError(str(e)) from e
    else:
        spec, batch, rows = prepare(args)
    if args.format == "json":
        _emit(spec_to_json(spec), args.output)
        return 0
    if args.format == "url":
        _emit(encode_spec(spec), args.output)
        return 0
    err = first_error(rows)
    if err:
        print(f"cnnviz: {err}", file=sys.stderr)
        return ExitCode.INVALID
    _emit(to_pytorch_code(spec, batch=batch), args.output)
    return 0
