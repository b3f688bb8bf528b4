#!/usr/bin/env bash
# Installs what the VS Code integration / UI tests need on a fresh Debian machine
# (Node 20 + npm already present, run as root):
#   * Debian packages: libkrb5-dev (kerberos native module), ripgrep (served to
#     @vscode/ripgrep instead of its GitHub download), chromium (driven by playwright-core)
#   * code-server (a real VS Code build from the npm registry) in <repo>/.tools/code-server
#
# Idempotent: packages already installed and a working code-server are skipped.
# Environment:
#   CODE_SERVER_VERSION   (default 4.100.3)
#   FORCE_REINSTALL=1     reinstall code-server even if it already works
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$ROOT/.tools/code-server"
BIN="$PREFIX/node_modules/.bin/code-server"
START=$(date +%s)

log() { echo "[install-test-tools] $*"; }

# ---------------------------------------------------------------- apt packages
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

missing=()
for p in libkrb5-dev ripgrep chromium; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Only refresh the package lists when apt has none (fresh container) or install fails.
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]; then
    $SUDO apt-get update -qq
  fi
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  log "apt packages already present"
fi

# ---------------------------------------------------------------- code-server
code_server_works() {
  # Sets WHY to the first failed check.
  local vs="$PREFIX/node_modules/code-server/lib/vscode" v
  WHY="no $BIN"; [ -x "$BIN" ] || return 1
  WHY="'code-server --version' failed"
  v="$("$BIN" --version 2>/dev/null)" || return 1
  WHY="version is '${v%%$'\n'*}', want $CODE_SERVER_VERSION"
  case "$v" in "$CODE_SERVER_VERSION "*) ;; *) return 1 ;; esac
  # code-server's postinstall (nested npm installs in lib/vscode) must have completed:
  local f
  for f in node_modules.asar node_modules/@vscode/ripgrep/bin/rg \
    node_modules/node-pty/build/Release/pty.node node_modules/kerberos/build/Release/kerberos.node \
    extensions/node_modules/typescript; do
    WHY="missing $vs/$f"; [ -e "$vs/$f" ] || return 1
  done
  WHY=""
  return 0
}

if [ "${FORCE_REINSTALL:-}" != 1 ] && code_server_works; then
  log "code-server $CODE_SERVER_VERSION already installed in $PREFIX"
  exit 0
fi

log "installing code-server@$CODE_SERVER_VERSION into $PREFIX"
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
# A package.json of its own so npm treats .tools/code-server as the project
# (and never walks up to the repo's package.json / lock file).
cat >"$PREFIX/package.json" <<EOF
{ "name": "local-rag-test-tools", "private": true, "version": "0.0.0" }
EOF

# @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable here). It first
# looks in os.tmpdir()/vscode-ripgrep-cache-<its version>/ripgrep-<rg tag>-<target>.tar.gz,
# so serve Debian's rg from there. Version 1.15.11 -> tag v13.0.0-10 (see its lib/postinstall.js).
WORK_TMP="$(mktemp -d "${TMPDIR:-/tmp}/install-test-tools.XXXXXX")"
trap 'rm -rf "$WORK_TMP"' EXIT
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) log "unsupported arch $(uname -m)"; exit 1 ;;
esac
RG_BIN="$(command -v rg)"
mkdir -p "$WORK_TMP/rg"
cp "$RG_BIN" "$WORK_TMP/rg/rg"
# Every @vscode/ripgrep version we may meet (code-server's shrinkwrap pins 1.15.11).
for v in 1.15.11; do
  mkdir -p "$WORK_TMP/vscode-ripgrep-cache-$v"
  tar -czf "$WORK_TMP/vscode-ripgrep-cache-$v/ripgrep-v13.0.0-10-$RG_TARGET.tar.gz" -C "$WORK_TMP/rg" rg
done

# npm_config_unsafe_perm: code-server's postinstall.sh exits when root without it.
# npm_config_yes: node-pty's install runs npx, which would otherwise prompt.
# npm_config_dangerously_allow_all_scripts: npm >= 11.x "allowScripts" policy. npm 11.19
#   still RUNS unreviewed install scripts (it only warns "install-scripts not yet covered
#   by allowScripts"), but this makes sure later npm releases do too. Do NOT use
#   npm_config_allow_scripts: postinstall.sh runs nested project-scoped `npm install`s,
#   which reject a CLI/env allow-scripts policy with EALLOWSCRIPTS.
# npm_config_update_notifier / fund / audit: quiet and offline-friendly.
export TMPDIR="$WORK_TMP"
export npm_config_unsafe_perm=true
export npm_config_yes=true
export npm_config_dangerously_allow_all_scripts=true
export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false
# kerberos / node-pty fall back to node-gyp builds when their prebuilt downloads fail;
# use the headers shipped with Node instead of downloading them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

cd "$PREFIX"
rc=0
npm install --omit=dev --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" || rc=$?
[ "$rc" = 0 ] || log "npm install exited with $rc"

if ! code_server_works; then
  log "code-server install FAILED: $WHY (see output above)"
  exit 1
fi
log "code-server $("$BIN" --version | head -1) installed in $(( $(date +%s) - START ))s"
