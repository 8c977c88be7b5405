"""Sphinx configuration of TensorGen's reference docs.

Build (offline, warnings are errors):  pip install ".[docs]" && sphinx-build -W -b html docs
docs/_build/html. autodoc imports the installed tensorgen, so build after installing.
"""

import tensorgen

project = "TensorGen"
author = "TensorGen developers"
copyright = "TensorGen developers, MIT licence"
version = release = tensorgen.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "numpydoc"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []

# Members are listed by autodoc's :members:, not by numpydoc's autosummary tables.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_member_order = "bysource"
# Types are in the numpydoc docstrings; numpy.typing aliases would spell out in full.
autodoc_typehints = "none"
# No autosummary stubs (numpydoc loads the extension; the pages list members themselves).
autosummary_generate = False
