/**
 * HTML and SVG built so that text can never turn into markup: `el` escapes every string it is
 * handed, text and attribute values alike, and inserts as it is only what `el` (or a literal
 * through `verbatim`) made. Plugin tags, names and error messages end up in reports, so an
 * injection must be impossible by construction, not by care at each call.
 */

/**
 * Markup that is safe to insert as it is. The class is not exported, so only this module makes
 * one (from escaped text or a literal of the source); anything else that poses as one is text.
 */
class SafeMarkup {
  constructor(readonly source: string) {}

  toString(): string {
    return this.source;
  }
}

export type Markup = SafeMarkup;

/** What an element holds: markup, text (escaped), or nothing (false, null, undefined are skipped). */
export type Child = Markup | string | number | false | null | undefined | readonly Child[];

export type Attributes = Record<string, string | number | boolean | null | undefined>;

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Characters XML 1.0 does not allow (control characters, lone surrogates, U+FFFE/U+FFFF): a
// standalone SVG holding one would not load at all.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|\p{Cs}/gu;

/** Text as it may stand in an element or a double- or single-quoted attribute, in HTML and XML. */
export function escapeText(text: string): string {
  return text.replace(NOT_XML, '\ufffd').replace(/[&<>"']/g, (c) => ENTITY[c]!);
}

// HTML's void elements take no end tag; SVG's leaves close themselves, which HTML honours for
// foreign elements too, so the same markup serves inline SVG and a standalone .svg file.
const VOID = new Set(['meta', 'br', 'hr', 'col', 'wbr']);
const SVG_LEAF = new Set(['rect', 'line', 'circle', 'polyline', 'path']);

/** A number as an attribute value: two decimals at most, which is finer than a pixel. */
export function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function attributeText(attributes: Attributes): string {
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined && value !== null && value !== false)
    .map(([name, value]) => (value === true ? ` ${name}=""` : ` ${name}="${typeof value === 'number' ? num(value) : escapeText(value as string)}"`))
    .join('');
}

function childText(child: Child): string {
  if (child instanceof SafeMarkup) return child.source;
  if (Array.isArray(child)) return child.map(childText).join('');
  if (child === false || child === null || child === undefined) return '';
  return escapeText(String(child));
}

/** `<tag attributes>children</tag>`; `tag` and the attribute names come from the code, never from data. */
export function el(tag: string, attributes: Attributes = {}, ...children: Child[]): Markup {
  const open = `<${tag}${attributeText(attributes)}`;
  if (VOID.has(tag)) return new SafeMarkup(`${open}>`);
  const inner = children.map(childText).join('');
  if (inner === '' && SVG_LEAF.has(tag)) return new SafeMarkup(`${open}/>`);
  return new SafeMarkup(`${open}>${inner}</${tag}>`);
}

/** Children side by side, without an element around them. */
export function fragment(...children: Child[]): Markup {
  return new SafeMarkup(children.map(childText).join(''));
}

/**
 * A literal of the source as markup (a doctype, a style sheet): a tagged template that takes no
 * substitutions, so no value can reach it.
 */
export function verbatim(strings: TemplateStringsArray): Markup {
  return new SafeMarkup(strings.join(''));
}
