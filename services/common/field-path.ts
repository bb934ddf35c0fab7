/** `["inputs", 0, "shape"]` -> `inputs[0].shape`: a field the way a reader would write it in an error message. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}
