/** A PNG grid of small greyscale images, each upscaled, with caption lines under it. */
import sharp from 'sharp';

/** One greyscale image, one byte a pixel in rows, and its caption lines. */
export interface CaptionedImage {
  pixels: Uint8Array;
  width: number;
  height: number;
  caption: string[];
}

export interface ImageGridOptions {
  /** Images per row. Default 8. */
  columns?: number;
  /** Upscaling factor, by nearest neighbour so pixels stay sharp. Default 4. */
  scale?: number;
  /** Caption font size in pixels. Default 12. */
  fontSize?: number;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Renders the images in rows of `columns` on white, captions below each, as a PNG. */
export async function renderImageGrid(
  images: readonly CaptionedImage[],
  options: ImageGridOptions = {},
): Promise<Buffer> {
  if (images.length === 0) throw new RangeError('renderImageGrid needs at least one image');
  const { columns = 8, scale = 4, fontSize = 12 } = options;
  const tileWidth = Math.max(...images.map((image) => image.width)) * scale;
  const tileHeight = Math.max(...images.map((image) => image.height)) * scale;
  const captionLines = Math.max(...images.map((image) => image.caption.length));
  const lineHeight = Math.ceil(fontSize * 1.3);
  const cellWidth = Math.max(tileWidth, 7 * fontSize) + 12;
  const cellHeight = tileHeight + captionLines * lineHeight + 12;
  const rows = Math.ceil(images.length / columns);
  const width = Math.min(columns, images.length) * cellWidth;
  const height = rows * cellHeight;

  const tiles = await Promise.all(
    images.map(async (image, n) => {
      const tile = await sharp(image.pixels, {
        raw: { width: image.width, height: image.height, channels: 1 },
      })
        .resize(image.width * scale, image.height * scale, { kernel: 'nearest' })
        .png()
        .toBuffer();
      const left = (n % columns) * cellWidth + Math.floor((cellWidth - tileWidth) / 2);
      const top = Math.floor(n / columns) * cellHeight + 4;
      return { input: tile, left, top };
    }),
  );
  const text = images.flatMap((image, n) => {
    const x = (n % columns) * cellWidth + cellWidth / 2;
    const top = Math.floor(n / columns) * cellHeight + 4 + tileHeight;
    return image.caption.map(
      (line, i) =>
        `<text x="${x}" y="${top + (i + 1) * lineHeight}" text-anchor="middle">${escapeXml(line)}</text>`,
    );
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<g font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${fontSize}" fill="#000">` +
    `${text.join('')}</g></svg>`;
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([...tiles, { input: Buffer.from(svg), left: 0, top: 0 }])
    .png()
    .toBuffer();
}
