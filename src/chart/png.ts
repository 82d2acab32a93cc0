/**
 * SVG → PNG through @resvg/resvg-js. Imported only when a PNG is asked for: it is a native binary
 * that may be missing on an unusual platform, and SVG output must keep working without it.
 */
import { EXIT_FAILURE, L1Error } from '../errors.js';

export async function svgToPng(svg: string): Promise<Buffer> {
  let resvg: typeof import('@resvg/resvg-js');
  try {
    resvg = await import('@resvg/resvg-js');
  } catch (cause) {
    throw new L1Error(
      'PNG output needs the @resvg/resvg-js package, which could not be loaded on this platform; ' +
        'install it, or write the chart as .svg instead.',
      EXIT_FAILURE,
      { cause },
    );
  }
  // System fonts, or every label renders as nothing; the SVG names common families in order.
  const image = await resvg.renderAsync(svg, {
    font: { loadSystemFonts: true },
    fitTo: { mode: 'original' },
  });
  return image.asPng();
}
