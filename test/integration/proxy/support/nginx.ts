import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Debian's nginx (`apt-get install -y nginx`); NGINX_PATH overrides. */
export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

export const nginxMissing = () => (existsSync(NGINX_PATH) ? undefined : `no nginx at ${NGINX_PATH}: apt-get install -y nginx`);

/** A port nobody listens on right now. */
export const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
};

/** nginx's own folder: config, logs, pid and temp files; readable by an unprivileged nginx. */
export const nginxDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'nginx-'));
  await chmod(dir, 0o755);
  return dir;
};

export interface Nginx {
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

// Run as root (CI containers), nginx would still start its workers as `nobody`: start it as
// `nobody` outright, so nothing of it runs privileged.
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

const config = (dir: string, servers: string) => `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 128; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
${servers}
}
`;

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * nginx in the foreground with the given `server` blocks, on unprivileged ports, with its
 * prefix, logs and temp files in `dir`. Resolves once every port accepts connections.
 */
export const startNginx = async (dir: string, servers: string, ports: number[]): Promise<Nginx> => {
  const conf = join(dir, 'nginx.conf');
  const errorLogPath = join(dir, 'error.log');
  await writeFile(conf, config(dir, servers));
  if (asRoot) await chown(dir, NOBODY, NOBODY);
  const child = spawn(NGINX_PATH, ['-p', `${dir}/`, '-c', conf, '-e', errorLogPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  const errorLog = () => readFile(errorLogPath, 'utf8').catch(() => '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  // Bounded wait for the ports; a config error ends the process first.
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) {
      const log = await errorLog();
      await stop();
      throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${log}`);
    }
    if ((await Promise.all(ports.map(accepts))).every(Boolean)) return { errorLog, stop };
    if (attempt === 200) {
      await stop();
      throw new Error(`nginx did not listen on ${ports.join(', ')}: ${stderr}`);
    }
    await sleep(50);
  }
};
