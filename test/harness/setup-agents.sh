#!/usr/bin/env bash
# Installs the real agent CLIs the end-to-end tests drive (test/e2e/), once per machine, into a
# cache outside the clone keyed by version, so a second run is a no-op. Needs only the npm
# registry: @anthropic-ai/claude-code brings its native binary in a per-platform optional
# dependency (e.g. @anthropic-ai/claude-code-linux-x64), which npm picks for this machine; its
# postinstall copies it over bin/claude.exe, and when install scripts are off the binary is
# taken from the platform package directly.
# Prints the path of the `claude` executable on its last line.
#   NEXUS_AGENT_TOOLS=<dir>: the cache folder (default ~/.cache/nexus-buffer); Claude Code goes
#   into <dir>/claude-code-<version>.
set -euo pipefail
CLAUDE_CODE_VERSION=2.1.332
DIR=${NEXUS_AGENT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-buffer}/claude-code-$CLAUDE_CODE_VERSION

find_claude() {
  local bin
  for bin in "$DIR/node_modules/.bin/claude" "$DIR"/node_modules/@anthropic-ai/claude-code-*/claude; do
    if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "^$CLAUDE_CODE_VERSION\b"; then
      echo "$bin"
      return 0
    fi
  done
  return 1
}

if ! find_claude >/dev/null; then
  mkdir -p "$DIR"
  cd "$DIR"
  [ -f package.json ] || echo '{"name":"nexus-buffer-agent-tools","private":true}' > package.json
  # (its engines field asks for Node 22; the native binary does not use this machine's Node)
  npm install --save-exact --no-audit --no-fund --include=optional "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" >&2
  if ! find_claude >/dev/null; then
    echo "setup-agents.sh: no runnable claude $CLAUDE_CODE_VERSION under $DIR/node_modules" >&2
    exit 1
  fi
fi
find_claude
