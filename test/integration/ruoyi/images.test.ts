import { beforeAll, describe, expect, it } from 'vitest';
import { saveChatConfig } from '../../../lambdas/core/configs/repository.ts';
import { IMAGE_PATH_ERROR } from '../../../lambdas/core/images/image-refs.ts';
import { BYTES_PER_MB } from '../../../lambdas/core/images/image-policy.ts';
import { loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { upstreamRequest } from '../chat-stream/support.ts';
import { MALFORMED_RUOYI_PATHS } from '../../support/image-paths.ts';
import { expectRefusal, send } from '../robustness/support/corpus.ts';
import { failCaseOnUnhandledRejection } from '../robustness/support/rejections.ts';
import { dumpTables } from '../robustness/support/tables.ts';
import { setUpRuoyiWorld, type RuoyiWorld } from '../../support/ruoyi-world.ts';

/**
 * RuoYi's chat page attaches what RuoYi's /common/upload returned: public `/profile/…`
 * paths and private `/common/files/{id}/download/{name}` ones. Through both real
 * handlers in RuoYi mode against the stand-in: what RuoYi hands the caller reaches the
 * model as a data URL and comes back in session detail as sent; what it does not
 * (another user's file, not an image, too large) never reaches the model; a path that
 * is not plain is refused before RuoYi or the tables are touched.
 */

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex');
const FAST = '[[interval=0]]';

let w: RuoyiWorld;
let modelId: number;
let chatter: string;

failCaseOnUnhandledRejection();

beforeAll(async () => {
  w = await setUpRuoyiWorld();
  modelId = (await w.h.addModel({ userId: '2', deptId: '103', supportImages: 'Y' })).modelId;
  chatter = await w.ruoyi.bearer('chatter');
});

/** The parts of the last message the model got: its text and its images' data URLs. */
const lastPrompt = () => {
  const content = (upstreamRequest(w.h.modelServer).body.messages as { content: unknown }[]).at(-1)!.content;
  if (typeof content === 'string') return { text: content, images: [] as string[] };
  const parts = content as { type: string; text?: string; image_url?: { url: string } }[];
  return { text: parts.find((p) => p.type === 'text')!.text, images: parts.filter((p) => p.type === 'image_url').map((p) => p.image_url!.url) };
};

const chat = async (images: string[], authorization = chatter) => {
  const out = await w.h.send({ modelId, message: `Look ${FAST}`, images }, { authorization });
  expect(out.lines.at(-1)!.type).toBe('metrics');
  return out.lines[0]!.session_id as string;
};

describe('RuoYi uploads as images', () => {
  it('public and own private uploads reach the model, and session detail gives back the paths as sent', async () => {
    const publicPng = w.ruoyi.upload('chatter', { name: '截图 1.png', content: PNG });
    const privateJpeg = w.ruoyi.upload('chatter', { name: 'photo.jpg', content: JPEG, access: 'private' });
    expect(publicPng.fileName).toMatch(/^\/profile\/upload\/\d{4}\/\d\d\/\d\d\/截图 1_\d{14}A\d{3}\.png$/);
    expect(privateJpeg.fileName).toMatch(/^\/common\/files\/[0-9a-f-]{36}\/download\/photo_\d{14}A\d{3}\.jpg$/);

    const sessionId = await chat([publicPng.fileName, privateJpeg.fileName]);
    expect(lastPrompt()).toEqual({
      text: `Look ${FAST}`,
      images: [`data:image/png;base64,${PNG.toString('base64')}`, `data:image/jpeg;base64,${JPEG.toString('base64')}`],
    });

    const [run] = await loadRuns(w.store, sessionId);
    expect(run!.images).toEqual([publicPng.fileName, privateJpeg.fileName]);
    const detail = await w.api({ method: 'GET', path: `/ai/chat/session/${sessionId}`, authorization: chatter });
    expect(detail.json.data.messages[0].images).toEqual([publicPng.fileName, privateJpeg.fileName]);
  });

  it("another user's private file, a non-image and a file past the caller's limit never reach the model", async () => {
    const theirs = w.ruoyi.upload('chatter2', { name: 'secret.png', content: PNG, access: 'private' });
    const text = w.ruoyi.upload('chatter', { name: 'notes.txt', content: Buffer.from('not an image') });
    const disguised = w.ruoyi.upload('chatter', { name: 'page.png', content: Buffer.from('<html>login</html>') });
    const big = w.ruoyi.upload('chatter', { name: 'big.png', content: Buffer.concat([PNG, Buffer.alloc(BYTES_PER_MB)]) });
    const fine = w.ruoyi.upload('chatter', { name: 'fine.png', content: PNG });
    await saveChatConfig(w.store, '2', { imageMaxSizeMb: 1, systemPrompt: null });

    const downloads = w.ruoyi.calls.download;
    const sessionId = await chat([theirs.fileName, text.fileName, disguised.fileName, big.fileName, fine.fileName]);
    // RuoYi was asked for the private file, with the caller's own token, and said no.
    expect(w.ruoyi.calls.download).toBe(downloads + 1);
    expect(lastPrompt().images).toEqual([`data:image/png;base64,${PNG.toString('base64')}`]);
    // The run keeps what was sent, as with an own image that is gone.
    const [run] = await loadRuns(w.store, sessionId);
    expect(run!.images).toEqual([theirs.fileName, text.fileName, disguised.fileName, big.fileName, fine.fileName]);

    const owner = await w.ruoyi.bearer('chatter2');
    await chat([theirs.fileName], owner);
    expect(lastPrompt().images).toEqual([`data:image/png;base64,${PNG.toString('base64')}`]);
  });

  it('sends no RuoYi image when the user turned vision off, and does not ask RuoYi for it', async () => {
    const png = w.ruoyi.upload('chatter2', { name: 'off.png', content: PNG });
    await saveChatConfig(w.store, '3', { visionEnabled: '1', systemPrompt: null });
    const asked = w.ruoyi.calls.profile;
    await chat([png.fileName], await w.ruoyi.bearer('chatter2'));
    expect(lastPrompt().images).toEqual([]);
    expect(w.ruoyi.calls.profile).toBe(asked);
    await saveChatConfig(w.store, '3', { visionEnabled: '0', systemPrompt: null });
  });

  it('ignores strings outside the prefixes without asking RuoYi', async () => {
    const asked = { ...w.ruoyi.calls };
    await chat(['/getInfo', '/common/upload', '//profile/upload/a.png', 'http://evil.example/profile/upload/a.png', '/PROFILE/upload/a.png']);
    expect(lastPrompt().images).toEqual([]);
    expect(w.ruoyi.calls.profile).toBe(asked.profile);
    expect(w.ruoyi.calls.download).toBe(asked.download);
  });

  it('refuses every path that is not plain with 601, before RuoYi, the rate limit or a table is touched', async () => {
    const before = await dumpTables(w.store);
    const asked = { ...w.ruoyi.calls };
    const requests = w.h.modelServer.stats.requests.length;
    for (const path of MALFORMED_RUOYI_PATHS) {
      const answer = await send(w.h, w.api, { handler: 'stream', body: { modelId, message: 'hi', images: [path] }, authorization: chatter });
      expectRefusal(answer, 601, IMAGE_PATH_ERROR);
    }
    expect(await dumpTables(w.store)).toEqual(before);
    expect(w.ruoyi.calls.profile).toBe(asked.profile);
    expect(w.ruoyi.calls.download).toBe(asked.download);
    expect(w.h.modelServer.stats.requests.length).toBe(requests);
  });
});
