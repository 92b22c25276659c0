#!/usr/bin/env node
// `npm run check:package`: makes nexus-buffer.vsix (`npm run package`, which applies vsce's own
// checks) and checks, offline, that Open VSX would take it:
//  1. ovsx, Open VSX's own client (pinned below, installed once into the tools cache and run
//     under the tools' Node 24, as it needs Node 22+), publishes the .vsix exactly as the README
//     says (`ovsx publish nexus-buffer.vsix -p <token>`), only to a stand-in registry on 127.0.0.1;
//  2. the stand-in applies to the upload the checks the Open VSX server makes (its
//     ExtensionValidator: names, version, metadata fields, URLs; a licence, which open-vsx.org
//     requires) and that the package declares the engine package.json promises.
// Prints one line per check and `N passed, N failed`; exits 1 on a failure.
//
//   node test/harness/check-package.mjs [--no-build]   (--no-build: check the existing .vsix)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ensureTools, projectRoot } from './tools.mjs';

const OVSX_VERSION = '1.4.0';
const VSIX = path.join(projectRoot, 'nexus-buffer.vsix');
const CACHE = process.env.NEXUS_TEST_TOOLS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'nexus-buffer');

const results = [];
function check(name, problems) {
  const list = [problems].flat().filter(Boolean);
  results.push({ name, ok: list.length === 0 });
  console.log(list.length === 0 ? `  ✓ ${name}` : `  ✗ ${name}\n      ${list.join('\n      ')}`);
}

if (!process.argv.includes('--no-build')) {
  execFileSync('npm', ['run', 'package'], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
}
check('npm run package made nexus-buffer.vsix (vsce accepted the manifest)', fs.existsSync(VSIX) ? [] : [`${VSIX} is missing`]);

// ovsx, once per machine (installed and run with the Node 24 of the current VS Code's tools).
const { node, nodeBin } = ensureTools({ quiet: true });
const ovsxDir = path.join(CACHE, `ovsx-${OVSX_VERSION}`);
const ovsxMain = path.join(ovsxDir, 'node_modules', 'ovsx', 'lib', 'main.js');
if (!fs.existsSync(ovsxMain)) {
  fs.mkdirSync(ovsxDir, { recursive: true });
  fs.writeFileSync(path.join(ovsxDir, 'package.json'), '{"name":"nexus-buffer-ovsx","private":true}');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', `ovsx@${OVSX_VERSION}`],
    { cwd: ovsxDir, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PATH: `${nodeBin}:${process.env.PATH}` } });
}
const ovsxRequire = createRequire(path.join(ovsxDir, 'node_modules', 'ovsx', 'lib', 'publish.js'));
const { readZip } = ovsxRequire('./zip.js');

// The stand-in registry: GET /api/version is unknown (ovsx then treats it as an older registry:
// token in the query, no size lookup), POST /api/-/publish checks the upload.
const uploads = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const reply = (status, body) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (req.method !== 'POST' || url.pathname !== '/api/-/publish') return reply(404, { error: 'not found' });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-ovsx-')), 'upload.vsix');
    fs.writeFileSync(file, Buffer.concat(chunks));
    const upload = { token: url.searchParams.get('token') ?? req.headers['x-ovsx-pat'] ?? req.headers.authorization, file };
    uploads.push(upload);
    try {
      upload.issues = await registryIssues(file);
      if (upload.issues.length) return reply(400, { error: upload.issues.join('\n') });
      const { manifest } = upload;
      return reply(201, { namespace: manifest.publisher, name: manifest.name, version: manifest.version, targetPlatform: 'universal' });
    } catch (e) {
      upload.issues = [`the upload could not be read: ${e.message}`];
      return reply(400, { error: upload.issues[0] });
    }

    async function registryIssues(vsix) {
      const files = await readZip(vsix, () => true);
      const text = (name) => files.get(name)?.toString('utf8');
      const issues = [];
      const raw = text('extension/package.json');
      const xml = text('extension.vsixmanifest');
      if (!raw || !xml) return ['extension/package.json or extension.vsixmanifest missing'];
      const manifest = JSON.parse(raw);
      upload.manifest = manifest;
      issues.push(...openVsxValidatorIssues(manifest));
      // open-vsx.org refuses a package without a licence (a licence field or a LICENSE file).
      if (!manifest.license && ![...files.keys()].some((f) => /^extension\/licen[cs]e(\.(md|txt))?$/.test(f))) {
        issues.push('no licence: open-vsx.org requires a "license" field or a LICENSE file');
      }
      const engine = xml.match(/Id="Microsoft\.VisualStudio\.Code\.Engine" Value="([^"]*)"/)?.[1];
      const identity = xml.match(/<Identity [^>]*>/)?.[0] ?? '';
      const attr = (name) => identity.match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];
      if (attr('Publisher') !== manifest.publisher || attr('Id') !== manifest.name || attr('Version') !== manifest.version) {
        issues.push(`vsixmanifest identity ${attr('Publisher')}.${attr('Id')}@${attr('Version')} differs from package.json`);
      }
      const promised = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).engines?.vscode;
      if (!manifest.engines?.vscode || manifest.engines.vscode !== promised || engine !== promised) {
        issues.push(`engines.vscode in the package (${manifest.engines?.vscode}, manifest ${engine}) is not package.json's ${promised}`);
      }
      if (manifest.icon && !files.has(`extension/${manifest.icon}`.toLowerCase())) issues.push(`icon ${manifest.icon} is not in the package`);
      // Each bundle loads others (core.js, hook.js; the extension starts compactionWorker.js): one left out would break it.
      for (const bundle of fs.readdirSync(path.join(projectRoot, 'dist')).filter((f) => f.endsWith('.js'))) {
        if (!files.has(`extension/dist/${bundle}`.toLowerCase())) issues.push(`dist/${bundle} is not in the package (.vscodeignore)`);
      }
      return issues;
    }
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const registry = `http://127.0.0.1:${server.address().port}`;

// `ovsx publish nexus-buffer.vsix -p <token>`, as in the README, against the stand-in.
const token = 'offline-check-token';
const run = await new Promise((resolve) => {
  const env = { ...process.env, CI: 'true' };
  delete env.OVSX_PAT;
  const child = spawn(node, [path.join(ovsxDir, 'node_modules', 'ovsx', 'bin', 'ovsx'), 'publish', VSIX, '-r', registry, '-p', token],
    { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  child.on('exit', (code) => resolve({ code, output: output.trim() }));
});
server.close();
const upload = uploads[0];
check(`ovsx ${OVSX_VERSION} publish nexus-buffer.vsix uploads the package with the token`,
  !upload ? [`nothing reached the registry; ovsx said: ${run.output}`] : upload.token === token ? [] : [`the upload carried token ${upload.token}`]);
check('the upload passes the Open VSX server\'s checks (names, version, metadata, URLs, licence, engine) and holds every bundle', upload?.issues ?? ['no upload']);
check('ovsx reports it published, and exits 0',
  run.code === 0 && /Published nexus-memory\.nexus-buffer v/.test(run.output) ? [] : [`exit ${run.code}: ${run.output}`]);
if (upload) fs.rmSync(path.dirname(upload.file), { recursive: true, force: true });

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

/** The Open VSX server's ExtensionValidator (validateExtensionName, validateMetadata), ported. */
function openVsxValidatorIssues(m) {
  const issues = [];
  const name = /^[\w\-+$~]+$/;
  for (const [field, value] of [['publisher (namespace)', m.publisher], ['name', m.name]]) {
    if (!value) issues.push(`${field} must not be empty`);
    else if (!name.test(value) || value.length > 255) issues.push(`invalid ${field}: ${value}`);
  }
  if (!m.version) issues.push('version must not be empty');
  else if (['latest', 'pre-release', 'reviews'].includes(m.version)) issues.push(`version ${m.version} is reserved`);
  else if (!/^[\p{L}\p{N}$+\-,.:;_]+$/u.test(m.version)) issues.push(`invalid character in version ${m.version}`);
  // Control, format, unassigned, private-use characters and line/paragraph separators.
  const badChar = /[\p{Cc}\p{Cf}\p{Cn}\p{Co}\u2028\u2029]/u;
  const fields = [['displayName', m.displayName, 255], ['description', m.description, 2048], ['license', m.license, 255],
    ...(m.categories ?? []).map((c) => ['categories', c, 255]), ...(m.keywords ?? []).map((k) => ['keywords', k, 255])];
  for (const [field, value, limit] of fields) {
    if (typeof value !== 'string') continue;
    if (badChar.test(value)) issues.push(`invalid character in ${field}: ${JSON.stringify(value)}`);
    if (value.length > limit) issues.push(`${field} exceeds ${limit} characters`);
  }
  const urlOf = (v) => (typeof v === 'object' && v ? v.url : v);
  for (const field of ['homepage', 'repository', 'bugs']) {
    const value = urlOf(m[field]);
    if (!value) continue;
    let ok = false;
    try { ok = !!new URL(value.replace(/^git\+/, '')).host; } catch { /* not a URL */ }
    if (!ok) issues.push(`invalid URL in ${field}: ${value}`);
    if (value.length > 255) issues.push(`${field} exceeds 255 characters`);
  }
  if (m.markdown && !['github', 'standard'].includes(m.markdown)) issues.push(`invalid markdown: ${m.markdown}`);
  if (m.galleryBanner?.theme && !['dark', 'light'].includes(m.galleryBanner.theme)) issues.push(`invalid galleryBanner.theme: ${m.galleryBanner.theme}`);
  if (m.galleryBanner?.color && m.galleryBanner.color.length > 16) issues.push('galleryBanner.color exceeds 16 characters');
  return issues;
}
