"""TensorGen against scikit-learn's MLPClassifier on real data, same settings, same run.

Each data set: a stratified 75/25 split (random_state=0), features standardized with the
training part's statistics, one hidden layer of 128 relu units, softmax/cross-entropy
output, weights drawn as MLPClassifier draws them (Glorot uniform, ``--init glorot``;
TensorGen's own default for relu is He), Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8),
200 epochs of shuffled mini-batches of 32, no L2 penalty (alpha=0), and no early stop on
either side (MLPClassifier: tol=0 and n_iter_no_change above max_iter). Wall time is that
of the fit call alone.

Run:  PYTHONPATH=. python benchmarks/compare_sklearn.py [--epochs 200] [--repeat 1]
      [--init glorot|auto]
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import tensorgen as tg

DATASETS = ("digits", "breast_cancer", "iris")


def prepare(name):
    data = getattr(tg.datasets, f"load_{name}")()
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=0.25, stratify=data.y, random_state=0)
    scaler = tg.datasets.StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def timed(fit):
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def run_tensorgen(X, X_test, y, y_test, epochs, seed, init):
    net = tg.Network([X.shape[1], 128, int(y.max()) + 1], activation="relu",
                     loss="cross_entropy", init=init, seed=seed)
    seconds = timed(lambda: net.fit(X, y, optimizer="adam", lr=1e-3, epochs=epochs,
                                    batch_size=32, seed=seed))
    return tg.datasets.accuracy(y_test, net.predict(X_test)), seconds


def run_sklearn(X, X_test, y, y_test, epochs, seed):
    clf = MLPClassifier(hidden_layer_sizes=(128,), activation="relu", solver="adam",
                        alpha=0.0, batch_size=32, learning_rate_init=1e-3, beta_1=0.9,
                        beta_2=0.999, epsilon=1e-8, max_iter=epochs, shuffle=True, tol=0.0,
                        n_iter_no_change=epochs + 1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seconds = timed(lambda: clf.fit(X, y))
    assert clf.n_iter_ == epochs
    return tg.datasets.accuracy(y_test, clf.predict(X_test)), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--init", default="glorot", choices=("glorot", "auto"),
                        help="TensorGen's initialisation (auto: He for relu)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="seeds 0..repeat-1; accuracies are averaged, times too")
    args = parser.parse_args()
    print(f"{'data set':<14} {'n_train':>7} {'TG acc':>7} {'SK acc':>7} {'TG s':>7} "
          f"{'SK s':>7} {'TG/SK time':>10}")
    for name in DATASETS:
        X, X_test, y, y_test = prepare(name)
        ours, theirs = [], []
        for seed in range(args.repeat):
            ours.append(run_tensorgen(X, X_test, y, y_test, args.epochs, seed, args.init))
            theirs.append(run_sklearn(X, X_test, y, y_test, args.epochs, seed))
        (acc, sec), (sk_acc, sk_sec) = np.mean(ours, axis=0), np.mean(theirs, axis=0)
        print(f"{name:<14} {len(y):>7} {100 * acc:>6.2f}% {100 * sk_acc:>6.2f}% "
              f"{sec:>7.2f} {sk_sec:>7.2f} {sec / sk_sec:>10.2f}")


if __name__ == "__main__":
    main()
