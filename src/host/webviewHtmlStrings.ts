/** The chat view's static HTML words in the display language, escaped for attributes and text. */
import { webviewStrings, type WebviewStrings } from '../protocol/webviewStrings';

export function attribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function htmlStrings(displayLanguage: string): WebviewStrings {
  const strings = webviewStrings(displayLanguage);
  return Object.fromEntries(Object.entries(strings).map(([key, text]) => [key, attribute(text)])) as WebviewStrings;
}
