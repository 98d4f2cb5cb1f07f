import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * AWS's Lambda runtime interface client for Node.js (npm `aws-lambda-ric`), the part of
 * Lambda's Node.js runtime that loads the handler and talks to the Runtime API. It is an
 * optional dependency: its native part builds at install time with cmake and a C++
 * compiler, and where that fails npm leaves the package out instead of failing.
 */
export const RIC_INSTALL = 'apt-get install -y cmake g++ make autoconf automake libtool python3 && npm install';

const require = createRequire(import.meta.url);

/** The client's entry module, when it is installed with its native part built. */
export const ricModule = (): string | undefined => {
  try {
    const dir = dirname(require.resolve('aws-lambda-ric/package.json'));
    return existsSync(join(dir, 'dist', 'rapid-client.node')) ? join(dir, 'dist', 'index.mjs') : undefined;
  } catch {
    return undefined;
  }
};

/** Why the client cannot run here, with the line that installs what is missing; undefined when it can. */
export const ricMissing = (): string | undefined =>
  ricModule() ? undefined : `aws-lambda-ric is not installed or its native part did not build; to install: ${RIC_INSTALL}`;
