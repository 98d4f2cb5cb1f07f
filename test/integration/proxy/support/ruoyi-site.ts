import { readFile } from 'node:fs/promises';

/** RuoYi's own nginx config, verbatim: ruoyi-fastapi-frontend/bin/nginx.dockermy.conf (insistence/RuoYi-Vue3-FastAPI). */
const RUOYI_CONF = new URL('../fixtures/nginx.dockermy.conf', import.meta.url);

const replaceOnce = (text: string, from: string, to: string) => {
  const parts = text.split(from);
  if (parts.length < 2) throw new Error(`RuoYi's server block no longer contains ${from}`);
  return parts.join(to);
};

export interface RuoyiSiteOptions {
  port: number;
  /** Stands in for the built pages in /usr/share/nginx/html. */
  htmlDir: string;
  /** Stands in for `ruoyi-backend-my:9099`, the Python backend. */
  backendUrl: string;
  /** What the admin adds inside the server block. */
  added: string;
}

/**
 * RuoYi's server block with only what differs on this machine changed (port, pages
 * folder, backend address) and the admin's block(s) added before its closing brace.
 */
export const ruoyiServerBlock = async (options: RuoyiSiteOptions): Promise<string> => {
  let conf = await readFile(RUOYI_CONF, 'utf8');
  conf = replaceOnce(conf, 'listen 80;', `listen 127.0.0.1:${options.port};`);
  conf = replaceOnce(conf, 'root /usr/share/nginx/html;', `root ${options.htmlDir};`);
  conf = replaceOnce(conf, 'proxy_pass http://ruoyi-backend-my:9099/;', `proxy_pass ${options.backendUrl}/;`);
  const end = conf.lastIndexOf('}');
  return `${conf.slice(0, end)}\n${options.added}\n}\n`;
};
