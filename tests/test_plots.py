"""Figures: the training curves' image types, and what the study's figures say (titles,
legends clear of the data), checked on small made-up results."""

import re

import numpy as np
import pytest

from tensorgen import plotting
from tensorgen.study import StudyResults, plots


@pytest.mark.parametrize("path, fmt", [("a.png", "png"), ("b.JPG", "jpg"), ("c/d.pdf", "pdf"),
                                       ("e.svg", "svg")])
def test_image_format_follows_the_suffix(path, fmt):
    assert plotting.image_format(path) == fmt


@pytest.mark.parametrize("path, match", [("a.gif", "the suffix '.gif'"), ("a", "no suffix")])
def test_image_format_refuses_other_suffixes(path, match):
    with pytest.raises(ValueError, match=f"plot: '{path}' has {match}; expected one of .png"):
        plotting.image_format(path, "plot")


def study(min_fit_params=0, curves=None):
    engines = ("reverse", "finite")
    scaling = [{"sweep": sweep, "engine": e, "n_params": n, "seconds": 1e-6 * n * (k + 1)}
               for sweep in ("width", "depth") for k, e in enumerate(engines)
               for n in (9, 25, 81)]
    slopes = [{"sweep": s, "engine": e, "slope": 1.0} for s in ("width", "depth")
              for e in engines]
    accuracy = [{"problem": p, "engine": f"finite central relative eps={eps:.0e}", "eps": eps,
                 "max_rel_error": eps ** 2 + 1e-16 / eps} for p in ("xor 2-2-1", "8-8-1")
                for eps in (1e-1, 1e-3, 1e-5, 1e-7)]
    accuracy += [{"problem": p, "engine": e, "eps": None, "max_rel_error": 1e-9}
                 for p in ("xor 2-2-1", "8-8-1") for e in ("finite fourth order", "symbolic")]
    if curves is None:
        cost = 0.3 * np.exp(-np.arange(1, 200) / 30)
        curves = {"reverse": cost.tolist(), "finite": (cost * (1 + 1e-9)).tolist()}
    xor = [{"engine": e, "stop": "cost < 1e-3"} for e in curves]
    return StudyResults(settings={"min_fit_params": min_fit_params}, machine={},
                        tables={"scaling": scaling, "slopes": slopes, "accuracy": accuracy,
                                "xor": xor}, curves=curves)


@pytest.fixture
def figures(monkeypatch):
    """The figures the study's plot functions make, kept open instead of saved."""
    pytest.importorskip("matplotlib", reason="the figures need matplotlib (tensorgen[plot])")
    kept = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, plt: kept.append(fig))
    yield kept
    plotting.pyplot().close("all")


@pytest.mark.parametrize("min_fit_params, says", [(0, "slopes fitted over all points"),
                                                   (1000, "over points with >= 1000 parameters")])
def test_scaling_titles_say_which_points_were_fitted(figures, min_fit_params, says):
    plots.scaling(study(min_fit_params), "unused.png")
    titles = [ax.get_title() for ax in figures[0].axes]
    assert len(titles) == 2 and all(says in t for t in titles), titles
    assert not any(">= 0 parameters" in t for t in titles)


def test_error_vs_eps_has_a_title_and_its_legend_beside_the_lines(figures):
    plots.error_vs_eps(study(), "unused.png")
    fig = figures[0]
    ax = fig.axes[0]
    assert "error" in ax.get_title()
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert not legend.overlaps(ax.get_window_extent())


@pytest.mark.parametrize("gap, same", [(1e-9, True), (1e-2, False)], ids=["same", "different"])
def test_xor_cost_says_when_the_curves_coincide(figures, gap, same):
    cost = 0.3 * np.exp(-np.arange(1, 200) / 30)
    curves = {"reverse": cost, "finite": cost * (1 + gap), "autograd": cost[:120]}
    plots.xor_cost(study(curves=curves), "unused.png")
    title = figures[0].axes[0].get_title()
    assert ("every engine gives the same curve" in title) == same
    shown = re.search(r"largest relative difference between engines at an epoch: (\S+);", title)
    assert float(shown.group(1)) == pytest.approx(gap, rel=0.02)


def test_xor_cost_leaves_a_random_estimate_out_of_the_comparison(figures):
    cost = 0.3 * np.exp(-np.arange(1, 200) / 30)
    curves = {"reverse": cost, "forward": cost * (1 + 1e-12), "forward_gradient": cost * 1.5}
    results = study(curves=curves)
    results.tables["xor"][2]["stochastic"] = True
    plots.xor_cost(results, "unused.png")
    title = figures[0].axes[0].get_title()
    assert "every engine but forward_gradient gives the same curve" in title
    shown = re.search(r"largest relative difference between engines at an epoch: (\S+);", title)
    assert float(shown.group(1)) == pytest.approx(1e-12, rel=0.02)
    labels = figures[0].axes[0].get_legend_handles_labels()[1]
    assert any("forward_gradient" in label for label in labels)
