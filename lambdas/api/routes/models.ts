import type { Route } from '../router.ts';

/** `/ai/model/*` routes. */
export const modelRoutes: readonly Route[] = [];
