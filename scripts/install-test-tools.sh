#!/usr/bin/env bash
# Installs what the VS Code integration / UI tests need on a fresh Debian machine
# (Node 20 + npm already present, run as root):
#   * Debian packages: libkrb5-dev (kerberos native module), ripgrep (served to
#     @vscode/ripgrep instead of its GitHub download), chromium (driven by playwright-core),
#     zip (the e2e tests pack a test-only language pack as a .vsix), and a C++ toolchain if
#     missing (code-server's native modules are compiled here)
#   * code-server (a real VS Code build from the npm registry) in <repo>/.tools/code-server
#   * llama.cpp's llama-server, built offline from the source node-llama-cpp ships (cmake,
#     g++, git), in <repo>/.tools/llama-server/<bundle commit>/: the model server the
#     OpenAI-compatible provider's tests talk to (scripts/build-llama-server.sh)
#
# Idempotent: packages already installed and a working code-server are skipped.
# Environment:
#   CODE_SERVER_VERSION   (default 4.100.3)
#   FORCE_REINSTALL=1     reinstall code-server even if it already works
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$ROOT/.tools/code-server"
START=$(date +%s)

log() { echo "[install-test-tools] $*"; }

# ---------------------------------------------------------------- apt packages
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# libkrb5-dev: the kerberos module is compiled (node-gyp) during code-server's postinstall,
# as are node-pty, spdlog, argon2...; they need a C++ toolchain too (build-essential, python3).
need=(libkrb5-dev ripgrep chromium zip)
if ! command -v make >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then need+=(build-essential); fi
if ! command -v python3 >/dev/null 2>&1; then need+=(python3); fi
# llama-server's build (scripts/build-llama-server.sh) clones a git bundle and runs cmake.
if ! command -v cmake >/dev/null 2>&1; then need+=(cmake); fi
if ! command -v git >/dev/null 2>&1; then need+=(git); fi
missing=()
for p in "${need[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt has none (fresh container) or the install fails.
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]; then
    $SUDO apt-get update -qq
  fi
  if ! $SUDO apt-get install -y -qq "${missing[@]}"; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}"
  fi
else
  log "apt packages already present"
fi

# ---------------------------------------------------------------- llama-server
# Cached per bundle commit, so this is a no-op after the first (several-minute) build. Its
# source comes with npm ci: on a fresh clone .ci/run builds it again after npm ci.
if [ -f "$ROOT/node_modules/node-llama-cpp/llama/gitRelease.bundle" ]; then
  "$ROOT/scripts/build-llama-server.sh" >/dev/null
else
  log "llama-server: no node_modules yet; run scripts/build-llama-server.sh after npm ci"
fi

# ---------------------------------------------------------------- code-server
VERSION_LINE=""
WHY=""
# code_server_works [PREFIX]: 0 if PREFIX holds a complete, working code-server of the
# wanted version. Sets WHY to the first failed check, VERSION_LINE on success.
code_server_works() {
  local prefix="${1:-$PREFIX}"
  local bin="$prefix/node_modules/.bin/code-server"
  local vs="$prefix/node_modules/code-server/lib/vscode"
  local v xdg f
  WHY="no $bin"
  [ -x "$bin" ] || return 1
  WHY="'code-server --version' failed"
  # Even --version writes a default config.yaml and logs under the XDG dirs (on a first
  # start it also prints "info  Wrote default config file to ..." BEFORE the version
  # line): keep that out of $HOME, and look for the version line, not the first line.
  xdg="$(mktemp -d)"
  if ! v="$(XDG_CONFIG_HOME="$xdg" XDG_DATA_HOME="$xdg" "$bin" --version 2>/dev/null)"; then
    rm -rf "$xdg"
    return 1
  fi
  rm -rf "$xdg"
  WHY="version is not $CODE_SERVER_VERSION: $v"
  VERSION_LINE="$(printf '%s\n' "$v" | grep "^$CODE_SERVER_VERSION ")" || return 1
  # code-server's postinstall (nested npm installs in lib/vscode and lib/vscode/extensions)
  # must have completed:
  for f in node_modules.asar node_modules/@vscode/ripgrep/bin/rg \
    node_modules/node-pty/build/Release/pty.node node_modules/kerberos/build/Release/kerberos.node \
    extensions/node_modules/typescript; do
    WHY="missing $vs/$f"
    [ -e "$vs/$f" ] || return 1
  done
  WHY=""
  return 0
}

if [ "${FORCE_REINSTALL:-}" != 1 ] && code_server_works; then
  log "code-server $CODE_SERVER_VERSION already installed in $PREFIX"
  exit 0
fi

log "installing code-server@$CODE_SERVER_VERSION into $PREFIX"
# Install into a staging folder beside it and swap at the end: an existing install stays
# usable (e.g. by tests running concurrently) until the new one has been verified, and a
# failed install leaves it untouched.
STAGING="$PREFIX.staging-$$"
WORK_TMP="$(mktemp -d "${TMPDIR:-/tmp}/install-test-tools.XXXXXX")"
trap 'rm -rf "$WORK_TMP" "$STAGING"' EXIT
mkdir -p "$STAGING"
# A package.json of its own, so that npm treats the folder as the project root and never
# walks up to the repository's package.json / lock file.
printf '%s\n' '{ "name": "local-rag-test-tools", "private": true, "version": "0.0.0" }' >"$STAGING/package.json"

# @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable here). It first looks
# for os.tmpdir()/vscode-ripgrep-cache-<its version>/ripgrep-<rg tag>-<target>.tar.gz (a
# tar.gz with `rg` at its root), so serve Debian's rg from there. code-server 4.100.3's
# shrinkwrap pins @vscode/ripgrep 1.15.11, whose lib/postinstall.js wants tag v13.0.0-10.
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) log "unsupported architecture $(uname -m)"; exit 1 ;;
esac
mkdir -p "$WORK_TMP/rg" "$WORK_TMP/vscode-ripgrep-cache-1.15.11"
cp "$(command -v rg)" "$WORK_TMP/rg/rg"
tar -czf "$WORK_TMP/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-$RG_TARGET.tar.gz" -C "$WORK_TMP/rg" rg

# npm_config_unsafe_perm: code-server's postinstall.sh exits as root without it (npm 11
#   warns 'Unknown env config "unsafe-perm"': harmless, the script reads the variable).
# npm_config_yes: node-pty's install runs npx, which would otherwise prompt.
# npm_config_dangerously_allow_all_scripts: npm 11's allowScripts policy. npm 11.19 still
#   RUNS install scripts not covered by a policy (it only warns "install-scripts not yet
#   covered by allowScripts"); this silences that and keeps later npm releases running
#   them. Do NOT use npm_config_allow_scripts / --allow-scripts: postinstall.sh runs nested
#   project-scoped `npm install`s, which fail with EALLOWSCRIPTS on a CLI/env policy.
export TMPDIR="$WORK_TMP"
export npm_config_unsafe_perm=true
export npm_config_yes=true
export npm_config_dangerously_allow_all_scripts=true
export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false

cd "$STAGING"
rc=0
npm install --omit=dev --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" || rc=$?
[ "$rc" = 0 ] || log "npm install exited with $rc"
cd "$ROOT"

if ! code_server_works "$STAGING"; then
  log "code-server install FAILED: $WHY (see the output above)"
  exit 1
fi
# Everything inside is relative (bin links, node_modules.asar -> node_modules), so the
# folder can be moved into place.
if [ -e "$PREFIX" ]; then mv "$PREFIX" "$PREFIX.old-$$"; fi
mv "$STAGING" "$PREFIX"
rm -rf "$PREFIX.old-$$"
if ! code_server_works; then
  log "code-server FAILED after moving it into place: $WHY"
  exit 1
fi
log "code-server $VERSION_LINE installed in $PREFIX in $(( $(date +%s) - START ))s"
