"""FastBPClassifier: the classifier face of the kernels."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ._base import _BaseFastBP
from ._docs import COMMON_DOC


class FastBPClassifier(ClassifierMixin, _BaseFastBP):
    (
        """Multilayer perceptron classifier trained by per-example backpropagation.

    A drop-in replacement for ``sklearn.neural_network.MLPClassifier(solver='sgd')``
    whose default is the stochastic approximation: one weight update per example,
    run by Numba kernels that train a whole epoch per call.

    ``loss='log_loss'`` (default) pairs logistic outputs with binary cross-entropy for
    binary and multilabel targets, and softmax with categorical cross-entropy for
    multiclass targets. ``loss='squared_error'`` with logistic outputs is the seed
    notes' setting: ``E = 1/2 sum_j (t_j - o_j)^2`` over one logistic unit per column
    of the label-binarised y (one unit for binary y).

    loss : {'log_loss', 'squared_error'}, default='log_loss'
    out_activation : {'auto', 'logistic', 'softmax'}, default='auto'
        'auto' is softmax for multiclass log-loss and logistic otherwise. 'logistic'
        with multiclass y trains one-vs-rest units whose outputs ``predict_proba``
        normalises. 'softmax' needs multiclass y and ``loss='log_loss'``.
    class_weight : dict, 'balanced' or None, default=None
        Weight of each class's examples: an example's loss gradient is multiplied by
        ``sample_weight * class_weight[its class]`` (the L2 term is not). 'balanced'
        uses ``n_samples / (n_classes * count(class))`` (``fit`` only; ``partial_fit``
        needs a dict). Not for multilabel y.
    """
        + COMMON_DOC
        + """
    classes_ : ndarray
        Class labels (for multilabel y, the label indices).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastbp import FastBPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = FastBPClassifier(hidden_layer_sizes=(16,), random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """
    )

    _is_classifier = True
    # Fewest classes fit accepts (scikit-learn's MLPClassifier trains on one).
    _min_classes = 2

    _parameter_constraints = {
        **_BaseFastBP._parameter_constraints,
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "out_activation": [StrOptions({"auto", "logistic", "softmax"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="log_loss",
        out_activation="auto",
        alpha=0.0001,
        batch_size=1,
        learning_rate_init=0.01,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        n_iter_no_change=10,
        momentum=0.0,
        nesterovs_momentum=True,
        learning_rate="constant",
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_jobs=1,
        solver="sgd",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        class_weight=None,
    ):
        self.class_weight = class_weight
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            loss=loss,
            out_activation=out_activation,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            n_iter_no_change=n_iter_no_change,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            learning_rate=learning_rate,
            power_t=power_t,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_jobs=n_jobs,
            solver=solver,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            max_fun=max_fun,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on (X, y) for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix for multilabel classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an example's loss gradient is multiplied by its
            weight (the L2 term is not).

        Returns
        -------
        self : FastBPClassifier
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_BaseFastBP._stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch over (X, y), continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            Every class that any call may see. Required on the first call for
            single-label y; later calls may omit it.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : FastBPClassifier
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _encode_targets(self, y, first_pass, incremental, classes):
        """Labels -> one output column per class (one column for two classes).

        Written out rather than through LabelBinarizer: this runs on every
        ``partial_fit`` call, and one ``np.unique`` is all it needs.
        """
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        small = _small_integer_labels(y)
        if small is not None:
            target_type, found, codes = small
        else:
            target_type = type_of_target(y, input_name="y")
        if target_type not in ("binary", "multiclass", "multilabel-indicator"):
            check_classification_targets(y)  # sklearn's message for regression targets
            raise ValueError(
                f"Target type {target_type!r} is not supported: y must hold one label "
                "per example, or be a label indicator matrix for multilabel data."
            )
        multilabel = target_type == "multilabel-indicator"
        if not multilabel and small is None:
            found, codes = np.unique(y, return_inverse=True)
        if first_pass:
            if multilabel:
                known = np.arange(y.shape[1])
            elif incremental:
                if classes is None:
                    raise ValueError(
                        "classes must be passed on the first call to partial_fit: "
                        "every class the model will ever see, e.g. np.unique(y_all)."
                    )
                known = np.unique(classes)
            else:
                known = found
            if not multilabel and len(known) < self._min_classes:
                raise ValueError(
                    f"y has only one class ({known!r}); a classifier needs at least 2 "
                    "classes. Check the labels, or pass every class with "
                    "partial_fit(..., classes=...)."
                )
            self.classes_ = known
            self._multilabel = multilabel
        else:
            if classes is not None and not np.array_equal(
                np.unique(classes), self.classes_
            ):
                raise ValueError(
                    f"classes={classes!r} is not the same as on the first call "
                    f"({self.classes_!r}); start a new model to change the classes."
                )
            if multilabel != self._multilabel or (
                multilabel and y.shape[1] != len(self.classes_)
            ):
                raise ValueError(
                    f"y does not match the targets this model was fitted on "
                    f"({'multilabel' if self._multilabel else 'single-label'}, "
                    f"{len(self.classes_)} classes); fit a new model instead."
                )
        if multilabel:
            return np.asarray(y)
        index = np.searchsorted(self.classes_, found).clip(max=len(self.classes_) - 1)
        unknown = found[self.classes_[index] != found]
        if unknown.size:
            raise ValueError(
                f"y contains classes not seen before: {unknown!r} (known: "
                f"{self.classes_!r}). "
                + (
                    "Declare every class up front with partial_fit(..., classes=...)."
                    if incremental
                    else "A warm-started fit keeps the classes of the first fit; "
                    "refit with warm_start=False to change them."
                )
            )
        if len(self.classes_) == 1:
            return np.zeros((y.shape[0], 1))  # LabelBinarizer's one class
        if len(self.classes_) == 2:
            # Every label is a known class (checked above): one comparison is its code.
            return (y == self.classes_[1]).reshape(-1, 1)
        if codes is None:  # labels of at most two consecutive values (see below)
            codes = (y != found[0]).view(np.uint8)
        labels = index[codes.reshape(-1)]
        encoded = np.zeros((len(labels), len(self.classes_)), dtype=np.float64)
        encoded[np.arange(len(labels)), labels] = 1.0
        return encoded

    def _weigh_examples(self, y, sample_weight, incremental, dtype):
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            raise ValueError(
                "class_weight is not supported for multilabel y; weigh the examples "
                "with sample_weight instead."
            )
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the class counts of all the data, which "
                "partial_fit does not see; pass a dict of weights, e.g. computed with "
                "sklearn.utils.class_weight.compute_class_weight on all labels."
            )
        labels = column_or_1d(y)
        per_class = compute_class_weight(self.class_weight, classes=self.classes_, y=labels)
        weights = per_class[np.searchsorted(self.classes_, labels)].astype(dtype)
        return weights if sample_weight is None else sample_weight * weights

    def _output_activation(self, n_outputs):
        multiclass = not self._multilabel and len(self.classes_) > 2
        if self.out_activation == "auto":
            return "softmax" if multiclass and self.loss == "log_loss" else "logistic"
        if self.out_activation == "softmax":
            if self.loss != "log_loss" or not multiclass:
                raise ValueError(
                    "out_activation='softmax' needs loss='log_loss' and multiclass y (3 or "
                    "more classes, one label per example); use 'logistic' or 'auto'."
                )
        return self.out_activation

    def _probabilities(self, X):
        outputs = self._forward(X)
        if self._multilabel:
            return outputs
        if outputs.shape[1] == 1:
            return np.hstack([1.0 - outputs, outputs])
        if self.out_activation_ != "softmax":
            # One-vs-rest logistic units: normalise so each row sums to one.
            totals = outputs.sum(axis=1, keepdims=True)
            np.divide(outputs, totals, out=outputs, where=totals > 0)
            outputs[(totals == 0).ravel()] = 1.0 / outputs.shape[1]
        return outputs

    def predict(self, X):
        """Predict class labels (an indicator matrix for multilabel y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        return self._decode(self._forward(X))

    def _decode(self, outputs):
        """Network outputs -> labels (an indicator matrix for multilabel y)."""
        if self._multilabel:
            return (outputs > 0.5).astype(int)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, outputs.shape[0])
        if outputs.shape[1] == 1:
            return self.classes_[(outputs[:, 0] > 0.5).astype(np.intp)]
        return self.classes_[np.argmax(outputs, axis=1)]

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``. For multilabel y, each column is the
            probability of its label.
        """
        return self._probabilities(X)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self._probabilities(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


# Labels spanning at most this many integers are counted, not sorted.
SMALL_LABEL_RANGE = 1 << 16


def _small_integer_labels(y):
    """``(type_of_target, classes, codes)`` of 1-d bool or integer labels within
    ``SMALL_LABEL_RANGE``, by counting: what ``type_of_target`` and ``np.unique(y,
    return_inverse=True)`` give, in a few passes instead of two sorts (every
    ``partial_fit`` call pays it); None for any other y. ``codes`` is None for labels
    of at most two consecutive values (their classes are their minimum and maximum;
    a binary model needs no codes, and ``y != classes[0]`` are they)."""
    if y.ndim != 1 or y.dtype.kind not in "biu" or y.shape[0] == 0:
        return None
    values = y.view(np.uint8) if y.dtype.kind == "b" else y
    low, high = int(values.min()), int(values.max())
    if high - low >= SMALL_LABEL_RANGE:
        return None
    if high - low <= 1:
        classes = np.array(sorted({low, high}), dtype=values.dtype).view(y.dtype)
        return "binary", classes, None
    # Differences within the label range, computed where they cannot overflow.
    if values.dtype.kind == "i":
        offsets = values.astype(np.int64) - np.int64(low)
    else:
        offsets = (values - values.dtype.type(low)).astype(np.intp)
    present = np.bincount(offsets, minlength=high - low + 1) > 0
    classes = np.flatnonzero(present)
    code_of = np.cumsum(present) - 1
    target_type = "binary" if classes.shape[0] <= 2 else "multiclass"
    if values.dtype.kind == "i":
        labels = classes + np.int64(low)
    else:
        labels = classes.astype(values.dtype) + values.dtype.type(low)
    return target_type, labels.astype(y.dtype), code_of[offsets]
