"""Decoding of uploads and samples: every awkward file either loads right or gets one message.

The whole corpus of odd and hostile files is generated here with Pillow, NumPy and a few
hand-built PNG chunks; nothing comes from outside.
"""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from conv_engine.checks import ParameterError
from conv_engine.images import (
    ASSETS,
    CMYK,
    CORRUPT,
    EMPTY,
    EXTENSIONS,
    FLATTENED,
    FORMATS,
    GREYSCALE,
    MAX_PIXELS,
    NOT_AN_IMAGE,
    SAMPLES,
    SIXTEEN_BIT,
    WORK_SIDE,
    ImageError,
    LoadedImage,
    crop_center,
    load_image,
    load_sample,
)

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255,) * 3, (0,) * 3


# ----------------------------------------------------------------------------- helpers


LIMITS = "limit 50 megapixels for JPEG, 16 for other formats"


def downscaled(before: str, after: str) -> str:
    """The note of a downscaled image; sizes as "H x W"."""
    return f"Downscaled from {before} to {after} pixels (height x width) for speed."


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    """Pillow image -> file bytes."""
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its length and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int, depth: int, colour_type: int, idat: bytes) -> bytes:
    """A PNG file from its IHDR fields and already-compressed IDAT data."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def blank_bilevel_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of any size, compressed as it goes (never held whole)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    z = zlib.compressobj(9)
    rows_per_piece = max(1, 2**22 // len(row))
    parts, done = [], 0
    while done < height:
        n = min(rows_per_piece, height - done)
        parts.append(z.compress(row * n))
        done += n
    parts.append(z.flush())
    return png_bytes(width, height, 1, 0, b"".join(parts))


def png16(rows: np.ndarray) -> bytes:
    """A 16-bit PNG (greyscale for (H, W), RGB for (H, W, 3)) from uint16 values."""
    h, w = rows.shape[:2]
    colour_type = 0 if rows.ndim == 2 else 2
    raw = b"".join(b"\x00" + rows[y].astype(">u2").tobytes() for y in range(h))
    return png_bytes(w, h, 16, colour_type, zlib.compress(raw))


def px(li: LoadedImage, y: int, x: int) -> tuple[int, ...]:
    """One RGB pixel of a loaded image as a tuple of ints."""
    return tuple(int(v) for v in li.rgb[y, x])


def close(a: tuple[int, ...], b: tuple[int, ...], tol: int) -> bool:
    """Pixels equal within a tolerance per channel (for lossy formats)."""
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def refuse(data: bytes, **kw) -> str:
    """The ImageError message load_image gives for the data (fails if it loads)."""
    with pytest.raises(ImageError) as info:
        load_image(data, **kw)
    return str(info.value)


@pytest.fixture
def no_decoding(monkeypatch):
    """Make any pixel decoding fail the test: a refusal must come from the header alone."""
    calls = []

    def load(self):
        calls.append(self.size)
        raise AssertionError("pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


def noise(h: int = 64, w: int = 64) -> Image.Image:
    """A seeded RGB noise image (incompressible, so truncation cuts real data)."""
    rng = np.random.default_rng(7)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


# ----------------------------------------------------------------------------- refusals


def test_zero_byte_file_is_refused():
    assert refuse(b"") == EMPTY


def test_truncated_png_is_refused():
    data = encode(noise(), "PNG")
    assert refuse(data[: len(data) // 2]) == CORRUPT


def test_png_truncated_inside_its_header_is_refused_as_corrupt():
    data = encode(noise(), "PNG")
    assert refuse(data[:40]) == CORRUPT


def test_truncated_jpeg_is_refused():
    data = encode(noise(), "JPEG", quality=95)
    assert refuse(data[: len(data) * 6 // 10]) == CORRUPT


@pytest.mark.parametrize(
    "data",
    [
        b"Hello, this is a text file that somebody named photo.png\n" * 20,
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" '
        b'height="100"><circle cx="50" cy="50" r="40" fill="red"/></svg>\n',
        b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><img src=x></body></html>",
        b"BMW is a car, not a bitmap.",
        bytes(range(256)) * 4,
    ],
    ids=["text", "svg", "html", "text-starting-BM", "binary-junk"],
)
def test_files_that_are_not_images_are_refused(data):
    assert refuse(data) == NOT_AN_IMAGE


@pytest.mark.parametrize("fmt", ["ICO", "PCX", "TGA", "PPM", "SGI", "QOI", "DDS"])
def test_images_outside_the_allow_list_are_refused(fmt):
    # Pillow itself reads every one of these: only the allow-list keeps them out.
    data = encode(Image.new("RGB", (16, 16), RED), fmt)
    assert Image.open(io.BytesIO(data)).format is not None
    assert refuse(data) == NOT_AN_IMAGE


def test_decompression_bomb_is_refused_from_its_header(no_decoding):
    data = blank_bilevel_png(30000, 30000)  # 900 megapixels, valid, about 110 kB
    assert len(data) < 200_000
    t0 = time.perf_counter()
    message = refuse(data)
    assert time.perf_counter() - t0 < 0.5
    assert message == "The image is too large: 900 megapixels (" + LIMITS + ")."
    assert no_decoding == []


def test_image_over_our_cap_is_refused_with_its_size(no_decoding):
    data = blank_bilevel_png(10000, 6000)  # 60 MP: under Pillow's limits, over ours
    assert refuse(data) == ("The image is too large: 6000 x 10000 pixels (height x width; "
                            + LIMITS + ").")
    assert no_decoding == []


def test_image_in_pillows_warning_band_is_refused_with_its_size(no_decoding):
    data = blank_bilevel_png(12000, 9000)  # 108 MP: Pillow only warns, we refuse
    with pytest.warns(Image.DecompressionBombWarning):
        message = refuse(data)
    assert message == ("The image is too large: 9000 x 12000 pixels (height x width; "
                       + LIMITS + ").")
    assert no_decoding == []


def test_pixel_cap_is_a_parameter():
    data = encode(Image.new("RGB", (100, 100), RED), "PNG")
    assert refuse(data, max_pixels=9_999) == (
        "The image is too large: 100 x 100 pixels (height x width; limit 0.01 megapixels)."
    )
    assert load_image(data, max_pixels=10_000).rgb.shape == (100, 100, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_pixels": 0}, "max_pixels must be >= 1, got 0"),
        ({"work_side": -5}, "work_side must be >= 1, got -5"),
        ({"work_side": True}, "work_side must be an integer, got True"),
        ({"work_side": 512.0}, "work_side must be an integer, got 512.0"),
    ],
)
def test_bad_parameters_raise_a_parameter_error(kwargs, message):
    data = encode(Image.new("RGB", (4, 4), RED), "PNG")
    with pytest.raises(ValueError) as info:
        load_image(data, **kwargs)
    assert type(info.value) is ParameterError
    assert str(info.value) == message
    assert info.value.name == next(iter(kwargs))


def test_data_must_be_bytes():
    with pytest.raises(ValueError) as info:
        load_image("photo.png")  # type: ignore[arg-type]
    assert type(info.value) is ParameterError
    assert str(info.value) == "data must be bytes, got str"
    assert info.value.name == "data"


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


# ----------------------------------------------------------------------------- sizes


def test_huge_legal_jpeg_is_downscaled_with_a_note():
    a = np.zeros((6000, 8000, 3), np.uint8)
    a[:, :4000] = RED
    a[:, 4000:] = BLUE
    li = load_image(encode(Image.fromarray(a), "JPEG", quality=90))
    assert li.rgb.shape == (768, 1024, 3)
    assert li.rgb.dtype == np.uint8
    assert li.original_size == (8000, 6000)
    assert li.working_size == (1024, 768)
    assert li.notes == (downscaled("6000 x 8000", "768 x 1024"),)
    assert li.format == "JPEG"
    assert close(px(li, 384, 200), RED, 3)
    assert close(px(li, 384, 800), BLUE, 3)


def test_large_png_is_downscaled_with_lanczos():
    # Vertical stripes 2 px wide average to mid grey; a nearest-neighbour shortcut would not.
    a = np.zeros((1500, 3000), np.uint8)
    a[:, 0::4] = a[:, 1::4] = 255
    li = load_image(encode(Image.fromarray(a), "PNG"), work_side=750)
    assert li.rgb.shape == (375, 750, 3)
    assert li.notes == (downscaled("1500 x 3000", "375 x 750"), GREYSCALE)
    assert abs(float(li.rgb[100:250, 100:650].mean()) - 127.5) < 3


def test_twelve_megapixel_jpeg_matches_a_full_decode():
    # The reduced-scale JPEG decode must look like a full decode resized the slow way.
    y, x = np.mgrid[0:3000, 0:4000]
    a = np.stack([x * 255 // 3999, y * 255 // 2999, (x // 40 + y // 40) % 2 * 255], axis=-1)
    data = encode(Image.fromarray(a.astype(np.uint8)), "JPEG", quality=92)
    li = load_image(data)
    full = Image.open(io.BytesIO(data)).convert("RGB")
    ref = np.asarray(full.resize((1024, 768), Image.Resampling.LANCZOS), np.int16)
    assert li.rgb.shape == ref.shape
    assert np.abs(li.rgb.astype(np.int16) - ref).mean() < 2.0


def test_one_pixel_image():
    li = load_image(encode(Image.new("RGB", (1, 1), (10, 20, 30)), "PNG"))
    assert li.rgb.shape == (1, 1, 3)
    assert px(li, 0, 0) == (10, 20, 30)
    assert li.notes == ()
    assert li.original_size == li.working_size == (1, 1)


def test_thin_image_keeps_at_least_one_pixel_per_side():
    li = load_image(encode(Image.new("RGB", (5000, 2), GREEN), "PNG"), work_side=100)
    assert li.rgb.shape == (1, 100, 3)
    assert px(li, 0, 50) == GREEN


def test_result_is_read_only_uint8():
    li = load_image(encode(Image.new("RGB", (3, 2), RED), "BMP"))
    assert li.rgb.dtype == np.uint8
    assert li.rgb.flags.c_contiguous
    with pytest.raises(ValueError):
        li.rgb[0, 0, 0] = 1


# ----------------------------------------------------------------------------- modes


def test_sixteen_bit_greyscale_png_full_range():
    a = np.array([[0, 257 * 100, 65535], [257 * 200, 12345, 40000]], np.uint16)
    li = load_image(png16(a))
    assert li.rgb.shape == (2, 3, 3)
    assert li.rgb[..., 0].tolist() == [[0, 100, 255], [200, 48, 156]]
    assert (li.rgb[..., 0] == li.rgb[..., 2]).all()
    assert li.notes == (SIXTEEN_BIT, GREYSCALE)


def test_sixteen_bit_png_with_a_small_range_is_stretched():
    a = np.array([[0, 500, 1000]], np.uint16)  # a 10-bit sensor's values, stored in 16 bits
    li = load_image(png16(a))
    assert li.rgb[0, :, 0].tolist() == [0, 128, 255]
    assert li.notes == (
        "16-bit image converted to 8-bit, stretching its values 0..1000 to 0..255.",
        GREYSCALE,
    )


def test_sixteen_bit_colour_png():
    a = np.zeros((2, 2, 3), np.uint16)
    a[0, 0] = (0xFF00, 0x8000, 0x0000)
    a[1, 1] = (0xFFFF, 0xFFFF, 0xFFFF)
    li = load_image(png16(a))
    assert px(li, 0, 0) == (255, 128, 0)
    assert px(li, 1, 1) == WHITE
    assert li.notes == (SIXTEEN_BIT,)


def test_cmyk_jpeg():
    im = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # no cyan/black, full magenta+yellow
    li = load_image(encode(im, "JPEG", quality=95))
    assert li.rgb.shape == (16, 16, 3)
    assert close(px(li, 8, 8), RED, 3)
    assert li.notes == (CMYK,)


def test_palette_png_with_transparency_is_flattened_on_white():
    im = Image.new("P", (2, 1))
    im.putpalette([255, 0, 0, 0, 255, 0] + [0, 0, 0] * 254)
    im.putpixel((0, 0), 0)
    im.putpixel((1, 0), 1)
    li = load_image(encode(im, "PNG", transparency=1))  # green is the transparent index
    assert px(li, 0, 0) == RED
    assert px(li, 0, 1) == WHITE
    assert li.notes == (FLATTENED,)


def test_palette_png_without_transparency():
    im = Image.new("P", (2, 1))
    im.putpalette([0, 0, 255, 0, 255, 0] + [0, 0, 0] * 254)
    im.putpixel((1, 0), 1)
    li = load_image(encode(im, "PNG"))
    assert (px(li, 0, 0), px(li, 0, 1)) == (BLUE, GREEN)
    assert li.notes == ()


def test_la_png():
    im = Image.new("LA", (3, 1))
    for x, value in enumerate([(100, 255), (50, 0), (0, 128)]):
        im.putpixel((x, 0), value)
    li = load_image(encode(im, "PNG"))
    assert [px(li, 0, x) for x in range(3)] == [(100,) * 3, WHITE, (127,) * 3]
    assert li.notes == (FLATTENED, GREYSCALE)


def test_opaque_rgba_has_no_transparency_note():
    li = load_image(encode(Image.new("RGBA", (2, 2), (*BLUE, 255)), "PNG"))
    assert px(li, 1, 1) == BLUE
    assert li.notes == ()


def test_rgba_webp_with_transparency():
    im = Image.new("RGBA", (4, 4), (*RED, 255))
    im.putpixel((0, 0), (0, 0, 0, 0))
    li = load_image(encode(im, "WEBP", lossless=True))
    assert (px(li, 0, 0), px(li, 3, 3)) == (WHITE, RED)
    assert li.notes == (FLATTENED,)
    assert li.format == "WEBP"


def test_i16_tiff():
    a = np.array([[0, 65535], [257 * 10, 257 * 250]], np.uint16)
    im = Image.fromarray(a)
    assert im.mode == "I;16"
    li = load_image(encode(im, "TIFF"))
    assert li.rgb[..., 1].tolist() == [[0, 255], [10, 250]]
    assert li.notes == (SIXTEEN_BIT, GREYSCALE)
    assert li.format == "TIFF"


def test_32_bit_integer_tiff_is_stretched():
    im = Image.fromarray(np.array([[-1000, 1000, 3000]], np.int32), "I")
    li = load_image(encode(im, "TIFF"))
    assert li.rgb[0, :, 0].tolist() == [0, 128, 255]
    assert li.notes == (
        "32-bit image converted to 8-bit, stretching its values -1000..3000 to 0..255.",
        GREYSCALE,
    )


def test_float_tiff_is_stretched_from_min_to_max():
    im = Image.fromarray(np.array([[-1.0, 0.0], [1.0, 3.0]], np.float32), "F")
    li = load_image(encode(im, "TIFF"))
    assert li.rgb[..., 0].tolist() == [[0, 64], [128, 255]]
    assert li.notes == (
        "Floating-point image converted to 8-bit, stretching its values -1..3 to 0..255.",
        GREYSCALE,
    )


def test_float_tiff_with_nan_uses_the_finite_range():
    im = Image.fromarray(np.array([[np.nan, 0.0], [1.0, 2.0]], np.float32), "F")
    li = load_image(encode(im, "TIFF"))
    assert li.rgb[..., 0].tolist() == [[0, 0], [128, 255]]
    assert li.notes[0] == (
        "Floating-point image converted to 8-bit, stretching its values 0..2 to 0..255."
    )


def test_bilevel_and_greyscale():
    im = Image.new("1", (2, 1))
    im.putpixel((1, 0), 1)
    li = load_image(encode(im, "PNG"))
    assert (px(li, 0, 0), px(li, 0, 1)) == (BLACK, WHITE)
    assert li.notes == (GREYSCALE,)
    li = load_image(encode(Image.new("L", (4, 4), 77), "JPEG", quality=95))
    assert close(px(li, 2, 2), (77,) * 3, 1)
    assert li.notes == (GREYSCALE,)


def test_bmp_loads_exactly():
    im = noise(5, 7)
    li = load_image(encode(im, "BMP"))
    assert li.format == "BMP"
    assert (li.rgb == np.asarray(im)).all()


# ----------------------------------------------------------------------------- orientation

# Where the stored image's top-left corner ends up once shown upright, per EXIF orientation.
CORNER = {1: "tl", 2: "tr", 3: "br", 4: "bl", 5: "tl", 6: "tr", 7: "br", 8: "bl"}


def marked(width: int, height: int) -> Image.Image:
    """Blue image with a red block in its (stored) top-left corner."""
    im = Image.new("RGB", (width, height), BLUE)
    im.paste(RED, (0, 0, width // 4, height // 4))
    return im


def corner_pixel(rgb: np.ndarray, corner: str) -> tuple[int, ...]:
    """The pixel two in from the named corner."""
    h, w = rgb.shape[:2]
    y = 2 if corner[0] == "t" else h - 3
    x = 2 if corner[1] == "l" else w - 3
    return tuple(int(v) for v in rgb[y, x])


def with_orientation(im: Image.Image, fmt: str, orientation: int, **kw) -> bytes:
    """Encode with an EXIF orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(im, fmt, exif=exif.tobytes(), **kw)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillows_exif_transpose(orientation):
    data = with_orientation(marked(40, 20), "PNG", orientation)
    li = load_image(data)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    assert (li.rgb == expected).all()
    assert li.rgb.shape == ((20, 40, 3) if orientation < 5 else (40, 20, 3))
    assert corner_pixel(li.rgb, CORNER[orientation]) == RED
    assert li.original_size == li.working_size == (li.rgb.shape[1], li.rgb.shape[0])
    assert li.notes == ()


def test_exif_rotated_jpeg_is_upright():
    li = load_image(with_orientation(marked(40, 20), "JPEG", 6, quality=95))
    assert li.rgb.shape == (40, 20, 3)  # stored 40 wide, shown 20 wide
    assert close(corner_pixel(li.rgb, "tr"), RED, 8)
    for corner in ("tl", "bl", "br"):
        assert close(corner_pixel(li.rgb, corner), BLUE, 8)


def test_exif_rotated_large_jpeg_is_downscaled_then_upright():
    li = load_image(with_orientation(marked(3000, 2000), "JPEG", 8, quality=90), work_side=512)
    assert li.original_size == (2000, 3000)
    assert li.working_size == (341, 512)
    assert li.rgb.shape == (512, 341, 3)
    assert li.notes == (downscaled("3000 x 2000", "512 x 341"),)
    assert close(corner_pixel(li.rgb, "bl"), RED, 8)
    assert close(corner_pixel(li.rgb, "tr"), BLUE, 8)


def test_unreadable_exif_is_ignored():
    data = encode(Image.new("RGB", (4, 4), RED), "JPEG", quality=95, exif=b"Exif\x00\x00junk!!")
    li = load_image(data)
    assert li.rgb.shape == (4, 4, 3)
    assert close(px(li, 1, 1), RED, 3)


# ----------------------------------------------------------------------------- frames


def three_frames(size: tuple[int, int] = (8, 6)) -> list[Image.Image]:
    """Red, green and blue frames."""
    return [Image.new("RGB", size, c) for c in (RED, GREEN, BLUE)]


@pytest.mark.parametrize(
    ("fmt", "kw", "note"),
    [
        ("GIF", {"duration": 100, "loop": 0}, "Animated GIF: using the first frame of 3."),
        ("WEBP", {"duration": 100, "lossless": True}, "Animated WebP: using the first frame of 3."),
        ("PNG", {"duration": 100}, "Animated PNG: using the first frame of 3."),
    ],
)
def test_animation_gives_its_first_frame(fmt, kw, note):
    first, *rest = three_frames()
    li = load_image(encode(first, fmt, save_all=True, append_images=rest, **kw))
    assert li.rgb.shape == (6, 8, 3)
    assert px(li, 3, 4) == RED
    assert li.notes == (note,)
    assert li.format == fmt


def test_multi_page_tiff_gives_its_first_page():
    first = Image.new("RGB", (8, 6), RED)
    rest = [Image.new("RGB", (30, 20), GREEN), Image.new("L", (5, 5), 9)]
    li = load_image(encode(first, "TIFF", save_all=True, append_images=rest))
    assert li.rgb.shape == (6, 8, 3)
    assert px(li, 5, 7) == RED
    assert li.notes == ("Multi-page TIFF: using the first page of 3.",)


def test_multi_picture_jpeg_gives_its_first_picture():
    first, second, _ = three_frames()
    li = load_image(encode(first, "MPO", save_all=True, append_images=[second], quality=95))
    assert close(px(li, 3, 4), RED, 3)
    assert li.notes == ("This JPEG holds 2 pictures: using the first.",)
    assert li.format == "JPEG"


def test_gif_of_very_many_frames_is_not_counted():
    # 150,000 one-pixel frames in 2.25 MB: counting them would walk the whole file.
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    data = header + frame * 150_000 + b";"
    t0 = time.perf_counter()
    li = load_image(data)
    assert time.perf_counter() - t0 < 0.5
    assert li.notes == ("Animated GIF: using the first frame.",)
    assert px(li, 0, 0) == BLACK


def test_gif_damaged_after_its_first_frame_still_loads():
    first, *rest = three_frames()
    data = encode(first, "GIF", save_all=True, append_images=rest, duration=100)
    li = load_image(data[:-30])
    assert px(li, 0, 0) == RED
    assert li.notes == ("Animated GIF: using the first frame.",)


# ----------------------------------------------------------------------------- samples


def test_samples_all_load():
    assert list(SAMPLES) == [
        "Coffee cup",
        "Chelsea the cat",
        "Astronaut Eileen Collins",
        "Test pattern",
    ]
    for name, path in SAMPLES.items():
        assert path.parent == ASSETS
        assert path.stat().st_size < 150_000
        li = load_sample(name)
        assert li.rgb.dtype == np.uint8
        assert li.rgb.ndim == 3 and li.rgb.shape[2] == 3
        assert 256 <= max(li.working_size) <= WORK_SIDE
        assert li.notes == ()
        assert li.format in FORMATS
        assert li.rgb.std() > 20  # a picture, not a blank


def test_sample_sizes_and_work_side():
    assert load_sample("Coffee cup").working_size == (600, 400)
    assert load_sample("Test pattern").working_size == (512, 512)
    small = load_sample("Coffee cup", work_side=300)
    assert small.working_size == (300, 200)
    assert small.notes == (downscaled("400 x 600", "200 x 300"),)


def test_test_pattern_has_its_colours_where_drawn():
    li = load_sample("Test pattern")
    assert px(li, 132, 256 + 128) == WHITE  # where the red, green and blue discs overlap
    assert px(li, 10, 256 + 10) == BLACK  # background of the discs
    assert px(li, 64, 64) == WHITE  # horizontal grating: a white stripe across the middle
    assert px(li, 72, 64) == BLACK  # and a black one half a period (8 rows) below
    assert px(li, 64, 72) == WHITE  # stripes are horizontal: same colour along the row
    assert close(px(li, 256, 256), RED, 5)  # hue sweep starts at red, fully saturated
    assert px(li, 511, 256) == BLACK  # black/white checkerboard
    assert px(li, 384 + 8, 384 + 8) == (200, 0, 0)  # red/green checkerboard
    assert px(li, 384 + 8, 384 + 24) == (0, 102, 0)


def test_every_sample_file_is_credited_in_the_assets_readme():
    readme = (ASSETS / "README.md").read_text(encoding="utf-8")
    for path in SAMPLES.values():
        assert f"`{path.name}`" in readme


def test_unknown_sample_name():
    with pytest.raises(ValueError) as info:
        load_sample("Lena")
    assert str(info.value).startswith("name must be one of 'Coffee cup', ")
    assert str(info.value).endswith(", got 'Lena'")


def test_constants_agree():
    assert FORMATS == ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
    assert set(EXTENSIONS) == {"png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"}
    assert MAX_PIXELS == 50_000_000


# ----------------------------------------------------------------------------- crop_center


def test_crop_center_channels_last_and_first():
    a = np.arange(6 * 8 * 3).reshape(6, 8, 3)
    c = crop_center(a, 2, 4)
    assert c.shape == (2, 4, 3)
    assert (c == a[2:4, 2:6]).all()
    assert np.shares_memory(c, a)
    s = np.arange(5 * 6 * 8).reshape(5, 6, 8)
    assert (crop_center(s, 3, 3, channels_first=True) == s[:, 1:4, 2:5]).all()


def test_crop_center_clips_to_the_array():
    a = np.zeros((4, 5))
    assert crop_center(a, 10, 3).shape == (4, 3)
    with pytest.raises(ValueError, match="height must be >= 1, got 0"):
        crop_center(a, 0, 3)
    with pytest.raises(ValueError, match=r"a must be \(H, W\)"):
        crop_center(np.zeros(5), 1, 1)


# ----------------------------------------------------------------------------- fuzzing


def mutants(data: bytes, n: int, seed: int) -> list[bytes]:
    """Seeded copies of a file with a few bytes changed, deleted or inserted."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 5))):
            i, op = int(rng.integers(len(b))), int(rng.integers(3))
            if op == 0:
                b[i] = int(rng.integers(256))
            elif op == 1:
                del b[i : i + int(rng.integers(1, 40))]
            else:
                b[i:i] = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        out.append(bytes(b))
    return out


@pytest.mark.parametrize(
    ("fmt", "kw"),
    [
        ("PNG", {}),
        ("JPEG", {}),
        ("WEBP", {}),
        ("BMP", {}),
        ("GIF", {"save_all": True}),
        ("TIFF", {"save_all": True, "compression": "tiff_lzw"}),
    ],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's remarks on damaged metadata
def test_damaged_files_load_or_raise_image_error_only(fmt, kw):
    im = noise(24, 32)
    if kw.get("save_all"):
        kw = {**kw, "append_images": [im.rotate(90), im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]}
    outcomes = set()
    for k, data in enumerate(mutants(encode(im, fmt, **kw), 60, seed=len(fmt))):
        t0 = time.perf_counter()
        try:
            li = load_image(data)
        except ImageError as e:
            outcomes.add("refused")
            assert str(e).endswith("."), (k, str(e))
        else:
            outcomes.add("loaded")
            assert li.rgb.dtype == np.uint8 and li.rgb.ndim == 3 and li.rgb.shape[2] == 3
            assert max(li.working_size) <= WORK_SIDE
        assert time.perf_counter() - t0 < 1.0, k
    assert "refused" in outcomes  # the mutations do break files


def test_bomb_message_for_thousands_of_megapixels(no_decoding):
    data = png_bytes(60000, 60000, 1, 0, zlib.compress(b""))  # header only: never decoded
    assert refuse(data) == "The image is too large: 3,600 megapixels (" + LIMITS + ")."
    assert no_decoding == []


# ------------------------------------------------------------------ decoding memory budget


def test_full_size_formats_over_their_budget_are_refused_from_the_header(no_decoding):
    # 49 MP of lossless WebP compresses to a few kB and would decode to ~200 MB of RGBA.
    data = encode(Image.new("L", (16383, 3000)), "WEBP", lossless=True)
    assert len(data) < 20_000
    assert refuse(data) == ("The image is too large: 3000 x 16383 pixels (height x width; "
                            "limit 50 megapixels for JPEG, 16 for other formats).")
    png = blank_bilevel_png(5000, 4000)  # 20 MP: over the full-decode budget
    assert "4000 x 5000 pixels" in refuse(png)
    assert no_decoding == []


def test_a_12_megapixel_photo_fits_in_any_format():
    png = blank_bilevel_png(4000, 3000)
    assert load_image(png, work_side=512).original_size == (4000, 3000)
    jpeg = encode(Image.new("RGB", (6000, 4000), RED), "JPEG")  # 24 MP: JPEG decodes reduced
    assert load_image(jpeg, work_side=512).working_size == (512, 341)
