/**
 * Loads whose answers may come back out of order, or after the account they were for has
 * signed out: an answer is current only if no later load began, and no clear came, after
 * its request. One per view that loads and renders.
 */
export const createLoadOrder = () => {
  let latest = 0;
  return {
    /** Marks a load's start; what it returns says whether that load's answer is still current. */
    begin() {
      const mine = ++latest;
      return () => mine === latest;
    },
    /** Every load begun so far is stale. */
    clear() {
      latest += 1;
    },
  };
};
