import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  featureState, isFeatureLine, notifyState, scanToml, TOML_MARKER, TomlScanError, withHooksFeature, withNotify, withoutOurLines,
} from '../configToml';

const ARGV = ['/usr/bin/node', '/opt/ext/dist/cli.js', 'push', 'codex', '--from', 'codex-notify'];

/** Install (feature + notify), check, uninstall: the original text comes back byte for byte. */
function roundTrip(original: string): string {
  const installed = withNotify(withHooksFeature(original), ARGV);
  assert.equal(featureState(installed).state, 'on', 'feature on after install');
  assert.equal(withNotify(withHooksFeature(installed), ARGV), installed, 'a second install changes nothing');
  assert.equal(withoutOurLines(installed), original, 'uninstall gives the file back');
  return installed;
}

test('an empty or missing file gets a [features] table and a top-level notify', () => {
  const installed = roundTrip('');
  assert.equal(installed, `notify = ["/usr/bin/node", "/opt/ext/dist/cli.js", "push", "codex", "--from", "codex-notify"] ${TOML_MARKER}\n[features] ${TOML_MARKER}\nhooks = true ${TOML_MARKER}\n`);
  // What we write is TOML a scanner reads back.
  assert.deepEqual(scanToml(installed).map((s) => [s.kind, s.table.join('.'), s.key.join('.')]), [
    ['keyvalue', '', 'notify'], ['header', 'features', ''], ['keyvalue', 'features', 'hooks'],
  ]);
});

test('a file with comments, top-level keys, tables and inline tables keeps every byte of them', () => {
  const original = [
    '# my codex config',
    'model = "gpt-5.5"   # the default',
    'approval_policy = "on-request"',
    '',
    '# providers',
    '[model_providers.local]',
    'name = "local"',
    'base_url = "http://127.0.0.1:11434/v1"',
    'env = { KEY = "x", "with # hash" = "[features]" }',
    '',
    '[mcp_servers.docs]',
    'command = "npx"',
    'args = [',
    '  "-y",   # a comment inside an array',
    '  "docs-mcp",',
    ']',
    '',
  ].join('\n');
  const installed = roundTrip(original);
  const lines = installed.split('\n');
  assert.equal(lines[3], `notify = ${JSON.stringify(ARGV).replace(/","/g, '", "')} ${TOML_MARKER}`, 'notify after the last top-level key, before the first table');
  assert.equal(lines.slice(-3).join('\n'), `[features] ${TOML_MARKER}\nhooks = true ${TOML_MARKER}\n`);
});

test('[features] present with other keys: our key goes after them, with their indentation', () => {
  const original = 'model = "o3"\n\n[features]\n  web_search = true\n  # keep me\n  unified_exec = false\n\n[tui]\ntheme = "dark"\n';
  const installed = roundTrip(original);
  assert.match(installed, /\n {2}unified_exec = false\n {2}hooks = true # added by nexus-buffer\n\n\[tui\]/);
});

test('[features] present and empty, at the end of a file without a final newline', () => {
  roundTrip('[features]');
  roundTrip('model = "o3"\n[features]\nweb_search = true');
  roundTrip('model = "o3"');
  assert.equal(withHooksFeature('model = "o3"'), `model = "o3"\n[features] ${TOML_MARKER} (the file had no final newline)\nhooks = true ${TOML_MARKER}\n`);
});

test('CRLF files get CRLF lines', () => {
  const original = 'model = "o3"\r\n[features]\r\nweb_search = true\r\n';
  const installed = roundTrip(original);
  assert.ok(!/[^\r]\n/.test(installed), `only CRLF in ${JSON.stringify(installed)}`);
});

test('a byte order mark stays first', () => {
  const installed = roundTrip('\uFEFF[tui]\ntheme = "dark"\n');
  assert.ok(installed.startsWith('\uFEFFnotify = '));
});

test('dotted features keys at the top level get a dotted line beside them', () => {
  const original = 'model = "o3"\nfeatures.web_search = true\n\n[tui]\ntheme = "dark"\n';
  const installed = roundTrip(original);
  assert.match(installed, /features\.web_search = true\nfeatures\.hooks = true # added by nexus-buffer\n/);
});

test('a flag the user set is respected: on (either key) or off, never changed nor removed', () => {
  for (const original of ['[features]\nhooks = true\n', '[features]\ncodex_hooks = true\n', 'features.hooks = true\n', 'features = { hooks = true }\n']) {
    assert.equal(featureState(original).state, 'on', original);
    assert.equal(withHooksFeature(original), original);
    assert.equal(withoutOurLines(original), original);
  }
  for (const original of ['[features]\nhooks = false\n', '[features]\ncodex_hooks = false # off on purpose\n', 'features = { codex_hooks = false }\n']) {
    assert.equal(featureState(original).state, 'off', original);
    assert.equal(withHooksFeature(original), original);
  }
  // `hooks` is the key; `codex_hooks` only its old alias.
  assert.equal(featureState('[features]\ncodex_hooks = true\nhooks = false\n').state, 'off');
});

test('features as an inline table without the flag is refused (TOML cannot add a key to it from outside)', () => {
  assert.throws(() => withHooksFeature('features = { web_search = true }\n'), TomlScanError);
});

test('a notify the user set is never replaced; ours is updated in place', () => {
  const theirs = 'notify = ["notify-send", "Codex"]\nmodel = "o3"\n';
  assert.deepEqual(notifyState(theirs), { state: 'theirs', value: '["notify-send", "Codex"]' });
  assert.equal(withNotify(theirs, ARGV), theirs);
  // A multi-line notify of theirs, too.
  const multi = 'notify = [\n  "python3",\n  "/home/me/notify.py", # mine\n]\n';
  assert.equal(notifyState(multi).state, 'theirs');
  assert.equal(withNotify(multi, ARGV), multi);
  assert.equal(withoutOurLines(multi), multi);

  const ours = withNotify('model = "o3"\n', ARGV);
  assert.equal(notifyState(ours).state, 'ours');
  const moved = withNotify(ours, ARGV.map((word) => word.replace('/opt/ext', '/opt/ext 2')));
  assert.match(moved, /"\/opt\/ext 2\/dist\/cli\.js"/);
  assert.equal(moved.split('\n').filter((line) => line.startsWith('notify')).length, 1);
  assert.equal(withoutOurLines(moved), 'model = "o3"\n');
});

test('a key or header that only looks like ours inside a string is not touched', () => {
  const original = `motd = """\n[features] ${TOML_MARKER}\nhooks = true ${TOML_MARKER}\n"""\n`;
  assert.equal(featureState(original).state, 'unset');
  assert.equal(withoutOurLines(original), original);
  const installed = roundTrip(original);
  assert.ok(installed.startsWith(original.replace('\n', '\n')));
});

test('uninstall keeps a table of ours that the user has since put keys in', () => {
  const installed = withHooksFeature('model = "o3"\n');
  const edited = `${installed}web_search = true\n`;
  const removed = withoutOurLines(edited);
  assert.equal(removed, `model = "o3"\n[features] ${TOML_MARKER}\nweb_search = true\n`);
  assert.equal(featureState(removed).state, 'unset');
});

test('removing only the feature line (project scope) keeps our notify', () => {
  const installed = withNotify(withHooksFeature('model = "o3"\n'), ARGV);
  const featureOnly = withoutOurLines(installed, isFeatureLine);
  assert.equal(notifyState(featureOnly).state, 'ours');
  assert.equal(featureState(featureOnly).state, 'unset');
  assert.ok(!featureOnly.includes('[features]'));
});

test('text that is not TOML is refused with its line', () => {
  for (const broken of ['model = "o3\n', '[features\nhooks = true\n', 'just words\n', 'a = [1, 2\n', 'a = 1 b = 2\n']) {
    assert.throws(() => featureState(broken), (error: Error) => error instanceof TomlScanError && /line \d+/.test(error.message), broken);
  }
});

test('the scanner reads TOML value kinds that may surround our lines', () => {
  const text = [
    "lit = 'C:\\path'",
    'ml = """',
    'a "quoted" line \\"""',
    '"""',
    "mll = '''",
    'raw # not a comment',
    "'''",
    'date = 1979-05-27 07:32:00Z',
    'num = +1_000',
    'arr = [[1, 2], ["a", "b"]]',
    '"quoted key".x = 1',
    '[[profiles.list]]',
    'name = "a"',
    "['odd table']",
    'k = { a = { b = [1] } }',
  ].join('\n');
  const statements = scanToml(text);
  assert.deepEqual(statements.map((s) => s.key.join('.') || `[${s.table.join('.')}]`), [
    'lit', 'ml', 'mll', 'date', 'num', 'arr', 'quoted key.x', '[profiles.list]', 'name', '[odd table]', 'k',
  ]);
  assert.equal(statements.find((s) => s.key[0] === 'date')?.value, '1979-05-27 07:32:00Z');
});
