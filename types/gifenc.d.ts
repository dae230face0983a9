// Types for the part of gifenc (1.0.3, which ships none) that runtime/engine/io/pictures.ts uses.
declare module "gifenc" {
  export type Palette = number[][];
  export interface FrameOptions {
    /** The colours of this frame's indices; given for the first frame, it becomes the global table. */
    palette?: Palette;
    /** Milliseconds the frame is shown. */
    delay?: number;
    /** -1: play once, 0: loop forever, n > 0: n times. */
    repeat?: number;
  }
  export interface Encoder {
    writeFrame(index: Uint8Array, width: number, height: number, options?: FrameOptions): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  export function GIFEncoder(options?: { initialCapacity?: number; auto?: boolean }): Encoder;
  export function quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, options?: { format?: "rgb565" | "rgb444" | "rgba4444" }): Palette;
  export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: "rgb565" | "rgb444" | "rgba4444"): Uint8Array;
  const gifenc: { GIFEncoder: typeof GIFEncoder; quantize: typeof quantize; applyPalette: typeof applyPalette };
  export default gifenc;
}
