"""Colours, sizes and fonts of the drawings: one frozen Style, two palettes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

from PIL import Image, ImageFont

from ..checks import ParameterError

RGB = tuple[int, int, int]


def hex_rgb(code: str) -> RGB:
    """'#268BD2' -> (38, 139, 210)."""
    code = code.lstrip("#")
    return (int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16))


@dataclass(frozen=True)
class Colors:
    """The colours of one palette (RGB triples).

    ``shadow`` is laid over the kernel's cells and the current output cell with opacity
    ``shadow_alpha``; ``text*`` are the colours of numbers on the background, on input
    cells and on output cells.
    """

    background: RGB
    input: RGB
    output: RGB
    shadow: RGB
    shadow_alpha: float
    grid: RGB
    connector: RGB
    text: RGB
    text_on_input: RGB
    text_on_output: RGB

    @property
    def shadow_level(self) -> int:
        """``shadow_alpha`` as the 0-255 mask level the drawing uses."""
        return round(self.shadow_alpha * 255)

    def shaded(self, rgb: RGB) -> RGB:
        """``rgb`` under the shadow, exactly as the drawing composites it."""
        im = Image.new("RGB", (1, 1), rgb)
        im.paste(self.shadow, (0, 0, 1, 1), Image.new("L", (1, 1), self.shadow_level))
        return im.getpixel((0, 0))  # type: ignore[return-value]

    def flat(self) -> list[RGB]:
        """Every colour a flat area can have (cells, shaded cells, lines, text), no repeats."""
        base = [getattr(self, f.name) for f in fields(self) if f.name != "shadow_alpha"]
        shaded = [self.shaded(c) for c in (self.background, self.input, self.output)]
        return list(dict.fromkeys([*base, *shaded]))


# The guide's Solarized colours: input blue, output cyan, base02 shadow at 40 %, base03 lines.
SOLARIZED = Colors(
    background=hex_rgb("#FFFFFF"),
    input=hex_rgb("#268BD2"),
    output=hex_rgb("#2AA198"),
    shadow=hex_rgb("#073642"),
    shadow_alpha=0.4,
    grid=hex_rgb("#002B36"),
    connector=hex_rgb("#000000"),
    text=hex_rgb("#002B36"),
    text_on_input=hex_rgb("#000000"),
    text_on_output=hex_rgb("#000000"),
)

# Okabe-Ito blue and yellow: told apart by colour-blind readers and in greyscale; numbers
# keep a contrast of at least 4.5:1 on plain and shaded cells alike.
HIGH_CONTRAST = Colors(
    background=hex_rgb("#FFFFFF"),
    input=hex_rgb("#0072B2"),
    output=hex_rgb("#F0E442"),
    shadow=hex_rgb("#000000"),
    shadow_alpha=0.4,
    grid=hex_rgb("#000000"),
    connector=hex_rgb("#000000"),
    text=hex_rgb("#000000"),
    text_on_input=hex_rgb("#FFFFFF"),
    text_on_output=hex_rgb("#000000"),
)

PALETTES: dict[str, Colors] = {"solarized": SOLARIZED, "high-contrast": HIGH_CONTRAST}


@dataclass(frozen=True)
class Style:
    """How a trace is drawn.

    Parameters
    ----------
    palette : "solarized" (the guide's) or "high-contrast"
    cell : preferred side of a cell in px for the slanted arithmetic view
    numerical_cell : preferred side of a cell in px for the flat numerical view
    max_size : the cell shrinks (down to ``min_cell``) until width and height fit this
    labels : write "input" and "output" next to the grids
    supersample : drawing scale before the box-filter downscale that smooths edges
    font : path of a TrueType font; None uses Pillow's built-in scalable font
    colors : explicit colours; by default those of ``palette``
    """

    palette: str = "solarized"
    cell: int = 30
    numerical_cell: int = 48
    max_size: int = 1000
    min_cell: int = 2
    labels: bool = True
    supersample: int = 3
    font: str | None = None
    colors: Colors | None = None

    def __post_init__(self) -> None:
        if self.palette not in PALETTES:
            raise ParameterError(
                "palette", f"palette must be one of {tuple(PALETTES)}, got {self.palette!r}"
            )
        for name, lo in (("cell", 4), ("numerical_cell", 4), ("min_cell", 1), ("max_size", 64)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ParameterError(name, f"{name} must be an integer >= {lo}, got {v!r}")
        ss = self.supersample
        if isinstance(ss, bool) or not isinstance(ss, int) or not 1 <= ss <= 8:
            raise ParameterError(
                "supersample", f"supersample must be an integer from 1 to 8, got {ss!r}"
            )
        if self.colors is None:
            object.__setattr__(self, "colors", PALETTES[self.palette])

    @property
    def rgb(self) -> Colors:
        """The colours in use (never None)."""
        assert self.colors is not None
        return self.colors


DEFAULT_STYLE = Style()


@lru_cache(maxsize=128)
def font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font of ``size`` px: the TrueType file at ``path``, or Pillow's built-in one."""
    size = max(1, int(size))
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def times_sign(f: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> str:
    """'×' when the font has the glyph, else 'x' (Pillow's built-in font lacks it)."""
    missing = bytes(f.getmask("\ufffe"))
    return "×" if bytes(f.getmask("×")) != missing else "x"


def line_widths(cell: float) -> tuple[float, float]:
    """(thick, thin) line widths in px for a cell of ``cell`` px: the guide's 0.8 pt grid
    lines and 0.4 pt connector lines on its 0.5 cm cells."""
    return max(1.0, 0.056 * cell), max(0.75, 0.028 * cell)

