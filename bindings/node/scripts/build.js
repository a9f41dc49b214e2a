'use strict';
// Puts the cinnox shared library into native/, where the package loads it: the one named by
// CINNOX_LIBRARY; else, in a checkout of cinnox, one built with
// `cargo build --release --lib --features postgres` (CARGO_TARGET_DIR is honoured); else the
// one already there (a package made by `npm pack` carries it).

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const NAME = process.platform === 'darwin' ? 'libcinnox.dylib' : 'libcinnox.so';
const pkg = path.resolve(__dirname, '..');
const root = path.resolve(pkg, '..', '..');

function fail(message) {
  console.error(`cinnox: ${message}`);
  process.exit(1);
}

const target = path.join(pkg, 'native', NAME);

/** Whether the package sits in a checkout of cinnox (bindings/node of it). */
function inCheckout() {
  try {
    return /^name\s*=\s*"cinnox"/m.test(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'));
  } catch {
    return false;
  }
}

function built() {
  if (process.env.CINNOX_LIBRARY) {
    const given = process.env.CINNOX_LIBRARY;
    if (!fs.existsSync(given)) fail(`CINNOX_LIBRARY=${given}: no such file`);
    return given;
  }
  if (!inCheckout()) {
    if (fs.existsSync(target)) return null;
    fail(`no library: not in a checkout of cinnox (${root}) and none in ${target}; set CINNOX_LIBRARY`);
  }
  const args = ['build', '--release', '--lib', '--features', 'postgres', '--message-format=json-render-diagnostics'];
  console.error(`cinnox: building the library: cargo ${args.join(' ')}`);
  let out;
  try {
    out = execFileSync(process.env.CARGO || 'cargo', args, {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } catch (e) {
    fail(e.code === 'ENOENT' ? 'cargo is needed to build the library (https://rustup.rs)' : `cargo build failed (${e.status})`);
  }
  for (const line of out.split('\n')) {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.reason !== 'compiler-artifact' || msg.target.name !== 'cinnox') continue;
    const found = (msg.filenames || []).find((f) => path.basename(f) === NAME);
    if (found) return found;
  }
  fail(`cargo built no ${NAME}`);
}

/**
 * Make koffi loadable from where the package really is. `npm install /path/to/bindings/node`
 * links the directory into the application and installs none of the package's dependencies,
 * and Node looks for them from the link's target: there, a nested `npm install` puts them.
 */
function ensureDependencies() {
  try {
    require.resolve('koffi', { paths: [pkg] });
    return;
  } catch {
    // not installed next to the package: install it below
  }
  const npm = process.env.npm_execpath;
  if (!npm) fail(`koffi is not installed: run \`npm install\` in ${pkg}`);
  console.error(`cinnox: installing its dependencies into ${path.join(pkg, 'node_modules')}`);
  try {
    execFileSync(process.execPath, [npm, 'install', '--omit=dev', '--no-save', '--no-package-lock'], {
      cwd: pkg,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CINNOX_DEPENDENCIES_ONLY: '1' },
    });
  } catch (e) {
    fail(`npm install of the dependencies in ${pkg} failed (${e.status})`);
  }
}

if (process.env.CINNOX_DEPENDENCIES_ONLY === '1') process.exit(0);
ensureDependencies();

const source = built();
if (source !== null) {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(source, target);
  // Drop the debug information (about 50 MB -> 4 MB), as ./install-c.sh does; the dynamic
  // symbols stay. CINNOX_NO_STRIP=1 keeps it; without `strip` it is kept too.
  if (process.env.CINNOX_NO_STRIP !== '1') {
    try {
      execFileSync('strip', ['--strip-debug', target], { stdio: 'inherit' });
    } catch (e) {
      if (e.code !== 'ENOENT') fail(`strip failed (${e.status})`);
    }
  }
}
console.error(`cinnox: ${target}`);
