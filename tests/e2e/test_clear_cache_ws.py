"""A raw websocket client sends ``clear_cache``: another session's training goes on.

Streamlit lets any client that reaches ``/_stcore/stream`` ask for its caches to be
cleared, for every session at once. The job registry (and the shared datasets)
live outside those caches, so one visitor cannot stop everyone's training.

Both sessions here are raw clients speaking Streamlit's own protocol (``BackMsg``
protobufs, as the browser sends them; no browser, no cookie): session A opens the
Train page and presses Start (a ``rerun_script`` whose widget state triggers the
button), session B sends ``clear_cache``. The job's run folder (on disk, where the
test can read it) must still say running, and keep training.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import serve_app

pytest.importorskip("websockets")


class RawSession:
    """One Streamlit session over a bare websocket (websockets' synchronous client)."""

    def __init__(self, base_url: str) -> None:
        from websockets.sync.client import connect

        port = urlparse(base_url).port
        self.ws = connect(
            f"ws://127.0.0.1:{port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=60,
        )

    def rerun(self, page: str = "", triggers: tuple[str, ...] = ()) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = page
        for wid in triggers:
            w = msg.rerun_script.widget_states.widgets.add()
            w.id = wid
            w.trigger_value = True
        self.ws.send(msg.SerializeToString())

    def clear_cache(self) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.clear_cache = True
        self.ws.send(msg.SerializeToString())

    def run_to_end(self, timeout_s: float) -> list:
        """The elements drawn until a full script run finishes (st.rerun() runs included)."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        elements, deadline = [], time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                raw = self.ws.recv(timeout=max(1.0, deadline - time.monotonic()))
            except TimeoutError:
                break
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                elements.append(msg.delta.new_element)
            elif kind == "script_finished" and msg.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY,
                ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ):  # not a run cut short by st.rerun(), nor a fragment's own run
                return elements
        pytest.fail(f"the script run did not finish in {timeout_s:.0f} s")

    def close(self) -> None:
        self.ws.close()


def _button(elements: list, label: str):
    for el in elements:
        if el.WhichOneof("type") == "button" and el.button.label == label:
            return el.button
    return None


def _status(runs: Path) -> dict:
    files = list(runs.glob("*/status.json"))
    assert len(files) == 1, f"expected one run folder, found {files}"
    return json.loads(files[0].read_text())


def test_clear_cache_from_any_client_leaves_other_jobs_running(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "1000")  # a few seconds per epoch
    with serve_app(tmp_path) as url:
        a = RawSession(url)
        try:
            a.rerun("train")
            elements = a.run_to_end(300)
            start = _button(elements, "Start training")
            said = [
                getattr(e, e.WhichOneof("type"))
                for e in elements
                if e.WhichOneof("type") in ("alert", "exception")
            ]
            assert start is not None, f"the Train page drew no Start button; it said {said}"
            assert not start.disabled, f"Start is off: {start.help}"
            a.rerun("train", triggers=(start.id,))
            drawn = a.run_to_end(300)
            runs, deadline = tmp_path / "runs", time.monotonic() + 300
            said = [e.alert.body for e in drawn if e.WhichOneof("type") == "alert"]
            assert _button(drawn, "Stop") is not None, f"no job started; the page said {said}"
            while time.monotonic() < deadline:  # until the first epoch is saved
                if list(runs.glob("*/status.json")) and _status(runs).get("epochs_done", 0) >= 1:
                    break
                time.sleep(0.5)
            before = _status(runs)
            assert before["status"] == "running", before

            b = RawSession(url)  # another visitor: no browser, no cookie
            try:
                b.rerun()
                b.run_to_end(120)
                b.clear_cache()
                time.sleep(3)  # handled on the server's event loop
            finally:
                b.close()

            deadline = time.monotonic() + 300
            after = _status(runs)
            while time.monotonic() < deadline and after["status"] == "running":
                if after["epochs_done"] > before["epochs_done"]:
                    break  # still training, one more epoch saved since the clear
                time.sleep(0.5)
                after = _status(runs)
            assert after["status"] in ("running", "finished"), after
            assert "cleared" not in str(after.get("reason")), after
            assert after["epochs_done"] > before["epochs_done"], (before, after)
        finally:
            a.close()
