"""tensorgen.sklearn's MLPClassifier / MLPRegressor against scikit-learn's, side by side.

Both estimators get the same hyper-parameters: scikit-learn's defaults (one hidden layer of
100 relu units, alpha 1e-4, batch_size 'auto', tol 1e-4, ...) but for ``max_iter`` and the
solver, and ``random_state=0``. Each data set is split into the same 5 folds (stratified
for classification, shuffled with seed 0); in every fold the features (and the regression
target) are standardized with the training part's statistics, both libraries fit on the
same training part, in alternating order, and are scored on the same test part (accuracy;
R^2, which standardizing the target leaves unchanged). Reported: the 5-fold score, mean
+- std, the mean time of the estimator's ``fit`` call in milliseconds, their ratio, the
mean number of iterations, and whether the row meets issue 16's bar: TensorGen's mean
score at least scikit-learn's mean minus one standard deviation, and its fit time at most
half of scikit-learn's. BLAS (both libraries') and TensorGen's OpenMP threads are held to
one; pin the process to one core for steadier times:

    PYTHONPATH=. taskset -c 1 python benchmarks/sklearn_estimators.py [--max-iter 200]
        [--solvers adam sgd lbfgs] [--datasets iris wine ...] [--repeat 1] [--markdown]

A smoke run, to see it work: ``--max-iter 5 --datasets iris diabetes``.

``--repeat`` runs every fit that many times, the two libraries taking turns, and keeps
the fastest of each (the score is the same each time: the fits are seeded).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import tensorgen as tg
from tensorgen.sklearn import MLPClassifier as TgClassifier
from tensorgen.sklearn import MLPRegressor as TgRegressor

DATASETS = {"iris": "classification", "wine": "classification",
            "breast_cancer": "classification", "digits": "classification",
            "diabetes": "regression"}
LIBRARIES = {"scikit-learn": {"classification": SkClassifier, "regression": SkRegressor},
             "tensorgen": {"classification": TgClassifier, "regression": TgRegressor}}


def standardized(X, y, train, test, task):
    """The fold's parts, scaled with the training part's statistics."""
    scaler = StandardScaler().fit(X[train])
    X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
    y_train, y_test = y[train], y[test]
    if task == "regression":
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return X_train, X_test, y_train, y_test


def run(name, solver, max_iter, repeat):
    """{library: (scores, seconds, iterations)} over the 5 folds."""
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    task = DATASETS[name]
    folds = (StratifiedKFold if task == "classification" else KFold)(
        5, shuffle=True, random_state=0)
    results = {library: ([], [], []) for library in LIBRARIES}
    for k, (train, test) in enumerate(folds.split(X, y)):
        X_train, X_test, y_train, y_test = standardized(X, y, train, test, task)
        best = dict.fromkeys(LIBRARIES, np.inf)
        for r in range(repeat):  # the libraries take turns, so that both see the same load
            order = list(LIBRARIES) if (k + r) % 2 == 0 else list(LIBRARIES)[::-1]
            for library in order:
                model = LIBRARIES[library][task](solver=solver, max_iter=max_iter,
                                                 random_state=0)
                start = time.perf_counter()
                model.fit(X_train, y_train)
                best[library] = min(best[library], time.perf_counter() - start)
                if r == 0:
                    scores, seconds, iterations = results[library]
                    scores.append(model.score(X_test, y_test))
                    iterations.append(model.n_iter_)
        for library in LIBRARIES:
            results[library][1].append(best[library])
    return results


def warm_up(solvers):
    """One small fit of every estimator and solver first: the first fit in a process pays
    one-off costs (imports done on first use, the first calls into the BLAS), which are
    no part of what the table compares."""
    X, y = datasets.load_iris(return_X_y=True)
    for classes in LIBRARIES.values():
        for estimator in classes.values():
            for solver in solvers:
                estimator(solver=solver, max_iter=2, random_state=0).fit(X, y)


HEADER = ("data set", "solver", "scikit-learn score", "TensorGen score", "sk fit ms",
          "TG fit ms", "TG/sk time", "sk iter", "TG iter", "issue's bar")
WIDTHS = (-14, -7, 20, 20, 10, 10, 11, 8, 8, 13)  # negative: left-aligned


def row_of(name, solver, results):
    """The table's row of one data set and solver."""
    (sk_s, sk_t, sk_i), (tg_s, tg_t, tg_i) = results["scikit-learn"], results["tensorgen"]
    ratio = np.mean(tg_t) / np.mean(sk_t)
    misses = [what for what, ok in (("score", np.mean(tg_s) >= np.mean(sk_s) - np.std(sk_s)),
                                    ("time", ratio <= 0.5)) if not ok]
    return (name, solver, f"{np.mean(sk_s):.4f} +- {np.std(sk_s):.4f}",
            f"{np.mean(tg_s):.4f} +- {np.std(tg_s):.4f}", f"{1e3 * np.mean(sk_t):.1f}",
            f"{1e3 * np.mean(tg_t):.1f}", f"{ratio:.2f}", f"{np.mean(sk_i):.0f}",
            f"{np.mean(tg_i):.0f}", "met" if not misses else "missed: " + "+".join(misses))


def print_row(cells, markdown):
    if markdown:
        print("| " + " | ".join(cells) + " |", flush=True)
    else:
        print("".join(f"{c:<{-w}}" if w < 0 else f"{c:>{w}}" for c, w in zip(cells, WIDTHS)),
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--solvers", nargs="+", default=["adam", "sgd", "lbfgs"],
                        choices=["adam", "sgd", "lbfgs"])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print_row(HEADER, args.markdown)
    if args.markdown:
        print("|" + "---|" * len(HEADER))
    tg.set_num_threads(1)
    with threadpool_limits(1):
        warm_up(args.solvers)
        for name in args.datasets:
            for solver in args.solvers:
                print_row(row_of(name, solver, run(name, solver, args.max_iter, args.repeat)),
                          args.markdown)


if __name__ == "__main__":
    main()
