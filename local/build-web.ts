import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { contentSecurityPolicy } from './web-policy.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_SOURCE_DIR = join(ROOT, 'web');
export const WEB_DIST_DIR = join(WEB_SOURCE_DIR, 'dist');

export interface BuildWebOptions {
  outDir?: string;
  /** Minified without source maps, as for hosting; the local server's build keeps them readable. */
  production?: boolean;
  /** Where the page's images come from besides its own origin: the image bucket's origin, or the local server's. */
  imageOrigins?: string[];
}

export interface BuiltWeb {
  outDir: string;
  /** Output paths relative to outDir, index.html included. */
  files: string[];
}

/**
 * Bundles web/src/main.ts (and the CSS it imports) into content-hashed files under
 * `assets/`, and writes index.html pointing at them. The dist folder is replaced whole,
 * so no stale asset survives a rebuild.
 */
export const buildWeb = async (options: BuildWebOptions = {}): Promise<BuiltWeb> => {
  const outDir = options.outDir ?? WEB_DIST_DIR;
  const production = options.production ?? false;
  await rm(outDir, { recursive: true, force: true });
  const assetsDir = join(outDir, 'assets');
  const result = await build({
    entryPoints: { app: join(WEB_SOURCE_DIR, 'src', 'main.ts') },
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16.4'],
    platform: 'browser',
    minify: production,
    sourcemap: !production,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => relative(outDir, join(process.cwd(), file)));
  const asset = (ext: string) => {
    const found = outputs.find((file) => file.endsWith(ext) && basename(file).startsWith('app-'));
    if (!found) throw new Error(`web build produced no ${ext} bundle`);
    return found.split('\\').join('/');
  };
  const html = (await readFile(join(WEB_SOURCE_DIR, 'index.html'), 'utf8'))
    .replace('%APP_JS%', asset('.js'))
    .replace('%APP_CSS%', asset('.css'))
    .replace('%CSP%', contentSecurityPolicy(options.imageOrigins));
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'index.html'), html);
  return { outDir, files: ['index.html', ...outputs] };
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const imageOrigins = process.argv.filter((arg) => arg.startsWith('--image-origin=')).map((arg) => arg.slice('--image-origin='.length));
  const built = await buildWeb({ production: process.argv.includes('--production'), imageOrigins });
  console.log(`web page built into ${relative(process.cwd(), built.outDir) || '.'}: ${built.files.join(', ')}`);
}
