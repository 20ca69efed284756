"""Draw the course's diagrams, notebooks/figures/*.svg, as plain hand-placed SVG.

Run from anywhere: ``python notebooks/figures/make_figures.py`` rewrites every SVG next to
this file; ``--png DIR`` also renders each one to a PNG in headless Chromium (Playwright and
Debian's ``chromium``), to look at while editing. Only the standard library is needed to
draw. The numbers drawn are those of the paper (Isola et al. 2017) and of
``p2plib.models`` at 256x256; ``tests/test_figures.py`` holds the two together.

One look for all: blue for the generator, orange for the discriminator, green for data and
images, purple for losses; text is real SVG text in a sans-serif font, so it stays
searchable and translatable.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from xml.sax.saxutils import escape

FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
INK = "#1f2937"
MUTED = "#4b5563"
LINE = "#374151"
GRID = "#9ca3af"
WHITE = "#ffffff"
# (stroke, fill, strong fill) per role
G = ("#1d4ed8", "#dbeafe", "#93c5fd")
D = ("#c2410c", "#ffedd5", "#fdba74")
DATA = ("#047857", "#d1fae5", "#6ee7b7")
LOSS = ("#7e22ce", "#f3e8ff", "#d8b4fe")
NOTE = ("#6b7280", "#f3f4f6", "#e5e7eb")

# The synthetic facades' label colours (p2plib.datasets.FACADE_PALETTE) and a photo's.
LABEL_COLOURS = {"sky": "#0000aa", "wall": "#0000ff", "window": "#0075ff", "door": "#00dcff",
                 "cornice": "#aaff55", "sill": "#ffff00", "shop": "#ffaa00"}
PHOTO_COLOURS = {"sky": "#bfdbf7", "wall": "#c99a6e", "window": "#334155", "door": "#5b3a22",
                 "cornice": "#eadfcb", "sill": "#f1ece2", "shop": "#7c5a3c"}
GENERATED_COLOURS = dict(PHOTO_COLOURS, wall="#b8876a", sky="#c7d9ee", window="#3b4657")

HERE = Path(__file__).resolve().parent


def number(value: float) -> str:
    """A coordinate without trailing zeros: 12.0 -> "12", 12.25 -> "12.25"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def attributes(**values) -> str:
    """Keyword arguments as XML attributes (``stroke_width`` -> ``stroke-width``); None is
    left out, numbers lose trailing zeros."""
    parts = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (int, float)):
            value = number(value)
        parts.append(f'{key.replace("_", "-")}="{value}"')
    return " ".join(parts)


def element(tag: str, content: str | None = None, **values) -> str:
    """One SVG element: ``<tag attributes/>``, or with ``content`` (already XML) inside."""
    if content is None:
        return f"<{tag} {attributes(**values)}/>"
    return f"<{tag} {attributes(**values)}>{content}</{tag}>"


class Figure:
    """One SVG document: a list of elements, the arrow markers they use, a title and a desc."""

    def __init__(self, name: str, width: int, height: int, title: str, desc: str):
        self.name, self.width, self.height = name, width, height
        self.title, self.desc = title, desc
        self.elements: list[str] = []
        self.marker_colours: dict[str, str] = {}

    # -- primitives
    def rect(self, x, y, w, h, fill=WHITE, stroke=None, rx=6, stroke_width=1.5, dash=None,
             fill_opacity=None):
        self.elements.append(element(
            "rect", x=x, y=y, width=w, height=h, rx=rx or None, fill=fill, stroke=stroke,
            stroke_width=stroke_width if stroke else None, stroke_dasharray=dash,
            fill_opacity=fill_opacity))

    def box(self, x, y, w, h, role, strong=False, dash=None, rx=8):
        stroke, fill, strong_fill = role
        self.rect(x, y, w, h, fill=strong_fill if strong else fill, stroke=stroke, rx=rx,
                  stroke_width=1.6, dash=dash)

    def text(self, x, y, content, size=13, anchor="middle", colour=INK, weight=None,
             halo=False):
        """``content`` is plain text, or a list of (text, "sub"/"sup"/"bold"/None) runs;
        ``halo`` outlines the letters in white, for text drawn over a picture."""
        runs = [(content, None)] if isinstance(content, str) else content
        shift = 0.0
        pieces = []
        for text, kind in runs:
            target = {"sub": size * 0.3, "sup": -size * 0.4}.get(kind, 0.0)
            run_attributes = {}
            if target != shift:
                run_attributes["dy"] = target - shift
                shift = target
            if kind in ("sub", "sup"):
                run_attributes["font_size"] = size * 0.72
            if kind == "bold":
                run_attributes["font_weight"] = "bold"
            if run_attributes:
                pieces.append(element("tspan", escape(text), **run_attributes))
            else:
                pieces.append(escape(text))
        self.elements.append(element(
            "text", "".join(pieces), x=x, y=y, font_size=size, text_anchor=anchor, fill=colour,
            font_weight=weight, stroke=WHITE if halo else None, stroke_width=3 if halo else None,
            paint_order="stroke" if halo else None))

    def lines(self, x, y, texts, size=13, gap=None, **options):
        """Several lines of text, the first baseline at ``y``."""
        gap = gap or size * 1.3
        for index, content in enumerate(texts):
            self.text(x, y + index * gap, content, size=size, **options)

    def marker(self, colour: str) -> str:
        if colour not in self.marker_colours:
            self.marker_colours[colour] = f"{self.name}-arrow-{len(self.marker_colours)}"
        return self.marker_colours[colour]

    def path(self, points, colour=LINE, width=1.8, arrow=True, dash=None, start_arrow=False):
        """A polyline through ``points``, with an arrowhead at the end (and at the start)."""
        data = "M" + " L".join(f"{number(px)},{number(py)}" for px, py in points)
        marker = f"url(#{self.marker(colour)})"
        self.elements.append(element(
            "path", d=data, fill="none", stroke=colour, stroke_width=width,
            stroke_dasharray=dash, stroke_linejoin="round", marker_end=marker if arrow else None,
            marker_start=marker if start_arrow else None))

    def raw(self, markup: str):
        self.elements.append(markup)

    def heading(self, text, subtitle=None):
        self.text(24, 32, text, size=19, anchor="start", weight="bold")
        if subtitle:
            self.text(24, 54, subtitle, size=13, anchor="start", colour=MUTED)

    def tag(self, x, y, text, role=NOTE, size=11, anchor="middle"):
        """A small rounded label centred (or started) at x, with its baseline near y."""
        width = len(text) * size * 0.62 + 12
        left = x - width / 2 if anchor == "middle" else x
        self.rect(left, y - size - 2, width, size + 8, fill=role[1], stroke=role[0], rx=4,
                  stroke_width=1)
        self.text(left + width / 2, y + 1, text, size=size, colour=INK)

    def svg(self) -> str:
        markers = "".join(
            f'<marker id="{ident}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
            f'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for colour, ident in self.marker_colours.items())
        return "\n".join([
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
            f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{self.name}-title {self.name}-desc" font-family="{FONT}">',
            f'<title id="{self.name}-title">{escape(self.title)}</title>',
            f'<desc id="{self.name}-desc">{escape(self.desc)}</desc>',
            f"<defs>{markers}</defs>",
            f'<rect width="{self.width}" height="{self.height}" fill="{WHITE}"/>',
            *self.elements,
            "</svg>",
            "",
        ])


# ----------------------------------------------------------------------------- pictures


def facade(figure: Figure, x, y, size, colours, height=None, mirror=False, frame=DATA[0]):
    """A small facade (label map or photo, by ``colours``): sky, wall, windows, a door."""
    height = height or size
    sx, sy = size / 100, height / 100
    parts = []

    def block(left, top, w, h, colour):
        if mirror:
            left = 100 - left - w
        parts.append(element("rect", x=x + left * sx, y=y + top * sy, width=w * sx,
                             height=h * sy, fill=colour))

    block(0, 0, 100, 100, colours["wall"])
    block(0, 0, 100, 14, colours["sky"])
    block(0, 14, 100, 5, colours["cornice"])
    for row, top in enumerate((26, 50)):
        for column, left in enumerate((10, 38, 66)):
            if row == 1 and column == 2:
                continue
            block(left, top, 20, 16, colours["window"])
            block(left - 2, top + 16, 24, 3, colours["sill"])
    block(62, 70, 30, 30, colours["shop"])
    block(70, 74, 14, 26, colours["door"])
    block(10, 76, 20, 14, colours["window"])
    figure.raw("<g>" + "".join(parts) + "</g>")
    figure.rect(x, y, size, height, fill="none", stroke=frame, rx=0, stroke_width=1.2)


def label_map(figure, x, y, size, **options):
    facade(figure, x, y, size, LABEL_COLOURS, **options)


def photo(figure, x, y, size, generated=False, **options):
    facade(figure, x, y, size, GENERATED_COLOURS if generated else PHOTO_COLOURS, **options)


def logit_grid(figure, x, y, size, cells, shades, highlight=None, block=1):
    """A ``cells`` x ``cells`` map of patch logits, one grey per ``block`` x ``block`` cells
    (``shades(row, column)`` of the block), with the cell ``highlight`` outlined."""
    step = size / cells
    blocks = math.ceil(cells / block)
    parts = []
    for row in range(blocks):
        for column in range(blocks):
            width = min(block, cells - column * block) * step
            height = min(block, cells - row * block) * step
            parts.append(element("rect", x=x + column * block * step, y=y + row * block * step,
                                 width=width, height=height, fill=shades(row, column)))
    if block > 1:
        ticks = [index * step for index in range(1, cells)]
        grid = "".join(f"M{number(x + t)},{number(y)} v{number(size)} " for t in ticks)
        grid += "".join(f"M{number(x)},{number(y + t)} h{number(size)} " for t in ticks)
        parts.append(f'<path d="{grid.strip()}" stroke="{WHITE}" stroke-width="0.5" '
                     'stroke-opacity="0.6" fill="none"/>')
    figure.raw("<g>" + "".join(parts) + "</g>")
    figure.rect(x, y, size, size, fill="none", stroke=LINE, rx=0, stroke_width=1)
    if highlight:
        row, column = highlight
        figure.rect(x + column * step, y + row * step, step, step, fill="none",
                    stroke=D[0], rx=0, stroke_width=2)


def grey(level: float) -> str:
    value = max(0, min(255, round(level * 255)))
    return f"#{value:02x}{value:02x}{value:02x}"


def patch_shades(seed: int, bright: bool):
    """Deterministic grey levels for a logit map: mostly light ("real") or dark ("fake")."""

    def shade(row, column):
        wave = math.sin(row * 1.7 + column * 2.3 + seed) * 0.5 + 0.5
        return grey(0.72 + 0.22 * wave if bright else 0.18 + 0.3 * wave)

    return shade


# ----------------------------------------------------------------------------- cgan.svg


def cgan() -> Figure:
    figure = Figure(
        "cgan", 880, 540, "Pix2Pix as a conditional GAN",
        "The generator G turns an input label map x into an image G(x). The discriminator D "
        "judges pairs: the real pair (x, y) should be called real and the fake pair "
        "(x, G(x)) fake. The cGAN loss arises at D's outputs; the L1 loss, weighted by "
        "lambda = 100, compares G(x) with the target y.")
    figure.heading("Pix2Pix: a conditional GAN",
                   "G translates x; D judges pairs, so it sees the input x as well as the output")
    # Row 1: x -> G -> G(x) -> fake pair -> D
    top, real_top = 110, 318
    figure.text(88, top + 116, "x: input (labels)", size=13, weight="bold")
    label_map(figure, 40, top, 96)
    figure.path([(136, top + 48), (172, top + 48)])
    figure.box(176, top + 13, 110, 70, G, strong=True)
    figure.text(231, top + 45, "G", size=24, weight="bold", colour=G[0])
    figure.text(231, top + 68, "generator", size=12)
    figure.path([(286, top + 48), (322, top + 48)], colour=G[0])
    figure.text(374, top - 10, "G(x): output", size=13, weight="bold")
    photo(figure, 326, top, 96, generated=True)

    def pair(left, y, second, caption, caption_y):
        figure.rect(left, y, 156, 84, fill=WHITE, stroke=MUTED, rx=6, dash="5 4",
                    stroke_width=1.2)
        label_map(figure, left + 10, y + 10, 64)
        second(left + 82, y + 10)
        figure.text(left + 78, caption_y, caption, size=12, colour=MUTED)

    pair(478, top + 6, lambda px, py: photo(figure, px, py, 64, generated=True),
         "fake pair (x, G(x))", top + 110)
    figure.path([(422, top + 48), (474, top + 48)], colour=G[0])
    figure.path([(634, top + 48), (674, top + 48)])
    figure.box(678, top + 13, 90, 70, D, strong=True)
    figure.text(723, top + 45, "D", size=24, weight="bold", colour=D[0])
    figure.text(723, top + 68, "discriminator", size=11)
    figure.path([(768, top + 48), (786, top + 48)], colour=D[0])
    logit_grid(figure, 790, top + 28, 40, 5, patch_shades(1, bright=False))
    figure.text(838, top + 53, "fake", size=13, anchor="start", weight="bold")

    # Row 2: y -> real pair -> D
    figure.text(374, real_top + 116, "y: target (photo)", size=13, weight="bold")
    photo(figure, 326, real_top, 96)
    pair(478, real_top + 6, lambda px, py: photo(figure, px, py, 64),
         "real pair (x, y)", real_top - 8)
    figure.path([(422, real_top + 48), (474, real_top + 48)], colour=DATA[0])
    figure.path([(634, real_top + 48), (674, real_top + 48)])
    figure.box(678, real_top + 13, 90, 70, D, strong=True)
    figure.text(723, real_top + 45, "D", size=24, weight="bold", colour=D[0])
    figure.text(723, real_top + 68, "the same D", size=11)
    figure.path([(768, real_top + 48), (786, real_top + 48)], colour=D[0])
    logit_grid(figure, 790, real_top + 28, 40, 5, patch_shades(2, bright=True))
    figure.text(838, real_top + 53, "real", size=13, anchor="start", weight="bold")

    # x is shown to D in both pairs
    figure.path([(40, top + 80), (28, top + 80), (28, 470), (518, 470), (518, real_top + 94)],
                colour=GRID, width=1.5, dash="4 3")
    figure.path([(88, top), (88, 84), (518, 84), (518, top + 2)], colour=GRID, width=1.5,
                dash="4 3")
    figure.text(300, 79, "the same x goes to D with each pair", size=11, colour=MUTED)
    figure.text(300, 485, "the same x", size=11, colour=MUTED)

    # The two loss terms
    figure.path([(374, top + 100), (374, real_top - 2)], colour=LOSS[0], width=1.6,
                start_arrow=True)
    figure.box(246, 244, 256, 40, LOSS)
    figure.text(374, 269, [("λ · L", None), ("1", "sub"), (" = λ ‖y − G(x)‖", None),
                           ("1", "sub")], size=14, colour=LOSS[0], weight="bold")
    figure.box(648, 230, 224, 66, LOSS)
    figure.text(760, 252, [("cGAN loss  L", None), ("cGAN", "sub"), ("(G, D)", None)],
                size=13, colour=LOSS[0], weight="bold")
    figure.text(760, 270, "log D(x, y)", size=12)
    figure.text(760, 287, "+ log(1 − D(x, G(x)))", size=12)
    figure.path([(810, top + 70), (810, 226)], colour=LOSS[0], width=1.6)
    figure.path([(810, real_top + 26), (810, 300)], colour=LOSS[0], width=1.6)

    figure.text(440, 516, [("G* = arg min", None), ("G", "sub"), (" max", None), ("D", "sub"),
                           ("  L", None), ("cGAN", "sub"), ("(G, D) + λ L", None), ("L1", "sub"),
                           ("(G),\u00a0\u00a0\u00a0λ = 100", None)], size=16, weight="bold")
    return figure


# ----------------------------------------------------------------------------- unet.svg

IMAGE_SIZE = 256
BASE_FILTERS = 64
DEPTH = 8  # halvings from 256x256 down to 1x1
ENCODER_FILTERS = [BASE_FILTERS * min(2**level, 8) for level in range(DEPTH)]
DROPOUT_BLOCKS = 3


def side(level: int) -> int:
    """Height and width after ``level`` halvings of 256."""
    return IMAGE_SIZE // 2**level


def shape(level: int, channels) -> str:
    return f"{side(level)}×{side(level)}×{channels}"


def unet() -> Figure:
    figure = Figure(
        "unet", 900, 750, "The U-Net generator at 256×256",
        "Eight encoder blocks (down1 to down8, 4x4 convolutions with stride 2) halve a "
        "256x256x3 image down to a 1x1x512 bottleneck with 64, 128, 256 and then 512 "
        "filters. Seven decoder blocks (up1 to up7, 4x4 transposed convolutions with stride "
        "2) double it back; after each, a skip connection concatenates the encoder output of "
        "the same size. Dropout 0.5 in up1 to up3; no batch norm on down1 and on the "
        "bottleneck; a last transposed convolution to 3 channels and tanh give the "
        "256x256x3 output.")
    figure.heading("The U-Net generator (256×256, 64 base filters)",
                   "encoder down the left, decoder up the right, skips across: "
                   "54.41 M trainable parameters")
    row_top = 78
    row_step = 58
    box_height = 42
    left_margin, right_margin = 24, 876
    indent = 22
    encoder_width, decoder_width = 158, 196

    def row_y(level):
        return row_top + level * row_step

    def encoder_left(level):
        return left_margin + level * indent

    def decoder_right(level):
        return right_margin - level * indent

    # Input and encoder
    y0 = row_y(0)
    label_map(figure, encoder_left(0), y0, box_height)
    figure.text(encoder_left(0) + 52, y0 + 17, "input_image", size=12, anchor="start",
                weight="bold")
    figure.text(encoder_left(0) + 52, y0 + 34, "256×256×3", size=12, anchor="start")
    for level in range(1, DEPTH + 1):
        filters = ENCODER_FILTERS[level - 1]
        y = row_y(level)
        if level == DEPTH:
            left, width = 450 - 110, 220
        else:
            left, width = encoder_left(level), encoder_width
        figure.box(left, y, width, box_height, G, strong=level == DEPTH)
        name = f"down{level} · C{filters}" + ("  bottleneck" if level == DEPTH else "")
        figure.text(left + width / 2, y + 17, name, size=12, weight="bold")
        no_norm = " · no BN" if level == 1 else " · no batch norm" if level == DEPTH else ""
        figure.text(left + width / 2, y + 34, shape(level, filters) + no_norm, size=12)
        # the arrow into this block
        previous_left = encoder_left(level - 1)
        if level == DEPTH:
            start_x = encoder_left(DEPTH - 1) + encoder_width / 2
            figure.path([(start_x, row_y(level - 1) + box_height), (start_x, y + box_height / 2),
                         (left - 4, y + box_height / 2)], colour=G[0])
        else:
            arrow_x = max(previous_left, left) + 30
            figure.path([(arrow_x, row_y(level - 1) + box_height + 1), (arrow_x, y - 3)],
                        colour=G[0])

    # Decoder: up1 at level 7 ... up7 at level 1, each followed by its skip
    for step in range(1, DEPTH):
        level = DEPTH - step
        filters = ENCODER_FILTERS[level - 1]
        y = row_y(level)
        right = decoder_right(level)
        left = right - decoder_width
        skip_width = 72
        figure.rect(left, y, skip_width + 8, box_height, fill=WHITE, stroke=G[0], rx=8,
                    stroke_width=1.4, dash="4 3")
        figure.rect(left + skip_width, y, decoder_width - skip_width, box_height, fill=G[1],
                    stroke=G[0], rx=8, stroke_width=1.6)
        figure.text(left + skip_width / 2, y + 17, f"down{level}", size=11, colour=MUTED)
        figure.text(left + skip_width / 2, y + 33, f"+{filters}", size=11, colour=MUTED)
        middle = left + skip_width + (decoder_width - skip_width) / 2
        figure.text(middle, y + 17, f"up{step} · C{filters}", size=12, weight="bold")
        figure.text(middle, y + 34, f"{side(level)}×{side(level)}×{2 * filters}", size=12)
        if step <= DROPOUT_BLOCKS:
            figure.tag(right + 8, y + 26, "dropout 0.5", anchor="start")
        # skip connection: encoder output of the same size, concatenated
        encoder_right = encoder_left(level) + encoder_width
        figure.path([(encoder_right + 2, y + box_height / 2), (left - 4, y + box_height / 2)],
                    colour=GRID, width=1.6, dash="6 4")
        # the arrow into this block, from below
        if step == 1:
            bottleneck_right = 450 + 110
            figure.path([(bottleneck_right + 4, row_y(DEPTH) + box_height / 2),
                         (middle, row_y(DEPTH) + box_height / 2), (middle, y + box_height + 3)],
                        colour=G[0])
        else:
            below_right = decoder_right(level + 1)
            arrow_x = min(right, below_right) - 30
            figure.path([(arrow_x, row_y(level + 1) - 1), (arrow_x, y + box_height + 3)],
                        colour=G[0])
    figure.text(450, row_y(1) + box_height / 2 - 6, "skip: concatenate", size=11,
                colour=MUTED)

    # Output
    right = decoder_right(0)
    left = right - decoder_width - 64
    figure.box(left, y0, decoder_width, box_height, G)
    figure.text(left + decoder_width / 2, y0 + 17, "output_convT · 3 → tanh", size=12,
                weight="bold")
    figure.text(left + decoder_width / 2, y0 + 34, "256×256×3, values in [−1, 1]", size=12)
    photo(figure, right - box_height, y0, box_height, generated=True)
    figure.path([(left + decoder_width, y0 + box_height / 2), (right - box_height - 4,
                                                               y0 + box_height / 2)],
                colour=G[0])
    arrow_x = right - 64 - 30
    figure.path([(arrow_x, row_y(1) - 1), (arrow_x, y0 + box_height + 3)], colour=G[0])

    # Legend
    legend_y = row_y(DEPTH) + box_height + 44
    figure.path([(40, legend_y - 5), (40, legend_y + 13)], colour=G[0])
    figure.text(56, legend_y + 8, [("downK", "bold"), (": Conv 4×4, stride 2 → BatchNorm → "
                                                       "LeakyReLU(0.2)", None)],
                size=12, anchor="start")
    figure.path([(40, legend_y + 45), (40, legend_y + 27)], colour=G[0])
    figure.text(56, legend_y + 40, [("upK", "bold"), (": ConvTranspose 4×4, stride 2 → "
                                                     "BatchNorm → Dropout 0.5 (up1–up3) → ReLU",
                                                     None)],
                size=12, anchor="start")
    figure.path([(26, legend_y + 66), (54, legend_y + 66)], colour=GRID, dash="6 4",
                width=1.6)
    figure.text(62, legend_y + 70, [("skip", "bold"), (": concatenate the encoder output of "
                                                      "the same size (dashed part of each "
                                                      "decoder box)", None)],
                size=12, anchor="start")
    figure.text(62, legend_y + 96, [("CK", "bold"), (": a block with K filters; shapes are "
                                                    "height × width × channels; no BN: no "
                                                    "batch norm", None)],
                size=12, anchor="start")
    return figure


# ----------------------------------------------------------------------------- encoder_decoder


def encoder_decoder() -> Figure:
    figure = Figure(
        "encoder_decoder", 900, 340, "Encoder-decoder versus U-Net",
        "Two generators with the same 15 blocks, drawn as bars whose height shows the "
        "image size (128 down to 1 and back to 128). In the encoder-decoder every piece of "
        "information passes through the 1x1 bottleneck. The U-Net adds skip connections that "
        "join each encoder block to the decoder block of the same size, so detail shared by "
        "input and output can bypass the bottleneck.")
    figure.heading("Encoder–decoder versus U-Net",
                   "the same 15 blocks; the U-Net adds skips between blocks of the same size")
    sizes = [side(level) for level in range(1, DEPTH + 1)]
    sizes = sizes + sizes[-2::-1]  # down1 ... down8 (1x1), up1 ... up7
    centre_y = 180
    spacing, image = 20, 44

    def draw(left, skips, caption, caption2):
        bars = []
        for index, size in enumerate(sizes):
            x = left + image + 22 + index * spacing
            height = 12 + 17 * math.log2(size)
            bars.append((x, centre_y - height / 2))
            figure.rect(x - 5, centre_y - height / 2, 10, height,
                        fill=G[2] if size == 1 else G[1], stroke=G[0], rx=2, stroke_width=1.2)
        right = bars[-1][0] + 22
        label_map(figure, left, centre_y - image / 2, image)
        photo(figure, right, centre_y - image / 2, image, generated=True)
        figure.path([(left + image + 2, centre_y), (bars[0][0] - 8, centre_y)], width=1.4)
        figure.path([(bars[-1][0] + 6, centre_y), (right - 3, centre_y)], width=1.4)
        figure.text(left + image / 2, centre_y + image / 2 + 18, "x", size=13, weight="bold")
        figure.text(right + image / 2, centre_y + image / 2 + 18, "G(x)", size=13,
                    weight="bold")
        if skips:
            for index in range(DEPTH - 1):
                mirror = len(sizes) - 1 - index
                (x1, top1), (x2, top2) = bars[index], bars[mirror]
                lift = top1 - 9 - (DEPTH - index) * 1.2
                figure.path([(x1, top1 - 2), (x1, lift), (x2, lift), (x2, top2 - 3)],
                            colour=GRID, width=1.4)
        bottleneck_x = bars[DEPTH - 1][0]
        figure.text(bottleneck_x, centre_y + 66, "1×1 bottleneck", size=11, colour=MUTED)
        figure.path([(bottleneck_x, centre_y + 52), (bottleneck_x, centre_y + 14)],
                    colour=MUTED, width=1.2)
        middle = (left + right + image) / 2
        figure.text(middle, 296, caption, size=14, weight="bold")
        figure.text(middle, 316, caption2, size=12, colour=MUTED)

    draw(24, False, "Encoder–decoder", "everything passes through the bottleneck")
    draw(470, True, "U-Net", "skips carry edges and positions across")
    return figure


# ----------------------------------------------------------------------------- patchgan.svg

PATCH_LAYERS = [  # (name, filters, stride, output side at 256, batch norm)
    ("down1", 64, 2, 128, False),
    ("down2", 128, 2, 64, True),
    ("down3", 256, 2, 32, True),
    ("patch_conv", 512, 1, 31, True),
    ("patch_logits", 1, 1, 30, False),
]
FIELD_STRIDE, FIELD_OFFSET, FIELD = 8, 23, 70  # logit i sees pixels 8i-23 .. 8i+46
HIGHLIGHT = (9, 18)  # (row, column) of the logit drawn with its field
FIELDS = [  # (n_layers, receptive field, logit map side at 256, name)
    (0, 1, 256, "PixelGAN"),
    (1, 16, 126, "16×16 PatchGAN"),
    (3, 70, 30, "70×70 PatchGAN (the paper's)"),
    (5, 286, 6, "286×286 “ImageGAN”"),
]


def patchgan() -> Figure:
    row, column = HIGHLIGHT
    first_row = FIELD_STRIDE * row - FIELD_OFFSET
    first_column = FIELD_STRIDE * column - FIELD_OFFSET
    figure = Figure(
        "patchgan", 900, 770, "The 70×70 PatchGAN discriminator",
        "The input x and the target y (or G(x)) are concatenated into 6 channels. Three 4x4 "
        "convolutions with stride 2 (C64 without batch norm, C128, C256) and one with "
        "stride 1 (C512) are followed by a stride-1 convolution to one channel: a 30x30 map "
        f"of logits at 256x256. The logit at row {row}, column {column} depends on a 70x70 "
        f"patch of the input, rows {first_row} to {first_row + FIELD - 1} and columns "
        f"{first_column} to {first_column + FIELD - 1}. With 0, 1, 3 or 5 stride-2 layers "
        "the receptive field is 1, 16, 70 or 286 pixels.")
    figure.heading("The 70×70 PatchGAN discriminator",
                   "one logit per overlapping 70×70 patch: “is this patch of the pair real?”")

    # Left: the layers
    label_map(figure, 40, 80, 64)
    photo(figure, 150, 80, 64)
    figure.text(72, 160, "input x", size=12, weight="bold")
    figure.text(182, 160, "target y or G(x)", size=12, weight="bold")
    figure.text(182, 175, "(256×256×3 each)", size=11, colour=MUTED)
    figure.path([(72, 166), (72, 206)], colour=DATA[0])
    figure.path([(182, 182), (182, 206)], colour=DATA[0])
    figure.box(40, 210, 300, 38, DATA)
    figure.text(190, 234, "concatenate → 256×256×6", size=12, weight="bold")
    top = 274
    height, gap = 44, 14
    for index, (name, filters, stride, out_side, batch_norm) in enumerate(PATCH_LAYERS):
        y = top + index * (height + gap)
        figure.path([(190, y - gap - 1 + (0 if index else -12)), (190, y - 3)],
                    colour=D[0])
        last = index == len(PATCH_LAYERS) - 1
        figure.box(40, y, 300, height, D, strong=last)
        what = "C1, no activation" if last else f"C{filters}"
        figure.text(52, y + 18, f"{name} · {what}", size=12, anchor="start", weight="bold")
        details = f"4×4, stride {stride}" + ("" if batch_norm else ", no BN") + \
            ("" if last else ", LReLU 0.2")
        figure.text(52, y + 35, details, size=11, anchor="start", colour=MUTED)
        figure.text(330, y + 27, f"{out_side}×{out_side}×{filters}", size=12, anchor="end",
                    weight="bold")
    last_y = top + 4 * (height + gap)
    figure.text(190, last_y + height + 22, "30×30 logits: one per patch, no sigmoid", size=12)

    # Right: the field of one logit on the input
    image_left, image_top, image_side = 410, 96, 256
    scale = image_side / IMAGE_SIZE
    photo(figure, image_left, image_top, image_side)
    figure.text(image_left + image_side / 2, image_top - 10,
                "the pair, 256×256 (drawn: the target)", size=12, weight="bold")
    field_x, field_y = image_left + first_column * scale, image_top + first_row * scale
    field_side = FIELD * scale
    figure.rect(field_x, field_y, field_side, field_side, fill=D[2], fill_opacity=0.45,
                stroke=D[0], rx=0, stroke_width=2.4)
    figure.text(field_x + field_side / 2, field_y + field_side + 16, "70×70", size=12,
                weight="bold", colour=D[0], halo=True)
    map_left, map_top, map_side = 720, 150, 150
    cell = map_side / 30
    logit_grid(figure, map_left, map_top, map_side, 30, patch_shades(3, bright=True),
               highlight=HIGHLIGHT, block=5)
    figure.text(map_left + map_side / 2, map_top - 26, "the 30×30 logit map", size=12,
                weight="bold")
    figure.text(map_left + map_side / 2, map_top - 10, "(patch_logits' output)", size=11,
                colour=MUTED)
    cell_x, cell_y = map_left + column * cell, map_top + row * cell
    for (from_x, from_y), (to_x, to_y) in (
        ((cell_x, cell_y), (field_x + field_side, field_y)),
        ((cell_x, cell_y + cell), (field_x + field_side, field_y + field_side)),
    ):
        figure.path([(from_x, from_y), (to_x, to_y)], colour=D[0], width=1.2, arrow=False,
                    dash="3 3")
    figure.lines(map_left + map_side / 2, map_top + map_side + 22, [
        f"logit ({row}, {column}) sees rows {first_row}–{first_row + FIELD - 1},",
        f"columns {first_column}–{first_column + FIELD - 1}: a 70×70 patch",
        "of x and of y (6 channels)",
    ], size=11, gap=15)
    figure.lines(image_left, image_top + image_side + 26, [
        "Neighbouring logits are 8 pixels apart (three stride-2 layers), so their",
        "70×70 patches overlap heavily; a logit near the border has part of its",
        "patch in the zero padding. D's loss averages the cross-entropy over all",
        "900 logits: the image is judged patch by patch.",
    ], size=11, gap=15, anchor="start", colour=MUTED)

    # Bottom: the receptive fields of the other depths
    strip_top = 626
    figure.text(24, strip_top - 26, "Receptive field of one logit, by the number of stride-2 "
                "layers (n_layers), on a 256×256 image", size=13, weight="bold", anchor="start")
    panel_scale = 96 / IMAGE_SIZE
    for index, (n_layers, field, map_side_at_256, name) in enumerate(FIELDS):
        left = 40 + index * 214
        frame_left, frame_top = left + 10, strip_top
        figure.rect(frame_left, frame_top, 96, 96, fill=PHOTO_COLOURS["wall"], stroke=DATA[0],
                    rx=0, stroke_width=1.2)
        side_px = max(field * panel_scale, 2.5)
        centre_x, centre_y = frame_left + 48, frame_top + 48
        figure.rect(centre_x - side_px / 2, centre_y - side_px / 2, side_px, side_px,
                    fill=D[2] if field <= IMAGE_SIZE else "none", stroke=D[0], rx=0,
                    stroke_width=1.6, dash="4 3" if field > IMAGE_SIZE else None)
        figure.text(left + 118, strip_top + 18, f"n_layers = {n_layers}", size=12,
                    anchor="start", weight="bold")
        figure.text(left + 118, strip_top + 38, f"field {field}×{field}", size=12,
                    anchor="start")
        figure.text(left + 118, strip_top + 56, f"{map_side_at_256}×{map_side_at_256} logits",
                    size=12, anchor="start")
        figure.text(left + 10, strip_top + 116, name, size=11, anchor="start", colour=MUTED)
    return figure


# ----------------------------------------------------------------------------- training_step


def training_step() -> Figure:
    figure = Figure(
        "training_step", 900, 640, "One Pix2Pix training step",
        "A batch (x, y) goes through G once with training=True, giving G(x). D, also with "
        "training=True, scores the real pair (x, y) and the fake pair (x, G(x)). D's loss, "
        "half the sum of binary cross-entropies with real labelled 1 and fake labelled 0, is "
        "differentiated on D's tape and updates only D. G's loss, the cross-entropy of the "
        "fake pair against label 1 plus 100 times the L1 distance between G(x) and y, is "
        "differentiated on G's tape (through D) and updates only G. Each network has its own "
        "Adam optimizer with learning rate 2e-4 and beta_1 = 0.5.")
    figure.heading("One training step")
    # batch
    figure.box(20, 196, 108, 206, DATA)
    figure.text(74, 216, "batch", size=13, weight="bold")
    label_map(figure, 44, 228, 60)
    figure.text(74, 304, "x", size=13, weight="bold")
    photo(figure, 44, 312, 60)
    figure.text(74, 388, "y", size=13, weight="bold")
    # G
    figure.box(176, 128, 132, 76, G, strong=True)
    figure.text(242, 160, "G", size=24, weight="bold", colour=G[0])
    figure.text(242, 182, "training=True", size=11)
    figure.text(242, 196, "(dropout, batch stats)", size=10, colour=MUTED)
    figure.path([(104, 258), (146, 258), (146, 166), (172, 166)], colour=DATA[0])
    figure.path([(308, 166), (346, 166)], colour=G[0])
    photo(figure, 350, 136, 60, generated=True)
    figure.text(380, 216, "G(x), once", size=12, weight="bold")
    # concat nodes and D
    fake_y, real_y = 252, 342
    figure.path([(146, 258), (146, 252), (452, 252)], colour=DATA[0], arrow=False)
    figure.path([(410, 166), (464, 166), (464, fake_y - 9)], colour=G[0])
    figure.path([(430, 252), (430, real_y), (452, real_y)], colour=DATA[0])
    figure.path([(104, 342), (160, 342), (160, 356), (464, 356), (464, real_y + 9)],
                colour=DATA[0])
    for y in (fake_y, real_y):
        figure.raw(f'<circle cx="464" cy="{y}" r="9" fill="{WHITE}" stroke="{LINE}" '
                   'stroke-width="1.5"/>')
        figure.text(464, y + 4, "c", size=11, weight="bold")
        figure.path([(473, y), (514, y)])
    figure.text(494, fake_y - 8, "x, G(x)", size=10, colour=MUTED)
    figure.text(494, real_y - 8, "x, y", size=10, colour=MUTED)
    figure.text(300, 246, "x", size=12, weight="bold", colour=DATA[0])
    figure.text(300, 372, "y", size=12, weight="bold", colour=DATA[0])
    figure.box(518, 222, 122, 150, D, strong=True)
    figure.text(579, 268, "D", size=24, weight="bold", colour=D[0])
    figure.lines(579, 290, ["training=True", "one network,", "called on", "both pairs"],
                 size=11, gap=15)
    # logits
    figure.path([(640, fake_y), (716, fake_y)], colour=D[0])
    logit_grid(figure, 720, fake_y - 15, 30, 5, patch_shades(4, bright=False))
    figure.text(735, fake_y + 32, "fake logits", size=11)
    figure.path([(640, real_y), (662, real_y), (662, 392)], colour=D[0])
    logit_grid(figure, 647, 396, 30, 5, patch_shades(5, bright=True))
    figure.text(640, 415, "real logits", size=11, anchor="end")
    figure.path([(662, 426), (662, 470), (700, 470)], colour=D[0])
    # losses
    figure.box(676, 104, 204, 96, LOSS)
    figure.text(778, 126, "G's loss (gen_total)", size=13, weight="bold", colour=LOSS[0])
    figure.text(778, 148, "BCE(fake logits, 1)", size=12)
    figure.text(778, 168, [("+ λ · L", None), ("1", "sub"), ("(G(x), y),  λ = 100", None)],
                size=12)
    figure.text(778, 188, "(y from the batch)", size=10, colour=MUTED)
    figure.path([(380, 136), (380, 116), (672, 116)], colour=G[0], width=1.4)
    figure.text(520, 110, "G(x)", size=11, colour=MUTED)
    figure.path([(735, fake_y - 15), (735, 204)], colour=D[0])
    figure.path([(750, fake_y), (800, fake_y), (800, 426)], colour=D[0])
    figure.box(704, 430, 176, 80, LOSS)
    figure.text(792, 452, "D's loss (disc_loss)", size=13, weight="bold", colour=LOSS[0])
    figure.text(792, 474, "½ [BCE(real logits, 1)", size=12)
    figure.text(792, 494, "+ BCE(fake logits, 0)]", size=12)

    # G's update, along the top
    figure.path([(778, 104), (778, 95)], colour=G[0], dash="6 4")
    figure.box(640, 56, 240, 36, G, dash="6 4")
    figure.text(760, 79, "G's tape: ∂ gen_total / ∂ G's weights", size=11)
    figure.path([(640, 74), (540, 74)], colour=G[0], dash="6 4")
    figure.box(346, 56, 190, 36, G, dash="6 4")
    figure.text(441, 79, "Adam(2e-4, β₁ = 0.5) for G", size=11)
    figure.path([(346, 74), (242, 74), (242, 124)], colour=G[0], dash="6 4")
    figure.text(236, 100, "updates G only", size=11, anchor="end", colour=G[0], weight="bold")
    # D's update, along the bottom
    figure.path([(792, 510), (792, 545)], colour=D[0], dash="6 4")
    figure.box(620, 548, 260, 36, D, dash="6 4")
    figure.text(750, 571, "D's tape: ∂ disc_loss / ∂ D's weights", size=11)
    figure.path([(620, 566), (584, 566)], colour=D[0], dash="6 4")
    figure.box(390, 548, 190, 36, D, dash="6 4")
    figure.text(485, 571, "Adam(2e-4, β₁ = 0.5) for D", size=11)
    figure.path([(560, 548), (560, 376)], colour=D[0], dash="6 4")
    figure.text(552, 470, "updates D only", size=11, anchor="end", colour=D[0],
                weight="bold")

    # Legend
    legend_y = 612
    figure.path([(24, legend_y), (60, legend_y)], colour=LINE)
    figure.text(66, legend_y + 4, "forward pass", size=11, anchor="start")
    figure.path([(170, legend_y), (206, legend_y)], colour=G[0], dash="6 4")
    figure.text(212, legend_y + 4, "gradient of G's loss: flows back through D, changes G only",
                size=11, anchor="start")
    figure.path([(590, legend_y), (626, legend_y)], colour=D[0], dash="6 4")
    figure.text(632, legend_y + 4, "gradient of D's loss: changes D only", size=11,
                anchor="start")
    figure.text(24, legend_y + 22, "c = concatenate (6 channels).  Both tapes watch the same "
                "forward pass; G runs once per step.", size=11, anchor="start", colour=MUTED)
    return figure


# ----------------------------------------------------------------------------- data_pipeline


def data_pipeline() -> Figure:
    figure = Figure(
        "data_pipeline", 900, 400, "The paired-data pipeline",
        "A side-by-side A|B file is read and split into the input A (a label map) and the "
        "target B (a photo). For training both are resized to 286x286, cropped to the same "
        "random 256x256 window and mirrored together with probability 0.5; then pixel values "
        "are scaled from [0, 255] to [-1, 1] and pairs are batched.")
    figure.heading("The paired-data pipeline (notebook 01)",
                   "the same crop and the same mirror for input and target")
    columns = 7
    width = 852 / columns
    stages = [
        ("read", "A|B file"),
        ("split", "halves A, B"),
        ("resize", "286×286"),
        ("random crop", "256×256"),
        ("random mirror", "p = 0.5"),
        ("scale", "to [−1, 1]"),
        ("batch", "N pairs"),
    ]
    top = 130
    for index, (name, detail) in enumerate(stages):
        centre = 24 + width * (index + 0.5)
        figure.text(centre, top - 26, name, size=13, weight="bold")
        figure.text(centre, top - 10, detail, size=11, colour=MUTED)
        if index:
            figure.path([(centre - width / 2 - 10, top + 75), (centre - width / 2 + 10,
                                                                top + 75)])

    def pair_at(index, size, mirror=False, crop=False, scaled=False):
        centre = 24 + width * (index + 0.5)
        for offset, drawer in ((0, label_map), (1, photo)):
            y = top + 12 + offset * (size + 24) + (60 - size) / 2
            drawer(figure, centre - size / 2, y, size, mirror=mirror)
            if crop:
                inner = size * 256 / 286
                shift = size - inner
                figure.rect(centre - size / 2 + shift * 0.3, y + shift * 0.7, inner, inner,
                            fill="none", stroke=D[0], rx=0, stroke_width=2)
            if scaled:
                figure.text(centre, y + size + 14, "float32", size=10, colour=MUTED)

    # read: one wide image
    centre = 24 + width * 0.5
    label_map(figure, centre - 44, top + 53, 44)
    photo(figure, centre, top + 53, 44)
    figure.text(centre, top + 118, "512×256", size=11, colour=MUTED)
    pair_at(1, 50)
    pair_at(2, 56)
    pair_at(3, 56, crop=True)
    pair_at(4, 50, mirror=True)
    pair_at(5, 50, mirror=True, scaled=True)
    # batch: stacked pairs
    centre = 24 + width * 6.5
    for depth in (2, 1, 0):
        for offset, drawer in ((0, label_map), (1, photo)):
            y = top + 17 + offset * 74 - depth * 5
            drawer(figure, centre - 25 + depth * 5, y, 50, mirror=True)
    figure.lines(centre, top + 174, ["(N, 256, 256, 3)", "input, target"], size=10,
                 colour=MUTED, gap=13)
    figure.text(24 + width * 1.5 - 32, top + 46, "A", size=13, weight="bold", anchor="end")
    figure.text(24 + width * 1.5 - 32, top + 120, "B", size=13, weight="bold", anchor="end")
    # augmentation bracket
    bracket_y = top + 186
    left, right = 24 + width * 2 + 8, 24 + width * 5 - 8
    figure.path([(left, bracket_y - 8), (left, bracket_y), (right, bracket_y),
                 (right, bracket_y - 8)], colour=D[0], arrow=False, width=1.4)
    figure.text((left + right) / 2, bracket_y + 18, "random jitter, training only "
                "(augment=True)", size=12, weight="bold", colour=D[0])
    figure.text((left + right) / 2, bracket_y + 34, "without it: resize straight to 256×256",
                size=11, colour=MUTED)
    figure.text(24, 384, "direction=\"AtoB\": A is the input; \"BtoA\" swaps them.  "
                "x / 127.5 − 1 maps 0…255 to −1…1, the range of the generator's tanh.",
                size=11, anchor="start", colour=MUTED)
    return figure


# ----------------------------------------------------------------------------- course_map

NOTEBOOKS = [  # the course, in reading order: number, title lines, what it builds, modules, role
    ("00", ["Overview"], ["what Pix2Pix does,", "the map, the set-up"], ["config"], NOTE),
    ("01", ["Data"], ["facades and streets: resize,", "crop, mirror, tf.data"],
     ["data, datasets"], DATA),
    ("02", ["Generator"], ["down and up blocks,", "encoder–decoder, U-Net"], ["models"], G),
    ("03", ["Discriminator"], ["the 70×70 PatchGAN,", "its receptive field"], ["models"], D),
    ("04", ["Training loop"], ["the objective, the losses,", "one step, a first run"],
     ["losses, step, optimizers"], LOSS),
    ("05", ["Pix2Pix as a", "Keras model"], ["compile, fit, callbacks,", "test time"],
     ["training, testtime"], LOSS),
    ("06", ["Evaluation"], ["L1, PSNR, SSIM, FCN-score;", "L1 vs cGAN vs both"],
     ["metrics, evaluation"], NOTE),
    ("07", ["Applications"], ["streets both ways, filling", "holes, your own data"],
     ["experiments.applications"], NOTE),
]
BEYOND = [  # after the course (notebooks/beyond/), never needed by it
    ("08", ["Export"], ["Keras file, SavedModel,", "TFLite, ONNX"], ["export, pretrained"], NOTE),
    ("09", ["Live demo"], ["draw labels, see the", "photo at each stroke"], ["demo"], NOTE),
    ("10", ["Training at scale"], ["resume, TensorBoard, many", "devices, mixed precision"],
     ["tools.checkpoints"], NOTE),
    ("11", ["Experiments"], ["ablations with error bars,", "fast recipes, more tasks"],
     ["experiments.ablations"], NOTE),
]


def notebook_box(figure: Figure, left, top, width, height, entry, dash=None):
    """One notebook: its number and title, what it builds, and the p2plib modules that keep it."""
    number_text, title, what, modules, role = entry
    figure.box(left, top, width, height, role, dash=dash)
    figure.text(left + 10, top + 24, number_text, size=16, anchor="start", weight="bold",
                colour=role[0])
    figure.lines(left + 38, top + 23, title, size=12, anchor="start", weight="bold", gap=15)
    figure.lines(left + 10, top + 23 + 15 * len(title) + 8, what, size=10.5, anchor="start",
                 gap=14)
    module_lines = [f"p2plib: {modules[0]}", *modules[1:]]
    figure.lines(left + 10, top + height - 11 - 13 * (len(module_lines) - 1), module_lines,
                 size=10, anchor="start", colour=MUTED, gap=13)


def course_map() -> Figure:
    figure = Figure(
        "course_map", 900, 560, "The course map",
        "The course in reading order: 00 overview, 01 data, 02 generator, 03 discriminator, "
        "04 training loop, 05 Pix2Pix as a Keras model, 06 evaluation, 07 applications. Each "
        "builds one piece and keeps it in a module of p2plib for the later notebooks. After "
        "the course, in notebooks/beyond/ and never needed by it: 08 export, 09 live demo, "
        "10 training at scale, 11 experiments.")
    figure.heading("The course: one piece per notebook",
                   "each notebook builds a piece, checks it, and keeps it in p2plib")
    box_width, box_height, gap = 200, 116, 16
    row_tops = (80, 236)
    for index, entry in enumerate(NOTEBOOKS):
        row, column = divmod(index, 4)
        top = row_tops[row]
        left = 26 + column * (box_width + gap)
        notebook_box(figure, left, top, box_width, box_height, entry)
        if column < 3:
            figure.path([(left + box_width + 1, top + box_height / 2),
                         (left + box_width + gap - 1, top + box_height / 2)], width=1.5)
    # wrap from 03 to 04
    last_centre = 26 + 3 * (box_width + gap) + box_width / 2
    first_centre = 26 + box_width / 2
    turn_y = (row_tops[0] + box_height + row_tops[1]) / 2
    figure.path([(last_centre, row_tops[0] + box_height + 1), (last_centre, turn_y),
                 (first_centre, turn_y), (first_centre, row_tops[1] - 2)], width=1.5)
    # after the course: a separate group, no arrows (each stands alone)
    group_top = 384
    figure.rect(16, group_top, 868, 146, fill=NOTE[1], stroke=NOTE[0], rx=10, stroke_width=1.2,
                dash="6 4", fill_opacity=0.5)
    figure.text(26, group_top + 20, "After the course · notebooks/beyond/ · never needed by it",
                size=12, anchor="start", weight="bold", colour=MUTED)
    for column, entry in enumerate(BEYOND):
        left = 26 + column * (box_width + gap)
        notebook_box(figure, left, group_top + 30, box_width, 106, entry, dash="5 3")
    figure.text(26, 550, "Blue: the generator · orange: the discriminator · purple: losses "
                "and training · green: data.  Every notebook ends with exercises and worked "
                "solutions.", size=11, anchor="start", colour=MUTED)
    return figure


FIGURES = [cgan, unet, encoder_decoder, patchgan, training_step, data_pipeline, course_map]


def write_all(folder: Path) -> list[Path]:
    paths = []
    for make in FIGURES:
        figure = make()
        path = folder / f"{figure.name}.svg"
        path.write_text(figure.svg(), encoding="utf-8")
        paths.append(path)
    return paths


def render_png(paths: list[Path], folder: Path) -> None:
    """Screenshot each SVG at twice its size in headless Chromium (for looking at it)."""
    import shutil

    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(device_scale_factor=2)
        for path in paths:
            page.goto(path.as_uri())
            size = page.evaluate("() => [document.documentElement.width.baseVal.value,"
                                 " document.documentElement.height.baseVal.value]")
            page.set_viewport_size({"width": int(size[0]), "height": int(size[1])})
            page.screenshot(path=str(folder / f"{path.stem}.png"))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", type=Path, help="also render each SVG to a PNG in this folder")
    options = parser.parse_args()
    paths = write_all(HERE)
    for path in paths:
        print(f"{path.name}: {path.stat().st_size / 1024:.1f} KB")
    if options.png:
        render_png(paths, options.png)


if __name__ == "__main__":
    main()
