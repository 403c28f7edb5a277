"""The PNG files every plot is written as (png_bytes, PngCanvas): read back by an
independent reader (Pillow) as the very pixels drawn, with the resolution and nothing else."""

from __future__ import annotations

import io
import struct
import zlib

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from sim.output.plotkit import PNG_SIGNATURE, PngCanvas, png_bytes


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) of each chunk of a PNG file, each one's CRC checked."""
    assert data[:8] == PNG_SIGNATURE
    found, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body)
        found.append((kind, body))
        at += 12 + length
    return found


def test_a_png_reads_back_as_the_pixels_given_with_its_resolution_and_no_metadata():
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)  # alpha varies too
    data = png_bytes(rgba, 110)
    with Image.open(io.BytesIO(data)) as image:
        image.verify()  # Pillow's own check of the file's structure
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA" and image.size == (53, 37)
        assert np.array_equal(np.asarray(image), rgba)
        assert image.info["dpi"] == pytest.approx((110, 110), abs=0.01)
    kinds = [kind for kind, _ in chunks(data)]
    assert kinds == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]  # no text, no time
    body = dict(chunks(data))
    assert struct.unpack(">IIB", body[b"pHYs"]) == (4331, 4331, 1)  # 110 / 0.0254, rounded
    rows = np.frombuffer(zlib.decompress(body[b"IDAT"]), np.uint8).reshape(37, 1 + 4 * 53)
    assert not rows[:, 0].any()  # every row unfiltered


def test_only_rgba_bytes_of_an_image_with_pixels_are_written():
    with pytest.raises(ValueError, match="RGBA image of bytes"):
        png_bytes(np.zeros((4, 4, 3), np.uint8), 100)
    with pytest.raises(ValueError, match="RGBA image of bytes"):
        png_bytes(np.zeros((4, 4, 4), np.float64), 100)
    for shape in ((0, 4, 4), (4, 0, 4)):  # no reader takes a PNG of no pixels
        with pytest.raises(ValueError, match="empty image"):
            png_bytes(np.zeros(shape, np.uint8), 100)


def test_the_deflated_rows_are_cut_into_chunks_a_reader_joins(monkeypatch):
    # A chunk's length is 31 bits: a large image's rows go in several IDAT chunks.
    from sim.output import plotkit

    monkeypatch.setattr(plotkit, "PNG_CHUNK", 100)
    rgba = np.random.default_rng(1).integers(0, 256, size=(20, 30, 4), dtype=np.uint8)
    data = png_bytes(rgba, 72)
    kinds = [kind for kind, _ in chunks(data)]
    assert kinds.count(b"IDAT") > 10 and kinds[:2] == [b"IHDR", b"pHYs"]
    assert all(len(body) <= 100 for kind, body in chunks(data) if kind == b"IDAT")
    with Image.open(io.BytesIO(data)) as image:
        assert np.array_equal(np.asarray(image), rgba)


def test_the_canvas_writes_the_pixels_agg_draws_and_refuses_metadata(tmp_path):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [2, 0, 1], label="a line")
    ax.legend()
    fig.savefig(tmp_path / "pillow.png", format="png", dpi=90, metadata={"Software": None})
    PngCanvas(fig)
    fig.savefig(tmp_path / "ours.png", format="png", dpi=90)
    with pytest.raises(ValueError, match="without metadata"):
        fig.savefig(io.BytesIO(), format="png", metadata={"Title": "x"})
    # matplotlib's way of asking for no metadata, and a path of any kind, are taken
    fig.savefig(PurePathLike(str(tmp_path / "path-like.png")), format="png", dpi=90,
                metadata={"Software": None})
    plt.close(fig)
    for ours in ("ours.png", "path-like.png"):
        with Image.open(tmp_path / "pillow.png") as a, Image.open(tmp_path / ours) as b:
            assert a.size == b.size == (270, 180) and a.info == b.info
            assert np.array_equal(np.asarray(a), np.asarray(b))


class PurePathLike:
    """A path that is neither text nor a pathlib path (``os.PathLike``)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __fspath__(self) -> str:
        return self.path
