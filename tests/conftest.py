"""Helpers shared by the unit tests: small learnable pairs and networks, and a headless
Chromium that records what a page does.

``smooth_pairs`` and ``tiny_networks`` are plain functions (``from conftest import ...``), so
the child scripts in ``tests/children/`` use them too.

Browser tests (the demo, the site) drive Debian's ``chromium`` through Playwright's Python
package. ``page`` gives a fresh page whose network requests and console errors are
recorded; ``assert_clean(page)`` fails when a request left 127.0.0.1 or the console logged
an error. Without Chromium the browser tests are skipped with a message saying what to
install, unless ``P2P_REQUIRE_BROWSER=1`` (set by CI), which turns the skip into a failure.
``web_demo`` is the in-browser drawing demo (``web/build.py``) built once per test session;
without ONNX Runtime Web (``npm ci --prefix web``) it is None, or a failure under
``P2P_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import io
import os
import shutil
import tarfile
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ENV = "P2P_CHROMIUM"
REQUIRE_BROWSER_ENV = "P2P_REQUIRE_BROWSER"
# Without the background-networking flags Chromium tries to reach Google's hosts at start.
CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def smooth_pairs(count, seed, size=32):
    """Smooth random inputs; the target swaps the colour channels and negates them."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    coarse = rng.uniform(-1, 1, (count, 4, 4, 3)).astype("float32")
    inputs = tf.image.resize(coarse, (size, size)).numpy()
    return inputs, -inputs[..., ::-1]


def pixels_hash(arrays) -> str:
    """The first 16 hex digits of the SHA-256 of the arrays' bytes, in order: pins a rendered
    pair (labels, photo, mask) pixel for pixel."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def tiny_networks(seed=0, dropout=True, norm="batch", size=32):
    """A U-Net and a one-layer PatchGAN with 8 base filters, built from ``seed``."""
    import keras

    from p2plib import models

    keras.utils.set_random_seed(seed)
    generator = models.unet_generator(size, base_filters=8, dropout=dropout, norm=norm)
    discriminator = models.patchgan_discriminator(size, base_filters=8, n_layers=1, norm=norm)
    return generator, discriminator


def lively_generator(size=32, base_filters=8, seed=0):
    """A small U-Net whose output depends visibly on its input and on the test-time mode:
    kernels at He scale and batch-norm moving statistics that are not the initial ones (the
    paper's N(0, 0.02) start gives a nearly flat grey, and statistics of 0 and 1 would hide
    which mode ran)."""
    import keras
    import numpy as np

    from p2plib import models

    keras.utils.set_random_seed(seed)
    model = models.unet_generator(size, base_filters=base_filters)
    rng = np.random.default_rng(seed)
    for layer in models.flat_layers(model):
        if hasattr(layer, "kernel"):
            shape = layer.kernel.shape
            layer.kernel.assign(rng.normal(0.0, (2 / np.prod(shape[:-1])) ** 0.5, shape))
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0.0, 0.1, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape))
    return model


def _missing_browser(reason: str):
    message = (f"{reason}. Browser tests need Debian's chromium (apt-get install -y chromium) "
               f"and the playwright package (pip install -r requirements.txt); set "
               f"{CHROMIUM_ENV} to use another Chromium binary.")
    if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The Chromium binary: ``$P2P_CHROMIUM``, else ``chromium`` on the PATH."""
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    if not path:
        _missing_browser("no chromium binary on the PATH")
    return path


@pytest.fixture(scope="session")
def browser(chromium_executable):
    """One headless Chromium for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_executable,
                                              args=list(CHROMIUM_FLAGS), headless=True)
        yield launched
        launched.close()


def web_builder():
    """``web/build.py`` (a script, not a package) as the module ``p2p_web_build``."""
    import importlib.util
    import sys

    if "p2p_web_build" not in sys.modules:
        spec = importlib.util.spec_from_file_location("p2p_web_build",
                                                      ROOT / "web" / "build.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["p2p_web_build"] = module
    return sys.modules["p2p_web_build"]


@pytest.fixture(scope="session")
def web_demo(tmp_path_factory) -> Path | None:
    """The in-browser drawing demo built by ``web/build.py`` once per test session: its
    folder, or None when ONNX Runtime Web is not installed (a failure under
    ``P2P_REQUIRE_BROWSER=1``). The pytest-xdist workers of one run share a build: the
    first builds it under a lock, the others wait for it."""
    web = web_builder()
    try:
        web.runtime_folder()
    except web.BuildError as error:
        if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
            pytest.fail(str(error))
        return None
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    folder = shared / "web-demo"
    with web.locked(folder):
        if not (folder / "demo" / "demo.json").is_file():
            web.build(folder / "demo", cache=None, log=lambda line: None)
    return folder / "demo"


class RecordedPage:
    """A Playwright page with the requests it made and the console errors it logged."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _on_console(self, message):
        if message.type == "error":
            self.console_errors.append(message.text)

    def outside_requests(self) -> list[str]:
        """Requests to any host but this machine's loopback (data: and blob: URLs excepted)."""
        outside = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.hostname not in LOCAL_HOSTS:
                outside.append(url)
        return outside

    def assert_clean(self):
        """Fail if the page reached beyond 127.0.0.1 or logged a console error."""
        assert not self.outside_requests(), f"requests left 127.0.0.1: {self.outside_requests()}"
        assert not self.console_errors, f"console errors: {self.console_errors}"


@pytest.fixture()
def page(browser):
    """A fresh page (own context, 1280x900) that records requests and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    recorded = RecordedPage(context.new_page())
    yield recorded
    context.close()


def make_archive(path: Path, members) -> bytes:
    """Write a .tar.gz of ``members`` [(name, bytes) or TarInfo] and return its bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                name, payload = member
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; a request for ``*.cut.tar.gz``'s twin drops the connection halfway."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        cut = Path(self.directory) / (self.path.lstrip("/") + ".cut")
        if not cut.is_file():
            return super().do_GET()
        payload = cut.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(2 * len(payload)))  # promises twice as much
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True


class _StaticServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A browser that closes a connection early (a page left mid-load) is no error."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def served_folder(folder):
    """``folder`` on a plain static server (http.server) on 127.0.0.1, a free port; yields
    its address, ending in "/"."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = _StaticServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving ``tmp_path/site``; yields (folder, url)."""
    site = tmp_path / "site"
    site.mkdir()
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}/datasets"
    httpd.shutdown()
    httpd.server_close()


@contextlib.contextmanager
def mounted_tmpfs(folder, options="size=64k"):
    """A real tmpfs mounted on ``folder`` for a block (root only; the test is skipped where
    mounting fails), unmounted afterwards."""
    import subprocess

    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({options}) here ({mounted.stderr.strip()}); "
                    "run as root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture()
def small_tmpfs(tmp_path):
    """A real 64 KiB tmpfs mounted for the test (root only; skipped where mounting fails)."""
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    with mounted_tmpfs(mount_point) as folder:
        yield folder
