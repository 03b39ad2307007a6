"""``cnnviz serve [--class]``: start the app; for a class, on every network address, in class mode.

Without ``--class`` it is ``streamlit run app.py`` on 127.0.0.1 (only this
computer). With ``--class`` it listens on 0.0.0.0, sets ``CNNVIZ_CLASS=1``,
and prints, once, the address students open and the teacher key (from
``--teacher-key``, ``CNNVIZ_TEACHER_KEY``, or the one this runs folder's
classroom remembers, generated the first time).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

from cnnviz.cli.exits import ExitCode
from cnnviz.settings.env import raw, text

APP = Path(__file__).resolve().parents[2] / "app.py"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--class", dest="classroom", action="store_true", help="serve a class")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.add_argument(
        "--address",
        default=None,
        help="address to listen on (default 127.0.0.1; with --class 0.0.0.0)",
    )
    p.add_argument("--teacher-key", default=None, help="the teacher's key (default: generated)")
    p.add_argument("--class-code", default=None, help="a code students type to join")
    p.add_argument("--max-jobs", type=int, default=None, help="trainings at once (default 2)")
    p.add_argument(
        "--runs-dir", default=None, help="runs folder (default $CNNVIZ_RUNS_DIR or ./runs)"
    )


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), or 127.0.0.1."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


def teacher_key(runs_dir: str | os.PathLike, given: str | None) -> str:
    """The key to use: given, else the environment's, else the one the classroom remembers."""
    if given:
        return given
    if raw("CNNVIZ_TEACHER_KEY"):
        return text("CNNVIZ_TEACHER_KEY")
    from cnnviz.classroom.db import ClassDB
    from cnnviz.classroom.room import new_teacher_key

    db = ClassDB.in_folder(runs_dir)
    try:
        key = db.get_meta("teacher_key")
        if not key:
            key = new_teacher_key()
            db.set_meta("teacher_key", key)
        return key
    finally:
        db.close()


def command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The streamlit command line and environment (pure but for the key; tests read it)."""
    from cnnviz.train.store import runs_root

    env = dict(os.environ)
    if args.runs_dir:
        env["CNNVIZ_RUNS_DIR"] = args.runs_dir
    address = args.address or ("0.0.0.0" if args.classroom else "127.0.0.1")
    if args.classroom:
        env["CNNVIZ_CLASS"] = "1"
        env["CNNVIZ_TEACHER_KEY"] = teacher_key(args.runs_dir or runs_root(), args.teacher_key)
        if args.class_code:
            env["CNNVIZ_CLASS_CODE"] = args.class_code
    else:
        env.pop("CNNVIZ_CLASS", None)
    if args.max_jobs:
        env["CNNVIZ_MAX_JOBS"] = str(args.max_jobs)
    cmd = [
        sys.executable, "-m", "streamlit", "run", os.fspath(APP),
        "--server.address", address,
        "--server.port", str(args.port),
        "--server.headless", "true",
    ]  # fmt: skip
    return cmd, env


def run(args: argparse.Namespace) -> int:
    if not APP.is_file():
        print(f"cnnviz serve: {APP} is missing (run it from a checkout)", file=sys.stderr)
        return ExitCode.USAGE
    cmd, env = command(args)
    host = lan_address() if env.get("CNNVIZ_CLASS") else "127.0.0.1"
    print(f"cnnviz: open http://{host}:{args.port}", flush=True)
    if env.get("CNNVIZ_CLASS"):
        print(
            f"cnnviz class mode: students open http://{host}:{args.port} and type their name"
            + (
                f" and the class code {env['CNNVIZ_CLASS_CODE']!r}"
                if "CNNVIZ_CLASS_CODE" in env
                else ""
            )
            + f"\ncnnviz class mode: the teacher key is  {env['CNNVIZ_TEACHER_KEY']}  "
            "(unlock the Teacher page with it: Join page, 'I am the teacher')",
            flush=True,
        )
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
        return ExitCode.STOPPED
