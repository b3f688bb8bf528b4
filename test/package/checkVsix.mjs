// What a platform package may hold: every native file (by name or by its first bytes) is
// one the pipeline can load on that platform, for that OS and CPU, once; nothing it never
// loads (canvas, sharp, a second pdf.js build); within the size and file-count limits.
import path from 'node:path';
import { readVsixEntries } from '../../scripts/vsixEntries.mjs';

const NATIVE_NAME = /\.(node|so(\.\d+)*|dylib|dll|exe|metal)$/i;
const NEVER_LOADED = [/\/node_modules\/@napi-rs\//, /\/node_modules\/(@img\/|sharp\/)/, /canvas/i, /\/pdfjs-dist\/(build|web|image_decoders)\//];
/**
 * Each llama.cpp build (CPU, Vulkan, CUDA) loads ggml's CPU variants from its own folder,
 * so these byte-identical files are one copy per build, not a duplicate anyone can drop.
 */
const SHARED_BY_BUILDS = /\/libggml-(base|cpu-[a-z0-9_]+)\.(so|dylib|dll)$/;

const CPU = { x64: { elf: 0x3e, macho: 0x01000007, pe: 0x8664 }, arm64: { elf: 0xb7, macho: 0x0100000c, pe: 0xaa64 } };

/** The binary's OS and CPU from its header, or undefined for a file that is no binary. */
export function binaryKind(head) {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) return { os: 'linux', machine: head.readUInt16LE(18), field: 'elf' };
  if (head.length >= 8 && [0xfeedfacf, 0xfeedface].includes(head.readUInt32LE(0))) return { os: 'darwin', machine: head.readUInt32LE(4), field: 'macho' };
  if (head.length >= 8 && [0xcafebabe, 0xbebafeca].includes(head.readUInt32BE(0))) return { os: 'darwin', machine: 'universal', field: 'macho' };
  if (head.length >= 0x40 && head.toString('latin1', 0, 2) === 'MZ') {
    const pe = head.readUInt32LE(0x3c);
    if (pe + 6 <= head.length && head.readUInt32BE(pe) === 0x50450000) return { os: 'win32', machine: head.readUInt16LE(pe + 4), field: 'pe' };
  }
  return undefined;
}

function allowed(spec, relative) {
  return spec.natives.some((native) => {
    const prefix = `node_modules/${native.pkg}/`;
    if (!relative.startsWith(prefix)) return false;
    const rest = relative.slice(prefix.length);
    return native.dir ? native.files.some((file) => rest === `${native.dir}/${file}`) : native.files.test(rest);
  });
}

/** The problems in one package (none: it passes), and what it holds. */
export function checkVsix(file, spec, limits) {
  const vsix = readVsixEntries(file);
  const problems = [];
  const files = vsix.entries.filter((entry) => entry.name.startsWith('extension/'));
  if (vsix.bytes > limits.bytes) problems.push(`${(vsix.bytes / 1e6).toFixed(1)} MB, over ${(limits.bytes / 1e6).toFixed(1)} MB`);
  if (vsix.entries.length > limits.files) problems.push(`${vsix.entries.length} files, over ${limits.files}`);

  const manifest = vsix.entries.find((entry) => entry.name === 'extension.vsixmanifest');
  if (!manifest || !vsix.read(manifest).toString('utf8').includes(`TargetPlatform="${spec.target}"`)) problems.push(`not marked for the ${spec.target} target`);

  const natives = [];
  for (const entry of files) {
    const relative = entry.name.slice('extension/'.length);
    for (const pattern of NEVER_LOADED) if (pattern.test(entry.name)) problems.push(`never loaded: ${relative}`);
    const kind = binaryKind(vsix.head(entry));
    if (!kind && !NATIVE_NAME.test(relative)) continue;
    natives.push({ entry, relative });
    if (!allowed(spec, relative)) problems.push(`native file the pipeline cannot load on ${spec.target}: ${relative}`);
    else if (kind && (kind.os !== spec.os || (kind.machine !== 'universal' && kind.machine !== CPU[spec.cpu][kind.field]))) {
      problems.push(`${relative} is built for ${kind.os}/${kind.machine.toString(16)}, not ${spec.target}`);
    }
  }

  for (const native of spec.natives) {
    const needed = native.dir ? native.files.map((name) => `node_modules/${native.pkg}/${native.dir}/${name}`) : [`node_modules/${native.pkg}/`];
    for (const prefix of needed) if (!natives.some(({ relative }) => relative.startsWith(prefix))) problems.push(`missing ${prefix}`);
  }
  if (!files.some((entry) => entry.name === 'extension/node_modules/pdfjs-dist/legacy/build/pdf.mjs')) problems.push('missing the legacy pdf.js build');

  const byContent = new Map();
  for (const native of natives) {
    const key = `${native.entry.crc}:${native.entry.size}`;
    byContent.set(key, [...(byContent.get(key) ?? []), native.relative]);
  }
  for (const copies of byContent.values()) {
    if (copies.length > 1 && !copies.every((copy) => SHARED_BY_BUILDS.test(`/${copy}`))) problems.push(`${copies.length} copies of one file: ${copies.join(', ')}`);
  }

  const nativeBytes = natives.reduce((sum, { entry }) => sum + entry.size, 0);
  return { problems, bytes: vsix.bytes, files: vsix.entries.length, natives: natives.map(({ relative }) => relative), nativeBytes, name: path.basename(file) };
}
