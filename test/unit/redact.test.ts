import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets, REDACTED } from '../../src/capture/redact';

const cases: Array<[string, string, string]> = [
  // [what, input, expected]
  ['bearer header', `curl -H "Authorization: Bearer abc.def-123" https://x.test`, `curl -H "Authorization: Bearer ***" https://x.test`],
  ['basic header', `Authorization: Basic dXNlcjpwYXNz`, `Authorization: Basic ***`],
  ['api key header', `curl -H 'X-Api-Key: 0123456789' u`, `curl -H 'X-Api-Key: ***' u`],
  ['password flag =', `psql --password=hunter2 db`, `psql --password=*** db`],
  ['password flag space', `tool --password hunter2 --verbose`, `tool --password *** --verbose`],
  ['token flag', `gh auth login --with-token --token abc123`, `gh auth login --with-token --token ***`],
  ['client secret flag', `az login --client-secret "s e c r e t"`, `az login --client-secret ***`],
  ['mysql -p', `mysql -u root -phunter2 mydb`, `mysql -u root -p*** mydb`],
  ['env token', `GITHUB_TOKEN=abc123 npm publish`, `GITHUB_TOKEN=*** npm publish`],
  ['export api key', `export OPENAI_API_KEY='xyz'`, `export OPENAI_API_KEY=***`],
  ['env secret and password', `SECRET=1 DB_PASSWORD=pw node x.js`, `SECRET=*** DB_PASSWORD=*** node x.js`],
  ['url credentials', `git clone https://user:p4ss@github.com/o/r.git`, `git clone https://user:***@github.com/o/r.git`],
  ['curl -u', `curl -u admin:letmein https://x.test`, `curl -u admin:*** https://x.test`],
  ['query token', `curl "https://x.test/a?access_token=abc&x=1"`, `curl "https://x.test/a?access_token=***&x=1"`],
  ['json key', `{"password": "pw", "user": "me"}`, `{"password": "***", "user": "me"}`],
  ['ghp', `echo ghp_${'a'.repeat(36)} done`, `echo *** done`],
  ['github pat', `github_pat_${'A1_'.repeat(10)}`, `***`],
  ['openai sk', `key is sk-proj-${'x'.repeat(30)}`, `key is ***`],
  ['slack', `xoxb-1234567890-abcdefghij`, `***`],
  ['aws', `AKIAIOSFODNN7EXAMPLE used`, `*** used`],
  ['private key', `-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----`, `-----BEGIN RSA PRIVATE KEY----- *** -----END RSA PRIVATE KEY-----`],
];

for (const [what, input, expected] of cases) {
  test(`redacts: ${what}`, () => {
    assert.equal(redactSecrets(input), expected);
  });
}

test('leaves ordinary commands alone', () => {
  for (const command of [
    'npm test',
    'git commit -m "fix" --author "Ann <a@x.test>"',
    'GIT_AUTHOR_NAME=Ann git commit',
    'mkdir -p src/capture',
    'docker login --password-stdin < pw.txt',
    'gh auth token-file --token-file ~/.tok',
    'cd /home/me && PWD=/tmp ls',
    'mysql -u root -p mydb',
    'curl https://example.test/path',
    'echo "risk-management is fine"',
  ]) {
    assert.equal(redactSecrets(command), command, command);
  }
});

test('is idempotent and never leaves the secret', () => {
  const input = 'API_KEY=s3cr3t curl -H "Authorization: Bearer t0k3n" https://u:pw@h.test';
  const once = redactSecrets(input);
  assert.equal(redactSecrets(once), once);
  for (const secret of ['s3cr3t', 't0k3n', ':pw@']) assert.ok(!once.includes(secret), `${secret} left in ${once}`);
  assert.ok(once.includes(REDACTED));
});
