"""The seed notes' XOR network: 2-2-1 logistic units, squared error, per-example SGD.

Every example updates the weights as soon as it is seen (the stochastic
approximation); after training the network separates XOR, which no single-layer
network can.
"""

import numpy as np

from fastbp import FastBPClassifier

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = np.array([0, 1, 1, 0])

net = FastBPClassifier(
    hidden_layer_sizes=(2,),
    activation="logistic",  # sigmoid hidden units: f'(net) = (1 - o) o
    loss="squared_error",  # E = 1/2 sum_j (t_j - o_j)^2
    out_activation="logistic",
    learning_rate_init=2.0,
    alpha=0.0,
    max_iter=3000,
    tol=0.0,
    n_iter_no_change=3000,
    random_state=3,
)
net.fit(X, y)

print(f"epochs: {net.n_iter_}, final mean squared error (x1/2): {net.loss_:.5f}")
for x, p, t in zip(X, net.predict_proba(X)[:, 1], y):
    print(f"x = {x.astype(int)}  o = {p:.3f}  target {t}")
print("hidden weights (one column per hidden unit):\n", net.coefs_[0].round(2))
print("output weights:", net.coefs_[1].ravel().round(2))
assert (net.predict(X) == y).all(), "XOR was not learned"
print("XOR learned.")
