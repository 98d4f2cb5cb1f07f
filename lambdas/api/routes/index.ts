import type { AnyRoute } from '../router.ts';
import { auditRoutes } from './audit.ts';
import { chatRoutes } from './chat.ts';
import { modelRoutes } from './models.ts';
import { quotaRoutes } from './quotas.ts';
import { usageRoutes } from './usage.ts';

/** Every REST route; literal paths are listed before the `{id}` paths they would shadow. */
export const routes: readonly AnyRoute[] = [...modelRoutes, ...chatRoutes, ...auditRoutes, ...usageRoutes, ...quotaRoutes];
