import { nginxMissing } from '../integration/proxy/support/nginx.ts';
import { ricMissing } from './lambda-runtime/ric.ts';

/**
 * What the suites need beyond Node and Java: Debian's nginx (test/integration/proxy) and
 * AWS's runtime client with its native part built (test/integration/runtime-fidelity).
 * Each entry says why its suite cannot run here, with the line that installs what is
 * missing; empty when every suite can run.
 */
export const missingForOptionalSuites = (): string[] => [nginxMissing(), ricMissing()].filter((reason) => reason !== undefined);
