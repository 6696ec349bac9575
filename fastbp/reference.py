"""The seed's equations in plain NumPy, one example at a time: the oracle.

Read it beside ``seed-notes.md``. Nothing here is fast and nothing here is shared
with the Numba kernels, on purpose: the tests train with both and compare.

A network is a list of ``(W, b)`` pairs, ``W`` of shape ``(n_out, n_in)`` as in the
kernels' layout, so that ``net_j = sum_i w_ji o_i + b_j``.
"""

import numpy as np

# --- transfer functions f(net) and their derivatives f'(net) = g(o) ------------------


def f(name, net):
    """Transfer function ``o = f(net)`` of a layer."""
    if name == "identity":
        return net.copy()
    if name == "logistic":
        return 1.0 / (1.0 + np.exp(-net))
    if name == "tanh":
        return np.tanh(net)
    if name == "relu":
        return np.maximum(net, 0.0)
    if name == "softmax":
        e = np.exp(net - net.max())
        return e / e.sum()
    if name == "exp":
        return np.exp(net)
    raise ValueError(f"unknown activation {name!r}")


def f_prime(name, o):
    """``f'(net)`` written with the output ``o``: sigmoid ``(1 - a) a``, linear 1."""
    if name == "identity":
        return np.ones_like(o)
    if name == "logistic":
        return (1.0 - o) * o
    if name == "tanh":
        return 1.0 - o**2
    if name == "relu":
        return (o > 0).astype(o.dtype)
    if name == "exp":
        return o.copy()
    raise ValueError(f"f'(net) of {name!r} is not element-wise")


# --- losses E and dE/dnet at the output -------------------------------------------------


def loss(loss_name, out_name, o, t):
    """Loss of one example.

    Squared error is ``E = 1/2 sum_j (t_j - o_j)^2`` (the notes' E with the customary
    1/2, so that dE/do_j = -(t_j - o_j)); binary cross-entropy is
    ``E = -sum_j [t_j log o_j + (1 - t_j) log(1 - o_j)]``; categorical cross-entropy
    (softmax outputs) is ``E = -sum_j t_j log o_j``; half the Poisson deviance (exp
    outputs) is ``E = sum_j t_j log(t_j / o_j) - t_j + o_j``.
    """
    if loss_name == "squared_error":
        return 0.5 * np.sum((t - o) ** 2)
    if loss_name == "poisson":
        ratio = np.where(t > 0, t / o, 1.0)
        return np.sum(t * np.log(ratio) - t + o)
    eps = np.finfo(o.dtype).eps
    o = np.clip(o, eps, 1 - eps)
    if out_name == "softmax":
        return -np.sum(t * np.log(o))
    return -np.sum(t * np.log(o) + (1 - t) * np.log(1 - o))


def output_dE_dnet(loss_name, out_name, o, t):
    """dE/dnet_k at the output layer.

    Squared error: ``dE/dnet = dE/do * do/dnet = -(t - o) f'(net)``.
    Binary cross-entropy with logistic outputs: ``dE/do = -t/o + (1 - t)/(1 - o)`` and
    ``f'(net) = o (1 - o)``, whose product is ``o - t``. Softmax with categorical
    cross-entropy gives the same ``o - t`` (the softmax Jacobian is not diagonal, so
    only the product has a simple form). The Poisson deviance with exp outputs:
    ``dE/do = 1 - t/o`` and ``f'(net) = o``, again ``o - t``.
    """
    if loss_name == "squared_error":
        return -(t - o) * f_prime(out_name, o)
    return o - t


# --- one example: forward, backward -----------------------------------------------------


def forward(params, x, hidden, out_name):
    """Outputs ``o`` of every layer, input first: ``net_j = sum_i w_ji o_i + b_j``."""
    outs = [x]
    for layer, (W, b) in enumerate(params):
        net = W @ outs[-1] + b
        name = out_name if layer == len(params) - 1 else hidden
        outs.append(f(name, net))
    return outs


def gradients(params, x, t, hidden, out_name, loss_name):
    """dE/dW and dE/db of one example by the chain rule, output layer first.

    Output layer: ``dE/dw_ji = dE/dnet_j * o_i``. Hidden layer: ``dE/do_j`` is unknown
    directly and comes from the layer above, ``dE/do_j = sum_k w_kj dE/dnet_k``, then
    ``dE/dnet_j = dE/do_j * f'(net_j)``.
    """
    outs = forward(params, x, hidden, out_name)
    grads = [None] * len(params)
    dE_dnet = output_dE_dnet(loss_name, out_name, outs[-1], t)
    for layer in range(len(params) - 1, -1, -1):
        W, _ = params[layer]
        grads[layer] = (np.outer(dE_dnet, outs[layer]), dE_dnet.copy())
        if layer > 0:
            dE_do = W.T @ dE_dnet  # sum_k w_kj dE/dnet_k, with the weights before the step
            dE_dnet = dE_do * f_prime(hidden, outs[layer])
    return grads, loss(loss_name, out_name, outs[-1], t)


def epoch(
    params,
    X,
    Y,
    order,
    sample_weight,
    hidden,
    out_name,
    loss_name,
    learning_rate,
    alpha,
    batch_size,
    momentum=0.0,
    nesterov=False,
    velocity=None,
    adam=None,
    by_weight=False,
):
    """One epoch of (mini-batch) gradient descent; returns new params and the loss.

    Each batch takes one step along ``(sum_i s_i dE_i/dw + alpha w) / |B|``;
    ``batch_size=1`` is the stochastic approximation, ``batch_size >= n`` the true
    gradient. The loss is ``(sum_i s_i E_i + sum_B alpha/2 ||W_B||^2) `` per example,
    before dividing by anything, as the kernels return ``(data_loss, penalty)``.

    With ``momentum > 0`` (scikit-learn's SGD optimiser): the step
    ``u = lr * (sum_i s_i dE_i/dw + alpha w) / |B|`` moves a velocity ``m <- mu m - u``
    and then ``w <- w + m`` (classical) or ``w <- w + mu m - u`` (Nesterov).
    ``velocity`` is a list of ``(mW, mb)`` arrays updated in place.

    With ``adam`` (scikit-learn's Adam optimiser), a dict with ``beta_1, beta_2,
    epsilon``, the update count ``t`` and the moments ``m, v`` (lists of ``(W, b)``
    arrays), all updated in place: each batch's gradient ``g = (sum_i s_i dE_i/dw +
    alpha w) / |B|`` moves ``m <- beta_1 m + (1 - beta_1) g``, ``v <- beta_2 v +
    (1 - beta_2) g^2``, and ``w <- w - lr_t m / (sqrt(v) + epsilon)`` with
    ``lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)`` after ``t <- t + 1``.

    With ``by_weight`` (scikit-learn's MLP), ``|B|`` above is the batch's weight sum
    ``sum_B s_i``, and its loss terms are scaled by ``|B| / sum_B s_i``.
    """
    params = [(W.copy(), b.copy()) for W, b in params]
    data_loss = 0.0
    penalty = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        total = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
        batch_loss = 0.0
        for i in batch:
            grads, example_loss = gradients(params, X[i], Y[i], hidden, out_name, loss_name)
            batch_loss += sample_weight[i] * example_loss
            for (gW, gb), (dW, db) in zip(total, grads):
                gW += sample_weight[i] * dW
                gb += sample_weight[i] * db
        batch_penalty = 0.5 * alpha * sum(np.sum(W**2) for W, _ in params)
        divisor = len(batch)
        if by_weight:
            divisor = sum(sample_weight[i] for i in batch)
        scale = len(batch) / divisor
        data_loss += scale * batch_loss
        penalty += scale * batch_penalty
        gradient = [
            ((gW + alpha * W) / divisor, gb / divisor)
            for (W, b), (gW, gb) in zip(params, total)
        ]
        steps = [(learning_rate * gW, learning_rate * gb) for gW, gb in gradient]
        if adam is not None:
            adam["t"] += 1
            t, beta_1, beta_2 = adam["t"], adam["beta_1"], adam["beta_2"]
            rate = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            steps = []
            for (mW, mb), (vW, vb), (gW, gb) in zip(adam["m"], adam["v"], gradient):
                for m, v, g in ((mW, vW, gW), (mb, vb, gb)):
                    m *= beta_1
                    m += (1 - beta_1) * g
                    v *= beta_2
                    v += (1 - beta_2) * g**2
                steps.append(
                    tuple(
                        rate * m / (np.sqrt(v) + adam["epsilon"])
                        for m, v in ((mW, vW), (mb, vb))
                    )
                )
        elif momentum > 0.0:
            for (mW, mb), (uW, ub) in zip(velocity, steps):
                mW *= momentum
                mW -= uW
                mb *= momentum
                mb -= ub
            if nesterov:
                steps = [
                    (uW - momentum * mW, ub - momentum * mb)
                    for (mW, mb), (uW, ub) in zip(velocity, steps)
                ]
            else:
                steps = [(-mW, -mb) for mW, mb in velocity]
        params = [(W - uW, b - ub) for (W, b), (uW, ub) in zip(params, steps)]
    return params, data_loss, penalty


# --- shuffled epochs -------------------------------------------------------------------


def shuffled(order, generator):
    """``order`` shuffled as a fit shuffles an epoch (``fastbp._kernels.shuffle``):
    Fisher-Yates, first position first, each position's pick a uniform integer
    below the remaining count by Lemire's method on ``generator``'s raw 64-bit draws
    (Python integers: the 128-bit product exactly)."""
    order = list(order)
    n = len(order)
    for position in range(n - 1):
        bound = n - position
        product = int(generator.bit_generator.random_raw()) * bound
        if product % 2**64 < bound:
            threshold = 2**64 % bound
            while product % 2**64 < threshold:
                product = int(generator.bit_generator.random_raw()) * bound
        other = position + product // 2**64
        order[position], order[other] = order[other], order[position]
    return np.array(order)
