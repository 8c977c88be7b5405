"""Bad input raises ValueError/TypeError naming the argument; nothing reaches a kernel."""

import numpy as np
import pytest

import tensorgen as tg


@pytest.fixture
def net():
    return tg.Network([3, 4, 2], seed=0)


GOOD_X = np.zeros((5, 3))
GOOD_Y = np.zeros((5, 2))

BAD_DATA = [
    ("X-1d", np.zeros(3), GOOD_Y, ValueError, "X: expected a 2-D"),
    ("X-3d", np.zeros((5, 3, 1)), GOOD_Y, ValueError, "X: expected a 2-D"),
    ("X-width", np.zeros((5, 4)), GOOD_Y, ValueError, "X: expected 3 columns"),
    ("X-empty", np.zeros((0, 3)), np.zeros((0, 2)), ValueError, "X: expected at least one"),
    ("X-nan", np.full((5, 3), np.nan), GOOD_Y, ValueError, "X: contains NaN"),
    ("X-inf", np.full((5, 3), np.inf), GOOD_Y, ValueError, "X: contains NaN"),
    ("X-str", np.full((5, 3), "a"), GOOD_Y, TypeError, "X: expected real numbers"),
    ("X-object", np.full((5, 3), None), GOOD_Y, TypeError, "X: expected real numbers"),
    ("X-complex", np.zeros((5, 3), complex), GOOD_Y, TypeError, "X: expected real numbers"),
    ("X-bool", np.zeros((5, 3), bool), GOOD_Y, TypeError, "X: expected real numbers"),
    ("X-ragged", [[0, 0, 0], [0, 0]], GOOD_Y, ValueError, "X: cannot be read"),
    ("Y-rows", GOOD_X, np.zeros((4, 2)), ValueError, "Y: expected 5 rows"),
    ("Y-width", GOOD_X, np.zeros((5, 3)), ValueError, "Y: expected 2 columns"),
    ("Y-3d", GOOD_X, np.zeros((5, 2, 1)), ValueError, "Y: expected a 2-D"),
    ("Y-nan", GOOD_X, np.full((5, 2), np.nan), ValueError, "Y: contains NaN"),
    ("Y-str", GOOD_X, [["a", "b"]] * 5, TypeError, "Y: expected real numbers"),
]


@pytest.mark.parametrize(("X", "Y", "error", "message"), [case[1:] for case in BAD_DATA],
                         ids=[case[0] for case in BAD_DATA])
@pytest.mark.parametrize("engine", sorted(tg.engines.ENGINES))
def test_bad_data_is_refused(net, engine, X, Y, error, message):
    before = net.params.copy()
    with pytest.raises(error, match=message):
        net.value_and_grad(X, Y, engine=engine)
    with pytest.raises(error, match=message):
        net.loss(X, Y)
    assert np.array_equal(net.params, before)


@pytest.mark.parametrize(("X", "error", "message"),
                         [(case[1], case[3], case[4]) for case in BAD_DATA if case[0][0] == "X"],
                         ids=[case[0] for case in BAD_DATA if case[0][0] == "X"])
def test_bad_predict_input_is_refused(net, X, error, message):
    with pytest.raises(error, match=message):
        net.predict(X)


BAD_NETWORKS = [
    ("empty", dict(layers=[]), ValueError, "layers"),
    ("one-layer", dict(layers=[3]), ValueError, "layers"),
    ("zero-width", dict(layers=[2, 0, 1]), ValueError, "layers: widths must be >= 1"),
    ("negative", dict(layers=[2, -3, 1]), ValueError, "layers"),
    ("float-width", dict(layers=[2, 2.5, 1]), TypeError, "layers: widths must be integers"),
    ("bool-width", dict(layers=[2, True, 1]), TypeError, "layers"),
    ("string", dict(layers="221"), TypeError, "layers"),
    ("huge", dict(layers=[10**6, 10**6, 1]), MemoryError, "layers"),
    ("activation", dict(layers=[2, 1], activation="swish"), ValueError, "activation"),
    ("activation-type", dict(layers=[2, 1], activation=3), TypeError, "activation"),
    ("softmax-hidden", dict(layers=[2, 2, 1], activation="softmax"), ValueError, "activation"),
    ("output", dict(layers=[2, 1], output_activation="nope"), ValueError, "output_activation"),
    ("loss", dict(layers=[2, 1], loss="hinge"), ValueError, "loss"),
    ("bce-output", dict(layers=[2, 1], loss="bce", output_activation="tanh"), ValueError,
     "output_activation"),
    ("ce-output", dict(layers=[2, 3], loss="cross_entropy", output_activation="sigmoid"),
     ValueError, "output_activation"),
    ("init", dict(layers=[2, 1], init="zeros"), ValueError, "init"),
    ("seed", dict(layers=[2, 1], seed="zero"), TypeError, "seed"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), [c[1:] for c in BAD_NETWORKS],
                         ids=[c[0] for c in BAD_NETWORKS])
def test_bad_network_is_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        tg.Network(**kwargs)


@pytest.mark.parametrize("engine", ["finitedifference", 3, None])
def test_unknown_engine(net, engine):
    with pytest.raises((ValueError, TypeError), match="engine"):
        net.value_and_grad(GOOD_X, GOOD_Y, engine=engine)


def test_loss_specific_targets():
    bce = tg.Network([2, 1], loss="bce", seed=0)
    with pytest.raises(ValueError, match=r"Y: loss 'bce' needs targets in \[0, 1\]"):
        bce.loss(np.zeros((2, 2)), [[0.5], [1.5]])
    ce = tg.Network([2, 2], loss="cross_entropy", seed=0)
    with pytest.raises(ValueError, match="Y: loss 'cross_entropy' needs non-negative"):
        ce.loss(np.zeros((1, 2)), [[-0.5, 1.5]])
