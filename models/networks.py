"""The two networks of the study, as configurations of ``MLP``."""

from .errors import ModelError
from .mlp import MLP


def binary_mlp(*, activation="relu"):
    """100 → 10 → 10 → 1 on the binary_teacher data; binary cross-entropy on the logit.

    ReLU hidden layers with He init, the same choice as mnist_mlp, so that both networks differ
    only in size and head and the γ-sensitivity results are not confounded by the activation
    (sigmoid's saturation would add its own small-gradient regime, which interacts with RMSprop's
    normalisation). ``activation="sigmoid"`` (with Xavier init) is available for comparison.
    Accuracy: predict 1 when the logit > 0.
    """
    return MLP("binary_mlp", (100, 10, 10, 1), activation=activation, head="binary")


def mnist_mlp(*, activation="relu"):
    """784 → 100 → 100 → 100 → 100 → 10, ReLU, He init, softmax cross-entropy; argmax accuracy.

    Runs on any 28×28, 10-class set (mnist, mnist_5k, fashion_mnist).
    """
    return MLP("mnist_mlp", (784, 100, 100, 100, 100, 10), activation=activation, head="softmax")


NETWORKS = {"binary_mlp": binary_mlp, "mnist_mlp": mnist_mlp}
NETWORK_OPTIONS = ("activation",)


def check_options(name, options):
    """Raise ModelError for options a network does not take."""
    unknown = sorted(set(options) - set(NETWORK_OPTIONS))
    if unknown:
        raise ModelError(
            f"{name} got unknown option(s) {unknown}; it accepts {list(NETWORK_OPTIONS)} "
            f"(activation in ['relu', 'sigmoid'])."
        )
