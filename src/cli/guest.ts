// Whether the command line runs as a guest inside an agent (an agent's hook): `push ... --from
// <source>`, detected from the raw arguments (any `--from`, even an unknown source), so that even
// a usage mistake in that mode follows the guest rules (nothing on stdout, never exit 2). Only
// `import` has a `--from` of its own (the agent whose session files to read), run by a person.
// A leaf module: dist/cli.js (the tiny dispatcher) and cli/main.ts both use it.
export function isHookGuest(argv: readonly string[]): boolean {
  if (argv[0] === 'import') return false;
  return argv.some((arg) => arg === '--from' || arg.startsWith('--from='));
}
