// Redaction of obvious secrets in command lines and free text before they reach a buffer
// (a buffer is a plain file on disk, and it may be handed to another tool or pasted into an
// agent). The goal is the common shapes, not a guarantee: a secret in an unusual form can slip
// through, so nothing here is a reason to buffer more than needed.
//
// Every secret value becomes `***`; the name around it (header, flag, variable) is kept so a
// reader still sees what the command did.
export const REDACTED = '***';

/** A value after `=` / a space: a quoted string or a run of non-space characters. */
const VALUE = String.raw`(?:"[^"\n]*"|'[^'\n]*'|[^\s"'` + '`' + String.raw`;|&]+)`;

/**
 * Words that make a variable, a flag, a JSON key or a query parameter secret. They must be a
 * whole segment of the name (between `_`, `-`, `.` or the ends), so `GIT_AUTHOR_NAME` and
 * `--author` stay as they are while `DB_PASSWORD`, `--auth-token` and `access_token` do not.
 */
const SECRET_WORD = String.raw`(?:password|passwd|passphrase|pass|secret|token|pat|api[_-]?key|apikey|access[_-]?key|private[_-]?key|secret[_-]?key|client[_-]?secret|credentials?|auth)`;
const SEGMENTED_NAME = String.raw`(?:[A-Za-z0-9]+[_.-])*?${SECRET_WORD}(?:[_.-][A-Za-z0-9]+)*`;
/** Flags naming where a secret is, or how to read it, not the secret itself. */
const NOT_A_SECRET_FLAG = /[-_](?:file|path|stdin|env|name|id|type|url|method|mode|command|cmd|dir)$/i;

interface Rule {
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
  /**
   * Text the pattern cannot match without: one of these, in the text as it is (`exact`) or in
   * its lower case (`caseless`, for the /i patterns). A hook redacts once or twice and exits,
   * so a regex it runs is one V8 compiles for it, twice over (the interpreter's bytecode, then
   * machine code on the second run): about 3 ms a call for all of them. Most text holds none of
   * these words, and its patterns are never compiled.
   */
  exact?: readonly string[];
  caseless?: readonly string[];
}

/** Words of SECRET_WORD that every one of its alternatives holds. */
const SECRET_WORD_PARTS = ['pass', 'secret', 'token', 'pat', 'key', 'credential', 'auth'];

const RULES: Rule[] = [
  // PEM private keys (multi-line).
  {
    pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    exact: ['-----BEGIN '],
    replace: (_m, kind: string) => `-----BEGIN ${kind}PRIVATE KEY----- ${REDACTED} -----END ${kind}PRIVATE KEY-----`,
  },
  // Authorization: Bearer xyz / Basic xyz / token xyz (headers, curl -H, YAML, JSON).
  {
    pattern: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest|negotiate|apikey)\s+)?([^\s"',;]+)/gi,
    caseless: ['authorization'],
    replace: (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  },
  // Other secret-looking headers: X-Api-Key: xyz, X-Auth-Token: xyz, Cookie: ...
  {
    pattern: /\b((?:x-)?[\w-]*(?:api-?key|auth-?token|access-?token|secret|session-?token)["']?\s*:\s*["']?)([^\s"',;]+)/gi,
    caseless: ['key', 'token', 'secret'],
    replace: (_m, head: string) => `${head}${REDACTED}`,
  },
  {
    pattern: /\b((?:set-)?cookie\s*:\s*)([^\n"']+)/gi,
    caseless: ['cookie'],
    replace: (_m, head: string) => `${head}${REDACTED}`,
  },
  // URLs with credentials: scheme://user:pass@host -> scheme://user:***@host
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)([^\s@/]+)@/gi,
    exact: ['://'],
    replace: (_m, head: string) => `${head}${REDACTED}@`,
  },
  // curl -u user:pass / --user user:pass
  {
    pattern: /((?:^|\s)(?:-u|--user)(?:\s+|=)["']?[^\s:"']+:)([^\s"']+)/g,
    exact: ['-u'],
    replace: (_m, head: string) => `${head}${REDACTED}`,
  },
  // mysql -pSECRET (no space: -p alone prompts), also mysqldump / mysqladmin / mariadb.
  {
    pattern: /(\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^|;&\n]*?\s-p)(?!\s|$)(\S+)/g,
    exact: ['mysql', 'mariadb'],
    replace: (_m, head: string) => `${head}${REDACTED}`,
  },
  // sshpass -p SECRET
  {
    pattern: /(\bsshpass\s+-p\s*)(\S+)/g,
    exact: ['sshpass'],
    replace: (_m, head: string) => `${head}${REDACTED}`,
  },
  // --password=x, --password x, --token x, --api-key=x, --client-secret x ...
  {
    pattern: new RegExp(String.raw`((?:^|\s)--?${SEGMENTED_NAME})(=|\s+)((?!-)${VALUE})`, 'gi'),
    caseless: SECRET_WORD_PARTS,
    replace: (m: string, flag: string, sep: string) => (NOT_A_SECRET_FLAG.test(flag) ? m : `${flag}${sep}${REDACTED}`),
  },
  // FOO_TOKEN=x, API_KEY=x, PASSWORD=x, export SECRET=x, ?access_token=x&... (name ends the word).
  {
    pattern: new RegExp(String.raw`(?<![\w.-])(${SEGMENTED_NAME})(=)(${VALUE})`, 'gi'),
    caseless: SECRET_WORD_PARTS,
    replace: (m: string, name: string, sep: string) => (NOT_A_SECRET_FLAG.test(name) ? m : `${name}${sep}${REDACTED}`),
  },
  // JSON / YAML style: "password": "x", token: x
  {
    pattern: new RegExp(String.raw`((?<![\w.-])["']?${SEGMENTED_NAME}["']?\s*:\s*)("[^"\n]*"|'[^'\n]*')`, 'gi'),
    caseless: SECRET_WORD_PARTS,
    replace: (_m, head: string, value: string) => `${head}${value[0]}${REDACTED}${value[0]}`,
  },
  // Well-known token shapes, wherever they appear.
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, exact: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], replace: () => REDACTED },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{20,}/g, exact: ['github_pat_'], replace: () => REDACTED },
  { pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g, exact: ['glpat-'], replace: () => REDACTED },
  { pattern: /\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{20,}/g, exact: ['sk-'], replace: () => REDACTED },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, exact: ['xox'], replace: () => REDACTED },
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, exact: ['AKIA', 'ASIA'], replace: () => REDACTED },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, exact: ['AIza'], replace: () => REDACTED },
  { pattern: /\bnpm_[A-Za-z0-9]{36}\b/g, exact: ['npm_'], replace: () => REDACTED },
  // JSON Web Tokens: three base64url parts, the first two starting with `eyJ` ({"...).
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, exact: ['eyJ'], replace: () => REDACTED },
];

const SECRET_NAME = new RegExp(String.raw`^${SEGMENTED_NAME}$`, 'i');

/** True for a key or variable name that holds a secret (`password`, `GITHUB_TOKEN`, `api-key`). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_A_SECRET_FLAG.test(name);
}

const holdsAny = (text: string, words: readonly string[]) => words.some((word) => text.includes(word));

/** Whether the rule's pattern could match `text` (`lower`: its lower case, made when first needed). */
function mayMatch(rule: Rule, text: string, lower: () => string): boolean {
  if (rule.exact && !holdsAny(text, rule.exact)) return false;
  if (rule.caseless && !holdsAny(lower(), rule.caseless)) return false;
  return true;
}

/**
 * Returns `text` with obvious secrets replaced by `***`. Cheap: a fixed list of regexes, each
 * run only on text that holds a word it needs.
 */
export function redactSecrets(text: string): string {
  return redact(text, false);
}

/** redactSecrets with every regex run, whatever the text holds: what the tests check the words against. */
export function redactWithEveryRule(text: string): string {
  return redact(text, true);
}

function redact(text: string, everyRule: boolean): string {
  if (text.length === 0) return text;
  let out = text;
  let lower: string | undefined;
  const lowerCase = () => (lower ??= out.toLowerCase());
  for (const rule of RULES) {
    if (!everyRule && !mayMatch(rule, out, lowerCase)) continue;
    rule.pattern.lastIndex = 0;
    const next = out.replace(rule.pattern, rule.replace as (substring: string, ...args: unknown[]) => string);
    if (next !== out) {
      // Each rule sees the text the rules before it left.
      out = next;
      lower = undefined;
    }
  }
  return out;
}

/** Redacts a command line (same rules; a separate name so call sites say what they hold). */
export function redactCommandLine(command: string): string {
  return redactSecrets(command);
}
