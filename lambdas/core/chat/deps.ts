import { cachingResolver, systemResolver, type HostResolver } from '../llm/base-url-guard.ts';
import type { ImageReader } from '../images/image-store.ts';
import { createRuoyiImageReader, type RuoyiImageReader } from '../images/ruoyi-image-reader.ts';
import type { Runtime } from '../runtime.ts';
import { createHistorySizes, type HistorySizes } from './2-check/history-sizes.ts';
import { createKeyCache, type KeyCache } from './2-check/key-cache.ts';
import { createModelMemory, type ModelMemory } from './2-check/model-memory.ts';
import { createQuotaCache, type QuotaCache } from '../quotas/quota-cache.ts';
import { loadQuotas } from '../quotas/repository.ts';

/** Checked DNS answers are reused this long (they stay pinned, so reuse is safe). */
const DNS_CACHE_MS = 30_000;

/** What a chat run needs beyond the runtime; built once per process, replaceable in tests. */
export interface ChatDeps {
  runtime: Runtime<ImageReader>;
  keys: KeyCache;
  resolveHost: HostResolver;
  historySizes: HistorySizes;
  /** The quotas, as this instance keeps them (quotas/quota-cache.ts). */
  quotas: QuotaCache;
  /** The models this instance last read, for sizing quota reservations. */
  models: ModelMemory;
  /** Reads the RuoYi page's uploads; only with a RuoYi configured. */
  ruoyiImages: RuoyiImageReader | undefined;
}

export const createChatDeps = (runtime: Runtime<ImageReader>, overrides: Partial<Omit<ChatDeps, 'runtime'>> = {}): ChatDeps => ({
  runtime,
  keys: overrides.keys ?? createKeyCache(runtime.cipher, runtime.settings.KEY_CACHE_TTL_MS),
  resolveHost: overrides.resolveHost ?? cachingResolver(systemResolver, DNS_CACHE_MS),
  historySizes: overrides.historySizes ?? createHistorySizes(),
  quotas: overrides.quotas ?? createQuotaCache(() => loadQuotas(runtime), runtime.settings.QUOTA_CACHE_MS),
  models: overrides.models ?? createModelMemory(),
  ruoyiImages: runtime.settings.RUOYI_API_URL
    ? createRuoyiImageReader({ apiUrl: runtime.settings.RUOYI_API_URL, timeoutMs: runtime.settings.RUOYI_IMAGE_TIMEOUT_MS })
    : undefined,
});
