"""Regression with FastBPRegressor: a noisy sine, single and multiple outputs."""

import numpy as np

from fastbp import FastBPRegressor

rng = np.random.default_rng(0)
X = rng.uniform(-3, 3, size=(2000, 1))
Y = np.column_stack([np.sin(X[:, 0]), np.cos(X[:, 0])]) + 0.05 * rng.normal(size=(2000, 2))

reg = FastBPRegressor(
    hidden_layer_sizes=(32, 32), activation="tanh", learning_rate_init=0.01, random_state=0
)
reg.fit(X, Y)
grid = np.linspace(-3, 3, 7).reshape(-1, 1)
print(f"epochs: {reg.n_iter_}, R^2 on the training data: {reg.score(X, Y):.4f}")
print("   x     sin(x)  predicted   cos(x)  predicted")
for x, (s, c) in zip(grid[:, 0], reg.predict(grid)):
    print(f"{x:5.1f}  {np.sin(x):8.3f}  {s:8.3f}  {np.cos(x):8.3f}  {c:8.3f}")
