// Shared helpers for the node tests: the SAME vector files the Python tests read.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const VECTORS = join(here, '..', '..', 'vectors');
export const STATIC_JS = join(here, '..', '..', '..', 'public_portal', 'static', 'js');

export function loadVectors(relative) {
  return JSON.parse(readFileSync(join(VECTORS, relative), 'utf8'));
}

/** Every tests/vectors/draw/*.json file with a `vectors` list (draw-v1.json, generated-*.json, ...). */
export function drawVectorFiles() {
  return readdirSync(join(VECTORS, 'draw'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, data: loadVectors(join('draw', f)) }))
    .filter(({ data }) => Array.isArray(data.vectors));
}

export const b64 = (s) => Uint8Array.from(Buffer.from(s, 'base64'));
export const hex = (s) => Uint8Array.from(Buffer.from(s, 'hex'));
