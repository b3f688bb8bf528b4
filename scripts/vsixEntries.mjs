// A .vsix is a zip: its central directory lists every file with its size and CRC-32, which
// is all the packaging checks need (no unzip tool on every machine, no dependency for it).
import fs from 'node:fs';
import zlib from 'node:zlib';

/**
 * @typedef {{ name: string, size: number, compressedSize: number, crc: number, method: number, localOffset: number }} VsixEntry
 */

/** The files in the .vsix (folders left out), from its central directory. */
export function readVsixEntries(file) {
  const zip = fs.readFileSync(file);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  /** @type {VsixEntry[]} */
  const entries = [];
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (!name.endsWith('/')) {
      entries.push({
        name,
        method: zip.readUInt16LE(offset + 10),
        crc: zip.readUInt32LE(offset + 16),
        compressedSize: zip.readUInt32LE(offset + 20),
        size: zip.readUInt32LE(offset + 24),
        localOffset: zip.readUInt32LE(offset + 42),
      });
    }
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return {
    entries,
    bytes: zip.length,
    /** The first bytes of a file, inflating only as much as that needs. */
    head: (entry, length = 1024) => inflate(zip, entry, 16 * 1024).subarray(0, length),
    read: (entry) => inflate(zip, entry, entry.compressedSize),
  };
}

function inflate(zip, entry, compressedLength) {
  const local = entry.localOffset;
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const data = zip.subarray(start, start + Math.min(entry.compressedSize, compressedLength));
  if (entry.method === 0) return data;
  return zlib.inflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}
