"""The drawing demo as a Gradio app (notebook 09).

``DrawingDemo(generator, task)`` builds the app: a drawing surface beside what the generator
makes of it, updated after every stroke, with inks, tools, the test-time mode, Random, Undo,
Clear and Upload. Its handlers are plain functions of numpy images (``p2plib.demo.drawings``
and ``p2plib.demo.translation``); this module only lays them out, in English or in Simplified
Chinese (``language``: the words of the controls are in ``TEXTS``, the class names in
``palettes.CHINESE_CLASS_NAMES``). ``launch()`` serves the app
on 127.0.0.1 with nothing fetched from elsewhere: system fonts, analytics and version checks
off, no share link, no server-side rendering. Gradio is imported only when an app is built
(``gradio``), with the settings that keep it offline.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
import warnings

import numpy as np
from PIL import Image

from p2plib import export, testtime
from p2plib.datasets import palettes
from p2plib.demo import drawings
from p2plib.demo.translation import check_generator, default_task, resolve_generator, translator_for
from p2plib.errors import ArgumentError, DataError
from p2plib.tools import cluster

__all__ = ["HISTORY_LENGTH", "OFFLINE_ENVIRONMENT", "PICTURE_HEIGHT", "TESTING_ENV", "TEXTS",
           "DrawingDemo", "gradio", "offline_theme", "request_translation"]

TESTING_ENV = "P2P_TESTING"
"""Set to 1 by the test configuration: a demo that waits for its user closes at once (tool)."""

HISTORY_LENGTH = 30  # undo steps kept per browser session
OFFLINE_ENVIRONMENT = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                       "HF_HUB_DISABLE_TELEMETRY": "1"}
PICTURE_HEIGHT = 300  # pixels on the page for each picture
TEXTS = {
    "en": {
        "tasks": {name: name for name in drawings.TASK_NAMES},
        "hints": {name: task.hint for name, task in drawings.TASKS.items()},
        "follows": " The picture follows every stroke.",
        "drawing": "Drawing", "translation": "Translation",
        "seen": "What the generator sees ({height}x{width})",
        "ink": "Ink (class)", "tool": "Tool", "mode": "Test-time mode (notebook 05)",
        "palette": "Palette", "random": "Random", "undo": "Undo", "clear": "Clear",
        "upload_photo": "Upload a photo", "upload_drawing": "Upload a drawing",
        "tools": {name: name for name in drawings.TOOLS},
        "modes": {name: name for name in testtime.TEST_MODES},
        "inks": {"black": "black", "white": "white", "hole": "hole"},
    },
    "zh": {
        "tasks": {"facades": "建筑立面", "streets": "街景", "edges": "边缘图",
                  "inpainting": "图像修复", "colorization": "上色"},
        "hints": {
            "facades": "先选一个类别再画：画笔、按笔画范围画矩形，或者填充点击处所在的区域。",
            "streets": "先选一个类别再画：画笔、按笔画范围画矩形，或者填充点击处所在的区域。",
            "edges": "在白底上画黑色边缘：橡皮擦撤回笔画，白色墨水可以覆盖任何内容。",
            "inpainting": "上传一张照片（或随机取一张），然后在上面擦出孔洞。",
            "colorization": "上传一张照片（或随机取一张）：它先变成灰度，再重新上色。",
        },
        "follows": "每画一笔，图片都会随之更新。",
        "drawing": "画板", "translation": "转换结果",
        "seen": "生成器看到的输入（{height}x{width}）",
        "ink": "墨水（类别）", "tool": "工具", "mode": "测试时模式（笔记本 05）",
        "palette": "调色板", "random": "随机", "undo": "撤销", "clear": "清空",
        "upload_photo": "上传照片", "upload_drawing": "上传图画",
        "tools": {"brush": "画笔", "rectangle": "矩形", "fill": "填充"},
        "modes": {"paper": "论文的测试模式（paper）", "inference": "推理模式（inference）"},
        "inks": {"black": "黑", "white": "白", "hole": "孔洞"},
    },
}
"""The words of the app's controls in each of ``palettes.LANGUAGES``; class names come from
``palettes.class_names``."""


def gradio():
    """The ``gradio`` module, imported offline and quietly (notebook 09).

    Offline: ``OFFLINE_ENVIRONMENT`` is set first (unless already set), because
    ``huggingface_hub``, which gradio and gradio_client import, reads it once on import:
    without it gradio_client fetches a registry from huggingface.co and sends usage
    telemetry. Quietly: the progress bars import ``tqdm.auto``, which warns in a notebook
    without ipywidgets (it falls back to text bars, which is fine).
    """
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import gradio as gr
    return gr


def request_translation(url: str, image_path, test_mode: str = "inference"):
    """Ask the app at ``url`` for a translation through its ``/translate`` endpoint with
    ``gradio_client`` (notebook 09): ``(what the generator saw, the picture)``, uint8 arrays."""
    gradio()  # the offline environment, before gradio_client loads huggingface_hub
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    seen, result = client.predict(handle_file(str(image_path)), test_mode,
                                  api_name="/translate")
    return tuple(np.asarray(Image.open(path).convert("RGB")) for path in (seen, result))


def offline_theme():
    """Gradio's default look with the system's fonts, so no font is fetched (notebook 09)."""
    gr = gradio()

    return gr.themes.Default(font=["system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


class DrawingDemo:
    """The drawing app for one generator and task (notebook 09).

    ``generator``: a ``keras.Model``, a ``.keras`` path or a pretrained name ("facades",
    "streets"; loaded with ``p2plib.pretrained.load`` on first use). ``task``: one of
    ``drawings.TASK_NAMES`` (default: the pretrained name, else "facades"). ``test_mode`` is the
    mode selected at start. ``language``: "en" or "zh" (Simplified Chinese), the language of
    the controls and class names. ``blocks`` is the ``gradio.Blocks``; ``launch`` serves it and
    ``close`` stops it (also as a context manager).
    """

    def __init__(self, generator, task=None, test_mode: str = "inference",
                 language: str = "en"):
        self.task = drawings.get_task(task if task is not None else default_task(generator))
        self.test_mode = testtime.check_test_mode(test_mode)
        if language not in palettes.LANGUAGES:
            raise ArgumentError(f"language must be one of {palettes.LANGUAGES}; got "
                                f"{language!r}.")
        self.language = language
        self.texts = TEXTS[language]
        name = f"{generator}" if isinstance(generator, (str, os.PathLike)) else "the generator"
        self.generator = resolve_generator(generator)
        check_generator(self.generator, self.task, name)
        self.size = tuple(export.input_shape(self.generator)[:2])
        self.canvas = drawings.canvas_size(self.size)
        self.translator = translator_for(self.generator)
        self.url = None
        self.blocks = self._build()

    # ---- what the handlers compute (plain functions of numpy images)

    def translate(self, image, test_mode: str):
        """``(generator input, picture)`` of a drawing, both uint8 at the generator's size."""
        prepared = drawings.generator_input(image, self.task, self.size)
        return prepared, self.translator.picture(prepared, test_mode)

    def start_state(self, seed: int = 0) -> dict:
        """A session's state: the ``drawing``; the ``background`` the editor holds, under the
        strokes of its layer (brush strokes stay there, so the editor's eraser and undo work
        on them); the ``photo`` of a photo task; the ``history`` that Undo goes back through;
        the ``seed`` of the last random drawing; ``redraws``, how many new backgrounds strokes
        have sent the editor."""
        start = drawings.random_drawing(self.task, seed, self.canvas)
        photo = drawings.held_out_photo(seed, self.canvas) if self.task.kind == "photo" else None
        return {"drawing": start, "background": start, "photo": photo, "history": [],
                "seed": seed, "redraws": 0}

    @staticmethod
    def _editor_value(image):
        """The editor showing ``image`` alone, as an opaque RGBA background. RGBA, so that its
        PNG is never the same file as the generator's input (Gradio names a cached file by
        its bytes and writes it again whenever they are saved again, which cuts short a
        download of it in progress); no composite, which the editor would fetch too."""
        alpha = np.full((*image.shape[:2], 1), 255, np.uint8)
        return {"background": np.concatenate([image, alpha], axis=-1), "layers": [],
                "composite": None}

    def _shown(self, state, test_mode, editor=None):
        """The outputs of a handler: the picture, the generator's input, the editor (a new
        background, or left alone) and the state."""
        gr = gradio()

        prepared, result = self.translate(state["drawing"], test_mode)
        return result, prepared, (gr.skip() if editor is None else editor), state

    def _new_drawing(self, state, image, test_mode, **changes):
        """Show ``image`` as the editor's new background (its layer emptied), keeping the
        previous drawing for Undo."""
        history = [*state["history"], state["drawing"]][-HISTORY_LENGTH:]
        state = {**state, **changes, "drawing": image, "background": image, "history": history}
        return self._shown(state, test_mode, self._editor_value(image))

    def on_stroke(self, value, state, tool, test_mode):
        """After a stroke: the picture, the generator's input, ``redraws`` and the state.

        Brush strokes are laid over the background (they stay in the editor's layer); a
        rectangle or fill becomes part of a new background, which ``on_redraw`` sends the
        editor in a request of its own, so that the picture does not wait for the editor to
        load it (slow in the browser: it fetches the image, then reports its value again).
        """
        gr = gradio()

        layers = (value or {}).get("layers") or []
        shape = state["background"].shape[:2]
        mask = drawings.stroke_mask(layers, shape)
        if not self.task.tools:
            return gr.skip(), gr.skip(), gr.skip(), state
        if mask is None:  # everything erased, or undone in the editor
            mask, inks = np.zeros(shape, bool), np.zeros(shape, np.int64)
        else:
            inks = drawings.stroke_inks(layers, shape, self.task)
        stroked = drawings.apply_stroke(state["background"], mask, inks, self.task, tool)
        if np.array_equal(stroked, state["drawing"]):
            return gr.skip(), gr.skip(), gr.skip(), state
        history = [*state["history"], state["drawing"]][-HISTORY_LENGTH:]
        state = {**state, "drawing": stroked, "history": history}
        redraws = gr.skip()
        if tool != "brush":
            redraws = state["redraws"] + 1
            state = {**state, "background": stroked, "redraws": redraws}
        result, prepared, _, state = self._shown(state, test_mode)
        return result, prepared, redraws, state

    def on_redraw(self, state):
        """The editor with the state's background and an empty layer (after a rectangle or
        fill)."""
        return self._editor_value(state["background"])

    def on_random(self, state, test_mode):
        seed = state["seed"] + 1
        photo = drawings.held_out_photo(seed, self.canvas) if self.task.kind == "photo" else None
        return self._new_drawing(state, drawings.random_drawing(self.task, seed, self.canvas),
                                 test_mode, seed=seed, photo=photo)

    def on_clear(self, state, test_mode):
        blank = drawings.blank_drawing(self.task, self.canvas, state["photo"])
        return self._new_drawing(state, blank, test_mode)

    def on_undo(self, state, test_mode):
        if not state["history"]:
            return self._shown(state, test_mode)
        *history, previous = state["history"]
        state = {**state, "drawing": previous, "background": previous, "history": history}
        return self._shown(state, test_mode, self._editor_value(previous))

    def on_upload(self, path, state, test_mode):
        image = drawings.read_image_file(path)
        photo = (drawings.fit_photo(drawings.as_rgb(image), self.canvas)
                 if self.task.kind == "photo" else None)
        uploaded = drawings.prepare_upload(image, self.task, self.canvas)
        return self._new_drawing(state, uploaded, test_mode,
                                 photo=photo if photo is not None else state["photo"])

    def on_mode(self, state, test_mode):
        return self._shown(state, test_mode)

    def on_ink_or_tool(self, ink, state):
        """A new ink or tool: the strokes so far join the background (so a rectangle is read
        from its own stroke alone), and the brush takes the ink's colour."""
        gr = gradio()

        editor = gr.update(value=self._editor_value(state["drawing"]), brush=self._brush(ink))
        return editor, {**state, "background": state["drawing"]}

    def api_translate(self, image, test_mode):
        """The ``/translate`` endpoint: a drawing (any size) -> (generator input, picture)."""
        if image is None:
            raise DataError("send a drawing: an image file of the task's kind.")
        return self.translate(drawings.prepare_upload(image, self.task, self.canvas), test_mode)

    # ---- layout

    def ink_names(self) -> tuple[str, ...]:
        """The task's inks as the app names them, in its language (class names for label
        maps)."""
        if self.task.kind == "labels":
            return palettes.class_names(self.task.inks, self.language)
        return tuple(self.texts["inks"][ink] for ink in self.task.inks)

    def _brush(self, ink=None):
        gr = gradio()

        if not self.task.inks:
            return False
        colours = [drawings.hex_colour(colour) for colour in self.task.ink_colours]
        chosen = colours[self.task.inks.index(ink)] if ink in self.task.inks else colours[0]
        return gr.Brush(colors=colours, default_color=chosen, color_mode="fixed",
                        default_size=max(2, self.canvas[0] // 48))

    def _build(self):
        gr = gradio()

        task, state0, texts = self.task, self.start_state(), self.texts
        first = state0["drawing"]
        # a label map starts with its third class (window, building), else the first ink
        start_ink = (task.inks[2] if task.kind == "labels" else task.inks[0]) if task.inks \
            else None
        inks = self.ink_names()  # shown; the handlers get the task's own ink names
        title = texts["tasks"][task.name]
        with gr.Blocks(analytics_enabled=False, title=f"p2plib · {title}") as blocks:
            follows = texts["follows"] if task.tools else ""
            gr.Markdown(f"### Pix2Pix · {title}\n{texts['hints'][task.name]}{follows}")
            state = gr.State(state0)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    editor = gr.ImageEditor(
                        value=self._editor_value(first),
                        type="numpy", image_mode="RGBA", format="png", label=texts["drawing"],
                        canvas_size=(self.canvas[1], self.canvas[0]), fixed_canvas=True,
                        sources=(), transforms=(), layers=False,
                        eraser=gr.Eraser(default_size=max(4, self.canvas[0] // 24)),
                        brush=self._brush(start_ink), buttons=["download"],
                        interactive=bool(task.tools), elem_id="drawing")
                with gr.Column(scale=2):
                    prepared0, picture0 = self.translate(first, self.test_mode)
                    result = gr.Image(picture0, type="numpy", format="png",
                                      label=texts["translation"],
                                      interactive=False, buttons=["download", "fullscreen"],
                                      height=PICTURE_HEIGHT, elem_id="picture")
                    prepared = gr.Image(prepared0, type="numpy", format="png",
                                        label=texts["seen"].format(height=self.size[0],
                                                                   width=self.size[1]),
                                        interactive=False, buttons=["download"],
                                        height=PICTURE_HEIGHT, elem_id="generator-input")
            with gr.Row():
                ink = gr.Radio(list(zip(inks, task.inks, strict=True)), value=start_ink,
                               label=texts["ink"], visible=bool(task.inks), elem_id="ink")
                tool = gr.Radio([(texts["tools"][name], name) for name in task.tools],
                                value=task.tools[0] if task.tools else None,
                                label=texts["tool"], visible=bool(task.tools), elem_id="tool")
                mode = gr.Radio([(texts["modes"][name], name) for name in testtime.TEST_MODES],
                                value=self.test_mode, label=texts["mode"], elem_id="test-mode")
            if task.kind == "labels":
                gr.HighlightedText([(name, name) for name in inks], label=texts["palette"],
                                   color_map={name: drawings.hex_colour(colour) for name, colour
                                              in zip(inks, task.ink_colours, strict=True)},
                                   show_legend=False, show_inline_category=False,
                                   elem_id="palette")
            with gr.Row():
                random_button = gr.Button(texts["random"], elem_id="random")
                undo_button = gr.Button(texts["undo"], elem_id="undo")
                clear_button = gr.Button(texts["clear"], elem_id="clear")
                upload_button = gr.UploadButton(
                    texts["upload_photo"] if task.kind == "photo" else texts["upload_drawing"],
                    file_types=["image"], elem_id="upload")
            # Latency (benchmarks/demo_latency.py): the events skip the queue (one HTTP
            # request each, no event stream, fewer status updates: at each one Gradio's page
            # reads the editor's value again, exporting its canvas as PNGs and uploading
            # them) and show no progress. Strokes do not pile up: one more runs after a
            # pending one ("always_last"). A stroke's new background (rectangle, fill) goes
            # to the editor through the hidden ``redraws`` once the picture is out.
            quick = {"queue": False, "show_progress": "hidden", "api_visibility": "private"}
            shown = [result, prepared, editor, state]  # the picture first
            redraws = gr.Number(0, visible=False, elem_id="redraws")
            # .input, not .change: Gradio 6.31's editor drops its first change event, which
            # would swallow the first stroke; input fires for every stroke (and once after
            # each new background, which on_stroke ignores).
            editor.input(self.on_stroke, [editor, state, tool, mode],
                         [result, prepared, redraws, state], trigger_mode="always_last", **quick)
            redraws.change(self.on_redraw, [state], [editor], **quick)
            random_button.click(self.on_random, [state, mode], shown, **quick)
            undo_button.click(self.on_undo, [state, mode], shown, **quick)
            clear_button.click(self.on_clear, [state, mode], shown, **quick)
            upload_button.upload(self.on_upload, [upload_button, state, mode], shown, **quick)
            mode.change(self.on_mode, [state, mode], shown, **quick)
            gr.on([ink.change, tool.change], self.on_ink_or_tool, [ink, state], [editor, state],
                  **quick)
            api_drawing = gr.Image(type="numpy", image_mode="RGB", visible=False)
            api_prepared = gr.Image(type="numpy", format="png", visible=False)
            api_picture = gr.Image(type="numpy", format="png", visible=False)
            gr.Button(visible=False).click(self.api_translate, [api_drawing, mode],
                                           [api_prepared, api_picture], api_name="translate")
        return blocks

    # ---- serving

    def launch(self, host: str = "127.0.0.1", port: int | None = None, inline: bool | None = None,
               height: int = 900) -> str:
        """Serve the app on ``host``:``port`` (default: a free port) without blocking; returns
        its address. Nothing is fetched from outside: no share link, analytics, version check,
        server-side rendering or web fonts. ``inline``: show it in the notebook (default: when
        running in one)."""
        port = cluster.free_ports(1, host)[0] if port is None or port == 0 else port
        self.blocks.launch(
            server_name=host, server_port=port, share=False, inline=inline, height=height,
            prevent_thread_lock=True, quiet=True, ssr_mode=False, show_error=True,
            theme=offline_theme(), footer_links=["api"], run_history=False,
            enable_monitoring=False, mcp_server=False, pwa=False, inbrowser=False)
        self.url = f"http://{host}:{port}/"
        return self.url

    def serve_until_stopped(self, seconds: float | None = None) -> None:
        """Keep serving until the kernel is interrupted (Jupyter's stop button, Ctrl+C) or
        ``seconds`` have passed, then close (notebook 09). A class's "Run All" leaves the demo
        up until each student stops it; under the test suite (``P2P_TESTING=1``) it closes at
        once."""
        if os.environ.get(TESTING_ENV) != "1":
            deadline = None if seconds is None else time.monotonic() + seconds
            with contextlib.suppress(KeyboardInterrupt):
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(0.2)
        self.close()

    def close(self) -> None:
        """Stop the server (nothing happens when it is not running)."""
        if self.url is not None:
            with contextlib.redirect_stdout(io.StringIO()):  # "Closing server running on..."
                self.blocks.close()
            self.url = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
