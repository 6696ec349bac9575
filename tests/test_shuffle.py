"""Shuffled epochs: fastbp's compiled shuffle against the reference, and uniform."""

import itertools

import numpy as np
import pytest

from fastbp import FastBPClassifier, reference
from fastbp._kernels.shuffle import SHUFFLE_AHEAD, draws_of, shuffle

# Around SHUFFLE_AHEAD: the partners drawn ahead fill, wrap and run out there.
AHEAD = [SHUFFLE_AHEAD - 1, SHUFFLE_AHEAD, SHUFFLE_AHEAD + 1, SHUFFLE_AHEAD + 2]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, *AHEAD, 1000])
def test_shuffle_is_the_reference_fisher_yates(n):
    ours = np.arange(n, dtype=np.int64)
    generator = np.random.default_rng(n)
    shuffle(ours, draws_of(generator))
    expected = reference.shuffled(np.arange(n), np.random.default_rng(n))
    np.testing.assert_array_equal(ours, expected)
    assert sorted(ours) == list(range(n))
    # It drew from the generator's own stream, which goes on from there.
    again = np.random.default_rng(n)
    reference.shuffled(np.arange(n), again)
    assert generator.random() == again.random()


def test_shuffle_bounds_draws_beyond_32_bits():
    # Lemire's method redraws when the product's low half falls below 2**64 mod
    # bound: for a bound near 2**62, about one draw in four, so the loop runs.
    from numba import njit

    from fastbp._kernels.shuffle import below

    @njit
    def draw(draws, bound, n):
        out = np.empty(n, np.int64)
        for i in range(n):
            out[i] = below(draws, bound)
        return out

    big = 2**62 + 12345
    generator = np.random.default_rng(0)  # alive while its draws are used
    values = draw(draws_of(generator), big, 2000)
    assert values.min() >= 0 and values.max() < big
    assert values.max() > big // 2 > values.min()  # both halves reached


def test_every_order_of_three_is_equally_likely():
    generator = np.random.default_rng(0)
    draws = draws_of(generator)
    counts = dict.fromkeys(itertools.permutations(range(3)), 0)
    rounds = 60_000
    for _ in range(rounds):
        order = np.arange(3, dtype=np.int64)
        shuffle(order, draws)
        counts[tuple(order)] += 1
    expected = rounds / 6
    spread = np.sqrt(expected * 5 / 6)
    assert all(abs(c - expected) < 5 * spread for c in counts.values()), counts


def test_a_shuffled_fit_is_reproducible_and_differs_from_an_unshuffled_one():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 5))
    y = X[:, 0] + X[:, 1] > 0
    params = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0, tol=0.0)
    a = FastBPClassifier(shuffle=True, **params).fit(X, y)
    b = FastBPClassifier(shuffle=True, **params).fit(X, y)
    c = FastBPClassifier(shuffle=False, **params).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.allclose(a.coefs_[0], c.coefs_[0])
