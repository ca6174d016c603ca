"""Bad values of the problems' options: one paragraph naming the value and what is allowed."""

import pytest
from omegaconf import OmegaConf

import models
from sweeps.jobs.builders import USER_ERRORS, build_model

BAD = [
    ("rotated_quadratic", dict(angle="steep"), ["angle='steep'", "degrees"]),
    ("rotated_quadratic", dict(angle=float("inf")), ["angle=inf", "finite"]),
    ("quadratic", dict(tolerance=0), ["tolerance=0", "(0, 1)"]),
    ("rotated_quadratic", dict(tolerance=1.5), ["tolerance=1.5", "(0, 1)"]),
    ("noisy_quadratic", dict(tolerance="1%"), ["tolerance='1%'", "null"]),
    ("noisy_quadratic", dict(dim=0), ["dim=0", "integer >= 1"]),
    ("noisy_quadratic", dict(dim=2.5), ["dim=2.5", "integer >= 1"]),
    ("noisy_quadratic", dict(start=[1.0]), ["start", "accepts"]),
    ("reddi", dict(C=2), ["C=2", "> 2"]),
    ("reddi", dict(stochastic="yes"), ["stochastic='yes'", "true"]),
    ("reddi", dict(stochastic=True, C=3, delta=3), ["delta=3", "(0, C) = (0, 3)"]),
    ("reddi", dict(delta=-0.1), ["delta=-0.1"]),
    ("reddi", dict(start=[1.5]), ["start=[1.5]", "[-1, 1]"]),
    ("reddi", dict(start=[0.0, 1.0]), ["start must be 1 finite number"]),
]


@pytest.mark.parametrize("name, options, words", BAD)
def test_bad_option_values_are_refused_with_one_paragraph(name, options, words):
    with pytest.raises(models.ModelError) as info:
        models.create(name, **options)
    message = str(info.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_options_reach_the_model_from_the_config():
    cfg = OmegaConf.create({"model": {"name": "rotated_quadratic", "options": {"angle": 0, "tolerance": 0.01}}})
    model = build_model(cfg)
    assert (model.angle, model.tolerance) == (0, 0.01)
    cfg.model.options.angle = "x"
    with pytest.raises(USER_ERRORS, match="angle='x'"):
        build_model(cfg)
    assert build_model(OmegaConf.create({"model": {"name": "quadratic"}})).tolerance is None
