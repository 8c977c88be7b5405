"""Curves of a training History as an image (matplotlib, the optional ``plot`` extra)."""

import os
from pathlib import Path
from types import ModuleType

import numpy as np

from .training import History

# The image types plot_history writes, by file suffix (matplotlib's format names).
IMAGE_FORMATS = ("png", "jpg", "jpeg", "pdf", "svg")


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the file-only Agg backend, or a clear ImportError.

    Returns
    -------
    module
        ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        When matplotlib is not installed, saying how to install it.
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'tensorgen[plot]'") from None
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def image_format(path: str | os.PathLike[str], name: str = "path") -> str:
    """The image type that ``path``'s suffix names, one of ``IMAGE_FORMATS``.

    Parameters
    ----------
    path : str or path-like
        An image file name.
    name : str
        The argument's name, for the message.

    Returns
    -------
    str
        The suffix without its dot, in lower case (e.g. ``"png"``).

    Raises
    ------
    ValueError
        Naming ``name``, for a suffix that is not one of ``IMAGE_FORMATS``.
    """
    suffix = Path(path).suffix
    if suffix.lower()[1:] not in IMAGE_FORMATS:
        raise ValueError(f"{name}: {os.fspath(path)!r} has "
                         f"{f'the suffix {suffix!r}' if suffix else 'no suffix'}; expected "
                         f"one of {', '.join('.' + f for f in IMAGE_FORMATS)}")
    return suffix.lower()[1:]


def plot_history(history: History, path: str | os.PathLike[str],
                 title: str | None = None) -> None:
    """Save the cost curves (and the validation metric, when recorded) as an image.

    Parameters
    ----------
    history : History
        What ``fit`` returned.
    path : str or path-like
        Where to write the figure; its suffix (``.png``, ``.jpg``, ``.pdf``, ``.svg``)
        sets the image type.
    title : str, optional
        The figure's title.

    Raises
    ------
    ValueError
        For an unknown suffix, or a history without epochs.
    ImportError
        When matplotlib is not installed.
    """
    fmt = image_format(path)
    plt = pyplot()
    if np.size(history.cost) == 0:
        raise ValueError("history: no epochs to plot")
    panels = 2 if history.val_metric else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
    epochs = range(1, history.epochs + 1)
    ax = axes[0, 0]
    ax.plot(epochs, history.cost, label="training cost")
    if history.val_cost:
        ax.plot(range(1, len(history.val_cost) + 1), history.val_cost, label="validation cost")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost")
    if np.min(history.cost) > 0:
        ax.set_yscale("log")
    ax.legend()
    if history.val_metric:
        ax = axes[0, 1]
        ax.plot(range(1, len(history.val_metric) + 1), history.val_metric,
                label=f"validation {history.metric}", color="C2")
        ax.set_xlabel("epoch")
        ax.set_ylabel(history.metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, format=fmt, dpi=100)
    plt.close(fig)
