import { type Api, ApiError } from './api.ts';
import { localDay } from './dom.ts';

/** Which admin parts the caller may use: the usage view (`ai:usage:list`), the quota editor (`ai:quota:list`). */
export interface Access {
  usage: boolean;
  quotas: boolean;
}

/**
 * The API has no answer listing the caller's permissions (RuoYi's tokens carry none, and
 * `/getInfo` is RuoYi's, not this service's), so the page asks each admin route once, with
 * its cheapest request (one day's total; one quota), and leaves out what answers 403. Any
 * other failure keeps the part, whose own view then shows the error. A permission taken
 * away later shows as that view's 403 message.
 */
export const probeAccess = async (api: Api): Promise<Access> => {
  const allowed = (request: Promise<unknown>) =>
    request.then(
      () => true,
      (err: unknown) => !(err instanceof ApiError && err.code === 403),
    );
  const today = localDay(new Date());
  const [usage, quotas] = await Promise.all([
    allowed(api.usageSummary({ groupBy: 'day', beginTime: today, endTime: today })),
    allowed(api.quotas({ pageNum: 1, pageSize: 1 })),
  ]);
  return { usage, quotas };
};
