import { ServiceError } from '../errors/service-error.ts';
import type { Settings } from '../settings.ts';
import { isOwnImageKey } from './image-store.ts';

/** An accepted `images` entry: a key of our own image store, or a path of a RuoYi upload. */
export type ImageRef = { source: 'store'; key: string } | { source: 'ruoyi'; path: string };

/** Where RuoYi serves uploads: public files under `upload`, registered files under `files`. */
export interface RuoyiUploadPaths {
  upload: string;
  files: string;
}

export const IMAGE_PATH_ERROR = 'images: 图片路径不合法';

/** A configured RuoYi prefix such as `/profile`: plain segments, no trailing slash. */
export const RUOYI_PREFIX_PATTERN = /^(\/[A-Za-z0-9_-]+)+$/;

/** The RuoYi prefixes in force: none without a RuoYi to read from. */
export const ruoyiUploadPaths = (settings: Settings): RuoyiUploadPaths | undefined =>
  settings.RUOYI_API_URL ? { upload: settings.RUOYI_UPLOAD_PREFIX, files: settings.RUOYI_FILES_PREFIX } : undefined;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A path RuoYi would read exactly as written: no query or fragment, no backslash or
 * control character, no empty (`//`) or dot-only (`.`, `..`) segment, and percent
 * escapes only for non-ASCII bytes (as a browser writes a Chinese file name), so no
 * escaped dot, slash, backslash or percent can become one on RuoYi's side.
 */
const isNormalPath = (path: string): boolean =>
  !/[?#\\\p{Cc}]/u.test(path) &&
  !/%(?![89a-f][0-9a-f])/i.test(path) &&
  path
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && !/^\.+$/.test(segment));

/**
 * What a string claiming a RuoYi prefix is: a public upload (`{upload}/…`), a registered
 * file (`{files}/{uuid}/download/{name}`, RuoYi's only route under it that serves a
 * file), or malformed; undefined when it claims neither prefix.
 */
const ruoyiPathKind = (paths: RuoyiUploadPaths, entry: string): 'ruoyi' | 'malformed' | undefined => {
  const underUpload = entry.startsWith(`${paths.upload}/`);
  const underFiles = entry.startsWith(`${paths.files}/`);
  if (!underUpload && !underFiles) return undefined;
  if (!isNormalPath(entry)) return 'malformed';
  if (underUpload) return 'ruoyi';
  const [fileId, download, name, ...more] = entry.slice(paths.files.length + 1).split('/');
  return UUID.test(fileId ?? '') && download === 'download' && name && !more.length ? 'ruoyi' : 'malformed';
};

/** One stored or sent entry as a reference; undefined for anything else (a foreign key, a malformed path). */
export const imageRefOf = (paths: RuoyiUploadPaths | undefined, userId: string, entry: string): ImageRef | undefined => {
  if (isOwnImageKey(userId, entry)) return { source: 'store', key: entry };
  return paths && ruoyiPathKind(paths, entry) === 'ruoyi' ? { source: 'ruoyi', path: entry } : undefined;
};

/**
 * The `images` of a chat request, in order and without repeats. A string that claims a
 * RuoYi prefix but is not a plain path is bad input (601), refused before anything is
 * read or written; any other string that is neither the caller's own key nor a RuoYi
 * path is ignored, as keys outside the caller's prefix always were.
 */
export const requestImageRefs = (paths: RuoyiUploadPaths | undefined, userId: string, entries: readonly string[]): ImageRef[] => {
  const refs: ImageRef[] = [];
  for (const entry of new Set(entries)) {
    if (paths && ruoyiPathKind(paths, entry) === 'malformed') throw ServiceError.invalid(IMAGE_PATH_ERROR);
    const ref = imageRefOf(paths, userId, entry);
    if (ref) refs.push(ref);
  }
  return refs;
};

/** The entry a reference was made from, as the run stores it. */
export const imageRefText = (ref: ImageRef): string => (ref.source === 'store' ? ref.key : ref.path);
