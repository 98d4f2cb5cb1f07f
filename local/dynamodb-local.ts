import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

/** The npm package whose `emulator/` folder is AWS's DynamoDB Local jar. */
const EMULATOR_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const CACHE_DIR = resolve(import.meta.dirname, '..', 'node_modules', '.cache', 'dynamodb-local');

export const JAVA_MISSING = 'DynamoDB Local needs Java 17+: install it with `apt-get install -y default-jre-headless`';

/**
 * Extracts DynamoDB Local from the package tarball into node_modules/.cache, once.
 * Only the emulator is taken: installing the package itself would pull in ~280 others.
 */
export const ensureEmulator = (): string => {
  const jar = join(CACHE_DIR, 'DynamoDBLocal.jar');
  if (existsSync(jar)) return CACHE_DIR;
  const work = mkdtempSync(join(tmpdir(), 'ddb-local-'));
  try {
    execFileSync('npm', ['pack', EMULATOR_PACKAGE, '--silent', '--pack-destination', work], { stdio: 'ignore' });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${EMULATOR_PACKAGE} produced no tarball`);
    mkdirSync(CACHE_DIR, { recursive: true });
    execFileSync('tar', ['xzf', join(work, tarball), '-C', CACHE_DIR, '--strip-components=2', 'package/emulator']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return CACHE_DIR;
};

export const javaAvailable = (): boolean => {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });

export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  port?: number;
  /** Folder for the database file; in memory when absent. */
  dataDir?: string;
}

// Generous: a JVM starting on a busy 2-core machine has taken more than 30 s.
const waitUntilReady = async (endpoint: string, proc: ChildProcess, timeoutMs = 120_000): Promise<void> => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${proc.exitCode}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
  } finally {
    client.destroy();
  }
};

/** Starts AWS's DynamoDB Local on loopback and waits until it answers. */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  if (!javaAvailable()) throw new Error(JAVA_MISSING);
  const dir = ensureEmulator();
  const port = options.port ?? (await freePort());
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const proc = spawn(
    'java',
    [
      '-Xms64m',
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      '-sharedDb',
      ...storage,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, proc);
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((done) => {
        if (proc.exitCode !== null) return done();
        proc.once('exit', () => done());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
      }),
  };
};
