"""PNG figures of a StudyResults: time against parameters (log-log, with fitted slopes),
gradient error against the finite-difference step, and XOR cost curves."""

from pathlib import Path

from ..plotting import pyplot


def scaling(results, path):
    """Seconds per gradient against parameters, one panel per sweep, slopes in the legend."""
    plt = pyplot()
    rows = results.tables["scaling"]
    slope = {(r["sweep"], r["engine"]): r["slope"] for r in results.tables["slopes"]}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, sweep in zip(axes, ("width", "depth")):
        for engine in dict.fromkeys(r["engine"] for r in rows):
            points = [(r["n_params"], r["seconds"]) for r in rows if r["sweep"] == sweep
                      and r["engine"] == engine and r["seconds"] is not None]
            if points:
                k = slope.get((sweep, engine))
                label = engine if k is None else f"{engine} (slope {k:.2f})"
                ax.plot(*zip(*points), marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel("seconds per gradient")
        ax.set_title(f"{sweep} sweep (slopes fitted over >= "
                     f"{results.settings['min_fit_params']} parameters)")
        ax.legend(fontsize=8)
    return _save(fig, path, plt)


def error_vs_eps(results, path):
    """Max relative error of the finite central difference against the relative step."""
    plt = pyplot()
    rows = results.tables["accuracy"]
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for i, problem in enumerate(dict.fromkeys(r["problem"] for r in rows)):
        mine = [r for r in rows if r["problem"] == problem]
        points = [(r["eps"], max(r["max_rel_error"], 1e-17)) for r in mine if r["eps"]]
        ax.plot(*zip(*points), marker="o", color=f"C{i}", label=f"central, {problem}")
        for style, r in zip((":", "--", "-."), [r for r in mine if r["eps"] is None][:3]):
            ax.axhline(max(r["max_rel_error"], 1e-17), color=f"C{i}", linestyle=style,
                       linewidth=0.8, label=f"{r['engine']}, {problem}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("relative step eps")
    ax.set_ylabel("max relative gradient error")
    ax.legend(fontsize=7)
    return _save(fig, path, plt)


def xor_cost(results, path):
    """XOR training cost per epoch of each engine."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for engine, cost in results.curves.items():
        ax.plot(range(1, len(cost) + 1), cost, label=engine)
    ax.axhline(1e-3, color="grey", linestyle=":", label="tol 1e-3")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost (mse)")
    ax.set_title("XOR 2-2-1, same seed")
    ax.legend()
    return _save(fig, path, plt)


def _save(fig, path, plt):
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


def write(results, out_dir):
    """Write scaling.png, error_vs_eps.png and xor_cost.png into ``out_dir``."""
    out = Path(out_dir)
    return [scaling(results, out / "scaling.png"),
            error_vs_eps(results, out / "error_vs_eps.png"),
            xor_cost(results, out / "xor_cost.png")]
