/**
 * The chat view's words in VS Code's display language: the host writes that language into
 * `<html lang>` (see src/host/chatViewProvider.ts), so the choice is made once, at load.
 *   import { s, fmt } from './strings';   s.stop, fmt(s.attached, name)
 */
import { formatString, webviewStrings } from '../src/protocol/webviewStrings';

// Outside a page (the renderer's unit tests under Node) there is no <html lang>: English.
export const s = webviewStrings(typeof document === 'undefined' ? 'en' : document.documentElement.lang);
export const fmt = formatString;
