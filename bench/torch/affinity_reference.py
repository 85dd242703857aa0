"""Float64 PyTorch reference of the affinity loss, written to a JSON fixture for the parity test.

What it does
    Draws a set of seeded cases (classes C, prototypes per class m, feature width d, batch N,
    sigma, margin and every option of the diversity regularizer), evaluates docs/METHOD.md sections
    1-3 in float64 with autograd, and writes the inputs and outputs to
    packages/affinity-loss/test/fixtures/affinity-reference.json, which
    packages/affinity-loss/test/affinity/parity.test.ts compares the
    TypeScript implementation against. Outputs per case: the affinities A (N, C), the hinge
    loss, the regularizer R, total = hinge + R, and the gradients of total w.r.t. the features
    and the prototypes, of the hinge alone w.r.t. the prototypes and of R alone w.r.t. the
    prototypes.

How to run (from the repository root; needs PyTorch and NumPy, e.g. Debian's python3-torch)
    /usr/bin/python3 bench/torch/affinity_reference.py
The fixture is rewritten in place; the same library versions give the same file.

Independence
    This is written from docs/METHOD.md's equations, not translated from the TypeScript code, and
    deliberately computes things the other way round where the TypeScript code takes a
    shortcut: distances by explicit broadcasting (f - w)^2 (not ||f||^2 + ||w||^2 - 2 f.w),
    the class affinity as the max over prototypes of exp(-D / sigma) (not exp of the min
    distance), the hinge by indexing A[i, y_i] and dropping j = y_i with a boolean mask (not a
    one-hot product), and the regularizer over an explicit list of pairs j < k built with
    itertools (not a masked K x K matrix).

Inputs are rounded to float32-representable values before the reference is computed, so the
float64 reference is exact (to float64 rounding) for the very numbers a float32 implementation
receives, and any difference measures the implementation's own float32 arithmetic.

Every case is checked (and re-drawn if needed) so that the gradient is well defined: no hinge
term margin + A_ij - A_iy lies within 1e-4 of 0 (the kink of max(0, .)), and in every max over
a class's prototypes the two nearest prototypes differ in squared distance by more than 1e-4
of the squared norms ||f||^2 + ||w||^2 (no near-tie in the argmax).
"""

import itertools
import json
import os

import numpy as np
import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, '..', '..', 'packages', 'affinity-loss', 'test', 'fixtures', 'affinity-reference.json')

KINK_GAP = 1e-4  # |margin + A_ij - A_iy| must exceed this for every j != y_i
TIE_GAP = 1e-4  # gap between the two smallest distances of a class's prototypes, relative to the norms


# ---------------------------------------------------------------------------------------------
# docs/METHOD.md, written out directly.
# ---------------------------------------------------------------------------------------------

def pairwise_squared_distances(f, w):
    """D[i, j, t] = ||f_i - w_{j,t}||^2 by explicit broadcasting: f (N, d), w (C, m, d)."""
    return ((f[:, None, None, :] - w[None, :, :, :]) ** 2).sum(dim=-1)


def class_affinities(f, w, sigma):
    """Section 1: A_ij = max_t exp(-||f_i - w_{j,t}||^2 / sigma), shape (N, C)."""
    per_prototype = torch.exp(-pairwise_squared_distances(f, w) / sigma)  # (N, C, m)
    return per_prototype.max(dim=2).values


def hinge_terms(A, labels, margin):
    """The terms margin + A_ij - A_{i,y_i} for j != y_i, before max(0, .): shape (N, C-1)."""
    n, c = A.shape
    rows = torch.arange(n)
    true_affinity = A[rows, labels]  # (N,)
    keep = torch.ones(n, c, dtype=torch.bool)
    keep[rows, labels] = False
    return (margin + A - true_affinity[:, None])[keep].reshape(n, c - 1)


def max_margin_loss(A, labels, margin):
    """Section 2: mean over i of sum_{j != y_i} max(0, margin + A_ij - A_{i,y_i})."""
    terms = hinge_terms(A, labels, margin)
    return torch.clamp(terms, min=0).sum(dim=1).mean()


def prototype_pairs(classes, per_class, scope):
    """The pairs j < k of flat prototype indices (prototype k belongs to class k // m)."""
    pairs = []
    for j, k in itertools.combinations(range(classes * per_class), 2):
        if scope == 'acrossClasses' and j // per_class == k // per_class:
            continue
        pairs.append((j, k))
    return pairs


def diversity(w, reduction, squared, scope, weight):
    """Section 3: weight * mean (or sum) over pairs j<k of (D_jk - mu)^2, mu = mean of D_jk."""
    classes, per_class, d = w.shape
    flat = w.reshape(classes * per_class, d)
    pairs = prototype_pairs(classes, per_class, scope)
    if not pairs:
        return flat.sum() * 0.0
    first = torch.tensor([j for j, _ in pairs])
    second = torch.tensor([k for _, k in pairs])
    dist = ((flat[first] - flat[second]) ** 2).sum(dim=1)
    if not squared:
        dist = torch.sqrt(dist)
    mu = dist.mean()
    deviations = (dist - mu) ** 2
    value = deviations.mean() if reduction == 'mean' else deviations.sum()
    return weight * value


# ---------------------------------------------------------------------------------------------
# Cases.
# ---------------------------------------------------------------------------------------------

# spread: squared distance between prototypes, in units of sigma (2 d s_w^2 = spread * sigma).
# noise: squared distance of a feature from its class prototype, in units of sigma.
# offset: a common shift of features and prototypes (norm of the shift, in units of sqrt(sigma)).
# flip: fraction of labels replaced by a random other class (strongly active hinge terms).
CASES = [
    dict(name='binary-m1-d2', C=2, m=1, d=2, N=7, sigma=1, margin=0.5,
         reduction='mean', squared=True, scope='all', weight=1, spread=2.0, noise=0.8),
    dict(name='c3-m1-d2', C=3, m=1, d=2, N=7, sigma=1, margin=0.75,
         reduction='mean', squared=True, scope='all', weight=1, spread=1.5, noise=0.6),
    dict(name='c3-m3-d8-sum', C=3, m=3, d=8, N=7, sigma=10, margin=0.75,
         reduction='sum', squared=True, scope='all', weight=1, spread=1.5, noise=0.7),
    dict(name='c10-m1-d8-mnist', C=10, m=1, d=8, N=32, sigma=10, margin=0.75,
         reduction='mean', squared=True, scope='all', weight=1, spread=2.0, noise=0.8, flip=0.1),
    dict(name='c10-m5-d8-across', C=10, m=5, d=8, N=32, sigma=10, margin=0.5,
         reduction='mean', squared=True, scope='acrossClasses', weight=1, spread=2.0, noise=0.7),
    dict(name='binary-m3-d8-n1-unsquared', C=2, m=3, d=8, N=1, sigma=10, margin=1.0,
         reduction='mean', squared=False, scope='all', weight=1, spread=1.5, noise=0.5),
    dict(name='binary-m3-d64-sum-unsquared-across-w05', C=2, m=3, d=64, N=7, sigma=100, margin=0.1,
         reduction='sum', squared=False, scope='acrossClasses', weight=0.5, spread=1.0, noise=0.6, flip=0.3),
    dict(name='c10-m1-d64', C=10, m=1, d=64, N=7, sigma=100, margin=0.1,
         reduction='mean', squared=True, scope='all', weight=1, spread=1.0, noise=0.5, flip=0.3),
    dict(name='c3-m3-d64-unsquared-across-w05', C=3, m=3, d=64, N=7, sigma=100, margin=0.5,
         reduction='mean', squared=False, scope='acrossClasses', weight=0.5, spread=1.5, noise=0.7),
    dict(name='c10-m3-d2-sum-across', C=10, m=3, d=2, N=32, sigma=1, margin=0.5,
         reduction='sum', squared=True, scope='acrossClasses', weight=1, spread=3.0, noise=0.5),
    dict(name='c3-m1-d8-saturated', C=3, m=1, d=8, N=32, sigma=1, margin=0.75,
         reduction='mean', squared=True, scope='all', weight=1, spread=20.0, noise=1.5, flip=0.2),
    dict(name='c10-m5-d8-n1-sum-unsquared-w05', C=10, m=5, d=8, N=1, sigma=100, margin=1.0,
         reduction='sum', squared=False, scope='all', weight=0.5, spread=1.0, noise=0.5),
    dict(name='c3-m3-d2-n1-across-w05', C=3, m=3, d=2, N=1, sigma=10, margin=0.1,
         reduction='mean', squared=True, scope='acrossClasses', weight=0.5, spread=2.0, noise=1.0),
    dict(name='binary-m5-d64-unsquared', C=2, m=5, d=64, N=7, sigma=100, margin=0.75,
         reduction='mean', squared=False, scope='all', weight=1, spread=1.0, noise=0.6, flip=0.2),
    dict(name='c10-m1-d2-sigma10', C=10, m=1, d=2, N=7, sigma=10, margin=0.1,
         reduction='sum', squared=True, scope='all', weight=0.5, spread=2.0, noise=0.4, flip=0.3),
    dict(name='c3-m3-d8-offset', C=3, m=3, d=8, N=7, sigma=10, margin=0.5,
         reduction='mean', squared=True, scope='all', weight=1, spread=1.5, noise=0.7, offset=30.0),
]


def as_float32(x):
    """Rounds to float32-representable values, kept in float64."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def draw(case, rng):
    """Prototypes around the origin, each feature near a random prototype of its class."""
    c, m, d, n, sigma = case['C'], case['m'], case['d'], case['N'], case['sigma']
    proto_std = np.sqrt(case['spread'] * sigma / (2 * d))
    noise_std = np.sqrt(case['noise'] * sigma / d)
    prototypes = rng.normal(0.0, proto_std, size=(c, m, d))
    labels = rng.integers(0, c, size=n)
    which = rng.integers(0, m, size=n)
    features = prototypes[labels, which] + rng.normal(0.0, noise_std, size=(n, d))
    flips = rng.random(n) < case.get('flip', 0.0)
    labels = np.where(flips, (labels + rng.integers(1, c, size=n)) % c, labels)
    if case.get('offset'):
        shift = rng.normal(size=d)
        shift *= case['offset'] * np.sqrt(sigma) / np.linalg.norm(shift)
        prototypes = prototypes + shift
        features = features + shift
    return as_float32(features), as_float32(prototypes), labels.astype(np.int64)


def well_posed(features, prototypes, labels, case):
    """No hinge term near its kink and no near-tie in any max over a class's prototypes."""
    f = torch.tensor(features)
    w = torch.tensor(prototypes)
    dist = pairwise_squared_distances(f, w)  # (N, C, m)
    if case['m'] > 1:
        nearest_two = torch.topk(dist, 2, dim=2, largest=False).values
        scale = (f ** 2).sum(dim=1).max() + (w ** 2).sum(dim=2).max()
        if ((nearest_two[..., 1] - nearest_two[..., 0]) <= TIE_GAP * scale).any():
            return False
    A = class_affinities(f, w, case['sigma'])
    terms = hinge_terms(A, torch.tensor(labels), case['margin'])
    return bool((terms.abs() > KINK_GAP).all())


def grad_of(value, inputs):
    return [g.detach() for g in torch.autograd.grad(value, inputs, retain_graph=True, allow_unused=False)]


def evaluate(case, features, prototypes, labels):
    f = torch.tensor(features, requires_grad=True)
    w = torch.tensor(prototypes, requires_grad=True)
    y = torch.tensor(labels)
    A = class_affinities(f, w, case['sigma'])
    hinge = max_margin_loss(A, y, case['margin'])
    reg = diversity(w, case['reduction'], case['squared'], case['scope'], case['weight'])
    total = hinge + reg
    total_f, total_w = grad_of(total, [f, w])
    (hinge_w,) = grad_of(hinge, [w])
    (reg_w,) = grad_of(reg, [w])
    terms = hinge_terms(A.detach(), y, case['margin'])
    return {
        'affinities': A.detach().tolist(),
        'hinge': hinge.item(),
        'regularizer': reg.item(),
        'total': total.item(),
        'hingeTerms': {'active': int((terms > 0).sum()), 'inactive': int((terms < 0).sum())},
        'grads': {
            'totalFeatures': total_f.tolist(),
            'totalPrototypes': total_w.tolist(),
            'hingePrototypes': hinge_w.tolist(),
            'regularizerPrototypes': reg_w.tolist(),
        },
    }


def build_case(index, case):
    seed = 1000 + index
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        features, prototypes, labels = draw(case, rng)
        if well_posed(features, prototypes, labels, case):
            break
    else:
        raise RuntimeError(f"case {case['name']}: no well-posed draw in 100 attempts")
    return {
        'name': case['name'],
        'seed': [seed, attempt],
        'C': case['C'], 'm': case['m'], 'd': case['d'], 'N': case['N'],
        'sigma': case['sigma'],
        'margin': case['margin'],
        'diversity': {
            'reduction': case['reduction'], 'squared': case['squared'],
            'scope': case['scope'], 'weight': case['weight'],
        },
        'inputs': {
            'features': features.tolist(),
            'prototypes': prototypes.tolist(),
            'labels': [int(v) for v in labels],
        },
        'expected': evaluate(case, features, prototypes, labels),
    }


def main():
    cases = [build_case(i, case) for i, case in enumerate(CASES)]
    fixture = {
        'description': 'Float64 PyTorch reference of the affinity loss (docs/METHOD.md sections 1-3); '
                       'regenerate with bench/torch/affinity_reference.py.',
        'generator': {'torch': torch.__version__, 'numpy': np.__version__},
        'cases': cases,
    }
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, 'w') as out:
        json.dump(fixture, out, separators=(',', ':'))  # repr of floats: exact round trip
        out.write('\n')
    for case in cases:
        e = case['expected']
        print(f"{case['name']:42s} hinge {e['hinge']:.6g}  R {e['regularizer']:.6g}  "
              f"active/inactive {e['hingeTerms']['active']}/{e['hingeTerms']['inactive']}  "
              f"A range [{np.min(e['affinities']):.3g}, {np.max(e['affinities']):.3g}]  seed {case['seed']}")
    print(f'wrote {os.path.relpath(FIXTURE)} ({os.path.getsize(FIXTURE)} bytes)')


if __name__ == '__main__':
    main()
