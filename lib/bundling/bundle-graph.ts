import { build } from 'esbuild';

/** What the Lambda runtime imports (handler `index.handler`). */
export const ENTRY_FILE = 'index.mjs';

/** Files by path, each with the imports esbuild found in it (as in a metafile). */
export type ImportGraph = Record<string, { bytes: number; imports: readonly { path: string; kind: string; external?: boolean }[] }>;

const closure = (graph: ImportGraph, entry: string, follow: (kind: string) => boolean): Set<string> => {
  const reached = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const node = graph[file];
    if (reached.has(file) || !node) continue;
    reached.add(file);
    for (const imported of node.imports) if (follow(imported.kind)) pending.push(imported.path);
  }
  return reached;
};

/**
 * What loading `entry` loads before it runs: the entry and every file reached by
 * static imports. Dynamic imports are left for later, as at run time.
 */
export const staticClosure = (graph: ImportGraph, entry: string): Set<string> => closure(graph, entry, (kind) => kind === 'import-statement');

/** Every file `entry` may ever load, now or through a dynamic import. */
export const reachableFrom = (graph: ImportGraph, entry: string): Set<string> =>
  closure(graph, entry, (kind) => kind === 'import-statement' || kind === 'dynamic-import');

/**
 * The module graph of a bundled function, read back from its files by esbuild:
 * every module reachable from the entry file, static and dynamic imports alike, paths
 * relative to `dir`. An import that names a missing file fails the read.
 */
export const readBundleGraph = async (dir: string): Promise<ImportGraph> => {
  const { metafile } = await build({
    absWorkingDir: dir,
    entryPoints: [ENTRY_FILE],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    outdir: 'reread',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return metafile.inputs;
};
