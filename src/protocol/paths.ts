/**
 * Path rules the host and the pipeline share, right on every platform: Windows' drive letters
 * and backslashes, and the case-insensitive file systems of Windows and macOS, where
 * `C:\Docs` and `c:\docs` (or `/Users/Me` and `/users/me`) are one folder. Each function takes
 * the platform's rules (`pathRules(path, process.platform)`), so tests run Windows' rules with
 * `path.win32` on any machine. Display paths — how the index names and cites a file — always
 * use forward slashes.
 */

/** The parts of Node's `path` used here: `path` itself, or `path.win32` / `path.posix`. */
export interface PathFlavor {
  readonly sep: string;
  relative(from: string, to: string): string;
  resolve(...paths: string[]): string;
  isAbsolute(path: string): boolean;
}

export interface PathRules {
  flavor: PathFlavor;
  /** Names differing only in case are one file (NTFS, APFS as installed). */
  foldCase: boolean;
  /** Names in either Unicode form are one file, kept as given (APFS, HFS+ stores them decomposed). */
  foldUnicode: boolean;
}

export function pathRules(flavor: PathFlavor, platform: string): PathRules {
  return { flavor, foldCase: platform === 'win32' || platform === 'darwin', foldUnicode: platform === 'darwin' };
}

/** Whether `inner` is `outer` or lies under it (absolute paths, links already resolved). */
export function isInside(outer: string, inner: string, rules: PathRules): boolean {
  return relativeWithin(outer, inner, rules) !== undefined;
}

/**
 * `file` relative to `root` with forward slashes (a display path's form), or undefined when it
 * is not inside. A prefix test, not path.relative: it runs for every file of the workspace.
 * The file keeps its own spelling, whatever case the folder was opened with (on macOS in
 * composed Unicode, so one name has one display path).
 */
export function relativeInside(root: string, file: string, rules: PathRules): string | undefined {
  const { sep } = rules.flavor;
  const [r, f] = rules.foldUnicode ? [root.normalize('NFC'), file.normalize('NFC')] : [root, file];
  const prefix = r.endsWith(sep) || (sep === '\\' && r.endsWith('/')) ? r : r + sep;
  if (f.length <= prefix.length) return undefined;
  const head = f.slice(0, prefix.length);
  if (rules.foldCase ? head.toLowerCase() !== prefix.toLowerCase() : head !== prefix) return undefined;
  return toSlashes(f.slice(prefix.length), sep);
}

/** A platform path in display form: Windows' backslashes become forward slashes. */
export function toSlashes(relative: string, sep: string): string {
  return sep === '/' ? relative : relative.split(sep).join('/');
}

/**
 * The file a display path names under `root` (relative, forward slashes, as the index names
 * files), or undefined when it is absolute, names a drive, or would leave the folder.
 */
export function underFolder(root: string, displayPath: string, rules: PathRules): string | undefined {
  const { flavor } = rules;
  // `C:foo` is relative to drive C's current folder on Windows; elsewhere `a:b.md` is a name.
  if (flavor.isAbsolute(displayPath) || (flavor.sep === '\\' && /^[a-zA-Z]:/.test(displayPath))) return undefined;
  const target = flavor.resolve(root, displayPath);
  return relativeWithin(root, target, rules) ? target : undefined;
}

/** `inner` relative to `outer` in the platform's form ('' for the folder itself), or undefined when outside. */
function relativeWithin(outer: string, inner: string, { flavor, foldCase, foldUnicode }: PathRules): string | undefined {
  const key = (p: string) => (foldUnicode ? p.normalize('NFC') : p);
  const relative = foldCase ? flavor.relative(key(outer).toLowerCase(), key(inner).toLowerCase()) : flavor.relative(outer, inner);
  // `..` or `../…` climbs out; a name that merely starts with two dots (`..notes.md`) does not.
  const climbs = relative === '..' || relative.startsWith(`..${flavor.sep}`) || relative.startsWith('../');
  return climbs || flavor.isAbsolute(relative) ? undefined : relative;
}
