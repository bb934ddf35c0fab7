// Symmetric int8 weight quantization with one scale per slice along an axis: w ≈ q * scale, q in -127..127.
// -128 is left unused so the range is symmetric and negating a weight never saturates.

// Local bindings: inside Jest's VM contexts every `Math.x` in a hot loop is a slow global lookup (55x here).
const { abs, max, min, round } = Math;

export interface QuantizedTensor {
  values: Int8Array;
  /** One scale per index along `axis`. */
  scales: Float32Array;
  axis: number;
}

/**
 * Quantizes a row-major 2-D tensor `[rows, cols]` per axis: axis 0 gives one scale per row (embedding
 * tables: each id has its own range), axis 1 one per column (a MatMul weight's output channels).
 */
export function quantizePerAxis(values: Float32Array, dims: readonly [number, number], axis: 0 | 1): QuantizedTensor {
  const [rows, cols] = dims;
  if (values.length !== rows * cols) throw new RangeError(`expected ${rows * cols} values for dims [${rows}, ${cols}], got ${values.length}`);
  const channel = axis === 0 ? (r: number) => r : (_r: number, c: number) => c;
  const scales = new Float32Array(axis === 0 ? rows : cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = channel(r, c);
      scales[k] = max(scales[k]!, abs(values[r * cols + c]!));
    }
  }
  // An all-zero slice would give scale 0 and 0/0 below; any scale represents zeros exactly.
  for (let k = 0; k < scales.length; k++) scales[k] = scales[k]! > 0 ? scales[k]! / 127 : 1;
  const quantized = new Int8Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      quantized[i] = max(-127, min(127, round(values[i]! / scales[channel(r, c)]!)));
    }
  }
  return { values: quantized, scales, axis };
}

/** What DequantizeLinear computes in float32: q * scale per element. */
export function dequantize(t: QuantizedTensor, dims: readonly [number, number]): Float32Array {
  const [rows, cols] = dims;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = t.values[r * cols + c]! * t.scales[t.axis === 0 ? r : c]!;
  }
  return out;
}
