"""Each optimizer's kernel against the same update written in numpy."""

import numpy as np
import pytest

from tensorgen import optimizers
from tensorgen.optimizers import SGD, Adam, get_optimizer

STEPS = 4


def numpy_sgd(p, grads, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    p, buf = p.copy(), np.zeros_like(p)
    for g in grads:
        g = g + weight_decay * p
        if momentum == 0.0:
            p = p - lr * g
            continue
        buf = momentum * buf + g
        p = p - lr * (g + momentum * buf if nesterov else buf)
    return p


def numpy_adam(p, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
               eps_hat=False):
    p, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if eps_hat:  # as scikit-learn's AdamOptimizer writes it
            step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
            p = p + -step * m / (np.sqrt(v) + eps)
        else:
            p = p - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return p


CASES = [
    ("sgd", SGD(lr=0.3), numpy_sgd, {"lr": 0.3}),
    ("sgd-wd", SGD(lr=0.3, weight_decay=0.01), numpy_sgd, {"lr": 0.3, "weight_decay": 0.01}),
    ("momentum", SGD(lr=0.1, momentum=0.9), numpy_sgd, {"lr": 0.1, "momentum": 0.9}),
    ("nesterov", SGD(lr=0.1, momentum=0.8, nesterov=True), numpy_sgd,
     {"lr": 0.1, "momentum": 0.8, "nesterov": True}),
    ("adam", Adam(lr=0.01), numpy_adam, {"lr": 0.01}),
    ("adam-wd", Adam(lr=0.01, beta1=0.5, beta2=0.9, eps=1e-6, weight_decay=0.1), numpy_adam,
     {"lr": 0.01, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "weight_decay": 0.1}),
    ("adam-eps-hat", Adam(lr=0.01, eps=0.3, eps_hat=True), numpy_adam,
     {"lr": 0.01, "eps": 0.3, "eps_hat": True}),
]


@pytest.mark.parametrize("opt, reference, kwargs", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_matches_numpy_reference(opt, reference, kwargs):
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=17)
    grads = [rng.normal(size=17) for _ in range(STEPS)]
    opt.reset()
    p = p0.copy()
    for g in grads:
        assert opt.step(p, g)
    np.testing.assert_allclose(p, reference(p0, grads, **kwargs), rtol=1e-13, atol=1e-15)
    assert opt.t == STEPS


def test_eps_hat_is_the_other_place_of_eps():
    # the same update but for eps: with eps = 0 the two forms agree to rounding, with a
    # large eps the first steps differ (eps_hat weighs eps by 1 / sqrt(1 - beta2^t))
    rng = np.random.default_rng(1)
    p0, grads = rng.normal(size=9), [rng.normal(size=9) for _ in range(STEPS)]
    tiny = [numpy_adam(p0, grads, 0.01, eps=1e-300, eps_hat=hat) for hat in (False, True)]
    np.testing.assert_allclose(*tiny, rtol=1e-14)
    large = [numpy_adam(p0, grads, 0.01, eps=0.3, eps_hat=hat) for hat in (False, True)]
    assert np.abs(large[0] - large[1]).max() > 1e-4
    adam = Adam(eps_hat=True)
    assert adam.compiled_spec()[-1] is True and "eps_hat=True" in repr(adam)
    with pytest.raises(TypeError, match="eps_hat"):
        adam.eps_hat = 1


def test_out_leaves_params_and_reports_overflow():
    opt = SGD(lr=1.0)
    p, out = np.array([1.0, -1e308]), np.empty(2)
    assert not opt.step(p, np.array([0.5, 1e308]), out=out)
    np.testing.assert_array_equal(p, [1.0, -1e308])
    assert out[0] == 0.5 and np.isinf(out[1])


def test_state_resets_when_the_size_changes():
    opt = SGD(lr=0.1, momentum=0.9)
    opt.step(np.zeros(3), np.ones(3))
    p = np.zeros(5)
    opt.step(p, np.ones(5))
    np.testing.assert_allclose(p, -0.1 * np.ones(5))  # a fresh buffer: no old momentum


@pytest.mark.parametrize("make, error", [
    (lambda: SGD(lr=0), ValueError),
    (lambda: SGD(lr=float("nan")), ValueError),
    (lambda: SGD(lr="0.1"), TypeError),
    (lambda: SGD(momentum=1.0), ValueError),
    (lambda: SGD(nesterov=True), ValueError),
    (lambda: SGD(momentum=0.5, nesterov=1), TypeError),
    (lambda: SGD(weight_decay=-1e-3), ValueError),
    (lambda: Adam(beta1=1.0), ValueError),
    (lambda: Adam(beta2=-0.1), ValueError),
    (lambda: Adam(eps=0.0), ValueError),
], ids=["lr0", "lr-nan", "lr-str", "momentum1", "nesterov-no-momentum", "nesterov-int",
        "wd-negative", "beta1", "beta2", "eps0"])
def test_bad_hyper_parameters(make, error):
    with pytest.raises(error):
        make()


def test_get_optimizer_names_and_objects():
    assert get_optimizer("momentum").momentum == 0.9
    nesterov = get_optimizer("nesterov", lr=0.2)
    assert nesterov.nesterov and nesterov.lr == 0.2
    assert get_optimizer("adam").lr == 0.001
    adam = Adam(lr=0.5)
    assert get_optimizer(adam, lr=None) is adam
    with pytest.raises(ValueError, match="lr: set it on the optimizer object"):
        get_optimizer(adam, lr=0.1)
    with pytest.raises(ValueError, match="beta1: not a parameter of optimizer 'sgd'"):
        get_optimizer("sgd", beta1=0.9)
    with pytest.raises(ValueError, match="optimizer: expected one of"):
        get_optimizer("rmsprop")
    assert repr(SGD()) == "SGD(lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0)"
    assert set(optimizers.OPTIMIZERS) == {"sgd", "momentum", "nesterov", "adam"}
