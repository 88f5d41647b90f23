/**
 * Renders Vega-Lite specs headless: vega-lite compiles the spec to Vega, vega's View draws
 * it to an SVG string without a browser or canvas, and sharp rasterises the SVG to PNG.
 */
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A rendered chart, with the warnings vega-lite and vega gave while drawing it. */
export interface RenderedChart {
  svg: string;
  warnings: string[];
}

// Collects warnings instead of printing them, because the library never prints.
function collectingLogger(warnings: string[]) {
  const text = (args: unknown[]) => args.map(String).join(' ');
  let level = 0;
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]): never {
      throw new Error(`chart rendering failed: ${text(args)}`);
    },
    warn(...args: unknown[]) {
      warnings.push(text(args));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Compiles and draws a Vega-Lite spec to SVG. */
export async function renderSvg(spec: TopLevelSpec): Promise<RenderedChart> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), {
    renderer: 'none',
    logger,
    logLevel: vega.Warn,
  });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG at `scale` times its size (2 by default, for sharp text on screens). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .png()
    .toBuffer();
}
