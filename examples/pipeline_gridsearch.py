"""FastBPClassifier inside a scikit-learn Pipeline, tuned by GridSearchCV.

Swapping ``MLPClassifier`` for ``FastBPClassifier`` is all it takes: the parameter
names are sklearn's.
"""

import warnings

from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fastbp import FastBPClassifier

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

pipe = Pipeline(
    [("scale", StandardScaler()), ("mlp", FastBPClassifier(max_iter=50, random_state=0))]
)
grid = {
    "mlp__hidden_layer_sizes": [(8,), (32,), (32, 16)],
    "mlp__activation": ["relu", "tanh"],
    "mlp__learning_rate_init": [0.003, 0.03],
}
search = GridSearchCV(pipe, grid, cv=5)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

print(f"{len(search.cv_results_['params'])} candidates x 5 folds")
print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy:            {search.score(X_test, y_test):.3f}")
