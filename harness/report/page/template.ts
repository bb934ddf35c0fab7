// The page's template helper: a tagged template that escapes every interpolated value unless it is SafeHtml.
/** Markup that is already safe; everything else interpolated into `html` is escaped. */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

const renderPart = (part: Part): string => {
  if (part instanceof SafeHtml) return part.markup;
  if (Array.isArray(part)) return part.map(renderPart).join('');
  if (part === null || part === undefined || part === false) return '';
  return escapeHtml(String(part));
};

/** Tagged template that escapes every interpolated value unless it is SafeHtml (or an array of them). */
export function html(strings: TemplateStringsArray, ...parts: Part[]): SafeHtml {
  return new SafeHtml(strings.reduce((out, s, i) => out + s + (i < parts.length ? renderPart(parts[i] as Part) : ''), ''));
}

/** JSON inside <script>: `<`, `>`, `&` and the JS line separators are escaped so no text can close the element. */
export const scriptJson = (value: unknown): SafeHtml =>
  new SafeHtml(JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

/** An inlined library must not end its <script> element early. */
export const inlineScript = (source: string): SafeHtml => new SafeHtml(source.replace(/<\/(script)/gi, '<\\/$1'));
