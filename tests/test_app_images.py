"""AppTest of the image pages: Your image, Network in Network, Inception."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import conv_engine as ce
from tests.test_app import _app, _no_errors
from ui.features_cache import METHOD_LABELS, SPATIAL
from ui.image_input import UPLOAD
from ui.player import unpack_header

PAGE = "app_pages/your_image.py"
pytestmark = pytest.mark.usefixtures("fresh_caches")


def _png(w: int = 96, h: int = 64) -> bytes:
    """Vertical stripes on the left half, red on the right: orientation and colour to find."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = ((np.arange(w // 2) // 3) % 2 * 255)[None, :, None]
    a[:, w // 2 :, 0] = 220
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def _texts(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_your_image_defaults_show_stack_maps_and_shapes():
    at = _app(PAGE)
    _no_errors(at)
    img = ce.load_sample(next(iter(ce.SAMPLES)), work_side=512)
    h, w = img.rgb.shape[:2]
    fs = ce.feature_stack(img.rgb, orientations=4, scales=2)
    assert f"{h} x {w} x {fs.shape[0]} → {h} x {w} x 3" in _texts(at)
    assert len(at.image) == 4  # photo, feature stack, output maps, plot
    # The depth view of a crop: the picker and the player, whose payload draws the 4x4 crop.
    (picker,) = [e for e in at.get("bidi_component") if e.proto.WhichOneof("data") == "json"]
    (player,) = [e for e in at.get("bidi_component") if e.proto.WhichOneof("data") == "bytes"]
    assert unpack_header(player.proto.bytes)["steps"] == 16
    assert len(at.get("download_button")) == 2


@pytest.mark.parametrize("method", list(METHOD_LABELS))
def test_every_reduction_method_renders(method):
    query = {"method": METHOD_LABELS[method]}
    if method == "learned":
        query["steps"] = "100"
    at = _app(PAGE, **query)
    _no_errors(at)
    assert at.selectbox(key="method").value == method
    assert any(m.value.startswith(":small[") and "output maps" in m.value for m in at.markdown)


@pytest.mark.parametrize("spatial", list(SPATIAL))
@pytest.mark.parametrize("relu", ["true", "false"])
def test_relu_stride_and_pool_change_the_output_shape(spatial, relu):
    at = _app(PAGE, spatial=SPATIAL[spatial], relu=relu)
    _no_errors(at)
    img = ce.load_sample(next(iter(ce.SAMPLES)), work_side=512)
    h, w = img.rgb.shape[:2]
    # 1x1 with stride s keeps every s-th pixel: ceil(h / s); 2x2 max pooling halves (floor)
    expect = {"none": (h, w), "s2": (-(-h // 2), -(-w // 2)), "s3": (-(-h // 3), -(-w // 3)),
              "pool": (h // 2, w // 2)}[spatial]
    assert f"→ {expect[0]} x {expect[1]} x 3" in _texts(at)


def test_upload_shows_maps_of_the_uploaded_image():
    at = _app(PAGE, **{"img-image": UPLOAD})
    assert not at.exception
    at.file_uploader(key="img-upload").set_value(("stripes.png", _png(), "image/png")).run()
    _no_errors(at)
    assert "64 x 96 x" in _texts(at)


def test_upload_of_a_non_image_shows_one_message_and_recovers():
    at = _app(PAGE, **{"img-image": UPLOAD})
    at.file_uploader(key="img-upload").set_value(("notes.png", b"hello", "image/png")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [ce.images.NOT_AN_IMAGE]
    at.file_uploader(key="img-upload").set_value(("stripes.png", _png(), "image/png")).run()
    _no_errors(at)
    assert "64 x 96 x" in _texts(at)


def test_network_in_network_views_agree():
    at = _app("app_pages/network_in_network.py")
    _no_errors(at)
    text = _texts(at)
    diff = float(text.split("Largest difference: **")[1].split("**")[0])
    assert diff < 1e-9
    table = at.dataframe[-1].value
    assert np.allclose(table.iloc[:, 1], table.iloc[:, 2])
    assert np.allclose(table.iloc[:, 1], table.iloc[:, 3], atol=1e-4)  # rounded to 5 places


def test_inception_classic_example_and_module_numbers():
    at = _app("app_pages/inception.py")
    _no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Mult-adds, 5x5 directly"] == "120.4 M"
    assert metrics["Mult-adds, 1x1 then 5x5"] == "12.4 M"
    # module 3a by hand: 1x1 64; 3x3 96 then 128; 5x5 16 then 32; pool proj 32; with biases
    weights = 192 * 64 + 192 * 96 + 96 * 128 * 9 + 192 * 16 + 16 * 32 * 25 + 192 * 32
    biases = 64 + 96 + 128 + 16 + 32 + 32
    assert metrics["Params (weights + biases)"] == f"{weights + biases:,}"
    assert metrics["Output channels"] == "256"


def test_inception_custom_module_from_url():
    at = _app("app_pages/inception.py", module="Custom")  # older links carried the label
    _no_errors(at)
    assert not at.number_input(key="inc-cin").disabled
