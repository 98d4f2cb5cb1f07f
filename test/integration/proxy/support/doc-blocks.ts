import { readFileSync } from 'node:fs';

/** Where the admin reads the blocks: the operations guide, beside the README. */
const GUIDE = new URL('../../../../docs/operations.md', import.meta.url);

/** The example origins the guide's blocks name, by the stack output each stands for. */
export const GUIDE_ORIGINS = {
  AiBaseUrl: 'https://d111111abcdef8.cloudfront.net',
  ChatStreamUrl: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws',
  ApiUrl: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
} as const;

export type GuideOrigin = keyof typeof GUIDE_ORIGINS;

/** Where the guide tells nginx to find trusted CA certificates. */
export const GUIDE_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

/** The ```nginx block that follows `<!-- nginx: NAME -->` in docs/operations.md, as the admin copies it. */
export const guideNginxBlock = (name: 'distribution' | 'two-origins'): string => {
  const text = readFileSync(GUIDE, 'utf8');
  const match = text.match(new RegExp(`<!-- nginx: ${name} -->\\n\`\`\`nginx\\n([\\s\\S]*?)\\n\`\`\`\\n`));
  if (!match) throw new Error(`docs/operations.md has no nginx block marked <!-- nginx: ${name} -->`);
  return match[1]!;
};

const replaceEvery = (text: string, from: string, to: string) => {
  if (!text.includes(from)) throw new Error(`the block does not contain ${from}`);
  return text.split(from).join(to);
};

/**
 * The block with the admin's edits made: each example origin it names replaced by the
 * real one, and optionally the CA file.
 */
export const pointBlockAt = (block: string, origins: Record<GuideOrigin, string>, caFile?: string): string => {
  let out = block;
  for (const [output, example] of Object.entries(GUIDE_ORIGINS)) {
    if (out.includes(example)) out = replaceEvery(out, example, origins[output as GuideOrigin]);
  }
  if (Object.values(GUIDE_ORIGINS).some((example) => block.includes(example)) === false) throw new Error('the block names none of the outputs');
  return caFile ? replaceEvery(out, GUIDE_CA_FILE, caFile) : out;
};
