"""A population's members against their separate runs: K stacked members with per-member
hyperparameters, each compared with models.train on the scalar optimizer of its own settings."""

import numpy as np

import optimizers
from models.population import train_population
from models.train import train

K = 3
# per-member hyperparameters: the last member of each row diverges (lr far too large)
HPS = {
    "rmsprop": dict(lr=np.array([1e-3, 1e-2, 50.0]), gamma=np.array([0.9, 0.99, 1.0]),
                    eps=np.array([1e-8, 1e-6, 1e-8])),
    "adam": dict(lr=np.array([1e-3, 3e-3, 50.0]), beta1=np.array([0.9, 0.5, 0.9]),
                 gamma=np.array([0.999, 0.9, 0.99]), eps=1e-7),
    "momentum": dict(lr=np.array([1e-2, 3e-2, 100.0]), momentum=np.array([0.9, 0.5, 0.9])),
    "sgd": dict(lr=np.array([1e-2, 1e-1, 1e4])),
    "nesterov": dict(lr=np.array([1e-2, 3e-2, 100.0]), momentum=np.array([0.9, 0.5, 0.9])),
    "adagrad": dict(lr=np.array([1e-2, 1e-1, 1e3]), eps=np.array([1e-10, 1e-8, 1e-10])),
    "rmsprop_graves": dict(lr=np.array([1e-4, 1e-3, 10.0]), gamma=np.array([0.95, 0.9, 0.99]),
                           momentum=np.array([0.9, 0.5, 0.9]), eps=np.array([1e-4, 1e-3, 1e-4])),
}


def member_optimizer(name, hps, i):
    """The scalar optimizer of member i."""
    return optimizers.create(name, **{
        key: float(v[i]) if isinstance(v, np.ndarray) else v for key, v in hps.items()})


def assert_same(pop, ref, rtol=1e-9):
    assert (pop.diverged, pop.diverged_step, pop.steps_done) == (
        ref.diverged, ref.diverged_step, ref.steps_done)
    assert pop.history.keys() == ref.history.keys() and pop.final.keys() == ref.final.keys()
    assert pop.history["step"] == ref.history["step"]
    for key, values in ref.history.items():
        np.testing.assert_allclose(pop.history[key], values, rtol=rtol, err_msg=key)
    np.testing.assert_allclose(list(pop.final.values()), list(ref.final.values()), rtol=rtol)
    assert pop.params.keys() == ref.params.keys()
    for key, p in ref.params.items():
        assert pop.params[key].dtype == p.dtype and pop.params[key].shape == p.shape
        np.testing.assert_allclose(pop.params[key], p, rtol=rtol, atol=rtol * 1e-3, err_msg=key)
    if ref.trajectory is None:
        assert pop.trajectory is None
    else:
        np.testing.assert_allclose(pop.trajectory, ref.trajectory, rtol=rtol, atol=1e-12)


def compare(model, opt_name, data=None, hps=None, rtol=1e-9, **kw):
    hps = HPS[opt_name] if hps is None else hps
    kw = dict(dict(steps=25, batch_size=32, eval_every=10, seed=3, dtype="float64"), **kw)
    pop = train_population(model, optimizers.create(opt_name, **hps), data, k=K, **kw)
    assert len(pop) == K
    for i in range(K):
        assert_same(pop[i], train(model, member_optimizer(opt_name, hps, i), data, **kw), rtol)
    return pop
