/**
 * A template's variants (variant k: the frame of the k-th packet of that template), rendered
 * by the native core a batch at a time, so that JavaScript asks for many frames per call and
 * never does the field arithmetic itself.
 */
import { nativeCore } from './native-core.js';
import type { EngineTemplate } from './tx-engine.js';

/** Variants per renderVariants call: enough to make the call's cost small per frame. */
export const RENDER_BATCH = 256;

/** The first `count` variants of a template with fields, in batches. */
export function* variantBatches(template: EngineTemplate, count: number): Generator<Buffer[]> {
  const core = nativeCore();
  for (let start = 0; start < count; start += RENDER_BATCH) {
    yield core.renderVariants(template.frame, template.fields!, template.flows, start, Math.min(RENDER_BATCH, count - start));
  }
}

/** A template's variants in sending order from variant 0: next() is the frame of the next packet. */
export class VariantSequence {
  private batch: Buffer[] = [];
  private position = 0;
  private rendered = 0;

  constructor(private readonly template: EngineTemplate) {}

  next(): Buffer {
    if (this.position === this.batch.length) {
      this.batch = nativeCore().renderVariants(this.template.frame, this.template.fields!, this.template.flows, this.rendered, RENDER_BATCH);
      this.rendered += this.batch.length;
      this.position = 0;
    }
    return this.batch[this.position++]!;
  }
}
