/**
 * A second line of defence behind markdown-it's escaping: whatever reaches the answer's DOM
 * must be one of the elements and attributes our renderer writes. If a future option or
 * plugin let markup through, it is flattened to text here rather than executed.
 */
import { openableLink } from '../src/protocol/links';

const TAGS = new Set([
  'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 's', 'code', 'pre', 'blockquote',
  'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'div', 'span', 'a', 'button',
]);

/** Attributes each element may keep; `class` everywhere (highlighting and layout only). */
const ATTRIBUTES: Record<string, ReadonlySet<string>> = {
  a: new Set(['data-href', 'role', 'tabindex', 'title']),
  button: new Set(['type', 'data-source', 'title', 'aria-label']),
  ol: new Set(['start']),
  span: new Set(['title']),
};

export function isAllowedTag(tag: string): boolean {
  return TAGS.has(tag.toLowerCase());
}

/** Whether `name="value"` may stay on a `tag` element. */
export function isAllowedAttribute(tag: string, name: string, value: string): boolean {
  const attribute = name.toLowerCase();
  if (attribute === 'class') return true;
  if (!ATTRIBUTES[tag.toLowerCase()]?.has(attribute)) return false;
  if (attribute === 'data-href') return openableLink(value) === value;
  if (attribute === 'type') return value === 'button';
  if (attribute === 'data-source' || attribute === 'start') return /^\d{1,6}$/.test(value);
  if (attribute === 'tabindex') return value === '0';
  if (attribute === 'role') return value === 'link';
  return true;
}

/** Cleans a parsed fragment in place (a `<template>`'s content: inert while it is cleaned). */
export function sanitizeFragment(root: DocumentFragment): void {
  for (const element of Array.from(root.querySelectorAll('*'))) {
    if (!root.contains(element)) continue; // inside an element already flattened to text
    const tag = element.localName;
    if (!isAllowedTag(tag) || element.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
      element.replaceWith(element.ownerDocument.createTextNode(element.textContent ?? ''));
      continue;
    }
    for (const { name, value } of Array.from(element.attributes)) {
      if (!isAllowedAttribute(tag, name, value)) element.removeAttribute(name);
    }
  }
}
