"""What a reader sees in the notebooks' outputs: no TensorFlow internals, no stray warnings.

nbval runs every notebook but does not look at what it prints; these tests execute a short
notebook for real (a Jupyter kernel, as in JupyterLab) and read its outputs, and run notebook
11's download cell against a closed port on 127.0.0.1, as a reader without a network would.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# TensorFlow's C++ log lines (I/W/E0000 ...), absl's start-up notice, and Python warnings.
NOISE = re.compile(r"^[IWEF]\d{4} |^WARNING:|^INFO:|absl::InitializeLog|cuInit|oneDNN|remapper|"
                   r"Warning:", re.MULTILINE)
TRAIN_A_LITTLE = """
from p2plib import config, datasets, training

tiny = config.QUICK.with_changes(dataset="synthetic-facades", image_size=32, n_layers=1)
model = training.build_model(tiny)
history = model.fit(datasets.load("synthetic-facades", image_size=32).repeat(),
                    epochs=1, steps_per_epoch=2, verbose=0)
print("trained", int(model.generator_optimizer.iterations), "steps")
"""


def _texts(notebook) -> list[str]:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type == "error":
                texts.append("\n".join(output.traceback))
            elif "text/plain" in output.get("data", {}):
                texts.append(output.data["text/plain"])
    return texts


def test_a_short_notebook_and_a_fit_print_no_tensorflow_internals(tmp_path):
    notebook = nbformat.read(NOTEBOOKS / "00_overview.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(TRAIN_A_LITTLE))
    environment = {"P2P_QUICK": "1", "P2P_DATA_DIR": str(tmp_path)}
    previous = {name: os.environ.get(name) for name in (*environment, "TF_CPP_MIN_LOG_LEVEL")}
    os.environ.update(environment)
    os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as in a reader's fresh JupyterLab
    try:
        nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    texts = _texts(notebook)
    assert any("trained 2 steps" in text for text in texts)  # the cells really ran
    noisy = [line for text in texts for line in text.splitlines() if NOISE.search(line)]
    assert not noisy, f"outputs hold TensorFlow or warning lines: {noisy}"


def _download_cell() -> str:
    cells = json.loads((NOTEBOOKS / "beyond" / "11_experiments.ipynb").read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    return next(source for source in sources if 'datasets.prepare("facades")' in source)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the with-block ends


def test_notebook_11s_download_says_one_line_without_a_network(tmp_path):
    script = ("from p2plib import datasets, viz\n"
              "from p2plib.datasets.downloads import DownloadError\n") + _download_cell() + "\n" + (
        "assert facades_folder is None\nprint('the notebook goes on')\n")
    environment = dict(os.environ, P2P_DATA_DIR=str(tmp_path), TF_CPP_MIN_LOG_LEVEL="3",
                       P2P_DATASETS_URL=f"http://127.0.0.1:{_closed_port()}/")
    result = subprocess.run([sys.executable, "-c", script], env=environment, timeout=120,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    # Keras's own "Downloading data from ..." line, then the one-line reason, and on.
    assert lines[-1] == "the notebook goes on" and len(lines) <= 3, lines
    assert lines[-2].startswith("Skipping the CMP facades:") and "facades" in lines[-2]
    assert "Traceback" not in result.stderr
