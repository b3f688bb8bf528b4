// Every platform package, built as `npm run package:all` builds them (npm fetches each
// platform's binaries from the registry: ~10 minutes), then checked file by file. Run by
// `npm test -- package-all` only, never by a plain `npm test`. With
// LOCAL_RAG_PACKAGES_BUILT=1 it checks the packages already in vsix/ instead of building.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allPackages, FLAVOUR_LIMITS, FLAVOURS, LIMITS, vsixName } from '../../scripts/packageTargets.mjs';
import { checkVsix } from './checkVsix.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

before(() => {
  if (process.env.LOCAL_RAG_PACKAGES_BUILT === '1') return;
  const result = spawnSync(process.execPath, ['scripts/package.mjs', '--all'], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(result.status, 0, 'npm run package:all failed');
});

for (const [name, spec] of Object.entries(allPackages())) {
  test(`${name}: its platform's native files only, once each, within the limits`, () => {
    const file = path.join(ROOT, 'vsix', vsixName(name, version));
    assert.ok(fs.existsSync(file), `${file} was not built`);
    const result = checkVsix(file, spec, FLAVOURS[name] ? FLAVOUR_LIMITS : LIMITS);
    console.log(`${result.name}: ${(result.bytes / 1e6).toFixed(1)} MB, ${result.files} files, ${result.natives.length} native (${(result.nativeBytes / 1e6).toFixed(1)} MB unpacked)`);
    assert.deepEqual(result.problems, []);
  });
}

test("the check refuses a package holding another platform's binaries", () => {
  const macPackage = path.join(ROOT, 'vsix', vsixName('darwin-arm64', version));
  const { problems } = checkVsix(macPackage, allPackages()['linux-x64'], LIMITS);
  assert.ok(problems.includes('not marked for the linux-x64 target'), problems.join('\n'));
  assert.ok(problems.some((problem) => problem.includes('cannot load on linux-x64: node_modules/@node-llama-cpp/mac-arm64-metal/')), problems.join('\n'));
  assert.ok(problems.includes('missing node_modules/@node-llama-cpp/linux-x64/'), problems.join('\n'));
});
