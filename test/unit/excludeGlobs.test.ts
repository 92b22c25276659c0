import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExcludes } from '../../src/capture/excludeGlobs';

const DEFAULTS = ['**/.env*', '**/*.pem', '**/*.key', '**/id_rsa*', '**/id_ed25519*', '**/*credentials*', '**/*secret*', '**/node_modules/**', '**/.git/**'];

test('the default excludes keep secrets, dependencies and .git out', () => {
  const excluded = compileExcludes(DEFAULTS, false);
  for (const p of ['.env', '.env.local', 'app/.env.production', 'certs/server.pem', 'k/tls.key', '.ssh/id_rsa', 'id_ed25519.pub',
    'aws/credentials', 'config/client_secret.json', 'node_modules/x/index.js', 'a/node_modules/b/c.js', '.git/HEAD', 'sub/.git/config', 'node_modules']) {
    assert.ok(excluded(p), `${p} should be excluded`);
  }
  for (const p of ['src/index.ts', 'README.md', 'environment.ts', 'src/keyboard.ts', 'docs/git.md', 'nodes/modules.ts']) {
    assert.ok(!excluded(p), `${p} should be captured`);
  }
});

test('patterns without a slash match any file or folder name; others anchor at the root', () => {
  const excluded = compileExcludes(['*.log', 'build', 'out/**', 'src/gen/*.ts', 'file?.{txt,md}', '[ab]*.tmp'], false);
  assert.ok(excluded('a/b/c.log'));
  assert.ok(excluded('x/build/y.js'), 'a folder name excludes what it holds');
  assert.ok(excluded('out/a/b.js'));
  assert.ok(!excluded('src/out/a.js'), 'out/** is anchored');
  assert.ok(excluded('src/gen/a.ts'));
  assert.ok(!excluded('src/gen/deep/a.ts'));
  assert.ok(excluded('file1.txt') && excluded('fileZ.md') && !excluded('file10.txt'));
  assert.ok(excluded('a1.tmp') && !excluded('c1.tmp'));
});

test('case folding where the file system folds case, backslashes, junk patterns', () => {
  assert.ok(compileExcludes(['**/.ENV*'], true)('.env'));
  assert.ok(!compileExcludes(['**/.ENV*'], false)('.env'));
  assert.ok(compileExcludes(['**/node_modules/**'], false)('a\\node_modules\\b.js'));
  const none = compileExcludes([42, '', null, '   '], false);
  assert.ok(!none('anything'));
});
