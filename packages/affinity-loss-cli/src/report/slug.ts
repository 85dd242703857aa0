/** File names and HTML ids made from user-given names (settings, protocols). */

/** A file-name-safe form of a setting or protocol (`k=10` -> `k-10`). */
export function slug(text: string): string {
  const cleaned = text.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'x' : cleaned;
}
