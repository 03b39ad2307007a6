"""Limits say which one and by how much; uploads stay in the student's folder, within a quota."""

from __future__ import annotations

import io
import zipfile

import pytest

from cnnviz.classroom import uploads
from cnnviz.classroom.limits import Limits, over_limits


def test_limits_from_env_and_dict():
    lim = Limits.from_env(
        {"CNNVIZ_MAX_JOBS": "3", "CNNVIZ_MAX_EPOCHS": "x", "CNNVIZ_MAX_PARAMS": "0"}
    )
    assert lim.jobs_at_once == 3 and lim.max_epochs == Limits().max_epochs
    assert lim.max_params == Limits().max_params  # 0 is not a limit
    changed = Limits.from_dict({"max_epochs": 5, "queue_length": True, "bogus": 3}, lim)
    assert changed.max_epochs == 5 and changed.jobs_at_once == 3
    assert changed.queue_length == lim.queue_length  # a bool is not a number here
    assert Limits.from_dict(changed.to_dict()) == changed


def test_over_limits_names_each_and_the_excess():
    lim = Limits(max_epochs=20, max_train_images=1000, max_params=10_000, max_mult_adds=1_000_000)
    assert over_limits(lim, epochs=20, train_images=1000, params=10_000, mult_adds=1_000_000) == []
    msgs = over_limits(lim, epochs=25, train_images=1500, params=12_500, mult_adds=3_000_000)
    assert len(msgs) == 4
    assert msgs[0].startswith("Epochs: 25 is 5 over the class limit of 20")
    assert "1,500 is 500 over the class limit of 1,000" in msgs[1]
    assert "12.5K is 2.5K over the class limit of 10.0K" in msgs[2]
    assert "Mult-adds" in msgs[3] and "2.0M over" in msgs[3]


def _zip(n: int, size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            zf.writestr(f"cats/{i}.txt", b"x" * size)
    return buf.getvalue()


def test_quota_files_and_bytes(tmp_path):
    folder = uploads.student_folder(tmp_path, "s-abc123")
    assert folder == tmp_path / uploads.FOLDER_NAME / "s-abc123"
    assert uploads.check_zip(folder, _zip(3, 10), max_files=3, max_mb=1).files == 3
    with pytest.raises(uploads.QuotaError, match="files: 4 would be 1 over your limit of 3"):
        uploads.check_zip(folder, _zip(4, 10), max_files=3, max_mb=1)
    with pytest.raises(uploads.QuotaError, match=r"size: 1\.5 MB would be 0\.5 MB over"):
        uploads.check_zip(folder, _zip(3, 512 * 1024), max_files=10, max_mb=1)


def test_quota_counts_what_is_already_there(tmp_path):
    folder = uploads.student_folder(tmp_path, "s-abc123")
    root = uploads.unpack(folder, _zip(2, 10), max_files=3, max_mb=1)
    assert root.is_relative_to(folder) and uploads.usage(folder).files == 2
    with pytest.raises(uploads.QuotaError, match="files: 4"):
        uploads.unpack(folder, _zip(2, 11), max_files=3, max_mb=1)
    assert uploads.usage(folder).files == 2  # nothing written by the refused one
    [up] = uploads.uploads(folder)
    uploads.remove(folder, up.name)
    assert uploads.usage(folder).files == 0
    with pytest.raises(uploads.QuotaError):
        uploads.remove(folder, "../../etc")


@pytest.mark.parametrize("bad", ["../x", "s-../../a", "/etc", "S-ABC123", "s-abc"])
def test_person_id_is_never_a_path(tmp_path, bad):
    with pytest.raises(ValueError):
        uploads.student_folder(tmp_path, bad)


def test_unsafe_zip_still_refused(tmp_path):
    from cnnviz.data.errors import UnsafeArchive

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.txt", b"x")
    folder = uploads.student_folder(tmp_path, "s-abc123")
    with pytest.raises(UnsafeArchive):
        uploads.unpack(folder, buf.getvalue(), max_files=10, max_mb=1)
    assert not (tmp_path / uploads.FOLDER_NAME / "evil.txt").exists()


def test_same_zip_again_is_not_counted_twice(tmp_path):
    folder = uploads.student_folder(tmp_path, "s-abc123")
    data = _zip(3, 10)
    first = uploads.unpack(folder, data, max_files=3, max_mb=1)
    assert uploads.unpack(folder, data, max_files=3, max_mb=1) == first  # a page rerun
    assert uploads.usage(folder).files == 3
