// Preloaded (node --import) into code-server releases whose command line has no
// --vscode-option (4.99 = VS Code 1.99): adds VS Code's own --enable-smoke-test-driver to
// code-server's option table, which passes its options on to the VS Code server unchanged.
// The payload URL parameter (extensionDevelopmentPath, extensionTestsPath) needs that flag.
// A no-op in any other process (the extension host inherits the preload).
import { createRequire } from 'node:module';
import path from 'node:path';

const entry = process.argv[1] ?? '';
if (/[\\/]out[\\/]node[\\/]entry(\.js)?$/.test(entry)) {
  // The CommonJS module entry.js requires next: the same instance, so the option is known to it.
  const cli = createRequire(entry)(path.join(path.dirname(entry), 'cli.js'));
  cli.options['enable-smoke-test-driver'] ??= { type: 'boolean', description: 'VS Code: enable the smoke test driver.' };
}
