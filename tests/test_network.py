"""Network: parameter layout, views, initialisation, printing."""

import pickle

import numpy as np
import pytest

import tensorgen as tg


def test_paper_network_shapes():
    X, Y = tg.datasets.xor()
    assert X.shape == (4, 2) and Y.shape == (4, 1)
    assert X.dtype == Y.dtype == np.float64
    net = tg.Network([2, 2, 1], output_activation="sigmoid",
                     loss="mse", seed=0)
    assert net.n_params == 9
    assert net.params.flags.c_contiguous and net.params.flags.writeable
    assert [W.shape for W in net.ws] == [(2, 2), (2, 1)]
    assert [b.shape for b in net.bs] == [(2,), (1,)]
    assert net.predict(X).shape == (4, 1)
    assert isinstance(net.loss(X, Y), float)


def test_views_share_the_flat_buffer():
    net = tg.Network([3, 4, 2], seed=0)
    net.params[:] = np.arange(net.n_params)
    assert net.ws[0].tolist() == np.arange(12).reshape(3, 4).tolist()  # row-major ws0 first
    assert net.bs[0].tolist() == [12, 13, 14, 15]
    assert net.ws[1][0, 1] == 17 and net.bs[1].tolist() == [24, 25]
    net.ws[1][2, 0] = -1.0
    assert net.params[20] == -1.0


def test_params_setter_copies_into_buffer():
    net = tg.Network([2, 3, 1], seed=0)
    view = net.ws[0]
    net.params = np.ones(net.n_params)
    assert view.sum() == 6.0  # views still alias the buffer
    with pytest.raises(ValueError, match="params"):
        net.params = np.ones(3)
    with pytest.raises(ValueError, match="params"):
        net.params = np.full(net.n_params, np.nan)


def test_gradient_layout_matches_params(rng):
    """Perturbing params[i] changes the cost by about grad[i] * h."""
    net = tg.Network([3, 2, 2], activation="tanh", seed=1)
    X, Y = rng.random((5, 3)), rng.random((5, 2))
    cost, grad = net.value_and_grad(X, Y)
    for i in range(net.n_params):
        net.params[i] += 1e-6
        assert (net.loss(X, Y) - cost) / 1e-6 == pytest.approx(grad[i], abs=1e-5)
        net.params[i] -= 1e-6


@pytest.mark.parametrize("init", ["auto", "glorot", "he", "uniform"])
def test_seeded_init_is_reproducible(init):
    a = tg.Network([4, 8, 3], init=init, seed=7)
    b = tg.Network([4, 8, 3], init=init, seed=7)
    c = tg.Network([4, 8, 3], init=init, seed=8)
    assert np.array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)


def test_init_ranges():
    paper = tg.Network([2, 2, 1], output_activation="sigmoid", init="uniform", seed=0)
    assert ((paper.params >= 0) & (paper.params < 1)).all()
    glorot = tg.Network([10, 20, 5], activation="tanh", seed=0)
    bound = np.sqrt(6 / 30)
    assert np.abs(glorot.ws[0]).max() <= bound and np.abs(glorot.ws[0]).max() > bound / 2
    assert not glorot.bs[0].any()
    he = tg.Network([10, 20, 5], activation="relu", seed=0)
    assert np.abs(he.ws[0]).max() <= np.sqrt(6 / 10)


def test_output_activation_defaults():
    assert tg.Network([2, 1], loss="bce").output_activation == "sigmoid"
    assert tg.Network([2, 3], loss="cross_entropy").output_activation == "softmax"
    # mse: an identity output, as scikit-learn's regressors (a relu output could not give
    # the negative targets of a regression; it once defaulted to the hidden activation)
    assert tg.Network([2, 1], activation="tanh").output_activation == "identity"
    net = tg.Network([1, 32, 1], activation="relu", loss="mse", seed=0)
    assert net.output_activation == "identity"
    X = np.linspace(-1, 1, 64).reshape(-1, 1)
    Y = np.sin(3 * X)  # half of it negative: a relu output gave mse 0.51 here
    net.fit(X, Y, optimizer="adam", lr=0.01, epochs=500, seed=0)
    assert net.loss(X, Y) < 0.05 and net.predict(X).min() < -0.5


def test_paper_format():
    net = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    net.params = [4.599916, 6.454875, 4.601824, 6.462821, -7.087956, -2.866413,
                  -10.292091, 9.578233, -4.450183]
    assert str(net).splitlines() == [
        "nn = [", "  ws0 = [", "    4.599916 6.454875", "    4.601824 6.462821", "  ]",
        "  bs0 = [", "    -7.087956 -2.866413", "  ]", "  ws1 = [", "    -10.292091",
        "    9.578233", "  ]", "  bs1 = [", "    -4.450183", "  ]", "]",
    ]
    lines = net.format_results(*tg.datasets.xor()).splitlines()
    assert lines[0].startswith("cost: 0.0003") and lines[1] == "-----"
    # the paper's own parameters reproduce the paper's truth table to 5 decimals
    assert [line[:10] for line in lines[2:]] == ["0 0 : 0.01", "0 1 : 0.98", "1 0 : 0.98",
                                               "1 1 : 0.01"]


def test_print_abbreviates_large_networks():
    net = tg.Network([64, 128, 10], seed=0)  # 9,610 parameters
    lines = str(net).splitlines()
    assert len(lines) == 1 + 2 * (2 + 7 + 2 + 1) + 1  # each ws: 3 rows, ..., 3 rows
    assert lines[2] == "    " + " ".join(f"{v:.6f}" for v in net.ws[0][0, :3]) + " ... " \
        + " ".join(f"{v:.6f}" for v in net.ws[0][0, -3:])
    assert lines[5] == "    ..." and "..." in lines[11]  # a row of 128 biases
    assert len(net.format_params(threshold=10_000).splitlines()) == 1 + 64 + 128 + 2 * 5 + 1
    small = tg.Network([2, 3, 1], seed=0)
    assert "..." not in str(small) and str(small) == small.format_params(threshold=0,
                                                                         edgeitems=3)
    for bad in (dict(threshold=-1), dict(edgeitems=0), dict(threshold=1.5)):
        with pytest.raises((ValueError, TypeError), match=next(iter(bad))):
            net.format_params(**bad)


def test_copy_and_pickle_are_independent():
    net = tg.Network([3, 5, 2], activation="relu", loss="cross_entropy", seed=4)
    for other in (net.copy(), pickle.loads(pickle.dumps(net))):
        assert repr(other) == repr(net)
        assert np.array_equal(other.params, net.params)
        other.params[0] += 1.0
        assert other.params[0] != net.params[0]


def test_one_dimensional_targets(rng):
    X = rng.random((6, 3))
    net = tg.Network([3, 4, 1], seed=0)
    y = rng.random(6)
    assert net.loss(X, y) == net.loss(X, y[:, None])
    clf = tg.Network([3, 4, 3], loss="cross_entropy", seed=0)
    labels = np.array([0, 2, 1, 1, 0, 2])
    assert clf.loss(X, labels) == clf.loss(X, np.eye(3)[labels])
    with pytest.raises(ValueError, match="class labels"):
        clf.loss(X, np.array([0, 3, 1, 1, 0, 2]))
    with pytest.raises(ValueError, match="integer class labels"):
        clf.loss(X, rng.random(6))


def test_float32_and_list_inputs_are_converted():
    net = tg.Network([2, 2, 1], output_activation="sigmoid", seed=0)
    X, Y = tg.datasets.xor()
    expected = net.value_and_grad(X, Y)
    for Xc, Yc in [(X.astype(np.float32), Y.astype(np.float32)), (X.tolist(), Y.tolist()),
                   (X.astype(int), Y.astype(int)), (np.asfortranarray(X), Y[::1])]:
        cost, grad = net.value_and_grad(Xc, Yc)
        assert cost == expected[0] and np.array_equal(grad, expected[1])


def test_truth_tables():
    for name, out in [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("nand", [1, 1, 1, 0])]:
        X, Y = tg.datasets.truth_table(name)
        assert Y.ravel().tolist() == out
        assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    with pytest.raises(ValueError, match="name"):
        tg.datasets.truth_table("xnor")
