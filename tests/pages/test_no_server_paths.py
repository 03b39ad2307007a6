"""No server path reaches a student: messages name the run (or the ZIP), never the folder.

A damaged run of hers on the Runs page, the folder her uploaded images came from in a
run's config.json, a link to a run that is gone, a finished
training's line on Train (tests/pages/test_run_access.py), a full disk's reason
(tests/train/test_store_hardening.py) and an uploaded ZIP that cannot be read.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.errors import DatasetUnavailable
from cnnviz.text.escape import for_markdown
from cnnviz.train.store import runs_root
from cnnviz.ui.classroom import session
from tests.helpers import APP
from tests.train.test_store_hardening import trained_run

RUN = "20260103-100000-ada-damaged-eeeeee"
UPLOADED = "20260103-090000-ada-upload-ffffff"


@pytest.fixture
def ada(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "paths-key")
    session.room.clear()
    good = trained_run(tmp_path_factory.mktemp("paths"))
    shutil.copytree(good, runs_root() / RUN)
    (runs_root() / RUN / "metrics_epoch.csv").write_text("nothing,useful\n1,2\n")  # a problem
    uploaded = runs_root() / UPLOADED  # trained on her ZIP: config.json names its folder
    shutil.copytree(good, uploaded)
    config = json.loads((uploaded / "config.json").read_text())
    config["dataset"]["source"] = str(runs_root() / "uploads" / "s-ada" / "pets")
    (uploaded / "config.json").write_text(json.dumps(config))
    room = session.room()
    person = room.join("Ada")
    room.claim_run(RUN, person)
    room.claim_run(UPLOADED, person)
    yield person
    session.room.clear()


def _said(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "subheader", "json")
    return "\n".join(str(e.value) for k in kinds for e in [*at.get(k), *at.sidebar.get(k)])


def _open(person, page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[session.ME] = person
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _no_path(text: str) -> None:
    for path in {str(runs_root()), str(runs_root().resolve())}:
        assert path not in text, text


def test_a_damaged_run_of_hers_names_the_run(ada) -> None:
    at = _open(ada, "views/runs.py", run=RUN)
    text = _said(at)
    assert for_markdown("metrics_epoch.csv has no epoch column") in text  # shown as text
    assert "You can delete this run or train again." in text
    _no_path(text)


def test_the_folder_her_images_came_from_is_not_shown(ada) -> None:
    text = _said(_open(ada, "views/runs.py", run=UPLOADED))
    assert '"train_size"' in text  # config.json is shown (st.json) ...
    assert "s-ada" not in text  # ... without the folder the images came from
    _no_path(text)


def test_a_run_on_a_dataset_the_server_lacks_names_no_data_folder(ada) -> None:
    """Inspect and Present reload the run's images; MNIST is not in the data folder here."""
    import os

    config = json.loads((runs_root() / UPLOADED / "config.json").read_text())
    config["dataset"]["name"] = "mnist"
    (runs_root() / UPLOADED / "config.json").write_text(json.dumps(config))
    text = _said(_open(ada, "views/inspect.py", run=UPLOADED))
    assert "on this server" in text and "MNIST" in text, text
    data = os.environ["CNNVIZ_DATA_DIR"]
    assert data not in text and str(Path(data).resolve()) not in text
    _no_path(text)
    # Present: the presentation (page and exported file) notes the images are left out
    at = _open(ada, "views/present.py", run=UPLOADED)
    html = at.session_state["present.last_html"]
    assert "images are not on this computer" in html
    assert data not in html and str(Path(data).resolve()) not in html


@pytest.mark.parametrize("page", ["views/runs.py", "views/inspect.py", "views/present.py"])
def test_a_link_to_a_run_that_is_gone_names_no_folder(ada, page: str) -> None:
    gone = "20200101-000000-gone-abcdef"
    text = _said(_open(ada, page, run=gone))
    assert f"There is no run called {gone}" in text
    _no_path(text)


def test_an_uploaded_zip_is_named_as_the_zip(tmp_path: Path) -> None:
    """The ZIP is unpacked into a server folder; what is wrong with it names the ZIP."""
    from cnnviz.data.folders import extract_zip, load_image_folder
    from cnnviz.ui.train.data_view import _named

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("pets/cats/readme.txt", "one class folder only")
    root = extract_zip(buf.getvalue(), tmp_path / "uploads" / "student-1")
    with pytest.raises(DatasetUnavailable) as e:
        load_image_folder(root, size=28, channels=1)
    assert str(tmp_path) in str(e.value)  # the core names the folder (for the operator)
    said = _named(e.value, root, "pets.zip")
    assert str(tmp_path) not in said and "your ZIP pets.zip" in said
