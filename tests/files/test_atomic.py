"""A file or folder is written whole or not at all, and nothing temporary stays behind."""

from __future__ import annotations

import os

import pytest

from sim.files import WriteError, atomic_directory, atomic_file, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = write_text(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_file(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("cut short")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
def test_a_folder_that_refuses_writes_is_one_error_naming_the_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(WriteError, match="cannot write the status") as caught:
            write_text(folder / "status.json", "{}", what="the status")
        assert caught.value.path == folder / "status.json"
    finally:
        folder.chmod(0o700)


def test_a_folder_appears_whole_or_not_at_all(tmp_path):
    final = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt), atomic_directory(final) as tmp:
        (tmp / "market.csv").write_text("month\n0\n")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with atomic_directory(final) as tmp:
        (tmp / "market.csv").write_text("month\n0\n")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_folder_never_merges_into_one_that_appeared_meanwhile(tmp_path):
    final = tmp_path / "run"
    with pytest.raises(WriteError, match="another process created it"), \
            atomic_directory(final) as tmp:
        (tmp / "market.csv").write_text("mine")
        final.mkdir()
        (final / "market.csv").write_text("theirs")
    assert (final / "market.csv").read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
