"""The seed notes' XOR network: one backpropagation step written out, then trained.

A 2-2-1 network of sigmoid units with squared error, as in the notes. First one
per-example step on the example (0, 1) -> 1 is shown with every intermediate the
notes compute by hand (net inputs, outputs, f'(net), deltas, dE/dw, new weights);
then the network is trained until it computes XOR.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from fastbp import FastBPClassifier
from fastbp.explain import explain_step

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = np.array([0, 1, 1, 0])

model = FastBPClassifier(
    hidden_layer_sizes=(2,),
    activation="logistic",
    loss="squared_error",
    alpha=0.0,
    learning_rate_init=2.0,
    random_state=3,
    max_iter=1,
    warm_start=True,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X, y)  # creates the weights (and runs one epoch)

    print(explain_step(model, X[1], y[1]))

    model.set_params(max_iter=3000, tol=0.0, n_iter_no_change=3000)
    model.fit(X, y)
print(f"\nTrained for {len(model.loss_curve_)} epochs; loss {model.loss_:.5f}")
for x, target, p in zip(X, y, model.predict_proba(X)[:, 1]):
    print(f"  {x} -> P(1) = {p:.3f} (target {target})")
assert (model.predict(X) == y).all(), "XOR was not learned"
print("XOR learned.")
