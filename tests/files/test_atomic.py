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


def test_a_write_error_in_the_folder_names_the_folder_the_user_sees(tmp_path):
    """An error writing inside the temporary folder, an OSError or a WriteError about the
    temporary folder or a path in it (what atomic_files inside it raises), names the final
    folder or the path in it; a WriteError about a path elsewhere is left as it is."""
    import errno

    from sim.files import atomic_files

    final = tmp_path / "run"
    with pytest.raises(WriteError) as caught, atomic_directory(final):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert caught.value.path == final
    with pytest.raises(WriteError) as caught, atomic_directory(final) as tmp, \
            atomic_files(tmp, tmp / ".plots.incomplete-1"):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert (caught.value.path, caught.value.reason) == (final, "No space left on device")
    with pytest.raises(WriteError) as caught, atomic_directory(final) as tmp:
        raise WriteError(tmp / "plots" / "a.png", "disk full", "the plot")
    assert (caught.value.path, caught.value.what) == (final / "plots" / "a.png", "the plot")
    elsewhere = tmp_path / "other.csv"
    with pytest.raises(WriteError) as caught, atomic_directory(final):
        raise WriteError(elsewhere, "disk full")
    assert caught.value.path == elsewhere
    assert list(tmp_path.iterdir()) == []
