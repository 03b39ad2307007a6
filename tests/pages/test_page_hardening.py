"""Pages under hostile links and damaged runs (AppTest): messages, never tracebacks or live Markdown.

- ``?net=`` holding ``1e999`` or a 700-level nesting: a message on every page.
- ``?job=`` / ``?run=`` holding Markdown (a link, a remote image): refused by format,
  and nothing a visitor typed is ever Markdown source with a live link.
- A ``?run=`` that matches nothing says so on Runs and Inspect.
- The corrupted-run corpus (tests/train/test_store_hardening.py) on Runs and Inspect:
  every damaged run can be picked and shown without an exception.
"""

from __future__ import annotations

import base64
import re
import shutil
import zlib

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.train.request import TrainRequest
from cnnviz.train.store import list_runs, runs_root
from tests.helpers import APP
from tests.train.test_store_hardening import _damages, trained_run

EVIL = "[click](https://evil.example/x)![img](https://evil.example/i.png)"
PAGES = ["views/design.py", "views/train.py", "views/inspect.py", "views/runs.py"]


def _link(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def _markdown_sources(at: AppTest) -> list[str]:
    """The Markdown source of everything drawn (captions, alerts, markdown, in the sidebar too)."""
    out = []
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "subheader"):
        out += [str(e.value) for e in at.get(kind)]
    out += [str(e.value) for e in at.sidebar.get("caption")]
    out += [str(e.value) for e in at.sidebar.get("warning")]
    return out


def _open(page: str, **params: str) -> tuple[AppTest, list[str]]:
    """The app opened with ``params`` (its first page says what was wrong with the link), then ``page``."""
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    said = _markdown_sources(at)
    if page != "views/design.py":
        at.switch_page(page)
        at.run()
        said += _markdown_sources(at)
    return at, said


@pytest.mark.parametrize(
    "text",
    [
        '{"input":[1,1e999,28],"layers":[]}',
        '{"input":[1,28,28],"layers":[{"type":"conv2d","kernel_size":'
        + "[" * 700
        + "3"
        + "]" * 700
        + "}]}",
    ],
)
def test_a_crafted_design_link_is_a_message_on_every_page(text: str) -> None:
    for page in ("views/design.py", "views/train.py"):
        at, said = _open(page, net=_link(text))
        assert not at.exception, at.exception
        assert "could not be read" in " ".join(said), said


@pytest.mark.parametrize("param", ["job", "run"])
def test_markdown_in_job_or_run_links_is_refused_and_never_live(param: str) -> None:
    at, sources = _open("views/train.py" if param == "job" else "views/runs.py", **{param: EVIL})
    assert not at.exception, at.exception
    assert any(f"{param}= is not" in s for s in sources), sources
    for s in sources:  # the link's text is shown escaped: no live link, no remote image
        assert not re.search(r"(?<!\\)\]\(", s) and "https://" not in s, s
    key = "cnnviz.job_id" if param == "job" else "cnnviz.run_id"
    assert key not in at.session_state or at.session_state[key] is None


def test_a_run_link_that_matches_nothing_says_so() -> None:
    trained_run(runs_root())
    missing = "20200101-000000-gone-abcdef"
    at, said = _open("views/runs.py", run=missing)
    assert not at.exception, at.exception
    assert any("There is no run called" in s for s in said), said
    at, said = _open("views/inspect.py", run=missing)
    assert not at.exception, at.exception
    assert any("There is no run called" in s for s in said), said
    assert not any(str(runs_root()) in s for s in said), said  # no server path


@pytest.fixture(scope="module")
def corpus_template(tmp_path_factory):
    good = trained_run(tmp_path_factory.mktemp("good"))
    return good, list(_damages(good))


def test_every_damaged_run_shows_on_runs_and_inspect_without_a_traceback(corpus_template):
    good, cases = corpus_template
    picked = cases[::2]  # half the damages keeps this short; the store test reads them all
    for i, (_, damage) in enumerate(picked):
        folder = runs_root() / f"20260101-{i:06d}-case-abcdef"
        shutil.copytree(good, folder)
        damage(folder)
    ids = [r.id for r in list_runs()]
    assert len(ids) == len(picked)
    for page in ("views/runs.py", "views/inspect.py"):
        at, _ = _open(page)
        for run_id in ids:  # the session opens each run in turn, as Open in Inspect does
            at.session_state["cnnviz.run_id"] = run_id
            at.run()
            assert not at.exception, (run_id, page, at.exception)


def test_clearing_streamlits_caches_leaves_jobs_and_datasets_alone(tmp_path):
    """What a client's clear_cache does on the server: st.cache_data/cache_resource.clear()."""
    import streamlit as st

    from cnnviz.train.config import TrainConfig
    from cnnviz.ui.jobs import registry
    from cnnviz.ui.train import data as train_data
    from tests.helpers import TINY_SPEC, tiny_bundle

    bundle, message = train_data.load_choice("shapes", n_train=50)
    assert message is None
    job = registry().start(
        TrainRequest(
            TINY_SPEC, tiny_bundle(), TrainConfig(epochs=50, device="cpu"), runs_root=tmp_path
        )
    )
    try:
        st.cache_data.clear()
        st.cache_resource.clear()
        assert registry().get(job.id) is job and not job.done
        assert not job.control.stop_requested
        again, _ = train_data.load_choice("shapes", n_train=50)
        assert again is bundle  # the shared dataset was not dropped
    finally:
        job.stop()
        job.wait(30)
