/** RuoYi's user ids are integers and its front end compares them as numbers; other issuers' ids stay text. */
export const publicUserId = (userId: string): number | string => (/^\d{1,15}$/.test(userId) ? Number(userId) : userId);
