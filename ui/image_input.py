"""Choosing an image: a bundled sample or an upload, decoded safely and cached by content."""

from __future__ import annotations

import hashlib
import threading

import streamlit as st

import conv_engine as ce
from ui import links
from ui.common import small

UPLOAD_TYPES = list(ce.images.EXTENSIONS)
UPLOAD = "upload"  # the picker's option (and URL value) for an uploaded file
UPLOAD_PROMPT = ("Choose a file to see its feature maps. (A link never carries an uploaded "
                 "image: after opening one, upload the file again.)")


# A decode can take a few hundred MB for a moment: a class uploading at once decodes two at a
# time, and the others wait behind the spinner.
_DECODES = threading.BoundedSemaphore(2)


@st.cache_data(max_entries=16,
               show_spinner="Reading the image… (when many arrive at once, two at a time)")
def _decode(digest: str, _data: bytes, work_side: int) -> ce.LoadedImage:
    """Decoded image, cached on the bytes' sha256 (the bytes themselves are not hashed)."""
    del digest
    with _DECODES:
        return ce.load_image(_data, work_side=work_side)


@st.cache_data(max_entries=8, show_spinner="Reading the sample…")
def _sample(name: str, work_side: int) -> ce.LoadedImage:
    return ce.load_sample(name, work_side=work_side)


def pick_image(key: str, *, work_side: int = 512) -> tuple[str, str, ce.LoadedImage] | None:
    """A sample picker with an upload option: (cache key, label, image), or None with a message.

    The cache key is the sample's name or the upload's sha256; ``label`` names the image for
    captions: the sample's name or "your image" (an uploaded
    file's name is never echoed back, so nothing a user typed is rendered).
    """
    names = [*ce.SAMPLES, UPLOAD]
    choice = links.choice(st.selectbox, "Image", names, names[0], f"{key}-image",
                          format_func=lambda n: "Upload your own…" if n == UPLOAD else n)
    if choice != UPLOAD:
        return f"sample:{choice}:{work_side}", choice, _sample(choice, work_side)
    f = st.file_uploader(
        "PNG, JPEG, WebP, BMP, GIF or TIFF, up to 20 MB", type=UPLOAD_TYPES, key=f"{key}-upload",
        help="The image stays in memory on the server and is never stored.",
    )
    if f is None:
        st.info(UPLOAD_PROMPT, icon="⬆️")
        return None
    data = f.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    try:
        img = _decode(digest, data, work_side)
    except ce.ImageError as e:
        st.error(str(e), icon="🖼️")
        return None
    return f"upload:{digest}:{work_side}", "your image", img


def show_notes(img: ce.LoadedImage) -> None:
    """What happened to the image on the way in (downscaling, first frame, ...)."""
    for note in img.notes:
        small(f"ℹ️ {note}")
