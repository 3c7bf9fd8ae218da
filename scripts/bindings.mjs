// `npm run test:bindings`: builds the Python, Java and Go bindings for real and uses each as its users would.
// Needs Python >= 3.10 with pip, a JDK 17+ with Maven, and Go, besides Node; fails (never skips) when one is missing.
//
//   1. preflight   each tool is there, and each pinned version is served by its registry (PyPI, Maven Central, the Go
//                  module proxy, npm), naming the missing artifact;
//   2. build       in a throw-away copy of the project: jsii, rosetta, then jsii-pacmak -t js,python,java,go (the npm
//                  tarball, the wheel and sdist, the jar with sources and javadoc, the Go module with `go build`) into
//                  dist/bindings/. .NET is generated only, by `npm run jsii:check`: there is no .NET SDK or NuGet here;
//   3. reference   the TypeScript app (bin/app.ts and bin/example-stack.ts, importing the built npm tarball) synthesized
//                  with each aws-cdk-lib version a language pins, with cdk.json's context (CDK_CONTEXT_JSON), no CLI;
//   4. python      test/bindings/python: a venv, pip install of the wheel with its pins, mypy --strict, pytest;
//   5. java        test/bindings/java: Maven (javac -Werror), JUnit through Surefire, against the built jar;
//   6. go          test/bindings/go: go vet and go test, with a `replace` to the generated module.
// Each language test synthesizes the example app in that language and compares the template and the asset manifest
// with the reference of the same aws-cdk-lib version byte for byte.
//
// Caches (all under one folder, BINDINGS_CACHE, default .bindings-cache/, so that a CI run downloads each thing once):
// Maven's local repository (pacmak's two Maven runs and the Java test share it), pip's cache and wheels, GOMODCACHE,
// GOCACHE and npm's cache for the references.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist', 'bindings');
const BIN = join(ROOT, 'node_modules', '.bin');
const TESTS = join(ROOT, 'test', 'bindings');
const CACHE = resolve(process.env.BINDINGS_CACHE ?? join(ROOT, '.bindings-cache'));
const only = (process.env.BINDINGS_ONLY ?? 'python,java,go').split(',').filter(Boolean);

const cache = (name) => {
  const dir = join(CACHE, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const M2 = cache('m2');
const env = {
  ...process.env,
  JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0],
  FORCE_COLOR: '0',
  PIP_CACHE_DIR: cache('pip'),
  PIP_DISABLE_PIP_VERSION_CHECK: '1',
  GOMODCACHE: cache('gomod'),
  GOCACHE: cache('gobuild'),
  GOFLAGS: '-modcacherw',
  npm_config_cache: cache('npm'),
  MAVEN_OPTS: process.env.MAVEN_OPTS ?? '-Xmx2g',
};
const times = [];
const started = Date.now();

function step(name, fn) {
  const t0 = Date.now();
  console.log(`\ntest:bindings: ${name} ...`);
  const result = fn();
  const s = (Date.now() - t0) / 1000;
  times.push([name, s]);
  console.log(`test:bindings: ${name} (${s.toFixed(1)} s)`);
  return result;
}

/** Runs a command; output is captured and shown only on failure unless `show` (the test runners print theirs). */
function run(cmd, args, cwd, { show = false, extraEnv = {} } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', show ? 'inherit' : 'pipe', show ? 'inherit' : 'pipe'], maxBuffer: 256 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`\`${[cmd, ...args].join(' ')}\` failed (exit ${r.status}) in ${cwd}${show ? '' : `:\n${(r.stdout ?? '').slice(-20000)}${(r.stderr ?? '').slice(-20000)}`}`);
  return r.stdout ?? '';
}

function fail(message) {
  console.error(`\ntest:bindings: FAILED: ${message}`);
  process.exit(1);
}

// The pins, read from each test project's own files (the single place each is written).
const pins = {
  python: Object.fromEntries(
    readFileSync(join(TESTS, 'python', 'requirements.txt'), 'utf8')
      .split('\n')
      .map((l) => /^([A-Za-z0-9_.-]+)==(\S+)/.exec(l.trim()))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  ),
  java: (() => {
    const pom = readFileSync(join(TESTS, 'java', 'pom.xml'), 'utf8');
    const prop = (name) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(pom)?.[1];
    return { 'aws-cdk-lib': prop('aws-cdk-lib.version'), constructs: prop('constructs.version') };
  })(),
  go: (() => {
    const mod = readFileSync(join(TESTS, 'go', 'go.mod'), 'utf8');
    const req = (path) => new RegExp(`${path.replace(/[.]/g, '\\.')} v(\\S+)`).exec(mod)?.[1];
    return { 'aws-cdk-lib': req('github.com/aws/aws-cdk-go/awscdk/v2'), constructs: req('github.com/aws/constructs-go/constructs/v10') };
  })(),
};

try {
  step('preflight', preflight);
  const work = mkdtempSync(join(tmpdir(), 'ccs-bindings-'));
  try {
    step('build: jsii, rosetta, jsii-pacmak -t js,python,java,go', () => build(work));
    const references = step('reference: the TypeScript app per aws-cdk-lib version', () => referenceSynths(work));
    if (only.includes('python')) step('python: venv, pip install, mypy --strict, pytest', () => testPython(work, references));
    if (only.includes('java')) step('java: mvn test (javac -Werror, JUnit via Surefire)', () => testJava(references));
    if (only.includes('go')) step('go: go vet, go test', () => testGo(references));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
} catch (e) {
  printTimes();
  fail(e.message);
}
printTimes();
console.log(`test:bindings: ok (${only.join(', ')} built, installed and tested)`);

function printTimes() {
  console.log('\ntest:bindings: times');
  for (const [name, s] of times) console.log(`  ${s.toFixed(1).padStart(7)} s  ${name}`);
  console.log(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  total`);
}

function preflight() {
  // The tools: a clear message per missing one, all at once.
  const missing = [];
  const version = (cmd, args) => {
    const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
    return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : undefined;
  };
  const py = version('python3', ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])']);
  if (!py) missing.push('python3 (>= 3.10, with venv and ensurepip) is not on PATH');
  else if (Number(py.split('.')[1]) < 10 || !py.startsWith('3.')) missing.push(`python3 is ${py}; the wheel needs >= 3.10`);
  const javac = version('javac', ['-version']);
  if (!javac) missing.push('javac (a JDK, 17 or newer) is not on PATH');
  else if (Number(/javac (\d+)/.exec(javac)?.[1]) < 17) missing.push(`${javac}: JDK 17 or newer needed`);
  if (!version('mvn', ['-v'])) missing.push('mvn (Maven 3.8+) is not on PATH');
  if (!version('go', ['version'])) missing.push('go (1.26+) is not on PATH');
  if (missing.length > 0) throw new Error(`test:bindings needs Python, Java and Go besides Node (npm test needs only Node):\n- ${missing.join('\n- ')}`);

  // The registries: each pinned version, asked of the registry that the language's test installs it from. The
  // downloads land in the caches the builds use next, so nothing is fetched twice.
  const refused = [];
  const ask = (what, cmd, args) => {
    const r = spawnSync(cmd, args, { env, encoding: 'utf8', cwd: CACHE });
    if (r.status !== 0) refused.push(`${what} is not served: \`${[cmd, ...args].join(' ')}\` said: ${`${r.stdout}${r.stderr}`.trim().split('\n').filter((l) => /error|not|refused|forbidden/i.test(l)).slice(0, 2).join(' / ') || `exit ${r.status}`}`);
  };
  for (const v of new Set(Object.values(pins).map((p) => p['aws-cdk-lib']))) ask(`npm aws-cdk-lib@${v} (for the TypeScript reference)`, 'npm', ['view', `aws-cdk-lib@${v}`, 'version', '--json']);
  const wheels = cache('wheels');
  for (const [name, v] of Object.entries(pins.python)) ask(`PyPI ${name}==${v}`, 'python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '-d', wheels, `${name}==${v}`]);
  for (const [artifact, v] of [
    [`software.amazon.awscdk:aws-cdk-lib`, pins.java['aws-cdk-lib']],
    [`software.constructs:constructs`, pins.java.constructs],
  ]) {
    ask(`Maven Central ${artifact}:${v}`, 'mvn', ['-B', '-q', `-Dmaven.repo.local=${M2}`, 'dependency:get', '-Dtransitive=false', `-Dartifact=${artifact}:${v}`]);
  }
  for (const [path, v] of [
    ['github.com/aws/aws-cdk-go/awscdk/v2', pins.go['aws-cdk-lib']],
    ['github.com/aws/constructs-go/constructs/v10', pins.go.constructs],
  ]) {
    ask(`the Go module proxy's ${path}@v${v}`, 'go', ['list', '-m', `${path}@v${v}`]);
  }
  if (refused.length > 0) throw new Error(`pinned versions not served by their registry (pick versions it serves, see README "Other languages"):\n- ${refused.join('\n- ')}`);
  indexServedVersion('software.amazon.awscdk', 'aws-cdk-lib', pins.java['aws-cdk-lib']);
  console.log(`test:bindings: ${py ? `python ${py}` : ''}, ${javac}, ${version('go', ['version'])}; pins served: ${JSON.stringify(pins)}`);
}

/**
 * The Maven Central reached here serves aws-cdk-lib's jars well past the newest version its maven-metadata.xml index
 * lists (2.263.0 when this was written), and Maven resolves a version range (the jar's POM says `[2.271.0,3.0.0)`, from
 * the peer dependency) from that index alone: "No versions available". The version the preflight just downloaded is
 * added to the local repository's own index (maven-metadata-local.xml, what `mvn install` writes), so that the
 * range resolves to it. Where the remote index lists the version, nothing is written.
 */
function indexServedVersion(groupId, artifactId, version) {
  const dir = join(M2, ...groupId.split('.'), artifactId);
  const remote = readdirSync(dir).filter((f) => /^maven-metadata-.*\.xml$/.test(f) && f !== 'maven-metadata-local.xml');
  if (remote.some((f) => readFileSync(join(dir, f), 'utf8').includes(`<version>${version}</version>`))) return;
  writeFileSync(
    join(dir, 'maven-metadata-local.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>\n<metadata>\n  <groupId>${groupId}</groupId>\n  <artifactId>${artifactId}</artifactId>\n  <versioning>\n    <release>${version}</release>\n    <versions>\n      <version>${version}</version>\n    </versions>\n  </versioning>\n</metadata>\n`,
  );
  console.log(`test:bindings: Maven Central's index of ${groupId}:${artifactId} lacks ${version} (served all the same): listed it in the local repository's index`);
}

function build(work) {
  // A copy of the files git knows about, as scripts/jsii.mjs does, so that the work tree keeps sources only.
  const pkg = join(work, 'pkg');
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const rel of files) {
    if (!existsSync(join(ROOT, rel))) continue;
    mkdirSync(dirname(join(pkg, rel)), { recursive: true });
    copyFileSync(join(ROOT, rel), join(pkg, rel));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  run('npm', ['run', '--silent', 'build'], pkg);

  // rosetta's translations go into each binding's docstrings (a README example in Python for Python users).
  const assembly = JSON.parse(readFileSync(join(pkg, '.jsii'), 'utf8'));
  const closure = join(work, 'closure');
  mkdirSync(join(closure, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(closure, 'node_modules', assembly.name));
  for (const dep of Object.keys(assembly.dependencies ?? {})) symlinkSync(join(ROOT, 'node_modules', dep), join(closure, 'node_modules', dep));
  run(join(BIN, 'jsii-rosetta'), ['extract', '--strict', '--directory', closure, join(pkg, '.jsii')], pkg);

  rmSync(DIST, { recursive: true, force: true });
  // ignore-scripts: the pack inside pacmak would rerun prepack's build, which just ran.
  run(
    join(BIN, 'jsii-pacmak'),
    ['-t', 'js', 'python', 'java', 'go', '--no-npmignore', '--rosetta-unknown-snippets', 'fail', '--maven-local-repository', M2, '--outdir', DIST],
    pkg,
    { extraEnv: { npm_config_ignore_scripts: 'true' } },
  );
  const list = (dir) => (existsSync(join(DIST, dir)) ? readdirSync(join(DIST, dir), { recursive: true }).map(String) : []);
  const expect = (dir, re, what) => {
    if (!list(dir).some((f) => re.test(f))) throw new Error(`jsii-pacmak did not produce ${what} in dist/bindings/${dir}`);
  };
  expect('js', /\.jsii\.tgz$/, 'the npm tarball');
  expect('python', /\.whl$/, 'the wheel');
  expect('python', /\.tar\.gz$/, 'the sdist');
  for (const suffix of ['.jar', '-sources.jar', '-javadoc.jar', '.pom']) expect('java', new RegExp(`cdk-connection-sharing-[0-9.]+${suffix.replace('.', '\\.')}$`), `the ${suffix} artifact`);
  expect('go', /go\.mod$/, 'the Go module');
  console.log(`test:bindings: built ${['js', 'python', 'java', 'go'].map((d) => `${d}: ${list(d).filter((f) => /\.(tgz|whl|tar\.gz|jar|mod)$/.test(f)).map((f) => f.split('/').pop()).join(', ')}`).join('; ')}`);
}

/** The npm tarball pacmak built: the TypeScript reference uses the package exactly as an npm user installs it. */
function tarball() {
  const f = readdirSync(join(DIST, 'js')).find((n) => n.endsWith('.tgz'));
  return join(DIST, 'js', f);
}

function referenceSynths(work) {
  const context = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
  const devDeps = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies;
  const references = {};
  for (const version of new Set(only.map((l) => pins[l]['aws-cdk-lib']))) {
    const dir = join(work, `reference-${version}`);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'reference', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--save-exact', tarball(), `aws-cdk-lib@${version}`, `constructs@${devDeps.constructs}`, `cdk-nag@${devDeps['cdk-nag']}`], dir);
    // bin/app.ts unchanged but for `../lib`: a TypeScript user imports the package.
    for (const f of ['app.ts', 'example-stack.ts']) {
      writeFileSync(join(dir, 'bin', f), readFileSync(join(ROOT, 'bin', f), 'utf8').replace(/from '\.\.\/lib'/g, "from 'cdk-connection-sharing'"));
    }
    const out = join(dir, 'cdk.out');
    run(join(BIN, 'tsx'), [join(dir, 'bin', 'app.ts')], dir, { extraEnv: { CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify(context) } });
    references[version] = out;
    console.log(`test:bindings: reference with aws-cdk-lib ${version}: ${readdirSync(out).filter((f) => f.endsWith('.json')).join(', ')}`);
  }
  return references;
}

/** What every language test reads: where the reference is, and the same context the reference had. */
function testEnv(lang, references) {
  return {
    CDK_REFERENCE_OUTDIR: references[pins[lang]['aws-cdk-lib']],
    CDK_CONTEXT_JSON: JSON.stringify(JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context),
  };
}

function testPython(work, references) {
  const dir = join(TESTS, 'python');
  const venv = join(work, 'venv');
  run('python3', ['-m', 'venv', venv], dir);
  const py = join(venv, 'bin', 'python');
  const wheel = readdirSync(join(DIST, 'python')).find((f) => f.endsWith('.whl'));
  // The pinned aws-cdk-lib and constructs come from the wheels the preflight downloaded (--find-links), the rest
  // from PyPI through pip's cache.
  run(py, ['-m', 'pip', 'install', '--quiet', '--find-links', cache('wheels'), '-r', join(dir, 'requirements.txt'), join(DIST, 'python', wheel)], dir);
  run(py, ['-m', 'mypy', '--strict', '--cache-dir', join(work, 'mypy-cache'), '.'], dir, { show: true });
  run(py, ['-m', 'pytest', '-p', 'no:cacheprovider'], dir, { show: true, extraEnv: testEnv('python', references) });
}

function testJava(references) {
  const dir = join(TESTS, 'java');
  // The built jar comes from pacmak's local Maven repository in dist/bindings/java; everything else from Central
  // through the shared local repository.
  run('mvn', ['-B', '--no-transfer-progress', `-Dmaven.repo.local=${M2}`, `-Dbindings.repo=${pathToFileUrl(join(DIST, 'java'))}`, 'test'], dir, { show: true, extraEnv: testEnv('java', references) });
}

function testGo(references) {
  const dir = join(TESTS, 'go');
  run('go', ['vet', './...'], dir, { show: true });
  run('go', ['test', '-count=1', '-v', './...'], dir, { show: true, extraEnv: testEnv('go', references) });
}

function pathToFileUrl(p) {
  return `file://${p}`;
}
