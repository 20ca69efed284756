"""The drawing demo: draw a label map, edges or holes, and see the translation (notebook 09).

A Gradio app shows a drawing surface beside what the generator makes of it, updated after
every stroke. What happens between a stroke and the picture is a chain of small functions,
which notebook 09 runs one at a time:

1. ``drawings.apply_stroke``: the stroke just drawn (the editor's layer: where it is opaque,
   and in which ink; ``drawings.stroke_mask``, ``drawings.stroke_inks``) changes the drawing,
   by the tool chosen: a brush, the filled rectangle of the stroke's bounding box, or a
   flood fill of the region the stroke starts in;
2. ``drawings.generator_input``: the drawing, resized to the generator's input size (nearest
   neighbour for labels and edges) and snapped to what the task can show;
3. ``translation.translate_drawing``: that image normalised to [-1, 1] (``data.normalize``),
   translated once by ``testtime.translate`` in the chosen test-time mode ("paper" or
   "inference"), and turned back into 8-bit pixels (``data.denormalize``).

The modules:

- ``drawings``: the tasks ("facades" and "streets": label maps in the datasets' palettes,
  with brush, rectangle and fill; "edges": a black pen and an eraser on white;
  "inpainting": holes in a photo; "colorization": a photo turned grey) and every image
  operation on a drawing (numpy, Pillow and scikit-image; no Gradio);
- ``translation``: which generator (a model, a ``.keras`` file or a pretrained name), checked
  for the task, and its forward pass traced once per test-time mode;
- ``gradio_app``: ``DrawingDemo(generator, task)``, the Gradio layout of all this; ``launch()``
  serves it on 127.0.0.1 with nothing fetched from elsewhere.

``python -m p2plib demo`` (``p2plib.tools.cli``) serves it from a terminal.
"""

__all__ = []
