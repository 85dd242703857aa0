"""PyTorch reference for the training-speed benchmark: the same models, heads and optimiser as the
TypeScript library, timed step by step, reported as one JSON object on stdout.

What it does
    Builds one of the library's backbones (`mlp`, `cnn`, `cnn3`; src/models/backbones.ts), the
    BatchNorm before the head and a `softmax` or `affinity` head (src/models/build.ts), exactly as
    the TypeScript side builds them for 28x28x1 MNIST-shaped inputs and feature width 128, then
    trains it with Adam (lr 1e-3) on batches of 128 in train mode. After a few warm-up steps it
    times every training step (forward, loss, backward, optimizer.step, zero_grad, loss.item()),
    then times inference (eval mode, no_grad) and reads the peak resident memory.

Why
    bench/train.bench.ts compares the library's training speed with this reference: the numbers
    say what a mature framework does with the same network on the same CPU threads. The caller
    runs the script once per (model, head, threads), so every run starts from a fresh process
    whose thread settings cannot leak into the next one.

How to run (from the repository root; Debian's python3-torch and python3-numpy are enough)
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2 \\
        /usr/bin/python3 bench/torch/train_speed.py --model cnn --head affinity --threads 2

    --model mlp|cnn|cnn3       backbone
    --head softmax|affinity    head and loss
    --prototypes M             affinity prototypes per class (default 1)
    --threads T                intra-op threads (required)
    --steps S                  measured training steps (default 100)
    --warmup W                 training steps before the measured ones (default 10)
    --batch B                  batch size (default 128)
    --inference-steps N        measured inference batches (default 50)
    --data FILE                batches written by the TypeScript side (format below); default:
                               seeded uniform random pixels and labels
    --seed SEED                seed of the weights and of the random data (default 0)

Threads
    The script calls torch.set_num_threads(T) and torch.set_num_interop_threads(1) before any
    tensor work. Debian's PyTorch runs matrix products through the system BLAS (OpenBLAS, with its
    own thread pool that torch.set_num_threads does not control) and convolutions through oneDNN
    (OpenMP). The caller is expected to set OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=T; when it
    does not, the script sets those defaults itself before importing torch (a value the caller
    did set is kept). With OPENBLAS_NUM_THREADS=1 the dense layers run on one thread whatever T
    is; only convolutions and elementwise kernels use T threads. With T > 1 every parallel region
    waits for its slowest thread, so any other busy process on the machine can stall the steps
    (bench/torch/README.md); OMP_WAIT_POLICY is left to the caller.

Data file (--data)
    ASCII magic 'AFBT', uint32 rows, uint32 features per row (784), rows*784 float32 pixels in
    [0, 1], rows int32 labels in [0, 10); all little-endian, nothing after the labels. The script
    cycles through the rows in consecutive batches of B (wrapping around at the end).

Output
    Exactly one JSON object on stdout: model, head, prototypes, threads, batch, steps, warmup,
    stepMs (every measured step, ms), medianMs, p10Ms, p90Ms, trainSamplesPerSec
    (batch * 1000 / medianMs), inferenceSamplesPerSec, peakRssMiB, torchVersion, parameters
    (trainable parameters, prototypes and BatchNorm gamma/beta included; BatchNorm's moving
    statistics are not trainable). Everything else goes to stderr; bad arguments or a malformed
    data file end the script with a non-zero status and a message on stderr.
"""

import argparse
import json
import math
import os
import resource
import sys
import time


def thread_count_from_argv(argv):
    """The value of --threads if it is a positive integer, else None (argparse reports it later);
    read before argparse runs because the thread variables below must be in place before numpy
    and torch are imported."""
    value = None
    for i, arg in enumerate(argv):
        if arg == '--threads' and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith('--threads='):
            value = arg.split('=', 1)[1]
    return value if value is not None and value.isdigit() and int(value) >= 1 else None


def set_thread_environment(threads):
    """Thread defaults for OpenMP and OpenBLAS, which both read these variables once, when they
    load; a value the caller set is kept."""
    os.environ.setdefault('OMP_NUM_THREADS', threads)
    os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')


if __name__ == '__main__' and thread_count_from_argv(sys.argv[1:]) is not None:
    set_thread_environment(thread_count_from_argv(sys.argv[1:]))

# Imported only now, after the thread environment (see above).
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

IMAGE_SIDE = 28
FEATURES_PER_ROW = IMAGE_SIDE * IMAGE_SIDE
CLASSES = 10
FEATURE_WIDTH = 128
SIGMA = FEATURE_WIDTH + 2  # defaultSigma(d) = d + 2 in src/models/build.ts
MARGIN = 0.3
DIVERSITY_WEIGHT = 1.0
BATCHNORM_MOMENTUM = 0.1  # PyTorch convention; tfjs' BATCHNORM_MOMENTUM 0.9 is the same average
BATCHNORM_EPSILON = 1e-3  # tfjs' default (PyTorch's is 1e-5)
LEARNING_RATE = 1e-3
DATA_MAGIC = b'AFBT'
HEADER_BYTES = 12
SYNTHETIC_BATCHES = 16  # distinct random batches without --data (the data is not what is timed)
INFERENCE_WARMUP = 5


class BenchError(Exception):
    """A problem the caller must fix (arguments, data file): reported on stderr, exit status 2."""


def parse_args(argv):
    """The command line; argparse itself exits with status 2 on unknown or ill-typed options."""
    parser = argparse.ArgumentParser(
        description='PyTorch reference of the training-speed benchmark (one JSON object on stdout).',
        allow_abbrev=False)  # --threads must be spelt out: it is read before argparse runs
    parser.add_argument('--model', required=True, choices=['mlp', 'cnn', 'cnn3'])
    parser.add_argument('--head', required=True, choices=['softmax', 'affinity'])
    parser.add_argument('--prototypes', type=int, default=1, help='affinity prototypes per class m')
    parser.add_argument('--threads', type=int, required=True, help='intra-op threads')
    parser.add_argument('--steps', type=int, default=100, help='measured training steps')
    parser.add_argument('--warmup', type=int, default=10, help='unmeasured training steps first')
    parser.add_argument('--batch', type=int, default=128)
    parser.add_argument('--data', help="batches file written by the TypeScript side ('AFBT' format)")
    parser.add_argument('--inference-steps', type=int, default=50, help='measured inference batches')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    minimums = {'prototypes': 1, 'threads': 1, 'steps': 1, 'warmup': 0, 'batch': 1,
                'inference_steps': 1, 'seed': 0}
    for name, minimum in minimums.items():
        if getattr(args, name) < minimum:
            parser.error(f"--{name.replace('_', '-')} must be >= {minimum}, got {getattr(args, name)}")
    if args.head == 'softmax' and args.prototypes != 1:
        parser.error('--prototypes applies to the affinity head only')
    return args


def log(message):
    """Diagnostics go to stderr: stdout carries the JSON object only."""
    print(message, file=sys.stderr, flush=True)


def set_thread_pools(threads):
    """torch's own thread pools, before any tensor work: set_num_interop_threads refuses to run
    once parallel work has started."""
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    if os.environ.get('OMP_NUM_THREADS') != str(threads):
        log(f"note: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')} from the caller, --threads {threads}")


# ---------------------------------------------------------------------------------------------
# Data.
# ---------------------------------------------------------------------------------------------

def read_data_file(path):
    """Pixels (rows, 784) float32 and labels (rows,) int64 from an 'AFBT' file; BenchError if the
    file is not exactly what the format says."""
    try:
        with open(path, 'rb') as handle:
            raw = handle.read()
    except OSError as error:
        raise BenchError(f'cannot read --data {path}: {error.strerror}') from error
    if len(raw) < HEADER_BYTES:
        raise BenchError(f'--data {path}: truncated header ({len(raw)} bytes, need {HEADER_BYTES})')
    if raw[:4] != DATA_MAGIC:
        raise BenchError(f'--data {path}: wrong magic {raw[:4]!r}, expected {DATA_MAGIC!r}')
    rows, features = np.frombuffer(raw, dtype='<u4', count=2, offset=4)
    rows, features = int(rows), int(features)
    if rows == 0:
        raise BenchError(f'--data {path}: no rows')
    if features != FEATURES_PER_ROW:
        raise BenchError(f'--data {path}: {features} features per row, expected {FEATURES_PER_ROW}')
    expected = HEADER_BYTES + rows * features * 4 + rows * 4
    if len(raw) < expected:
        raise BenchError(f'--data {path}: truncated ({len(raw)} bytes, header says {expected})')
    if len(raw) > expected:
        raise BenchError(f'--data {path}: {len(raw) - expected} unexpected bytes after the labels')
    pixels = np.frombuffer(raw, dtype='<f4', count=rows * features, offset=HEADER_BYTES)
    labels = np.frombuffer(raw, dtype='<i4', count=rows, offset=HEADER_BYTES + rows * features * 4)
    if not np.all((pixels >= 0) & (pixels <= 1)):  # also false for NaN
        raise BenchError(f'--data {path}: pixel values outside [0, 1]')
    if labels.min() < 0 or labels.max() >= CLASSES:
        raise BenchError(f'--data {path}: labels outside [0, {CLASSES})')
    return pixels.reshape(rows, features).astype(np.float32), labels.astype(np.int64)


def synthetic_data(rows, seed):
    """Seeded uniform pixels in [0, 1) and uniform labels, in the data file's layout."""
    rng = np.random.default_rng(seed)
    pixels = rng.random((rows, FEATURES_PER_ROW), dtype=np.float32)
    labels = rng.integers(0, CLASSES, size=rows, dtype=np.int64)
    return pixels, labels


class BatchCycle:
    """Consecutive batches of B rows, wrapping around the end of the data: batch k holds rows
    k*B .. k*B + B - 1 modulo the row count."""

    def __init__(self, pixels, labels, batch, images):
        self.pixels = torch.from_numpy(pixels)
        self.labels = torch.from_numpy(labels)
        self.batch = batch
        # The convolutional backbones take (N, 1, 28, 28): PyTorch's NCHW layout of the same
        # row-major pixels that tfjs reads as (N, 28, 28, 1).
        self.shape = (batch, 1, IMAGE_SIDE, IMAGE_SIDE) if images else (batch, FEATURES_PER_ROW)
        self.start = 0

    def next(self):
        """The next (inputs, labels), contiguous, so the timed step does no copying of its own."""
        rows = self.pixels.shape[0]
        index = (torch.arange(self.batch) + self.start) % rows
        self.start = (self.start + self.batch) % rows
        return self.pixels.index_select(0, index).reshape(self.shape), self.labels.index_select(0, index)


# ---------------------------------------------------------------------------------------------
# Models (src/models/backbones.ts and build.ts).
# ---------------------------------------------------------------------------------------------

def batch_norm_1d(width):
    """tfjs' batchNormalization on a vector: momentum 0.9 (Keras) = 0.1 (PyTorch), epsilon 1e-3."""
    return nn.BatchNorm1d(width, eps=BATCHNORM_EPSILON, momentum=BATCHNORM_MOMENTUM)


def batch_norm_2d(channels):
    """tfjs' batchNormalization on (height, width, channels) maps, per channel as PyTorch's."""
    return nn.BatchNorm2d(channels, eps=BATCHNORM_EPSILON, momentum=BATCHNORM_MOMENTUM)


def conv3x3(in_channels, out_channels):
    """tfjs conv2d 3x3, 'same' padding, stride 1, with a bias (tfjs' default, also before BatchNorm)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=True)


def build_backbone(name):
    """The backbone up to and including the ReLU feature layer of width 128 (features > 3 wide
    are ReLU in backbones.ts)."""
    if name == 'mlp':
        return nn.Sequential(
            nn.Linear(FEATURES_PER_ROW, 256), nn.ReLU(),
            nn.Linear(256, FEATURE_WIDTH), nn.ReLU(),
        )
    if name == 'cnn':
        return nn.Sequential(
            conv3x3(1, 32), nn.ReLU(), nn.MaxPool2d(2, 2),
            conv3x3(32, 64), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(),  # NCHW order, a permutation of tfjs' NHWC flatten: same cost
            nn.Linear(64 * 7 * 7, FEATURE_WIDTH), nn.ReLU(),
        )
    if name == 'cnn3':
        return nn.Sequential(
            conv3x3(1, 32), batch_norm_2d(32), nn.ReLU(), nn.MaxPool2d(2, 2),
            conv3x3(32, 64), batch_norm_2d(64), nn.ReLU(), nn.MaxPool2d(2, 2),
            conv3x3(64, 128), batch_norm_2d(128), nn.ReLU(),
            GlobalAveragePool(),
            nn.Linear(128, FEATURE_WIDTH), nn.ReLU(),
        )
    raise BenchError(f'unknown model {name}')


class GlobalAveragePool(nn.Module):
    """tfjs' globalAveragePooling2d: (N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


def he_normal_init(backbone):
    """He-normal kernels (fan in, ReLU gain: std sqrt(2 / fan_in)) and zero biases, as the
    TypeScript backbones; BatchNorm keeps gamma 1, beta 0 as in tfjs."""
    for module in backbone.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_normal_(module.weight, mode='fan_in', nonlinearity='relu')
            nn.init.zeros_(module.bias)


class SoftmaxHead(nn.Module):
    """Dense 128 -> 10 logits (glorot-uniform kernel, zero bias) with cross-entropy."""

    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(FEATURE_WIDTH, CLASSES)
        nn.init.xavier_uniform_(self.dense.weight)
        nn.init.zeros_(self.dense.bias)

    def forward(self, features):
        return self.dense(features)

    def loss(self, logits, labels):
        """Mean cross-entropy over the batch."""
        return F.cross_entropy(logits, labels)


class AffinityHead(nn.Module):
    """The Gaussian-affinity head of docs/METHOD.md sections 1-3, computed the way
    src/affinity/affinity.ts computes it (one matrix product, no (N, K, d) broadcast)."""

    def __init__(self, per_class):
        super().__init__()
        self.per_class = per_class
        count = CLASSES * per_class
        # He-normal, untruncated, std sqrt(2 / d): GaussianAffinity.build.
        self.prototypes = nn.Parameter(
            torch.randn(CLASSES, per_class, FEATURE_WIDTH) * math.sqrt(2.0 / FEATURE_WIDTH))
        # The pairs j < k of the regularizer, fixed for the run: built once, not per step.
        pairs = torch.triu_indices(count, count, offset=1)
        self.register_buffer('pair_first', pairs[0], persistent=False)
        self.register_buffer('pair_second', pairs[1], persistent=False)

    def forward(self, features):
        """A_ij = exp(-min_t ||f_i - w_jt||^2 / sigma), shape (N, C)."""
        flat = self.prototypes.reshape(CLASSES * self.per_class, FEATURE_WIDTH)
        # Both sets moved by the prototypes' mean (distances do not change) keeps the norms,
        # and the float32 rounding of ||f||^2 + ||w||^2 - 2 f.w, small: as distance.ts does.
        centre = flat.mean(dim=0, keepdim=True)
        distances = squared_distances(features - centre, flat - centre)  # (N, C*m)
        if self.per_class > 1:
            # max_t exp(-D/sigma) = exp(-min_t D / sigma): exp on N*C values, not N*C*m.
            distances = distances.reshape(-1, CLASSES, self.per_class).amin(dim=2)
        return torch.exp(distances / -SIGMA)

    def loss(self, affinities, labels):
        """mean_i sum_{j != y_i} max(0, margin + A_ij - A_iy) + R(w)."""
        target = F.one_hot(labels, CLASSES).to(affinities.dtype)
        true_affinity = (affinities * target).sum(dim=1, keepdim=True)
        # The j = y_i term is always the margin: masked out, as in the one-hot product of loss.ts.
        violations = F.relu(MARGIN + affinities - true_affinity) * (1 - target)
        hinge = violations.sum() / affinities.shape[0]
        return hinge + DIVERSITY_WEIGHT * self.diversity()

    def diversity(self):
        """R = variance over pairs j < k of D_jk = ||w_j - w_k||^2, all K = C*m prototypes."""
        count = CLASSES * self.per_class
        if count < 2:
            return self.prototypes.sum() * 0.0  # no pair: R = 0, still connected to the graph
        flat = self.prototypes.reshape(count, FEATURE_WIDTH)
        centred = flat - flat.mean(dim=0, keepdim=True)
        distances = squared_distances(centred, centred)[self.pair_first, self.pair_second]
        return ((distances - distances.mean()) ** 2).mean()


def squared_distances(a, b):
    """||a_i||^2 + ||b_k||^2 - 2 a_i.b_k for rows of a (N, d) and b (K, d): one matrix product,
    clamped at 0 because rounding can make coincident points slightly negative."""
    a_norms = (a * a).sum(dim=1, keepdim=True)
    b_norms = (b * b).sum(dim=1).unsqueeze(0)
    return (a_norms + b_norms - 2.0 * (a @ b.t())).clamp_min(0.0)


class Classifier(nn.Module):
    """Backbone -> BatchNorm (the 'head_batchnorm' of build.ts) -> head."""

    def __init__(self, model, head, per_class):
        super().__init__()
        self.backbone = build_backbone(model)
        he_normal_init(self.backbone)
        self.head_batchnorm = batch_norm_1d(FEATURE_WIDTH)
        self.head = SoftmaxHead() if head == 'softmax' else AffinityHead(per_class)

    def forward(self, inputs):
        return self.head(self.head_batchnorm(self.backbone(inputs)))

    def loss(self, outputs, labels):
        return self.head.loss(outputs, labels)


def trainable_parameters(model):
    """Trainable parameter count: what tfjs' trainable weights sum to for the same model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------------------------

def train_step(model, optimizer, inputs, labels):
    """One Adam step; returns the loss value. CPU PyTorch runs every kernel eagerly and
    loss.item() reads the value back, so nothing of the step is left to run after it returns."""
    outputs = model(inputs)
    loss = model.loss(outputs, labels)
    loss.backward()
    optimizer.step()
    # None instead of zeroed tensors: the next backward writes fresh gradients, as tfjs does.
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def time_training(model, optimizer, batches, warmup, steps):
    """Per-step milliseconds of `steps` training steps after `warmup` unmeasured ones. The
    batch is fetched before the clock starts: only the step itself is timed."""
    model.train()
    for _ in range(warmup):
        check_loss(train_step(model, optimizer, *batches.next()))
    step_ms = []
    for _ in range(steps):
        inputs, labels = batches.next()
        start = time.perf_counter()
        loss = train_step(model, optimizer, inputs, labels)
        step_ms.append((time.perf_counter() - start) * 1000.0)
        check_loss(loss)
    return step_ms


def check_loss(value):
    """A NaN or infinite loss means the model is broken, and its timings meaningless."""
    if not math.isfinite(value):
        raise RuntimeError(f'training loss is {value}')


def time_inference(model, batches, steps):
    """Samples per second of eval-mode forward passes, over `steps` batches after a few warm-up
    ones; the output is read into numpy, as the TypeScript side reads its predictions."""
    model.eval()
    with torch.no_grad():
        for _ in range(INFERENCE_WARMUP):
            model(batches.next()[0]).numpy()
        inputs = [batches.next()[0] for _ in range(steps)]
        start = time.perf_counter()
        for batch in inputs:
            model(batch).numpy()
        seconds = time.perf_counter() - start
    return steps * batches.batch / seconds


def peak_rss_mib():
    """Peak resident set size of this process; ru_maxrss is in KiB on Linux."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(args):
    """Builds, trains, times; returns the result object."""
    torch.manual_seed(args.seed)
    if args.data:
        pixels, labels = read_data_file(args.data)
    else:
        pixels, labels = synthetic_data(SYNTHETIC_BATCHES * args.batch, args.seed)
    batches = BatchCycle(pixels, labels, args.batch, images=args.model != 'mlp')
    model = Classifier(args.model, args.head, args.prototypes)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
    step_ms = time_training(model, optimizer, batches, args.warmup, args.steps)
    inference = time_inference(model, batches, args.inference_steps)
    median = float(np.median(step_ms))
    return {
        'model': args.model,
        'head': args.head,
        'prototypes': args.prototypes,
        'threads': args.threads,
        'batch': args.batch,
        'steps': args.steps,
        'warmup': args.warmup,
        'stepMs': [round(ms, 4) for ms in step_ms],
        'medianMs': median,
        'p10Ms': float(np.percentile(step_ms, 10)),
        'p90Ms': float(np.percentile(step_ms, 90)),
        'trainSamplesPerSec': args.batch * 1000.0 / median,
        'inferenceSamplesPerSec': inference,
        'peakRssMiB': peak_rss_mib(),
        'torchVersion': torch.__version__,
        'parameters': trainable_parameters(model),
    }


def main(argv):
    args = parse_args(argv)
    set_thread_pools(args.threads)
    # Anything a library prints goes to stderr; the real stdout gets the JSON object only.
    stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        result = run(args)
    except BenchError as error:
        log(f'train_speed.py: error: {error}')
        return 2
    finally:
        sys.stdout = stdout
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
