"""Build the in-browser drawing demo into a folder that any static host serves as it is.

    python web/build.py OUT_DIR          # make site builds it into docs/_site/demo/

The page (``web/page/``: HTML, CSS, plain JS modules) runs the shipped Pix2Pix generators
with ONNX Runtime Web in the reader's browser. The build:

- exports both shipped generators (``pretrained.load``) with ``export.export_onnx`` and
  stores their weights as float16 (float16 initializers, each widened by a Cast node, so the
  arithmetic stays float32) when the outputs stay within ``FLOAT16_TOLERANCE`` of Keras's on
  the start drawings; otherwise the float32 file ships;
- copies ONNX Runtime Web's files (JS and WASM, from ``web/node_modules``: ``npm ci --prefix
  web``) for WebAssembly and for WebGPU;
- writes ``demo.json``: each generator's class names (in every language of
  ``p2plib.datasets.palettes.LANGUAGES``, from its one table of names), palette, model file,
  start drawings (rendered by the datasets' own renderers,
  ``p2plib.demo.drawings.random_drawing``) and the measured sizes and differences to Keras.

The page speaks English, or Simplified Chinese with ``?lang=zh``: its other words are in
``page/texts.js``, both languages side by side.

Nothing is fetched from elsewhere at run time, and no special header is needed. Every use
of ``p2plib`` by the web demo is in this file. The float32 export is cached in
``build/web-cache/`` (git-ignored), keyed by the generator file and the converter's
versions, so a second build does not convert again.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

WEB = Path(__file__).resolve().parent
ROOT = WEB.parent
PAGE = WEB / "page"
NODE_MODULES = WEB / "node_modules"
DEFAULT_CACHE = ROOT / "build" / "web-cache"
GENERATORS = ("facades", "streets")
START_DRAWINGS = 6  # label maps for "Random", per generator
FLOAT16_TOLERANCE = 2e-3
"""Largest accepted |float16 file - Keras| on the generator's output in [-1, 1]: a quarter of
one 8-bit level (1 / 127.5), so the shown picture moves by at most one level, by rounding."""
FLOAT16_MIN_ELEMENTS = 1024  # smaller weights (batch-norm scales, biases) stay float32
RUNTIME = {  # backend -> (ES module, its WebAssembly glue, the WebAssembly binary)
    "wasm": ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"),
    "webgpu": ("ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs",
               "ort-wasm-simd-threaded.asyncify.wasm"),
}
NOTEBOOK_LINK = "../notebooks/05_pix2pix_model.html"  # where the site puts notebook 05
SITE_HOME = "../index.html"
LINKS = {"NOTEBOOK_LINK": NOTEBOOK_LINK, "SITE_HOME": SITE_HOME,
         "NOTEBOOK_LINK_ZH": "../zh/notebooks/05_pix2pix_model.html",
         "SITE_HOME_ZH": "../zh/index.html"}
"""The page's links (``{{NAME}}`` in ``page/index.html``), in English and in Chinese (``_ZH``),
where the site puts the demo (``docs/site/build.py`` sets them anew for its pages)."""
NPM_INSTALL = "npm ci --prefix web"


class BuildError(Exception):
    """The demo could not be built; the message is one line and says what to do."""


# ---------------------------------------------------------------- ONNX Runtime Web


def runtime_folder(node_modules: Path = NODE_MODULES) -> Path:
    """``onnxruntime-web``'s dist folder; ``BuildError`` when it is not installed."""
    dist = node_modules / "onnxruntime-web" / "dist"
    missing = [name for files in RUNTIME.values() for name in files if not (dist / name).is_file()]
    if missing:
        raise BuildError(f"{dist} lacks {missing[0]}: install ONNX Runtime Web with "
                         f"`{NPM_INSTALL}` (Node's npm; `make site` does it).")
    return dist


# ---------------------------------------------------------------- the generators


def quiet_tensorflow():
    """Import p2plib with TensorFlow's start-up lines off (the build's output stays short)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import p2plib

    p2plib.quiet_tensorflow()


def load_generator(name: str):
    """The shipped generator ``name`` (a ``keras.Model``)."""
    quiet_tensorflow()
    from p2plib import pretrained

    return pretrained.load(name)


def generator_spec(name: str) -> dict:
    """What the page needs to draw for generator ``name``: class names (``classes``; shown
    as ``classNames`` in each language), palette (the dataset's), the class Clear and the
    eraser paint, and the class to start with."""
    from p2plib.datasets import palettes
    from p2plib.demo import drawings

    task = drawings.get_task(name)
    return {"classes": list(task.inks),
            "classNames": {language: list(palettes.class_names(task.inks, language))
                           for language in palettes.LANGUAGES},
            "palette": task.ink_colours.astype(int).tolist(),
            "blank": task.inks.index(task.blank_ink),
            "firstClass": 2}  # window, building: what the Gradio demo starts with


def start_drawings(name: str, size) -> list:
    """``START_DRAWINGS`` label maps (uint8 HxWx3 in the palette), the datasets' layouts
    rendered at ``size`` by ``drawings.random_drawing``."""
    from p2plib.demo import drawings

    return [drawings.random_drawing(name, seed, size) for seed in range(START_DRAWINGS)]


def keras_outputs(model, drawings):
    """The generator's outputs in [-1, 1] for uint8 ``drawings`` in inference mode."""
    import numpy as np

    from p2plib import data, testtime

    batch = data.normalize(np.stack(drawings)).numpy()
    return batch, np.asarray(testtime.translate(model, batch, "inference"))


def _cache_key(name: str) -> str:
    import keras
    import onnx
    import tensorflow as tf
    import tf2onnx

    from p2plib import export, pretrained

    digest = hashlib.sha256(pretrained.path(name).read_bytes())
    digest.update(Path(export.__file__).read_bytes())
    digest.update(f"{tf.__version__} {keras.__version__} {tf2onnx.__version__} "
                  f"{onnx.__version__}".encode())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def locked(folder: Path):
    """Hold an exclusive lock on ``folder`` (two builds at once convert a file once)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def float32_onnx(name: str, model, cache: Path | None, folder: Path) -> Path:
    """The generator exported by ``export.export_onnx`` (float32): from ``cache`` when it
    holds this generator file's export, else exported now (into ``cache`` or ``folder``)."""
    from p2plib import export

    if cache is None:
        return export.export_onnx(model, folder / f"{name}.float32.onnx")
    with locked(cache):
        cached = cache / f"{name}-{_cache_key(name)}.onnx"
        if not cached.is_file():
            for stale in cache.glob(f"{name}-*.onnx"):
                stale.unlink()
            export.export_onnx(model, cached)
        return cached


def with_float16_weights(model, min_elements: int = FLOAT16_MIN_ELEMENTS):
    """A copy of the ONNX ``model`` (a ModelProto) whose float32 weights of at least
    ``min_elements`` values are stored as float16, each widened back to float32 by a Cast
    node, so the file is about half the size and the arithmetic stays float32 (ONNX Runtime
    folds the casts when it loads the file)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    casts, initializers = [], []
    for weight in graph.initializer:
        values = numpy_helper.to_array(weight)
        if weight.data_type != TensorProto.FLOAT or values.size < min_elements:
            initializers.append(weight)
            continue
        half = f"{weight.name}/float16"
        initializers.append(numpy_helper.from_array(values.astype(np.float16), half))
        casts.append(helper.make_node("Cast", [half], [weight.name], to=TensorProto.FLOAT,
                                      name=f"{weight.name}/to_float32"))
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    return model


def largest_difference(onnx_path: Path, batch, reference) -> float:
    """max |ONNX Runtime's output - ``reference``| for the input ``batch``."""
    import numpy as np

    from p2plib import export

    return float(np.abs(export.run_onnx(onnx_path, batch) - reference).max())


def build_generator(name: str, out: Path, cache: Path | None, scratch: Path) -> dict:
    """Export generator ``name`` into ``out/models/`` (float16 weights when within
    tolerance) with its start drawings in ``out/starts/``; return its ``demo.json`` entry."""
    import onnx
    from PIL import Image

    from p2plib import export

    model = load_generator(name)
    height, width = export.input_shape(model)[:2]
    drawings = start_drawings(name, (height, width))
    starts = []
    for index, drawing in enumerate(drawings):
        starts.append(f"starts/{name}-{index}.png")
        Image.fromarray(drawing).save(out / starts[-1], optimize=True)
    batch, reference = keras_outputs(model, drawings)

    float32_path = float32_onnx(name, model, cache, scratch)
    float16_path = scratch / f"{name}.float16.onnx"
    onnx.save(with_float16_weights(onnx.load(str(float32_path))), str(float16_path))
    measured = {
        "float32_bytes": float32_path.stat().st_size,
        "float16_bytes": float16_path.stat().st_size,
        "float32_max_difference": largest_difference(float32_path, batch, reference),
        "float16_max_difference": largest_difference(float16_path, batch, reference),
        "tolerance": FLOAT16_TOLERANCE,
        "compared_on": f"the {len(drawings)} start drawings",
    }
    weights = "float16" if measured["float16_max_difference"] <= FLOAT16_TOLERANCE else "float32"
    shipped = out / "models" / f"{name}.onnx"
    shutil.copyfile(float16_path if weights == "float16" else float32_path, shipped)
    return {**generator_spec(name), "width": width, "height": height, "starts": starts,
            "model": {"path": f"models/{name}.onnx", "bytes": shipped.stat().st_size,
                      "weights": weights, **measured}}


# ---------------------------------------------------------------- the page


def _check_out(out: Path) -> None:
    """Refuse an ``out`` that holds something else than an earlier build."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())) \
            and not (out / "demo.json").is_file():
        raise BuildError(f"{out} is not empty and holds no earlier build of the demo; "
                         "give a new or empty folder.")


def copy_page(out: Path, links: dict | None = None) -> None:
    """The page's files into ``out``, with the links that depend on where the demo sits
    filled in (``LINKS``, updated by ``links``); over an earlier copy too."""
    links = {**LINKS, **(links or {})}
    for source in sorted(PAGE.iterdir()):
        if source.suffix == ".html":
            text = source.read_text(encoding="utf-8")
            for name, link in links.items():
                text = text.replace("{{" + name + "}}", link)
            (out / source.name).write_text(text, encoding="utf-8")
        elif source.is_file():
            shutil.copyfile(source, out / source.name)


def copy_runtime(out: Path, node_modules: Path) -> dict:
    """ONNX Runtime Web's files for each backend into ``out/ort/``; the manifest's entry."""
    dist = runtime_folder(node_modules)
    package = json.loads((dist.parent / "package.json").read_text(encoding="utf-8"))
    entry = {}
    for backend, (module, glue, binary) in RUNTIME.items():
        for name in (module, glue, binary):
            shutil.copyfile(dist / name, out / "ort" / name)
        entry[backend] = {"version": package["version"], "module": f"ort/{module}",
                          "binary": f"ort/{binary}",
                          "bytes": sum((dist / name).stat().st_size
                                       for name in (module, glue, binary))}
    (out / "ort" / "NOTICE.txt").write_text(
        f"The files in this folder are copied unchanged from the npm package {package['name']} "
        f"{package['version']} (ONNX Runtime Web, by Microsoft Corporation; license: "
        f"{package['license']}).\n", encoding="utf-8")
    return entry


def build(out, cache: Path | None = DEFAULT_CACHE, node_modules: Path = NODE_MODULES,
          links: dict | None = None, log=print) -> dict:
    """Build the demo into ``out``; returns what ``demo.json`` holds.

    Args:
        out: the folder to fill (new, empty, or an earlier build, which is replaced).
        cache: where float32 exports are kept between builds (None: export every time).
        node_modules: where ``npm ci --prefix web`` installed ONNX Runtime Web.
        links: the page's links to notebook 05 and to the course (see ``LINKS``).
        log: called with a line per generator.
    """
    out = Path(out).resolve()
    runtime_folder(node_modules)  # before the slow part
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # built beside ``out`` and moved there at the end: a failed build leaves ``out`` as it was
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as scratch:
        staged = Path(scratch) / "demo"
        for folder in ("models", "starts", "ort"):
            (staged / folder).mkdir(parents=True)
        manifest = {"runtime": copy_runtime(staged, node_modules), "generators": {}}
        for name in GENERATORS:
            entry = build_generator(name, staged, cache, Path(scratch))
            manifest["generators"][name] = entry
            model = entry["model"]
            log(f"{name}: {model['weights']} weights, {model['bytes'] / 1e6:.1f} MB "
                f"(float32 {model['float32_bytes'] / 1e6:.1f} MB); max |ONNX - Keras| "
                f"float32 {model['float32_max_difference']:.2e}, float16 "
                f"{model['float16_max_difference']:.2e}")
        copy_page(staged, links)
        (staged / "demo.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        staged.rename(out)
    return manifest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python web/build.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the folder to build into (e.g. build/demo)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="where float32 exports are kept between builds (build/web-cache)")
    parser.add_argument("--no-cache", action="store_true", help="export every time")
    parser.add_argument("--notebook-link", default=NOTEBOOK_LINK,
                        help=f"the page's link to notebook 05 (default {NOTEBOOK_LINK})")
    arguments = parser.parse_args(argv)
    try:
        build(arguments.out, None if arguments.no_cache else arguments.cache,
              links={"NOTEBOOK_LINK": arguments.notebook_link})
    except (BuildError, OSError) as error:
        print(f"web demo: {error}", file=sys.stderr)
        return 2
    print(f"built the demo into {arguments.out}: serve the folder with any static server, "
          f"e.g. python -m http.server -d {arguments.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
