// A tiny PNG decoder (8-bit greyscale/RGB/RGBA, non-interlaced) for checking screenshots are not blank.
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** channels per pixel: 1 (grey), 3 (RGB) or 4 (RGBA) */
  channels: number;
  pixels: Uint8Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

export function decodePng(buf: Buffer): Image {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('decodePng: not a PNG signature');
  let pos = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      channels = CHANNELS[body[9]] ?? 0;
      if (body[8] !== 8 || channels === 0 || body[12] !== 0) throw new Error(`decodePng: unsupported bit depth ${body[8]}, colour type ${body[9]} or interlace ${body[12]}`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = up[i];
      const c = i >= channels ? up[i - channels] : 0;
      // PNG filters: 0 none, 1 sub (a), 2 up (b), 3 average, 4 Paeth predictor
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      out[i] = (src[i] + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Fraction of pixels whose first three channels are not all ≥ 250 (not white). */
export function inkFraction(img: Image): number {
  let ink = 0;
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) {
    const o = p * img.channels;
    const lum = img.channels >= 3 ? Math.min(img.pixels[o], img.pixels[o + 1], img.pixels[o + 2]) : img.pixels[o];
    if (lum < 250) ink++;
  }
  return ink / n;
}

/** Distinct colours (RGB) among the pixels, a crude measure of plot content. */
export function colourCount(img: Image): number {
  const seen = new Set<number>();
  for (let p = 0; p < img.width * img.height; p++) {
    const o = p * img.channels;
    seen.add(img.channels >= 3 ? (img.pixels[o] << 16) | (img.pixels[o + 1] << 8) | img.pixels[o + 2] : img.pixels[o]);
  }
  return seen.size;
}
