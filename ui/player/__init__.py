"""The convolution player: a Streamlit custom component (v2) that steps, plays and hit-tests
an animation in the browser, with no message to the server while the learner plays with it;
and the crop picker, a click on an image that tells the page where to crop.

Their HTML, CSS and JavaScript are the files beside this one (no build step, nothing from a
CDN). The engine makes the player's data (:func:`conv_engine.player_data`,
:func:`conv_engine.depth_player_data`); :func:`pack` puts it into one binary payload, the
format that ``player.js`` reads (described at its top), and :func:`player` mounts it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

import conv_engine as ce

_HERE = Path(__file__).parent
MAGIC = b"CVP1"



def _register(name: str, stem: str):
    """A v2 component from the files ``stem``.html/.css/.js beside this module."""
    def read(ext: str) -> str:
        return (_HERE / f"{stem}.{ext}").read_text(encoding="utf-8")

    return st.components.v2.component(name, html=read("html"), css=read("css"),
                                      js=read("js"))


_component = _register("conv_player", "player")
_picker = _register("crop_picker", "picker")


class _Blobs:
    """Blobs appended one after another, each at a 4-byte aligned offset."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes, kind: str) -> dict:
        pad = -self.size % 4
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        ref = {"off": self.size, "len": len(data), "t": kind}
        self.parts.append(data)
        self.size += len(data)
        return ref

    def array(self, a: np.ndarray, kind: str) -> dict:
        dtype = {"u16": "<u2", "u32": "<u4", "f32": "<f4"}[kind]
        a = np.asarray(a)
        if kind != "f32" and a.size and (a.min() < 0 or a.max() >= np.iinfo(dtype).max):
            raise ValueError(f"values out of range for {kind}")
        return self.add(np.ascontiguousarray(a, dtype=dtype).tobytes(), kind)


def _csr(rows: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Jagged rows as (pointers, values): row i is values[ptr[i]:ptr[i+1]]."""
    ptr = np.zeros(len(rows) + 1, np.int64)
    ptr[1:] = np.cumsum([len(r) for r in rows])
    values = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    return ptr, values


def pack(data: ce.PlayerData, *, title: str, speed: int = 1000,
         png_name: str | None = None) -> bytes:
    """The payload ``player.js`` reads: everything the browser needs, in one message.

    Parameters
    ----------
    data : the engine's player data
    title : what the animation shows (the player's accessible name, the frame's alt text)
    speed : default milliseconds a step when playing
    png_name : file name of the "Download this frame" PNG, with ``{step}`` for the step as
        users count it (from 1); None hides the button
    """
    blobs = _Blobs()
    reads_ptr, reads = _csr(data.reads)
    readers_ptr, readers = _csr(data.readers)
    head = {
        "kind": data.kind,
        "size": list(data.size),
        "mime": data.mime,
        "steps": data.steps,
        "cols": int(data.out_cells[:, 1].max()) + 1,
        "captions": list(data.captions),
        "names": list(data.names),
        "number_px": data.number_px,
        "bg": blobs.add(data.background, "img"),
        "out_cells": blobs.array(data.out_cells.ravel(), "u16"),
        "out_polys": blobs.array(data.out_polys.ravel(), "f32"),
        "out_sheets": int(data.out_polys.shape[1]),
        "in_cells": blobs.array(data.in_cells.ravel(), "u16"),
        "in_polys": blobs.array(data.in_polys.ravel(), "f32"),
        "in_sheets": int(data.in_polys.shape[1]),
        "reads_ptr": blobs.array(reads_ptr, "u32"),
        "reads": blobs.array(reads, "u16"),
        "readers_ptr": blobs.array(readers_ptr, "u32"),
        "readers": blobs.array(readers, "u16"),
    }
    overlays = []
    for step in data.overlays:
        row = []
        for o in step:
            ref = blobs.add(o.image, "img")
            row.append([o.x, o.y, o.size[0], o.size[1], ref["off"], ref["len"]])
        overlays.append(row)
    head["overlays"] = overlays
    body = b"".join(blobs.parts)
    # The id names the drawing, not the settings below: a new speed keeps the learner's step.
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    digest.update(body)
    head.update(id=digest.hexdigest()[:32], title=title, speed=int(speed), png_name=png_name)
    header = json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return MAGIC + struct.pack("<I", len(header)) + header + body


def unpack_header(payload: bytes) -> dict:
    """The JSON header of a payload made by :func:`pack` (for tests and checks)."""
    if payload[:4] != MAGIC:
        raise ValueError("not a player payload")
    (n,) = struct.unpack("<I", payload[4:8])
    return json.loads(payload[8:8 + n].decode("utf-8"))


def player(payload: bytes, *, key: str) -> None:
    """Mount the player with a payload from :func:`pack`. ``key`` keeps one player in place
    across reruns, so a new case replaces the drawing without remounting the component."""
    _component(data=payload, key=key, width="stretch", height="content")


def image_url(rgb: np.ndarray) -> str:
    """An (H, W, 3) uint8 image as a PNG data URL (exact pixels: the crop is a few of them)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buf, "PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def crop_picker(url: str, size: tuple[int, int], crop: tuple[int, int],
                crop_size: tuple[int, int], *, alt: str, key: str,
                on_pick: Callable[[], None]) -> None:
    """Mount the crop picker: the image at ``url`` ((width, height) ``size``) with the crop
    of ``crop_size`` (height, width) whose top-left pixel is ``crop`` (row, col) outlined. A
    click sets the component's state ``crop`` to ``{"top": row, "left": col, "click": n}``
    and calls ``on_pick`` before the rerun (read it from ``st.session_state[key]``)."""
    _picker(data={"image": url, "size": list(size), "crop": list(crop),
                  "crop_size": list(crop_size), "alt": alt},
            key=key, default={"crop": None}, on_crop_change=on_pick, width="stretch",
            height="content")
