"""Room on the disk: the server's free-space floor, a budget per student, the class database
full, and students' uploads (budgets, nothing left when refused, Delete frees the quota)."""

from __future__ import annotations

import io
import sqlite3
import zipfile

import numpy as np
import pytest
from PIL import Image

from cnnviz.classroom import disk, uploads
from cnnviz.classroom.errors import RoomError, StorageError
from cnnviz.classroom.limits import Limits
from cnnviz.data import uploads as data_uploads

MB = 2**20


def _png(size: int = 64, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)  # noise: hardly compresses, like a photo
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _zip(n: int = 2, size: int = 64, seed: int = 0) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            zf.writestr(f"{'ab'[i % 2]}/{i}.png", _png(size, seed + i))
    return buf.getvalue()


@pytest.fixture
def low_disk(monkeypatch):
    """The disk with only ``free[0]`` bytes left (through the one helper that reads it)."""
    free = [10_000 * MB]
    monkeypatch.setattr(disk, "free_bytes", lambda path: free[0])
    monkeypatch.setenv("CNNVIZ_MIN_FREE_MB", "200")
    return free


def _files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_under_the_floor_join_upload_and_start_write_nothing(room, low_disk):
    ada = room.join("Ada")
    low_disk[0] = 150 * MB
    with pytest.raises(disk.DiskFull, match=r"almost full \(150 MB free; the server keeps 200 MB"):
        room.join("Bob")
    assert [p.name for p in room.students()] == ["Ada"]
    before = _files(room.runs_root)
    with pytest.raises(disk.DiskFull, match="almost full"):
        uploads.upload_zip(room, ada, _zip())
    with pytest.raises(disk.DiskFull, match="almost full"):
        room.check_room_for(ada)  # what Start asks first
    assert _files(room.runs_root) == before
    low_disk[0] = 201 * MB  # an upload of ~2 MB more would pass the floor: refused too
    with pytest.raises(disk.DiskFull):
        room.check_room_for(ada, 2 * MB)
    room.check_room_for(ada, MB // 2)


def test_a_students_runs_and_uploads_share_one_budget(room, low_disk):
    teacher, ada = room.unlock_teacher("key-123"), room.join("Ada")
    room.set_limits(teacher, Limits.from_dict({"student_disk_mb": 1}, room.limits()))
    run = room.runs_root / "run-of-ada"
    run.mkdir(parents=True)
    (run / "weights.pt").write_bytes(b"x" * (MB - 10_000))
    room.claim_run("run-of-ada", ada)
    with pytest.raises(disk.DiskFull, match=r"Your runs and uploads take 1\.0 MB of your 1 MB"):
        uploads.upload_zip(room, ada, _zip(size=64))
    assert not (room.runs_root / uploads.FOLDER_NAME / ada.id).exists()
    room.delete_run("run-of-ada", ada)
    assert uploads.upload_zip(room, ada, _zip(size=64)).is_dir()
    room.check_room_for(teacher, 0)  # the teacher has no per-student budget


def test_a_full_class_database_is_a_message(room):
    teacher = room.unlock_teacher("key-123")
    room.set_limits(teacher, Limits.from_dict({"class_size": 10_000}, room.limits()))
    conn = room.db._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: "disk is full"
    with pytest.raises(StorageError, match="The server's disk is full, so nothing was saved"):
        for i in range(2000):
            room.join(f"Student {i}")
    assert isinstance(StorageError("x"), RoomError)  # every page that catches RoomError says it


def test_a_busy_database_is_a_message(room, monkeypatch):
    real = room.db._conn

    class Busy:
        def execute(self, *a):
            raise sqlite3.OperationalError("database is locked")

        def close(self):
            real.close()

    monkeypatch.setattr(room.db, "_conn", Busy())
    with pytest.raises(StorageError, match="busy: try again in a moment"):
        room.students()


def test_upload_budgets_per_person_and_in_total(room, monkeypatch):
    ada, bob = room.join("Ada"), room.join("Bob")
    one = _zip(2, 200, seed=1)  # 2 × 200×200×3 = 0.23 MB decoded
    monkeypatch.setenv("CNNVIZ_UPLOADS_SESSION_MB", "0.4")
    uploads.upload_zip(room, ada, one)
    with pytest.raises(data_uploads.UploadRefused, match="one person may upload in an hour"):
        uploads.upload_zip(room, ada, _zip(2, 200, seed=5))  # a new session does not help:
    assert len(uploads.uploads(uploads.student_folder(room.runs_root, ada.id))) == 1  # per person
    uploads.upload_zip(room, bob, _zip(2, 200, seed=5))  # Bob has his own hour
    monkeypatch.setenv("CNNVIZ_UPLOADS_SESSION_MB", "100")
    kept = data_uploads.folder_bytes(room.runs_root / uploads.FOLDER_NAME)
    monkeypatch.setenv("CNNVIZ_UPLOADS_TOTAL_MB", str((kept + 1000) / MB))
    with pytest.raises(data_uploads.UploadRefused, match="upload space is full"):
        uploads.upload_zip(room, bob, _zip(2, 200, seed=9))
    assert len(uploads.uploads(uploads.student_folder(room.runs_root, bob.id))) == 1


def test_delete_an_upload_frees_the_quota(room):
    teacher, ada = room.unlock_teacher("key-123"), room.join("Ada")
    room.set_limits(teacher, Limits.from_dict({"upload_files": 3}, room.limits()))
    uploads.upload_zip(room, ada, _zip(2, seed=1), "cats-and-dogs.zip")
    with pytest.raises(uploads.QuotaError, match="files: 4 would be 1 over your limit of 3"):
        uploads.upload_zip(room, ada, _zip(2, seed=3))
    folder = uploads.student_folder(room.runs_root, ada.id)
    [up] = uploads.listing(folder)
    assert (up.name, up.files) == ("cats-and-dogs.zip", 2)
    uploads.remove(folder, up.key)
    assert uploads.upload_zip(room, ada, _zip(2, seed=3)).is_dir()


def test_a_zip_bomb_is_refused_before_decoding_on_the_class_path(room, monkeypatch):
    from PIL import ImageFile

    ada = room.join("Ada")
    buf = io.BytesIO()
    Image.new("RGB", (5000, 5000), (1, 2, 3)).save(buf, "PNG")  # 75 MB decoded each
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w") as zf:
        for i in range(4):
            zf.writestr(f"{'ab'[i % 2]}/{i}.png", buf.getvalue())
    monkeypatch.setenv("CNNVIZ_UPLOADS_SESSION_MB", "100")
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
    with pytest.raises(data_uploads.UploadRefused, match=r"4 images decode to 286\.1 MB"):
        uploads.upload_zip(room, ada, bomb.getvalue())
    assert not (room.runs_root / uploads.FOLDER_NAME).exists()
