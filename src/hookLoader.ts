// Entry point of dist/hook.js. The hook bundle itself is dist/hook-body.js (src/hook.ts); this
// loads it, through a code cache when the process is our command line (dist/cli.js) or hook
// (compileCache.ts: on Node 20, compiling the bundle was about 10 ms of every hook call), and
// then runs the command: an agent's hook on the lean path, anything else through the full
// command line. dist/extension.js, dist/cli-full.js and dist/core.js take shared modules from
// `require("./hook.js")`: these same exports, so each module still runs once. In any other
// process (the extension host, the compaction worker) the body is a plain `require`, nothing
// is cached for it, and nothing runs.
// CommonJS on purpose (`import … = require`, `module.exports`): the exports must be in place
// before the run below, which may load the full command line, which requires this module.
/* eslint-disable @typescript-eslint/no-require-imports */
import path = require('node:path');
import compileCache = require('./compileCache');

const BODY = path.join(__dirname, 'hook-body.js');
const main = require.main?.filename;
const ours = main !== undefined && path.dirname(main) === __dirname && ['cli.js', 'hook.js'].includes(path.basename(main));
const body = (ours ? compileCache.requireWithCodeCache(BODY) : require(BODY)) as typeof import('./hook');
module.exports = body;

if (ours) body.runAsScript(process.argv.slice(2));
