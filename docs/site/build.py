"""Build the static site (``make site``): the README, the rendered notebooks, the teacher's
guide and the results, as offline HTML in ``docs/_site/``.

Sphinx with myst-nb reads the rendered copies of ``docs/notebooks/`` as they are (no
execution at build time), Furo gives the reading order with previous/next links and a
search box, and MathJax is served from the site itself (sphinx-mathjax-offline). The pages
are first gathered into a staging folder (``build/site-source/``, git-ignored): the README
and the other pages come from all over the repository, so their relative links are rewritten
to where the pages sit on the site, and the index and the results page are written from the
render metadata and ``docs/results/*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import render  # noqa: E402  (docs/render.py: summaries, link rewriting)

ROOT = render.ROOT
STAGING = ROOT / "build" / "site-source"
SITE = ROOT / "docs" / "_site"
RESULTS = ROOT / "docs" / "results"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
PAGES = {  # repository file -> page on the site, besides the notebooks and generated pages
    "README.md": "readme.md",
    "docs/teaching.md": "teaching.md",
    "data/README.md": "datasets.md",
    "benchmarks/README.md": "benchmarks.md",
}


class SiteError(Exception):
    """The site could not be built; the message is one line."""


# ---------------------------------------------------------------- staging

class Stage:
    """A staging folder being filled: which repository file became which staged file."""

    def __init__(self, folder: Path, rendered_dir: Path):
        self.folder = folder
        self.rendered_dir = rendered_dir
        self.placed: dict[Path, str] = {}

    def place(self, repository_file: Path, staged: str) -> None:
        self.placed[repository_file.resolve()] = staged

    def copy(self, repository_file: Path, staged: str) -> None:
        destination = self.folder / staged
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repository_file, destination)
        self.place(repository_file, staged)

    def relocator(self, origin: Path, staged_page: str):
        """Rewrite a link written in repository file ``origin`` for its page ``staged_page``:
        to the staged page or file it names; an image elsewhere is copied in; a link to
        anything else that is not on the site keeps its text and loses the link."""
        def relocate(target: str, is_image: bool) -> str | None:
            path, anchor = render.split_anchor(target)
            if not path:
                return target
            resolved = Path(os.path.normpath(origin.parent / path)).resolve()
            staged = self.placed.get(resolved) or self._source_notebook(resolved)
            if staged is None and resolved.is_file() and resolved.suffix.lower() in IMAGE_SUFFIXES:
                self.copy(resolved, "_files/" + resolved.relative_to(ROOT).as_posix())
                staged = self.placed[resolved]
            if staged is None:
                return None
            here = (self.folder / staged_page).parent
            return Path(os.path.relpath(self.folder / staged, here)).as_posix() + anchor
        return relocate

    def _source_notebook(self, resolved: Path) -> str | None:
        """A link to a source notebook goes to its rendered page, when there is one."""
        if resolved.suffix != ".ipynb" or not resolved.is_relative_to(render.SOURCE_DIR):
            return None
        return self.placed.get((self.rendered_dir / resolved.relative_to(render.SOURCE_DIR))
                               .resolve())


def stage(folder: Path = STAGING, rendered_dir: Path = render.RENDERED_DIR) -> list[dict]:
    """Fill ``folder`` with the site's sources; return the notebook summaries it used."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    site = Stage(folder, rendered_dir)
    rows = render.summaries(render.SOURCE_DIR, rendered_dir)
    present = [row for row in rows if row["rendered"].is_file()]
    for row in present:
        site.place(row["rendered"], "notebooks/" + row["name"])
    for repository_name, staged in PAGES.items():
        if (ROOT / repository_name).is_file():
            site.place(ROOT / repository_name, staged)
    for result in sorted(RESULTS.rglob("*")) if RESULTS.is_dir() else []:
        if result.is_file():
            site.copy(result, "results/" + result.relative_to(RESULTS).as_posix())
    site.place(RESULTS, "results.md")

    for repository_name, staged in PAGES.items():
        origin = ROOT / repository_name
        if origin.is_file():
            text = render.rewrite_links(origin.read_text(encoding="utf-8"),
                                        site.relocator(origin, staged))
            if staged == "readme.md":  # the index already bears the project's title
                text = "# The README\n" + text.split("\n", 1)[1] if text.startswith("# ") else text
            (folder / staged).write_text(text, encoding="utf-8")
    for row in present:
        staged = "notebooks/" + row["name"]
        notebook = render.read_json(row["rendered"])
        relocate = site.relocator(row["rendered"], staged)
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                cell["source"] = render.rewrite_links(render._text(cell["source"]), relocate)
        (folder / staged).parent.mkdir(parents=True, exist_ok=True)
        (folder / staged).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    (folder / "results.md").write_text(results_page(), encoding="utf-8")
    (folder / "index.md").write_text(index_page(rows, [p for p in PAGES.values()
                                                       if (folder / p).is_file()]),
                                     encoding="utf-8")
    return rows


# ---------------------------------------------------------------- generated pages

def _readme_intro() -> str:
    """The README's first paragraph (what the series is)."""
    paragraphs = (ROOT / "README.md").read_text(encoding="utf-8").split("\n\n")
    text = next((p for p in paragraphs if p.strip() and not p.lstrip().startswith(("#", "<", "!"))),
                "")
    return render.rewrite_links(text, lambda target, is_image: None)


def index_page(rows: list[dict], pages: list[str]) -> str:
    """The home page: what the series is, then each notebook's objectives and run times."""
    lines = ["# Pix2Pix with the Keras functional API", "", _readme_intro(), "",
             "The notebooks below are shown as `make render` executed them, outputs included. "
             "Run times are measured, in quick mode (`P2P_QUICK=1`, what the tests run) and in "
             "full mode (what the prose describes). " + render.machine_line(rows), "",
             "## The notebooks", ""]
    for row in [row for row in rows if not row["solution"]]:
        lines += _index_entry(row)
    solutions = [row for row in rows if row["solution"]]
    if solutions:
        lines += ["## Solutions to the exercises", ""]
        for row in solutions:
            lines += _index_entry(row, objectives=False)
    lines += ["## For teachers and for reference", ""]
    titles = {"readme.md": "The README: set-up, command line, performance, datasets",
              "teaching.md": "The teacher's guide", "datasets.md": "The datasets",
              "benchmarks.md": "The benchmarks"}
    lines += [f"- [{titles[page]}]({page})" for page in pages]
    lines += ["- [Results: the ablations and the fast recipe](results.md)", ""]
    lines += _toctree("Start", ["readme"])
    lines += _toctree("Notebooks", [_doc(row) for row in rows
                                    if not row["solution"] and row["rendered"].is_file()])
    lines += _toctree("For teachers", ["teaching"] * ("teaching.md" in pages)
                      + [_doc(row) for row in solutions if row["rendered"].is_file()])
    lines += _toctree("Reference", ["results"] + [page.removesuffix(".md") for page in pages
                                                  if page in ("datasets.md", "benchmarks.md")])
    return "\n".join(lines) + "\n"


def _doc(row: dict) -> str:
    return "notebooks/" + row["name"].removesuffix(".ipynb")


def _index_entry(row: dict, objectives: bool = True) -> list[str]:
    title = row["title"] or row["name"]
    heading = f"[{title}](notebooks/{row['name']})" if row["rendered"].is_file() else title
    if not row["rendered"].is_file():
        times = "No rendered copy yet: run `make render`."
    elif row["seconds"]:
        times = (f"Run time: {render.format_seconds(row['seconds'].get('quick'))} in quick mode, "
                 f"{render.format_seconds(row['seconds'].get('full'))} in full mode")
        generated = sorted({n for names in row["first_run_generated"].values() for n in names})
        if generated:
            times += " (that run also generated " + ", ".join(f"`{n}`" for n in generated) + ")"
        times += "."
    else:
        times = "Run time: not measured yet (the rendered copy is stale: run `make render`)."
    lines = [f"### {heading}", "", times, ""]
    if objectives and row["objectives"]:
        lines += [f"- {objective}" for objective in row["objectives"]] + [""]
    return lines


def _toctree(caption: str, documents: list[str]) -> list[str]:
    if not documents:
        return []
    return ["```{toctree}", ":hidden:", f":caption: {caption}", "", *documents, "```", ""]


def results_page(results_dir: Path = RESULTS) -> str:
    """The committed results: the ablation tables (as ``p2plib.ablations`` writes them) with
    their sample images, the fast recipe, and every results file for download."""
    lines = ["# Results", "",
             "Measured by the project's own commands and committed in `docs/results/`; each "
             "section names the command, the machine and the run time.", ""]
    if results_dir.is_dir():
        for path in sorted(results_dir.glob("*.json")):
            results = render.read_json(path)
            if "tables" in results and "settings" in results:
                lines += _ablation_section(path, results)
            elif "rows" in results and "picture" in results:
                lines += _recipe_section(path, results)
        lines += ["## Files", ""]
        lines += [f"- [{path.name}](results/{path.name})"
                  for path in sorted(results_dir.glob("*.json"))]
    return "\n".join(lines) + "\n"


def _machine(results: dict) -> str:
    machine = results.get("machine") or {}
    cores = machine.get("usable_cpus") or machine.get("cpu_count")
    return (f"{cores} cores of {machine.get('processor', 'an unrecorded CPU')}, TensorFlow "
            f"{machine.get('tensorflow', '?')}, Keras {machine.get('keras', '?')}")


def _ablation_section(path: Path, results: dict) -> list[str]:
    import p2plib

    p2plib.quiet_tensorflow()
    from p2plib import ablations

    dataset = results.get("dataset") or results.get("config", {}).get("dataset")
    samples = ablations.samples_folder(dataset or ablations.DATASET)
    minutes = results.get("wall_seconds", 0) / 60
    lines = [f"## {results.get('description', path.stem)}", "",
             f"`{results.get('command', '')}` — {minutes:.1f} minutes on {_machine(results)}.", ""]
    captions = {"losses": "Objective", "generator": "Generator",
                "discriminator": "Discriminator receptive field"}
    for table in ablations.TABLES:
        lines += [f"**{captions.get(table, table)}**", "",
                  ablations.markdown_table(results, table), ""]
    first = {}
    for entry in results["settings"]:
        first.setdefault(entry["name"], entry)
    folder = path.parent / samples
    images = [("inputs", "inputs.png"), ("targets", "targets.png")] + [
        (entry.get("description", name), entry.get("samples")) for name, entry in first.items()]
    shown = [(caption, name) for caption, name in images if name and (folder / name).is_file()]
    if shown:
        lines += ["Sample outputs on test pairs (first seed):", ""]
        for caption, name in shown:
            lines += [f"{caption}:", "", f"![{caption}](results/{samples}/{name})", ""]
    return lines


def _recipe_section(path: Path, results: dict) -> list[str]:
    lines = [f"## The fast CPU recipe ({path.name})", "",
             f"`{results.get('command', '')}` — {results.get('minutes', '?')} minutes of "
             f"training per row on {_machine(results)}.", "",
             "| row | steps | per-pixel acc. | per-class acc. | class IoU |",
             "|---|---|---|---|---|"]
    for name, row in results["rows"].items():
        scores = row.get("scores", {})
        cells = [f"{scores[key]:.3f}" if key in scores else ""
                 for key in ("pixel_accuracy", "class_accuracy", "class_iou")]
        lines.append(f"| {name} | {row.get('steps', '')} | " + " | ".join(cells) + " |")
    columns = " | ".join(results.get("picture_columns", []))
    lines += ["", f"Columns: {columns}." if columns else "",
              "", f"![the fast recipe]({'results/' + results['picture']})", ""]
    return lines


# ---------------------------------------------------------------- building

def build(out: Path = SITE, staging: Path = STAGING,
          rendered_dir: Path = render.RENDERED_DIR) -> dict:
    """Stage the sources and run Sphinx into ``out``; return the seconds and the warnings."""
    started = time.perf_counter()
    stage(staging, rendered_dir)
    if out.exists():
        shutil.rmtree(out)
    doctrees = staging.parent / (staging.name + "-doctrees")
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-c", str(HERE),
               "-d", str(doctrees), str(staging), str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise SiteError(f"sphinx-build failed (exit {result.returncode}): {last}")
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    return {"seconds": round(time.perf_counter() - started, 1), "warnings": warnings}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python docs/site/build.py",
                                     description="Build the offline HTML site into docs/_site/.")
    parser.add_argument("--out", type=Path, default=SITE, help="output folder (docs/_site/)")
    parser.add_argument("--rendered", type=Path, default=render.RENDERED_DIR,
                        help="folder of rendered notebooks (docs/notebooks/)")
    arguments = parser.parse_args(argv)
    try:
        outcome = build(arguments.out.resolve(), STAGING, arguments.rendered.resolve())
    except (SiteError, OSError) as error:
        print(f"site: {error}", file=sys.stderr)
        return 2
    for warning in outcome["warnings"]:
        print(warning, file=sys.stderr)
    print(f"built {arguments.out} in {outcome['seconds']} s "
          f"({len(outcome['warnings'])} warnings); open {arguments.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
