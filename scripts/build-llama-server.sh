#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the source node-llama-cpp already ships
# (node_modules/node-llama-cpp/llama/gitRelease.bundle, a git bundle), so tests can talk to
# a real OpenAI-compatible server without downloading anything. Needs cmake and g++.
#
# Cached in <repo>/.tools/llama-server/<bundle commit>/ (llama-server plus the .so files it
# loads from its own folder); skipped when that build is present and runs.
# Prints the path of the binary as its last line.
# Environment: JOBS (default 2), FORCE_REBUILD=1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="$ROOT/node_modules/node-llama-cpp/llama/gitRelease.bundle"
log() { echo "[build-llama-server] $*" >&2; }

[ -f "$BUNDLE" ] || { log "no $BUNDLE (run npm ci first)"; exit 1; }
COMMIT="$(git ls-remote "$BUNDLE" HEAD | cut -f1)"
[ -n "$COMMIT" ] || { log "cannot read the bundle's commit"; exit 1; }
DEST="$ROOT/.tools/llama-server/$COMMIT"

# The binary's RUNPATH names the build folder, gone after the build: it finds its .so files
# through LD_LIBRARY_PATH, as test/support/llamaServer.ts runs it.
works() { [ -x "$DEST/llama-server" ] && LD_LIBRARY_PATH="$DEST" "$DEST/llama-server" --version >/dev/null 2>&1; }

if [ "${FORCE_REBUILD:-}" != 1 ] && works; then
  log "llama-server ($COMMIT) already built"
  echo "$DEST/llama-server"
  exit 0
fi

START=$(date +%s)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/llama-server-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log "building llama-server ($COMMIT) in $WORK"
git clone -q "$BUNDLE" "$WORK/src"
# Nothing may download: LLAMA_CURL=OFF (models), LLAMA_USE_PREBUILT_UI=OFF (the web UI's
# assets from Hugging Face; the tests use the HTTP API only). GGML_NATIVE=OFF: the binary
# runs on any x86-64/arm64 CI machine, not only the one that built it.
cmake -S "$WORK/src" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
  -DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >&2
cmake --build "$WORK/build" --target llama-server -j"${JOBS:-2}" >&2

# Stage then move, so that a concurrent test never sees a half-copied folder.
STAGING="$DEST.staging-$$"
rm -rf "$STAGING"
mkdir -p "$STAGING"
cp -a "$WORK/build/bin/llama-server" "$STAGING/"
find "$WORK/build" -name '*.so*' \( -type f -o -type l \) -exec cp -a {} "$STAGING/" \;
rm -rf "$DEST"
mv "$STAGING" "$DEST"
# Checked without the build folder, as every later run will find it.
rm -rf "$WORK"
works || { log "the built llama-server does not run"; exit 1; }
log "llama-server built in $(( $(date +%s) - START ))s"
echo "$DEST/llama-server"
