"""Sphinx configuration of the site (``make site``; the sources are staged by ``build.py``).

myst-nb shows the rendered notebooks as they are (``nb_execution_mode = "off"``), Furo gives
the navigation, previous/next links and search, and sphinx-mathjax-offline serves MathJax 3
from the site's own ``_static/`` so that nothing is fetched from a CDN.
"""

project = "Pix2Pix with the Keras functional API"
author = "the p2plib authors"
html_show_copyright = False

extensions = ["myst_nb", "sphinx-mathjax-offline"]

nb_execution_mode = "off"  # the notebooks were executed by `make render`
nb_merge_streams = True
nb_ipywidgets_js = {}  # no widget scripts from a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # GitHub-style anchors, so the README's #links resolve

html_theme = "furo"
html_title = project
html_copy_source = False  # no second copy of every notebook under _sources/
html_show_sourcelink = False
html_last_updated_fmt = None
exclude_patterns = []
suppress_warnings = ["myst.header"]  # the README's and notebooks' heading levels are theirs
html_favicon = "favicon.png"
