#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node's native binding offline: its own install script downloads
# libtensorflow from Google's storage, which fails on machines without that access (air-gapped
# labs, CI sandboxes). Instead this takes libtensorflow from TensorFlow's CPU wheel on PyPI
# (`pip download tensorflow-cpu --no-deps`, or a wheel you bring with TF_WHEEL=path) and
# compiles the binding against it with node-gyp and the Node headers.
#
#   npm run build:tfjs-node                                           # in this repository
#   bash node_modules/affinity-loss-node/scripts/build-tfjs-node.sh   # in your project's folder
#   TF_WHEEL=/path/to/tensorflow_cpu-2.21.0-...whl bash .../build-tfjs-node.sh [PROJECT]
#
# Needs python3 with pip (or TF_WHEEL), g++, make and Node's headers (Debian: nodejs ships them
# in /usr/include/node; otherwise node-gyp fetches them once). Installs into node_modules only:
# package.json and the lockfile are not changed, and `npm ci` removes it again.
# Exit codes: 0 built (or already built), 3 no wheel could be had (the caller may skip), other
# codes a failed step.
set -euo pipefail
# The project whose node_modules receives tfjs-node: the argument, or the current folder.
cd "${1:-.}"

TFJS_NODE_VERSION=4.22.0
TF_VERSION="${TF_VERSION:-2.21.0}"
WHEEL_DIR="${TF_WHEEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/affinity-loss/wheels}"
PACKAGE=node_modules/@tensorflow/tfjs-node

built() {
  node -e "require('./$PACKAGE'); process.exit(0)" >/dev/null 2>&1
}
if [ -d "$PACKAGE" ] && built; then
  echo "tfjs-node: already built ($PACKAGE loads)"
  exit 0
fi

echo "tfjs-node: installing @tensorflow/tfjs-node@$TFJS_NODE_VERSION without its download step"
npm install --no-save --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@$TFJS_NODE_VERSION" >/dev/null

wheel="${TF_WHEEL:-}"
if [ -z "$wheel" ]; then
  mkdir -p "$WHEEL_DIR"
  wheel=$(ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "$wheel" ]; then
    echo "tfjs-node: fetching TensorFlow $TF_VERSION's CPU wheel (about 270 MB) into $WHEEL_DIR"
    if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$WHEEL_DIR" "tensorflow-cpu==$TF_VERSION"; then
      echo "tfjs-node: no TensorFlow wheel could be had (PyPI unreachable?); give one with TF_WHEEL=path" >&2
      exit 3
    fi
    wheel=$(ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_VERSION"-*.whl | head -n 1)
  fi
fi
[ -f "$wheel" ] || { echo "tfjs-node: no wheel at $wheel" >&2; exit 3; }

echo "tfjs-node: unpacking libtensorflow and its C headers from $(basename "$wheel")"
python3 - "$wheel" "$PACKAGE/deps" <<'PY'
import os, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
lib, include = os.path.join(deps, 'lib'), os.path.join(deps, 'include')
os.makedirs(lib, exist_ok=True)
os.makedirs(include, exist_ok=True)
# The headers the binding includes: TensorFlow's C API and what it pulls in.
header_roots = ('tensorflow/include/tensorflow/c/', 'tensorflow/include/tensorflow/core/platform/',
                'tensorflow/include/tensorflow/core/framework/', 'tensorflow/include/tsl/', 'tensorflow/include/xla/tsl/')
libraries = {'tensorflow/libtensorflow_cc.so.2': 'libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2': 'libtensorflow_framework.so.2'}
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name in libraries:
            with archive.open(name) as source, open(os.path.join(lib, libraries[name]), 'wb') as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
        elif name.startswith(header_roots) and not name.endswith('/'):
            path = os.path.join(include, name[len('tensorflow/include/'):])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with archive.open(name) as source, open(path, 'wb') as target:
                target.write(source.read())
missing = [name for name in libraries.values() if not os.path.exists(os.path.join(lib, name))]
if missing:
    sys.exit(f'the wheel lacks {", ".join(missing)}')
# The binding links -ltensorflow and loads libtensorflow.so.2; the cc library is that library.
for alias in ('libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow.so.2.9.1'):
    path = os.path.join(lib, alias)
    if os.path.lexists(path):
        os.remove(path)
    os.symlink('libtensorflow_cc.so.2', path)
framework = os.path.join(lib, 'libtensorflow_framework.so')
if os.path.lexists(framework):
    os.remove(framework)
os.symlink('libtensorflow_framework.so.2', framework)
PY

nodedir=()
if [ -f /usr/include/node/node.h ]; then nodedir=(--nodedir=/usr); fi
echo "tfjs-node: compiling the binding (about a minute)"
log=$(mktemp)
if ! (cd "$PACKAGE" && npx --no-install node-pre-gyp install --build-from-source "${nodedir[@]}") >"$log" 2>&1; then
  cat "$log" >&2
  echo "tfjs-node: compiling the binding failed (the log is above)" >&2
  exit 1
fi
rm -f "$log"
if ! built; then
  echo "tfjs-node: the binding was built but does not load" >&2
  node -e "require('./$PACKAGE')"
  exit 1
fi
echo "tfjs-node: built; useNodeBackend() now picks the 'tensorflow' backend"
