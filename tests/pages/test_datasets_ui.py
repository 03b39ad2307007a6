"""The data widgets in a simulated Streamlit run (AppTest): they draw without errors and show
the numbers a student checks (iterations per epoch, the mini-batch's shape, the split)."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402


def _preview_app(val_fraction: float, batch_size: int, norm_kind: str, flip: bool) -> None:
    from cnnviz.data.registry import load_dataset
    from cnnviz.ui.train.data_view import data_preview

    bundle = load_dataset("shapes", size=28, channels=1, n_train=200, n_test=50)
    data_preview(
        bundle,
        norm_kind=norm_kind,
        val_fraction=val_fraction,
        batch_size=batch_size,
        flip=flip,
        crop_padding=2,
    )


def _views(at) -> dict[str, AppTest]:
    """Each view of the preview in turn: {view: the app showing it}."""
    control = at.segmented_control(key="data_view.view")
    seen = {}
    for view in control.options:
        at.segmented_control(key="data_view.view").set_value(view).run()
        assert not at.exception, (view, at.exception)
        seen[view] = (
            " ".join(m.value for m in at.markdown),
            [c.value for c in at.code],
            len(at.dataframe),
            [c.key for c in at.get("plotly_chart")],
        )
    return seen


def test_data_preview_shows_split_batches_and_normalization():
    at = AppTest.from_function(
        _preview_app, args=(0.1, 64, "standardize", True), default_timeout=60
    )
    at.run()
    assert not at.exception, at.exception
    control = at.segmented_control(key="data_view.view")
    assert control.options == ["Samples", "Classes", "Pixels", "One mini-batch"]
    assert control.value == "Samples"
    assert [c.key for c in at.get("plotly_chart")] == ["data_view.samples"]  # one view built
    views = _views(at)
    assert views["Classes"][3] == ["data_view.counts"]
    text, _, tables, charts = views["Pixels"]
    assert "Normalize(mean=(" in text
    assert tables == 2 and charts == ["data_view.hist"]  # raw and normalized pixel statistics
    text, code, _, charts = views["One mini-batch"]
    assert "180 training images" in text and "**3 iterations per epoch**" in text  # ceil(180/64)
    assert "the last one holds 52" in text
    assert "[64, 1, 28, 28]" in code[0] and "float32" in code[0]
    assert "random horizontal flip" in code[0] and charts == ["data_view.batch"]


def test_data_preview_raw_pixels_and_no_validation():
    at = AppTest.from_function(_preview_app, args=(0.0, 500, "none", False), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    views = _views(at)
    text, code, _, _ = views["One mini-batch"]
    assert "200 training images" in text and "**1 iteration per epoch**" in text
    assert "[200, 1, 28, 28]" in code[0]  # a batch never holds more than the set
    assert "raw pixel values 0–255" in views["Pixels"][0]


def _picker_app() -> None:
    from cnnviz.ui.train.data_view import own_images_picker

    bundle = own_images_picker()
    if bundle is not None:
        import streamlit as st

        st.write(f"loaded {bundle.shape}")


def test_own_images_from_a_folder(tmp_path):
    for cls, colour in (("cats", (200, 0, 0)), ("dogs", (0, 0, 200))):
        (tmp_path / cls).mkdir()
        for i in range(5):
            Image.new("RGB", (20, 10), colour).save(tmp_path / cls / f"{i}.png")
    at = AppTest.from_function(_picker_app, default_timeout=60)
    at.run()
    at.radio[0].set_value("A folder on the server").run()
    at.text_input[0].input(str(tmp_path)).run()
    assert not at.exception, at.exception
    assert "2 classes (cats, dogs)" in at.success[0].value
    at.text_input[0].input(str(tmp_path / "missing")).run()
    assert "does not exist" in at.error[0].value


def test_zip_helper_refuses_unsafe_archives(tmp_path, monkeypatch):
    from cnnviz.data.errors import UnsafeArchive
    from cnnviz.ui.train import data_view

    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../escape.txt", "x")
    with pytest.raises(UnsafeArchive):
        data_view._unpack(buf.getvalue())
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as zf:
        for cls in ("a", "b"):
            png = io.BytesIO()
            Image.new("L", (8, 8), 100).save(png, format="PNG")
            zf.writestr(f"set/{cls}/1.png", png.getvalue())
    root = data_view._unpack(good.getvalue())
    assert root.name == "set" and data_view._unpack(good.getvalue()) == root  # unpacked once
