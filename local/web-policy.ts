/**
 * The page's Content-Security-Policy, as a `<meta>` in the built page and as a header from
 * the local server. Replies are sanitised; this is the second wall: no inline or foreign
 * script, no plugins, and images only from the page itself, `data:`/`blob:` (attachment
 * previews) and the image store's origins, so nothing a reply names can make the browser
 * send a request elsewhere.
 */
export const contentSecurityPolicy = (imageOrigins: readonly string[] = []): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data: blob:", ...imageOrigins.map(exactOrigin)].join(' '),
    'connect-src *',
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

/** An http(s) origin exactly (no path, no wildcard), so it cannot widen or break the policy. */
const exactOrigin = (value: string): string => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== value) {
    throw new Error(`image origin ${JSON.stringify(value)}: must be an exact origin such as https://bucket.s3.eu-west-1.amazonaws.com`);
  }
  return value;
};
