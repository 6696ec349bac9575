"""Models that leave fastbp for scikit-learn's MLP, and scikit-learn MLPs that come in.

A fitted fastbp network is one scikit-learn's ``MLPClassifier``/``MLPRegressor`` can
hold whenever its forward pass is one scikit-learn computes: ``to_sklearn`` copies the
weights into a fitted scikit-learn estimator (which then pickles, converts to ONNX
with skl2onnx and persists with skops as any of them); ``from_sklearn`` starts a
fastbp model from a fitted scikit-learn MLP, to continue training it here.
"""

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.validation import check_is_fitted

from ._aligned import aligned_empty
from ._functions import ACTIVATIONS, LOSSES
from ._network import Layout, Network
from ._training import Progress

# Parameters with the same name and meaning in both (training settings: a converted
# model trains on with them).
SHARED = (
    "hidden_layer_sizes", "activation", "solver", "alpha", "learning_rate",
    "learning_rate_init", "power_t", "max_iter", "shuffle", "random_state", "tol",
    "verbose", "warm_start", "momentum", "nesterovs_momentum", "early_stopping",
    "validation_fraction", "beta_1", "beta_2", "epsilon", "n_iter_no_change", "max_fun",
)  # fmt: skip


def to_sklearn(estimator):
    """A fitted scikit-learn MLP with ``estimator``'s weights (see the estimators'
    ``to_sklearn``)."""
    check_is_fitted(estimator)
    network, theta = estimator._fitted_model()
    classifier = estimator._is_classifier
    multiclass = classifier and not estimator._multilabel and len(estimator.classes_) > 2
    if multiclass and estimator.out_activation_ != "softmax":
        raise ValueError(
            "scikit-learn's MLPClassifier computes multiclass probabilities with softmax "
            f"outputs; this model has one-vs-rest {estimator.out_activation_!r} outputs "
            "(out_activation='logistic' or loss='squared_error'), which it cannot "
            "represent. Train with loss='log_loss' and out_activation='auto'."
        )
    if classifier and len(estimator.classes_) == 1:
        raise ValueError(
            "This model was fitted on a single class; scikit-learn's MLPClassifier "
            "predicts through a LabelBinarizer, which cannot represent it."
        )
    # Imported here: at import time it would cost every process ~30 ms.
    from sklearn import neural_network

    params = {name: estimator.get_params()[name] for name in SHARED}
    batch_size = estimator.batch_size
    params["batch_size"] = "auto" if batch_size == "full" else batch_size
    if classifier:
        model = neural_network.MLPClassifier(**params)
    else:
        model = neural_network.MLPRegressor(loss=estimator.loss, **params)
    model.coefs_ = [w.copy() for w in network.layout.coefs(theta)]
    model.intercepts_ = [b.copy() for b in network.layout.intercepts(theta)]
    model.n_layers_ = len(network.layout.sizes)
    model.n_outputs_ = network.layout.sizes[-1]
    model.out_activation_ = estimator.out_activation_
    model.n_features_in_ = estimator.n_features_in_
    if hasattr(estimator, "feature_names_in_"):
        model.feature_names_in_ = estimator.feature_names_in_
    for name in ("n_iter_", "t_", "loss_", "best_loss_", "loss_curve_",
                 "validation_scores_", "best_validation_score_"):  # fmt: skip
        if hasattr(estimator, name):
            value = getattr(estimator, name)
            setattr(model, name, list(value) if isinstance(value, list) else value)
    model._no_improvement_count = 0
    if classifier:
        model.classes_ = estimator.classes_
        binarizer = LabelBinarizer()
        if estimator._multilabel:
            binarizer.fit(np.eye(len(estimator.classes_), dtype=int))
        else:
            binarizer.fit(estimator.classes_)
        model._label_binarizer = binarizer
    return model


def from_sklearn(cls, mlp, **params):
    """A fitted ``cls`` with ``mlp``'s weights (see the estimators' ``from_sklearn``)."""
    from sklearn import neural_network

    check_is_fitted(mlp)
    classifier = isinstance(mlp, neural_network.MLPClassifier)
    if classifier != cls._is_classifier:
        raise TypeError(
            f"{cls.__name__}.from_sklearn needs a fitted "
            f"{'MLPClassifier' if cls._is_classifier else 'MLPRegressor'}, got "
            f"{type(mlp).__name__}."
        )
    names = set(cls._get_param_names())
    shared = {name: value for name, value in mlp.get_params().items() if name in names}
    estimator = cls(**{**shared, **params})
    sizes = [mlp.coefs_[0].shape[0], *(w.shape[1] for w in mlp.coefs_)]
    layout = Layout(sizes)
    loss = "log_loss" if classifier else mlp.loss
    estimator._network = Network(
        layout, ACTIVATIONS[mlp.activation], ACTIVATIONS[mlp.out_activation_], LOSSES[loss]
    )
    theta = aligned_empty(layout.size, mlp.coefs_[0].dtype)
    for layer, (weights, biases) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        layout.weights(theta, layer)[...] = weights.T
        layout.biases(theta, layer)[...] = biases
    estimator._theta = theta
    estimator._optimizer_state = None
    estimator.out_activation_ = mlp.out_activation_
    estimator.n_features_in_ = mlp.n_features_in_
    if hasattr(mlp, "feature_names_in_"):
        estimator.feature_names_in_ = mlp.feature_names_in_
    curve = list(getattr(mlp, "loss_curve_", None) or [])
    estimator._progress = Progress(
        float(estimator.learning_rate_init),
        loss_curve=curve,
        best_loss=min(curve, default=np.inf),
        t=int(getattr(mlp, "t_", 0)),
    )
    estimator.n_iter_ = mlp.n_iter_
    estimator.t_ = estimator._progress.t
    estimator.loss_ = mlp.loss_
    if curve:
        estimator.loss_curve_ = list(curve)
        estimator.best_loss_ = estimator._progress.best_loss
    if classifier:
        estimator.classes_ = mlp.classes_
        estimator._multilabel = mlp._label_binarizer.y_type_ == "multilabel-indicator"
    else:
        estimator._y_is_1d = mlp.n_outputs_ == 1
    return estimator


class _Convertible:
    """The estimators' ``to_sklearn`` and ``from_sklearn`` methods."""

    def to_sklearn(self):
        """This fitted model as a fitted scikit-learn MLP, with a copy of its weights.

        The result is a ``sklearn.neural_network.MLPClassifier`` or ``MLPRegressor``
        whose ``predict`` (and ``predict_proba``) equal this model's, for deployment
        with tools made for scikit-learn's MLP (skl2onnx, skops, plain pickles).
        Training settings carry over where scikit-learn has them
        (``batch_size='full'`` becomes ``'auto'``).

        Returns
        -------
        MLPClassifier or MLPRegressor

        Raises
        ------
        ValueError
            If scikit-learn's MLP cannot compute this network's outputs: one-vs-rest
            logistic outputs of a multiclass classifier, or a single class.
        """
        return to_sklearn(self)

    @classmethod
    def from_sklearn(cls, mlp, **params):
        """A fitted model of this class holding a fitted scikit-learn MLP's weights.

        Parameters with the same name and meaning are taken from ``mlp``
        (``params`` override them); continue training with ``warm_start=True`` or
        ``partial_fit``. Optimiser state (momentum velocity, Adam's moments) is not
        carried over: training here starts it afresh.

        Parameters
        ----------
        mlp : sklearn.neural_network.MLPClassifier or MLPRegressor, fitted
            A classifier for a classifier class, a regressor for a regressor.
        **params
            Parameters of the new estimator.

        Returns
        -------
        estimator : instance of this class
        """
        return from_sklearn(cls, mlp, **params)
