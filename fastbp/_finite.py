"""Finiteness of X in ``partial_fit`` and ``fit``, checked by the weights the kernels
write."""

from contextlib import contextmanager

from sklearn.utils.validation import check_array


@contextmanager
def non_finite_X_reported(estimator, X, deferred):
    """Raise scikit-learn's error for a NaN or infinite ``X`` if the block fails.

    With ``deferred``, ``X`` was validated without its finiteness check, a pass over
    all of X on every call (a third of an epoch of the delta rule on 100 features;
    docs/architecture.md); the stochastic solvers defer it whenever they train on
    every row (``_BaseFastBP._finiteness_deferred``). Every kernel multiplies each value
    it reads by a weight update's factor, so a NaN or infinite value leaves NaN or
    infinite weights (``0 * inf`` is NaN too) and the divergence guard fails the
    call. Any failure in the block is therefore first checked against X: if X is not
    finite, scikit-learn's own error is raised instead, as its validation (which
    comes before every other check) would have. The caller puts the model back.

    Parameters
    ----------
    estimator : estimator
        Named in the message, as scikit-learn's validation names it.
    X : ndarray or CSR matrix
        The validated X (its dtype already the one trained on).
    deferred : bool
        False: X was checked already, and nothing is added.
    """
    try:
        yield
    except Exception:
        if not deferred:
            raise
        try:
            check_array(
                X, accept_sparse="csr", dtype=None, ensure_all_finite=True,
                estimator=estimator, input_name="X",
            )  # fmt: skip
        except ValueError as non_finite:
            raise non_finite from None
        raise
