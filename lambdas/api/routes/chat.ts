import type { Route } from '../router.ts';

/** `/ai/chat/*` REST routes (config, sessions, cancel, upload). */
export const chatRoutes: readonly Route[] = [];
