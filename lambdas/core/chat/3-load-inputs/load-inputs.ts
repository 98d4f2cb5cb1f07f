import { BYTES_PER_MB } from '../../images/image-policy.ts';
import type { PromptImage } from '../../llm/types.ts';
import type { RunRecord } from '../../sessions/types.ts';
import { type ActiveRun, asPhase } from '../active-run.ts';
import { visionEnabled } from '../4-start-call/prompt.ts';
import { readPromptImages } from './prompt-images.ts';
import { RUN_MSG } from '../../wire/messages.ts';

export interface RunInputs {
  history: RunRecord[];
  images: PromptImage[];
}

/**
 * Phase 3, load inputs: the session's history (its read started with the checks) and the
 * attached images, when the model takes them, side by side. An image that cannot be read
 * is left out (prompt-images.ts), so in practice this phase fails when the history does.
 */
export const loadInputs = ({ deps, plan, ctx }: Pick<ActiveRun, 'deps' | 'plan' | 'ctx'>): Promise<RunInputs> =>
  asPhase('load inputs', RUN_MSG.historyFailed, async () => {
    const [history, images] = await Promise.allSettled([
      plan.history,
      visionEnabled(plan.config, plan.model) && plan.images.length
        ? readPromptImages(
            { store: deps.runtime.images, ruoyi: deps.ruoyiImages },
            plan.images,
            { authorization: ctx.authorization, maxBytes: plan.config.imageMaxSizeMb * BYTES_PER_MB },
            ctx.log,
          )
        : Promise.resolve([]),
    ]);
    if (history.status === 'rejected') throw history.reason;
    if (images.status === 'rejected') throw images.reason;
    return { history: history.value, images: images.value };
  });
