/** Hostile and foreign spellings of `images` entries, for RuoYi's default prefixes (`/profile`, `/common/files`). */

const FILE_ID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';

/** Spellings that claim a RuoYi prefix but would not be read as written: refused as bad input. */
export const MALFORMED_RUOYI_PATHS = [
  '/profile/upload/../../getInfo',
  '/profile/upload/./a.png',
  '/profile/upload/...',
  '/profile/upload/%2e%2e/a.png',
  '/profile/upload/%2E%2E%2Fa.png',
  '/profile/upload/..%2fa.png',
  '/profile/upload/a%5c..%5cb.png',
  '/profile/upload/a%252e%252e.png',
  '/profile/upload/a%00.png',
  '/profile/upload\\..\\a.png',
  '/profile//upload/a.png',
  '/profile/upload/',
  '/profile/upload/a.png?x=1',
  '/profile/upload/a.png#top',
  '/profile/upload/a.png\u0000.txt',
  '/profile/upload/a.png\n',
  '/common/files/not-a-uuid/download/a.png',
  `/common/files/${FILE_ID}/download/a/b.png`,
  `/common/files/${FILE_ID}/view/a.png`,
  `/common/files/${FILE_ID}/download/`,
  `/common/files/${FILE_ID}/download/..`,
  `/common/files/${FILE_ID}/download`,
];

/** Strings outside both prefixes: not RuoYi uploads, ignored like a foreign key. */
export const FOREIGN_PATHS = [
  '/profileX/a.png',
  '/PROFILE/upload/a.png',
  '//profile/upload/a.png',
  '\\profile\\upload\\a.png',
  '%2Fprofile/upload/a.png',
  'profile/upload/a.png',
  'http://evil.example/profile/upload/a.png',
  '/getInfo',
  '/common/upload',
  '/common/download?fileName=a.png&delete=true',
];
