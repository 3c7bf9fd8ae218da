// The jsii side of the build, in a throw-away copy of the project so that the work tree keeps sources only (jsii
// compiles lib/ in place, and tsx would pick a compiled lib/index.js over lib/index.ts).
//
//   node scripts/jsii.mjs check   what `npm test` runs: compiles with jsii (--fail-on-warnings), compiles and
//                                 translates every TypeScript example (jsii-rosetta extract --strict), generates
//                                 every target with jsii-pacmak into dist/, checks what was generated, and fails if
//                                 API.md is stale.
//   node scripts/jsii.mjs docs    regenerates API.md (jsii-docgen) from the assembly.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const BIN = join(ROOT, 'node_modules', '.bin');
const mode = process.argv[2];
if (mode !== 'check' && mode !== 'docs') {
  console.error('usage: node scripts/jsii.mjs check|docs');
  process.exit(2);
}

/** The public API every target must expose: the two constructs, the two enums, the two props types. */
const PUBLIC_TYPES = [
  'PartnerConnectionPreferences',
  'PartnerConnectionPreferencesProps',
  'AccessType',
  'ConnectionAliasSharing',
  'ConnectionAliasSharingProps',
  'ConnectionAliasAssociation',
  'ConnectionAliasAssociationProps',
  'OnDelete',
];

// The jsii tools print a screen-wide banner on every call on Node 20 (end of life for jsii 6, which supports 22 and
// 24); silenced here to keep npm test's output readable. `npm run build` still shows it.
const env = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0], FORCE_COLOR: '0' };
const failures = [];
const started = Date.now();

function step(name, fn) {
  const t0 = Date.now();
  const result = fn();
  console.log(`jsii:${mode}: ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return result;
}

function run(cmd, args, cwd, extraEnv = {}) {
  try {
    return execFileSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`${[cmd, ...args].join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: e });
  }
}

function check(ok, message) {
  if (!ok) failures.push(message);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}

// 1. A copy of the files git knows about (tracked, or new and not ignored), as test/e2e/package.test.ts does.
const work = mkdtempSync(join(tmpdir(), 'ccs-jsii-'));
const pkg = join(work, 'pkg');
try {
  step('copy the project', () => {
    const files = run('git', ['ls-files', '--cached', '--others', '--exclude-standard'], ROOT).split('\n').filter(Boolean);
    for (const rel of files) {
      if (!existsSync(join(ROOT, rel))) continue;
      mkdirSync(dirname(join(pkg, rel)), { recursive: true });
      copyFileSync(join(ROOT, rel), join(pkg, rel));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  });

  // 2. The build `npm pack` runs (prepack): the handler bundles, then jsii.
  step('npm run build (bundle + jsii --fail-on-warnings)', () => run('npm', ['run', '--silent', 'build'], pkg));

  if (mode === 'docs') {
    step('jsii-docgen -> API.md', () => run(join(BIN, 'jsii-docgen'), ['-o', 'API.md'], pkg));
    copyFileSync(join(pkg, 'API.md'), join(ROOT, 'API.md'));
  } else {
    checkAll();
  }
} catch (e) {
  failures.push(e.message);
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`jsii:${mode}: ${failures.length} check(s) failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`jsii:${mode}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);

function checkAll() {
  const assembly = JSON.parse(readFileSync(join(pkg, '.jsii'), 'utf8'));
  const types = Object.values(assembly.types).map((t) => t.name);
  check(PUBLIC_TYPES.every((t) => types.includes(t)), `the assembly lacks ${PUBLIC_TYPES.filter((t) => !types.includes(t)).join(', ')} (types: ${types.join(', ')})`);

  // 3. Every ```ts block of the README and every @example, compiled against the library and translated. Compiled
  // in a directory where `cdk-connection-sharing` resolves to the copy, beside its peer dependencies.
  const closure = join(work, 'closure');
  mkdirSync(join(closure, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(closure, 'node_modules', assembly.name));
  for (const dep of Object.keys(assembly.dependencies ?? {})) symlinkSync(join(ROOT, 'node_modules', dep), join(closure, 'node_modules', dep));
  const rosetta = step('jsii-rosetta extract --strict', () => run(join(BIN, 'jsii-rosetta'), ['extract', '--strict', '--directory', closure, join(pkg, '.jsii')], pkg));
  const tablet = JSON.parse(readFileSync(join(pkg, '.jsii.tabl.json'), 'utf8'));
  const snippets = Object.values(tablet.snippets);
  const languages = ['python', 'java', 'csharp', 'go'];
  const untranslated = snippets.filter((s) => !languages.every((l) => s.translations[l]?.source));
  console.log(`jsii:${mode}: rosetta compiled ${snippets.length} snippet(s), each translated to ${languages.join(', ')}${rosetta.trim() ? `\n${rosetta.trim()}` : ''}`);
  check(untranslated.length === 0, `${untranslated.length} snippet(s) lack a translation`);

  // 4. Every target, generated (--code-only), so that `npm test` needs only Node: `npm run test:bindings`
  // (scripts/bindings.mjs) builds and tests Python, Java and Go for real; .NET is only ever generated (no .NET SDK or
  // NuGet on the project's machines). The pack skips prepack (ignore-scripts) because step 2 just ran the same build.
  rmSync(DIST, { recursive: true, force: true });
  step('jsii-pacmak --code-only (js, python, java, dotnet, go)', () =>
    run(join(BIN, 'jsii-pacmak'), ['--code-only', '--no-npmignore', '--rosetta-unknown-snippets', 'fail', '--outdir', DIST], pkg, { npm_config_ignore_scripts: 'true' }),
  );
  checkTargets(assembly);

  // 5. The API reference must be the one this assembly gives.
  step('jsii-docgen (compare with API.md)', () => run(join(BIN, 'jsii-docgen'), ['-o', 'API.md'], pkg));
  const fresh = readFileSync(join(pkg, 'API.md'), 'utf8');
  const committed = existsSync(join(ROOT, 'API.md')) ? readFileSync(join(ROOT, 'API.md'), 'utf8') : '';
  check(fresh === committed, 'API.md is stale: run `npm run docs` and commit API.md');
}

function checkTargets(assembly) {
  const files = walk(DIST).map((f) => relative(DIST, f));
  const read = (rel) => readFileSync(join(DIST, rel), 'utf8');
  const one = (re, what) => {
    const found = files.filter((f) => re.test(f));
    check(found.length === 1, `${what}: expected one file matching ${re}, found ${found.length}`);
    return found[0];
  };

  // js: the npm tarball, which must carry the assembly, the compiled library with its type guards, and the bundles.
  const tarball = one(/^js\/.*\.jsii\.tgz$/, 'js');
  if (tarball) {
    const entries = run('tar', ['-tzf', join(DIST, tarball)], ROOT).split('\n');
    for (const f of ['package/.jsii', 'package/LICENSE', 'package/lib/index.js', 'package/lib/index.d.ts', 'package/assets/partner-central/index.js', 'package/assets/workspaces/index.js', 'package/assets/workspaces-association/index.js']) {
      check(entries.includes(f), `js: the tarball lacks ${f}`);
    }
    check(!entries.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'js: the tarball holds TypeScript sources');
    for (const [file, guard] of [
      ['partner-central/partner-connection-preferences.d.ts', 'isPartnerConnectionPreferences(x: unknown): x is PartnerConnectionPreferences'],
      ['workspaces/connection-alias-sharing.d.ts', 'isConnectionAliasSharing(x: unknown): x is ConnectionAliasSharing'],
      ['workspaces-association/connection-alias-association.d.ts', 'isConnectionAliasAssociation(x: unknown): x is ConnectionAliasAssociation'],
    ]) {
      const dts = run('tar', ['-xzOf', join(DIST, tarball), `package/lib/${file}`], ROOT);
      check(dts.includes(guard), `js: lib/${file} lost the type guard \`${guard}\``);
    }
  }

  // python: the module's __init__.py defines and exports every public type, and embeds the npm tarball.
  const py = `python/src/${assembly.targets.python.module}/__init__.py`;
  check(files.includes(py), `python: ${py} missing`);
  if (files.includes(py)) {
    // Past the module docstring (the README, translated), so that a class in an example cannot pass for the API.
    const text = read(py);
    const src = text.startsWith("r'''") ? text.slice(text.indexOf("'''", 4) + 3) : text;
    const all = /__all__ = \[([^\]]*)\]/.exec(src)?.[1] ?? '';
    for (const t of PUBLIC_TYPES) {
      check(new RegExp(`^class ${t}\\b`, 'm').test(src), `python: ${py} has no class ${t}`);
      check(all.includes(`"${t}"`), `python: ${py} does not list ${t} in __all__`);
    }
    check(/def is_partner_connection_preferences\(/.test(src) && /def is_connection_alias_sharing\(/.test(src) && /def is_connection_alias_association\(/.test(src), `python: ${py} lacks the is_* static methods`);
  }
  one(/^python\/src\/[^/]+\/_jsii\/.*\.jsii\.tgz$/, 'python (embedded npm tarball)');

  // java, dotnet, go: one source file per public type.
  const javaDir = `java/src/main/java/${assembly.targets.java.package.replace(/\./g, '/')}/`;
  const dotnetDir = `dotnet/${assembly.targets.dotnet.namespace}/${assembly.targets.dotnet.namespace.replace(/\./g, '/')}/`;
  for (const t of PUBLIC_TYPES) {
    check(files.includes(`${javaDir}${t}.java`), `java: ${javaDir}${t}.java missing`);
    check(files.includes(`${dotnetDir}${t}.cs`), `dotnet: ${dotnetDir}${t}.cs missing`);
  }
  const goFiles = files.filter((f) => /^go\/[^/]+\/[^/]+\.go$/.test(f));
  const goSource = goFiles.map(read).join('\n');
  for (const t of PUBLIC_TYPES) check(new RegExp(`^type ${t} `, 'm').test(goSource), `go: no \`type ${t}\` in the ${goFiles.length} .go files of dist/go`);

  const count = (prefix) => files.filter((f) => f.startsWith(prefix)).length;
  console.log(`jsii:${mode}: generated ${['js', 'python', 'java', 'dotnet', 'go'].map((l) => `${l} ${count(`${l}/`)} files`).join(', ')} in dist/`);
}
