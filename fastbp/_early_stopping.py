"""Early stopping: the held-out validation set and the score that judges each epoch.

scikit-learn's splitter and metrics are imported where they are used: imported with
this module, they cost every process ~20 ms, early stopping or not.
"""

import numpy as np
from sklearn.utils.validation import column_or_1d

from . import _objective


def validation_split(estimator, X, y, Y, sample_weight, rng):
    """Hold out ``validation_fraction`` of the examples for early stopping.

    Returns the training indices (the kernels train on them without copying X)
    and ``validate(theta) -> (score, mean validation loss)``, ``score`` being
    the estimator's ``score`` metric. Single-label classification splits stratified when
    every class has enough examples for it.
    """
    _check_fraction(estimator)
    labels = column_or_1d(y) if y.ndim == 2 and y.shape[1] == 1 else y
    n_samples = X.shape[0]
    n_held_out = int(np.ceil(estimator.validation_fraction * n_samples))
    if n_samples < 2 or n_held_out >= n_samples:
        raise ValueError(
            f"early_stopping=True holds out validation_fraction="
            f"{estimator.validation_fraction} of the examples, which leaves nothing to "
            f"train on with n_samples = {n_samples}. Use more data, a smaller "
            "validation_fraction, or early_stopping=False."
        )
    if not estimator._is_classifier and n_held_out < 2:
        raise ValueError(
            f"early_stopping=True holds out {n_held_out} example of {n_samples}, too "
            "few for an R^2 validation score (it needs 2). Increase "
            "validation_fraction or the data, or use early_stopping=False."
        )
    stratify = labels if estimator._is_classifier and not estimator._multilabel else None
    if stratify is not None:
        counts = np.unique(stratify, return_counts=True)[1]
        if counts.min() < 2 or min(n_held_out, n_samples - n_held_out) < len(counts):
            stratify = None  # too few examples per class to stratify: plain split
    from sklearn.model_selection import train_test_split

    train, held_out = train_test_split(
        np.arange(X.shape[0]),
        test_size=estimator.validation_fraction,
        random_state=int(rng.integers(np.iinfo(np.int32).max)),
        stratify=stratify,
    )
    if sample_weight is not None and not sample_weight[train].any():
        raise ValueError(
            "After holding out the validation set, every training example has "
            "weight zero (sample_weight times class_weight): nothing to learn "
            "from. Use early_stopping=False or give more examples a weight."
        )
    return train, _validator(estimator, X[held_out], Y[held_out], labels[held_out],
                             _rows(sample_weight, held_out))  # fmt: skip


def _rows(sample_weight, rows):
    """The weights of ``rows``; None (unit weights) stays None."""
    return None if sample_weight is None else sample_weight[rows]


def _check_fraction(estimator):
    """validation_fraction=0 holds out nothing: name it (the splitter would name its
    own test_size)."""
    if estimator.validation_fraction == 0:
        raise ValueError(
            "early_stopping=True scores each epoch on held-out examples, but "
            "validation_fraction=0 holds out none. Use a validation_fraction above 0 "
            "(the default is 0.1), or early_stopping=False."
        )


def sklearn_validation_split(estimator, X, y, Y, sample_weight, random_state):
    """:func:`validation_split` as scikit-learn's MLP draws it.

    ``train_test_split`` with ``random_state`` (the fit's RandomState, so the same
    draws as scikit-learn's), stratified on the encoded targets only for a
    classifier with one output column (binary y), as scikit-learn does.
    """
    _check_fraction(estimator)
    labels = column_or_1d(y) if y.ndim == 2 and y.shape[1] == 1 else y
    # Boolean, as scikit-learn's binarised targets (its error messages name them).
    stratify = Y.astype(bool) if estimator._is_classifier and Y.shape[1] == 1 else None
    from sklearn.model_selection import train_test_split

    train, held_out = train_test_split(
        np.arange(X.shape[0]),
        random_state=random_state,
        test_size=estimator.validation_fraction,
        stratify=stratify,
    )
    if held_out.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or the "
            "size of your dataset."
        )
    return train, _validator(estimator, X[held_out], Y[held_out], labels[held_out],
                             _rows(sample_weight, held_out))  # fmt: skip


def _validator(estimator, X_val, Y_val, y_val, weights_val):
    """``validate(theta) -> (score, mean loss)`` on the held-out examples
    (``weights_val`` None: unit weights)."""
    if weights_val is not None and not weights_val.any():
        # Every held-out example has weight zero: score them unweighted rather
        # than not at all.
        weights_val = None
    from sklearn.metrics import accuracy_score, r2_score

    network = estimator._network
    metric = accuracy_score if estimator._is_classifier else r2_score

    def validate(theta):
        outputs = _objective.outputs(network, theta, X_val)
        if not np.isfinite(outputs).all():
            # Finite training loss, overflowing validation outputs (scikit-learn
            # #29504): a NaN score, which never counts as an improvement.
            return np.nan, np.nan
        with np.errstate(over="ignore"):
            score = metric(y_val, estimator._decode(outputs), sample_weight=weights_val)
            loss = _objective.mean_data_loss(network, outputs, Y_val, weights_val)
        return (score if np.isfinite(score) else np.nan), loss

    return validate
