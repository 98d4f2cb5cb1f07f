import { describe, expect, it } from 'vitest';
import { IMAGE_PATH_ERROR, imageRefOf, requestImageRefs, type RuoyiUploadPaths } from '../../../../lambdas/core/images/image-refs.ts';
import { uploadPrefix } from '../../../../lambdas/core/images/image-store.ts';
import { FOREIGN_PATHS, MALFORMED_RUOYI_PATHS } from '../../../support/image-paths.ts';

const PATHS: RuoyiUploadPaths = { upload: '/profile', files: '/common/files' };
const USER = '7';
const FILE_ID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';

describe('images entries', () => {
  it.each(MALFORMED_RUOYI_PATHS)('%j claims a RuoYi prefix without being a plain path: 601', (entry) => {
    expect(() => requestImageRefs(PATHS, USER, [entry])).toThrow(IMAGE_PATH_ERROR);
  });

  it.each(FOREIGN_PATHS)('%j is outside the prefixes: ignored', (entry) => {
    expect(requestImageRefs(PATHS, USER, [entry])).toEqual([]);
  });

  it('keeps RuoYi paths as written, with the own store keys, in order and once', () => {
    const own = `${uploadPrefix(USER)}0b6f1c4e.png`;
    const entries = [
      '/profile/upload/2026/11/24/a_20261124120000A001.png',
      own,
      '/profile/upload/2026/11/24/照片 1_20261124120000A002.png',
      '/profile/upload/2026/11/24/%E7%85%A7.png',
      '/profile/avatar/2026/11/24/b.jpg',
      `/common/files/${FILE_ID}/download/c_20261124120000A003.png`,
      'uploads/99/0b6f1c4e.png',
      own,
    ];
    expect(requestImageRefs(PATHS, USER, entries)).toEqual([
      { source: 'ruoyi', path: entries[0] },
      { source: 'store', key: own },
      { source: 'ruoyi', path: entries[2] },
      { source: 'ruoyi', path: entries[3] },
      { source: 'ruoyi', path: entries[4] },
      { source: 'ruoyi', path: entries[5] },
    ]);
  });

  it('follows configured prefixes', () => {
    const custom = { upload: '/files/public', files: '/api/files' };
    expect(requestImageRefs(custom, USER, ['/files/public/a.png', `/api/files/${FILE_ID}/download/a.png`, '/profile/upload/a.png'])).toEqual([
      { source: 'ruoyi', path: '/files/public/a.png' },
      { source: 'ruoyi', path: `/api/files/${FILE_ID}/download/a.png` },
    ]);
    expect(() => requestImageRefs(custom, USER, ['/files/public/../a.png'])).toThrow(IMAGE_PATH_ERROR);
  });

  it('knows no RuoYi path without a RuoYi: every such string is just a foreign entry', () => {
    expect(requestImageRefs(undefined, USER, ['/profile/upload/a.png', '/profile/upload/../a.png'])).toEqual([]);
    expect(imageRefOf(undefined, USER, '/profile/upload/a.png')).toBeUndefined();
  });
});
