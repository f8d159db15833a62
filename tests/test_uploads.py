"""Odd and hostile uploads through the real upload widget of the "Your image" page (AppTest).

Every file is generated here (Pillow, NumPy, hand-built PNG chunks); nothing comes from
outside. Each one either renders (no error, notes where something was converted, the output
maps shown) or gets exactly one clear message, never an exception; and the same session then
renders the next, good upload.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import streamlit.testing.v1.app_test as app_test_module
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from conv_engine.images import CMYK, CORRUPT, EMPTY, FLATTENED, GREYSCALE, NOT_AN_IMAGE, SIXTEEN_BIT
from ui.image_input import UPLOAD, UPLOAD_PROMPT
from ui.player import unpack_header

ROOT = Path(__file__).resolve().parent.parent
PAGE = "app_pages/your_image.py"
TIMEOUT = 60
WORK_SIDE = 512  # the page's working size (pick_image's default)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
PNG, JPEG, GIF, WEBP, TIFF = "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff"


# ----------------------------------------------------------------------------- fixtures


pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def shown(monkeypatch):
    """A function from an st.image URL to the picture the page served there (RGB array).

    AppTest makes a fresh in-memory media store for every run; remembering each one lets a
    test look at the pixels the page really displayed.
    """
    stores: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, endpoint: str) -> None:
            super().__init__(endpoint)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)

    def fetch(url: str) -> np.ndarray:
        name = url.rsplit("/", 1)[-1]
        for store in reversed(stores):
            try:
                content = store.get_file(name).content
            except Exception:
                continue
            return np.asarray(Image.open(io.BytesIO(content)).convert("RGB"))
        raise AssertionError(f"no media file behind {url}")

    return fetch


# ----------------------------------------------------------------------------- the page


def upload_page() -> AppTest:
    """The image page with "Upload your own…" chosen (through the URL), before any upload."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(PAGE)
    at.query_params["img-image"] = UPLOAD  # after switch_page, which starts from a clean URL
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="img-image").value == UPLOAD
    assert [i.value for i in at.info] == [UPLOAD_PROMPT]
    return at


def upload(at: AppTest, name: str, data: bytes, mime: str) -> AppTest:
    return at.file_uploader(key="img-upload").set_value((name, data, mime)).run()


def notes(at: AppTest) -> list[str]:
    """The page's notes about conversions (the captions that show_notes writes)."""
    return [m.value.removeprefix(":small[ℹ️ ").removesuffix("]") for m in at.markdown
            if m.value.startswith(":small[ℹ️ ")]


def captions(at: AppTest) -> list[str]:
    """The figures' captions: small body text under each figure (``:small[...]``)."""
    return [m.value.removeprefix(":small[").removesuffix("]") for m in at.markdown
            if m.value.startswith(":small[")]


def input_caption(at: AppTest) -> str:
    found = [c for c in captions(at) if c.startswith("your image: ")]
    assert len(found) == 1, captions(at)
    return found[0]


def maps_shown(at: AppTest) -> bool:
    """Whether the 1x1 convolution's output maps are on the page."""
    return any(c.startswith("The ") and " output maps (" in c for c in captions(at))


def page_text(at: AppTest) -> str:
    parts = [e.value for kind in (at.markdown, at.caption, at.error, at.info, at.warning)
             for e in kind]
    return "\n".join([*parts, *captions(at)])


def assert_renders(at: AppTest, size: tuple[int, int], expected_notes: list[str]) -> None:
    """Rendered without an error: working size (width, height), notes, maps present."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert input_caption(at) == (f"your image: {size[1]} x {size[0]} pixels "
                                 "(height x width, working size)")
    assert notes(at) == expected_notes
    assert maps_shown(at), captions(at)


def assert_refused(at: AppTest, message: str) -> None:
    """Exactly one message, no exception, nothing computed from the file."""
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [message]
    assert not at.image
    assert notes(at) == []


# ----------------------------------------------------------------------------- the corpus


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def noise(w: int = 64, h: int = 48) -> Image.Image:
    """Seeded RGB noise: incompressible, so a truncation cuts real pixel data."""
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its length and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_file(width: int, height: int, depth: int, colour_type: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zlib_zeros(total: int, block: int = 1 << 22) -> bytes:
    """A valid zlib stream of ``total`` zero bytes, without compressing them all.

    One block is deflated and ended by a full flush (byte aligned, no back-references
    across it), so its bytes can be repeated; the Adler-32 of n zeros is ``(n % 65521) << 16
    | 1``.
    """
    n, rest = divmod(total, block)
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = z.compress(bytes(block)) + z.flush(zlib.Z_FULL_FLUSH)
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = z.compress(bytes(rest)) + z.flush()
    adler = ((total % 65521) << 16) | 1
    return b"\x78\xda" + piece * n + tail + struct.pack(">I", adler)


def black_bilevel_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of any size (each row: filter byte 0 and packed zeros)."""
    return png_file(width, height, 1, 0, zlib_zeros(height * (1 + (width + 7) // 8)))


def png16_rgb(a: np.ndarray) -> bytes:
    """A 16-bit colour PNG from an (H, W, 3) uint16 array (Pillow cannot write one)."""
    raw = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in a)
    return png_file(a.shape[1], a.shape[0], 16, 2, zlib.compress(raw))


def marked(width: int, height: int) -> Image.Image:
    """Blue, with a red block in the stored top-left quarter."""
    im = Image.new("RGB", (width, height), BLUE)
    im.paste(RED, (0, 0, width // 4, height // 4))
    return im


def exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 80 wide and 40 high; shown turned a quarter clockwise
    return encode(marked(80, 40), "JPEG", quality=95, exif=exif.tobytes())


def frames(size: tuple[int, int] = (40, 30)) -> list[Image.Image]:
    return [Image.new("RGB", size, c) for c in (RED, GREEN, BLUE)]


def animated(fmt: str, **kw) -> bytes:
    first, *rest = frames()
    return encode(first, fmt, save_all=True, append_images=rest, duration=100, **kw)


def multipage_tiff() -> bytes:
    first = Image.new("RGB", (40, 30), RED)
    rest = [Image.new("RGB", (60, 50), GREEN), Image.new("L", (20, 20), 9)]
    return encode(first, "TIFF", save_all=True, append_images=rest)


def palette_with_transparency() -> bytes:
    im = Image.new("P", (40, 30), 1)
    im.putpalette([*RED, *GREEN, *BLUE] + [0] * (256 * 3 - 9))
    im.paste(0, (0, 0, 20, 30))  # left half: index 0, the transparent one
    return encode(im, "PNG", transparency=0)


def la_png() -> bytes:
    lum = np.full((30, 40), 60, np.uint8)
    alpha = np.full((30, 40), 255, np.uint8)
    alpha[:, :20] = 0
    return encode(Image.fromarray(np.dstack([lum, alpha]), "LA"), "PNG")


def i16_png() -> bytes:
    a = (np.arange(30 * 40, dtype=np.uint32).reshape(30, 40) * 54).astype(np.uint16)
    im = Image.fromarray(a)
    assert im.mode == "I;16"
    return encode(im, "PNG")


def float_tiff() -> bytes:
    a = np.linspace(-1.0, 3.0, 30 * 40, dtype=np.float32).reshape(30, 40)
    return encode(Image.fromarray(a, "F"), "TIFF")


def good_png() -> bytes:
    y, x = np.mgrid[0:48, 0:64]
    a = np.stack([x * 4, y * 5, (x // 8 + y // 8) % 2 * 255], axis=-1).astype(np.uint8)
    return encode(Image.fromarray(a), "PNG")


def truncated(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


@dataclass(frozen=True)
class Bad:
    name: str
    make: Callable[[], bytes]
    mime: str
    message: str


@dataclass(frozen=True)
class Good:
    name: str
    make: Callable[[], bytes]
    mime: str
    size: tuple[int, int]  # working (width, height) on the page
    notes: list[str] = field(default_factory=list)
    # (row, col, colour) of the displayed input picture, checked within a tolerance
    pixels: tuple[tuple[int, int, tuple[int, int, int]], ...] = ()


SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" '
       b'height="100"><circle cx="50" cy="50" r="40" fill="red"/></svg>\n')
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script><img src=x></body></html>\n"

BAD = [
    Bad("empty.png", lambda: b"", PNG, EMPTY),
    Bad("half.png", lambda: truncated(encode(noise(), "PNG"), 0.5), PNG, CORRUPT),
    Bad("header-only.png", lambda: encode(noise(), "PNG")[:40], PNG, CORRUPT),
    Bad("cut.jpg", lambda: truncated(encode(noise(), "JPEG", quality=95), 0.6), JPEG, CORRUPT),
    Bad("notes.png", lambda: b"Shopping list: milk, eggs, a 1x1 convolution.\n" * 30, PNG,
        NOT_AN_IMAGE),
    Bad("drawing.jpg", lambda: SVG, JPEG, NOT_AN_IMAGE),
    Bad("page.jpg", lambda: HTML, JPEG, NOT_AN_IMAGE),
    Bad("bomb.png", lambda: black_bilevel_png(30000, 30000), PNG,
        "The image is too large: 900 megapixels (limit 50 megapixels for JPEG, 16 for other "
        "formats)."),
]

GOOD = [
    Good("huge.jpg", lambda: encode(Image.new("RGB", (8000, 6000), (30, 120, 200)), "JPEG",
                                    quality=80), JPEG, (512, 384),
         ["Downscaled from 6000 x 8000 to 384 x 512 pixels (height x width) for speed."],
         ((192, 256, (30, 120, 200)),)),
    Good("dot.png", lambda: encode(Image.new("RGB", (1, 1), (10, 200, 30)), "PNG"), PNG,
         (1, 1), [], ((0, 0, (10, 200, 30)),)),
    Good("deep.png", lambda: png16_rgb(np.full((30, 40, 3), (0xFFFF, 0x8000, 0), np.uint16)),
         PNG, (40, 30), [SIXTEEN_BIT], ((15, 20, (255, 128, 0)),)),
    Good("print.jpg", lambda: encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG",
                                     quality=95), JPEG, (40, 30), [CMYK], ((15, 20, RED),)),
    Good("palette.png", palette_with_transparency, PNG, (40, 30), [FLATTENED],
         ((15, 5, (255, 255, 255)), (15, 35, GREEN))),
    Good("la.png", la_png, PNG, (40, 30), [FLATTENED, GREYSCALE],
         ((15, 5, (255, 255, 255)), (15, 35, (60, 60, 60)))),
    Good("i16.png", i16_png, PNG, (40, 30), [SIXTEEN_BIT, GREYSCALE],
         ((0, 0, (0, 0, 0)), (29, 39, (252, 252, 252)))),  # 0 and 64746 / 257
    Good("float.tif", float_tiff, TIFF, (40, 30),
         ["Floating-point image converted to 8-bit, stretching its values -1..3 to 0..255.",
          GREYSCALE], ((0, 0, (0, 0, 0)), (29, 39, (255, 255, 255)))),
    Good("turned.jpg", exif_rotated_jpeg, JPEG, (40, 80), [],
         ((3, 36, RED), (3, 3, BLUE), (76, 3, BLUE), (76, 36, BLUE))),
    Good("anim.gif", lambda: animated("GIF", loop=0), GIF, (40, 30),
         ["Animated GIF: using the first frame of 3."], ((15, 20, RED),)),
    Good("anim.webp", lambda: animated("WEBP", lossless=True), WEBP, (40, 30),
         ["Animated WebP: using the first frame of 3."], ((15, 20, RED),)),
    Good("pages.tiff", multipage_tiff, TIFF, (40, 30),
         ["Multi-page TIFF: using the first page of 3."], ((15, 20, RED),)),
]


# ----------------------------------------------------------------------------- tests


def test_corpus_builders_make_what_they_claim():
    # The hand-built files must be real images, or the refusals below prove little.
    small = Image.open(io.BytesIO(black_bilevel_png(70, 9)))
    small.load()
    assert (small.mode, small.size, small.getextrema()) == ("1", (70, 9), (0, 0))
    assert zlib.decompress(zlib_zeros(10_000, block=4096)) == bytes(10_000)
    bomb = black_bilevel_png(30000, 30000)
    assert len(bomb) < 200_000
    assert struct.unpack(">12x4s2I", bomb[:24]) == (b"IHDR", 30000, 30000)
    deep = Image.open(io.BytesIO(png16_rgb(np.zeros((2, 3, 3), np.uint16))))
    assert deep.size == (3, 2) and ";16" in str(deep.tile[0].args)
    assert Image.open(io.BytesIO(exif_rotated_jpeg())).getexif()[0x0112] == 6
    assert Image.open(io.BytesIO(animated("WEBP", lossless=True))).n_frames == 3
    assert Image.open(io.BytesIO(la_png())).mode == "LA"
    assert Image.open(io.BytesIO(i16_png())).mode == "I;16"
    assert Image.open(io.BytesIO(float_tiff())).mode == "F"
    assert Image.open(io.BytesIO(palette_with_transparency())).info["transparency"] == 0
    assert Image.open(io.BytesIO(encode(Image.new("CMYK", (2, 2)), "JPEG"))).mode == "CMYK"


def test_good_png_renders(shown):
    at = upload(upload_page(), "gradient.png", good_png(), PNG)
    assert_renders(at, (64, 48), [])
    assert not at.info  # the "choose a file" prompt is gone
    rgb = shown(at.image[0].value[0])
    assert rgb.shape == (48, 64, 3)


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_bad_file_gets_one_message_and_the_next_upload_works(case):
    at = upload(upload_page(), case.name, case.make(), case.mime)
    assert_refused(at, case.message)
    upload(at, "gradient.png", good_png(), PNG)
    assert_renders(at, (64, 48), [])


@pytest.mark.parametrize("case", GOOD, ids=[c.name for c in GOOD])
def test_odd_but_valid_file_renders_with_its_notes(case, shown):
    at = upload(upload_page(), case.name, case.make(), case.mime)
    assert_renders(at, case.size, case.notes)
    rgb = shown(at.image[0].value[0])
    assert rgb.shape == (case.size[1], case.size[0], 3)
    for y, x, colour in case.pixels:
        got = rgb[y, x].astype(int)
        assert np.abs(got - colour).max() <= 24, (y, x, got.tolist(), colour)


def test_a_class_worth_of_files_in_one_session():
    # One user trying everything in turn: what the page shows after each upload depends on
    # that file alone (no message or note of an earlier one lingers).
    at = upload_page()
    cases = {c.name: c for c in [*BAD, *GOOD]}
    names = ["empty.png", "anim.gif", "dot.png", "notes.png", "bomb.png", "palette.png",
             "half.png", "pages.tiff"]
    for case in (cases[n] for n in names):
        upload(at, case.name, case.make(), case.mime)
        if isinstance(case, Bad):
            assert_refused(at, case.message)
        else:
            assert_renders(at, case.size, case.notes)
    at.file_uploader(key="img-upload").set_value(None).run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == [UPLOAD_PROMPT]


def test_file_names_are_never_shown():
    name = "My_Secret_Holiday_<b>photo</b>.png"
    at = upload(upload_page(), name, good_png(), PNG)
    assert_renders(at, (64, 48), [])
    text = page_text(at)
    assert "Secret_Holiday" not in text and "<b>" not in text
    at = upload(at, "Another_Secret.png", b"", PNG)
    assert "Another_Secret" not in page_text(at)


# ----------------------------------------------------------------------------- tiny images
# Sliders over pixels must cope with a side of one pixel (Streamlit refuses min == max).


def tiny_png(width: int, height: int) -> bytes:
    return encode(Image.new("RGB", (width, height), (200, 40, 40)), "PNG")


@pytest.mark.parametrize("size", [(7, 1), (1, 1)], ids=["7x1", "1x1"])
def test_one_pixel_wide_image_on_the_network_in_network_page(size):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("app_pages/network_in_network.py")
    at.query_params["nin-image"] = UPLOAD
    at.run()
    at.file_uploader(key="nin-upload").set_value(("thin.png", tiny_png(*size), PNG)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.image  # the output maps of the 1x1 convolutions
    assert "Largest difference" in " ".join(m.value for m in at.markdown)


def test_crop_of_an_image_smaller_than_the_crop():
    at = upload(upload_page(), "small.png", tiny_png(3, 2), PNG)
    assert_renders(at, (3, 2), [])
    (player,) = [el for el in at.get("bidi_component") if el.proto.WhichOneof("data") == "bytes"]
    head = unpack_header(player.proto.bytes)
    assert head["steps"] == 6  # the 2x3 crop's pixels, not a 4x4 crop's 16
    assert head["captions"][5].startswith("pixel (1,2)")


# ----------------------------------------------------------------------------- many PUTs
# A real server: one session holding its XSRF cookie PUTs file after file to the upload
# endpoint, as a script can without the page (ui/uploads.py keeps the newest few).


def test_upload_store_keeps_each_sessions_newest_files():
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    from ui.uploads import limit

    mgr = MemoryUploadedFileManager("/upload")
    limit(mgr, keep=2)
    limit(mgr, keep=2)  # a second call (every run makes one) wraps nothing more

    def add(session: str, file_id: str) -> None:
        mgr.add_file(session_id=session, file=UploadedFileRec(file_id, "f.png", PNG, b"x" * 10))

    for i in range(5):
        add("a", f"a{i}")
    add("b", "b0")
    add("a", "a3")  # sent again: now the newest
    add("a", "a5")
    assert list(mgr.file_storage["a"]) == ["a3", "a5"]
    assert list(mgr.file_storage["b"]) == ["b0"]
    assert mgr.get_stats()["cache_memory_bytes"][0].byte_length == 30  # the count kept right


def test_upload_limit_refuses_a_store_it_does_not_know():
    from ui.uploads import limit

    with pytest.raises(RuntimeError, match="cannot limit stored uploads"):
        limit(object())


def _xsrf_token(url: str) -> str:
    """The XSRF cookie the server sets on any page; the upload endpoint wants it echoed in a
    header too (double submit)."""
    import urllib.request

    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as r:
        for header in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "_streamlit_xsrf":
                return rest.split(";", 1)[0]
    raise AssertionError("the server set no XSRF cookie")


def _stored_upload_bytes(url: str) -> int:
    """Bytes in the server's upload store, from /_stcore/metrics (0 when it holds none)."""
    import re
    import urllib.request

    with urllib.request.urlopen(f"{url}/_stcore/metrics?families=cache_memory_bytes",
                                timeout=30) as r:
        text = r.read().decode()
    found = re.findall(r'cache_type="UploadedFileManager"[^}]*\} (\d+)', text)
    return sum(int(n) for n in found)


@pytest.mark.browser
def test_one_session_cannot_pile_up_uploads(server):
    import asyncio

    import requests
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from ui.uploads import KEEP

    size, files = 1 << 20, 8
    token = _xsrf_token(server)
    ws_url = server.replace("http://", "ws://") + "/_stcore/stream"

    async def run_script(ws) -> str:
        """Run the home page; its session id once the script has finished cleanly."""
        msg = BackMsg()
        msg.rerun_script.page_name = ""
        await ws.send(msg.SerializeToString())
        session_id, exceptions = "", 0
        async with asyncio.timeout(60):
            while True:
                fwd = ForwardMsg()
                fwd.ParseFromString(await ws.recv())
                kind = fwd.WhichOneof("type")
                if kind == "new_session":
                    session_id = fwd.new_session.initialize.session_id
                elif kind == "delta" and fwd.delta.new_element.WhichOneof("type") == "exception":
                    exceptions += 1
                elif kind == "script_finished":
                    break
        assert not exceptions
        return session_id

    def put(session_id: str, i: int) -> int:
        r = requests.put(f"{server}/_stcore/upload_file/{session_id}/file-{i}",
                         files={"file": (f"f{i}.png", bytes([i]) * size, "image/png")},
                         headers={"X-Xsrftoken": token}, cookies={"_streamlit_xsrf": token},
                         timeout=30)
        return r.status_code

    async def attack() -> int:
        async with websockets.connect(ws_url, subprotocols=["streamlit"],
                                      max_size=None) as ws:
            session_id = await run_script(ws)
            assert session_id
            for i in range(files):  # the session stays open: the endpoint accepts them all
                assert await asyncio.to_thread(put, session_id, i) == 204
            held = await asyncio.to_thread(_stored_upload_bytes, server)
            await run_script(ws)  # the session still works
            return held

    held = asyncio.run(attack())
    # Without the limit the store holds all 8 MiB until the session expires.
    assert size <= held <= KEEP * size, f"{held / size:.1f} files of this session stored"
