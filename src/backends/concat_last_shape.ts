// Argument and shape rules of concatLast, shared by every backend (one function, so the op table
// can take it over): at least one input, each of rank ≥ 1, the same leading dims.
import { shapeStr } from '../tensor.js';

/** The output shape of concatLast over inputs of `shapes`; throws naming the offending input. */
export function concatLastShape(shapes: readonly (readonly number[])[]): number[] {
  if (shapes.length === 0) throw new Error('concatLast: needs at least one input tensor');
  const first = shapes[0];
  if (first.length === 0) throw new Error('concatLast: xs[0] is a scalar; inputs need a last dim');
  const lead = first.slice(0, -1);
  let width = 0;
  shapes.forEach((s, i) => {
    if (s.length !== first.length || s.slice(0, -1).some((d, k) => d !== lead[k])) {
      throw new Error(`concatLast: xs[${i}] has shape ${shapeStr(s)}, expected leading dims ${shapeStr(lead)} (those of xs[0] ${shapeStr(first)})`);
    }
    width += s[s.length - 1];
  });
  return [...lead, width];
}
