#!/usr/bin/env node
/**
 * Draws media/icon.png, the 128×128 Marketplace icon: the activity bar's glyph (media/icon.svg,
 * a page with a magnifier) in white on a blue rounded square. Drawn from shapes with 4×4
 * supersampling and written by the small PNG encoder below, so no image library is needed:
 * `node scripts/icon.mjs` redraws it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SAMPLES = 4;
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'media', 'icon.png');

const TOP = [0x2f, 0x80, 0xed];
const BOTTOM = [0x1b, 0x4f, 0xa8];
const PAGE = [0xff, 0xff, 0xff];
const FOLD = [0xc9, 0xdc, 0xf5];
const LENS = [0x1b, 0x4f, 0xa8];

/** The glyph is drawn in media/icon.svg's 24-unit space, centred and scaled up. */
const SCALE = (SIZE / 24) * 0.92;
const toGlyph = (x, y) => [(x - SIZE / 2) / SCALE + 12.5, (y - SIZE / 2) / SCALE + 12];

function insideRoundedSquare(x, y) {
  const radius = 26;
  const dx = Math.max(radius - x, 0, x - (SIZE - radius));
  const dy = Math.max(radius - y, 0, y - (SIZE - radius));
  return dx * dx + dy * dy <= radius * radius;
}

function distanceToSegment(px, py, ax, ay, bx, by) {
  const t = Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return Math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay)));
}

/** The colour at one sample point, or undefined outside the icon. */
function colourAt(x, y) {
  if (!insideRoundedSquare(x, y)) return undefined;
  let colour = TOP.map((top, i) => Math.round(top + ((BOTTOM[i] - top) * y) / SIZE));
  const [u, v] = toGlyph(x, y);
  // The page: M6 3h9l4 4v14H6z, its corner folded along (15,3)–(19,7).
  const onPage = u >= 6 && u <= 19 && v >= 3 && v <= 21 && !(u > 15 && u - 15 > v - 3);
  if (onPage) colour = u >= 15 && v <= 7 ? FOLD : PAGE;
  // The magnifier: a ring round (11.5, 13) and its handle, in the background's blue.
  const ring = Math.abs(Math.hypot(u - 11.5, v - 13) - 3) <= 0.8;
  const handle = distanceToSegment(u, v, 13.7, 15.2, 16.5, 18) <= 0.8;
  if (onPage && (ring || handle)) colour = LENS;
  return colour;
}

function render() {
  const rgba = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const sum = [0, 0, 0];
      let covered = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const colour = colourAt(x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES);
          if (!colour) continue;
          covered++;
          colour.forEach((c, i) => (sum[i] += c));
        }
      }
      const at = (y * SIZE + x) * 4;
      if (covered) sum.forEach((c, i) => (rgba[at + i] = Math.round(c / covered)));
      rgba[at + 3] = Math.round((255 * covered) / SAMPLES ** 2);
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGBA PNG, every row unfiltered. */
function encodePng(rgba, width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

fs.writeFileSync(out, encodePng(render(), SIZE, SIZE));
console.log(`wrote ${path.relative(process.cwd(), out)}`);
