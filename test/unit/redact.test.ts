import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets, redactWithEveryRule, REDACTED } from '../../src/capture/redact';

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
  ['env pat', `PAT=abc123 gh api user`, `PAT=*** gh api user`],
  ['env credentials', `GOOGLE_CREDENTIALS=abc x`, `GOOGLE_CREDENTIALS=*** x`],
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
  ['sshpass', `sshpass -p hunter2 ssh host`, `sshpass -p *** ssh host`],
  ['cookie header', `curl -H "Cookie: sid=abc; x=1" u`, `curl -H "Cookie: ***" u`],
  ['mariadb -p', `mariadb -u me -ps3cret db`, `mariadb -u me -p*** db`],
  ['google api key', `key AIza${'B'.repeat(35)} end`, `key *** end`],
  ['npm token', `npm_${'a'.repeat(36)}`, `***`],
  ['gitlab pat', `glpat-${'x'.repeat(20)}`, `***`],
  ['jwt', `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`, `***`],
  ['aws temporary key', `ASIA${'A'.repeat(16)}`, `***`],
  ['gho', `gho_${'b'.repeat(30)}`, `***`],
  ['proxy authorization', `Proxy-Authorization: Basic abc`, `Proxy-Authorization: Basic ***`],
  ['ssh url credentials', `git clone ssh://me:pw@host/r`, `git clone ssh://me:***@host/r`],
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

// Each regex runs only on text that holds a word it cannot match without (redact.ts): those
// words must never leave out a secret that running every regex would have found.
test('the words that let a regex run leave nothing out that every regex finds', () => {
  const parts = [
    'Authorization', 'AUTHORIZATION: ', 'proxy-authorization=', 'Bearer ', 'basic ', 'X-Api-Key: ', 'x-auth-token:', 'Access-Token: ',
    'session-token: ', 'Set-Cookie: ', 'cookie:', 'https://', 'ssh://', 'user:', 'p4ss@', '@host', ' -u ', ' --user=', 'admin:', 'mysql ',
    'mariadb-dump ', ' -p', 'hunter2', 'sshpass -p ', '--password', '--PASSWD ', '--Pass-Phrase=', '--api-key ', '--APIKEY=', 'access_key',
    'Private-Key', 'SECRET_KEY=', 'client.secret', 'credentials', 'CREDENTIAL', '--auth ', 'GITHUB_TOKEN=', 'pat=', 'PAT: ', 'token: ',
    '"password": ', "'x'", '"y"', '=', ':', ' ', '\n', '\t', '"', "'", ';', '&', '|', '?', 'ghp_', 'gho_', 'GHP_', 'github_pat_', 'glpat-',
    'sk-', 'sk-proj-', 'xoxb-', 'xoxp-', 'AKIA', 'ASIA', 'akia', 'AIza', 'npm_', 'eyJ', '.eyJ', '-----BEGIN ', 'RSA ', 'PRIVATE KEY-----',
    '-----END ', 'abcdefghijklmnopqrstuvwxyz0123456789', 'ABCDEFGHIJ', '_-', 'K', '\u212a', '\u017f', 'İ', 'é', 'x', 'file', '-file',
  ];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const texts = cases.map(([, input]) => input);
  const pick = <T>(list: readonly T[]) => list[next() % list.length];
  const recase = (part: string) => (next() % 4 === 0 ? part.toUpperCase() : next() % 4 === 0 ? part.toLowerCase() : part);
  // A name, what follows it, and a value: the shape of most secrets, and of text that only looks like one.
  const values = ['hunter2', '"s e c"', "'q'", 'abcdefghijklmnopqrstuvwxyz0123456789', '-x', ''];
  for (let i = 0; i < 20_000; i++) {
    let text = '';
    // Short texts too: in a long one, another rule's word lets every regex run anyway.
    const count = 1 + (next() % (i % 2 === 0 ? 2 : 6));
    for (let j = 0; j < count; j++) {
      text += next() % 2 === 0 ? recase(pick(parts)) : `${recase(pick(parts))}${pick(['=', ' ', ': ', ':', '"', ''])}${pick(values)}`;
      text += pick([' ', '', '\n', '&', ';']);
    }
    texts.push(text);
  }
  let redacted = 0;
  for (const text of texts) {
    const every = redactWithEveryRule(text);
    assert.equal(redactSecrets(text), every, JSON.stringify(text));
    if (every !== text) redacted++;
  }
  // The corpus reaches the rules: most of it holds something to redact.
  assert.ok(redacted > texts.length / 10, `${redacted} of ${texts.length} texts redacted`);
});
