import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../../local/model-server.ts';
import { getModel } from '../../../lambdas/core/models/repository.ts';
import { API_KEY_MASK, type StoredModel } from '../../../lambdas/core/models/schema.ts';
import type { ChatStreamHarness } from '../chat-stream/support.ts';
import { setUpBothFunctions, type Api } from '../robustness/support/corpus.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';

/**
 * Issue 14, item 3: an editor who sees only the masked key must not be able to repoint a
 * model at a server of theirs and have the stored key sent there.
 */

const STORED_KEY = 'sk-stored-key-0123456789abcdef';
const KEY_REQUIRED = '修改提供商或Base URL时必须重新填写API Key';

let h: ChatStreamHarness;
let api: Api;
let attacker: ModelServer;
let admin: string;
let editor: string;

beforeAll(async () => {
  ({ h, api } = await setUpBothFunctions());
  attacker = await startModelServer({ host: '127.0.0.1' });
  admin = await bearer(ADMIN);
  editor = await bearer(CHAT_USER(77, { perms: ['ai:chat:list', 'ai:model:query', 'ai:model:edit'], data_scope: 'all' }));
});

afterAll(() => attacker.close());

/** A model the admin created, with the stored key, pointing at the honest server. */
const adminModel = async (code: string, over: Record<string, unknown> = {}) => {
  const body = { modelCode: code, provider: 'OpenAI', modelSort: 1, apiKey: STORED_KEY, baseUrl: h.modelServer.url, ...over };
  expect((await api({ method: 'POST', path: '/ai/model', authorization: admin, body })).json.code).toBe(200);
  const list = await api({ method: 'GET', path: '/ai/model/list', authorization: admin, query: { modelCode: code } });
  return list.json.rows[0].modelId as number;
};

/** What the editor's form holds: the model as read, key masked. */
const readAsEditor = async (modelId: number) => {
  const detail = (await api({ method: 'GET', path: `/ai/model/${modelId}`, authorization: editor })).json;
  expect(detail.data.apiKey).toBe(API_KEY_MASK);
  return detail.data as Record<string, unknown>;
};

const put = async (body: Record<string, unknown>) => (await api({ method: 'PUT', path: '/ai/model', authorization: editor, body })).json;

const stored = (modelId: number) => getModel(h.runtime, modelId) as Promise<StoredModel>;

const authorizationsAt = (server: ModelServer) => server.stats.requests.map((r) => r.authorization);

describe('an edit that moves the key elsewhere needs a new key', () => {
  it('refuses the mask with a new baseUrl (601, nothing changes) and the next chat still goes to the old server', async () => {
    const modelId = await adminModel('steal-by-url');
    const before = await stored(modelId);
    const form = await readAsEditor(modelId);

    expect(await put({ ...form, baseUrl: attacker.url })).toMatchObject({ code: 601, msg: KEY_REQUIRED, success: false });
    expect(await stored(modelId)).toEqual(before);

    const honestBefore = h.modelServer.stats.requests.length;
    const turn = await h.send({ modelId, message: 'hello after the refused edit' }, { authorization: editor });
    expect(turn.ofType('content').length).toBeGreaterThan(0);
    expect(authorizationsAt(attacker)).toEqual([]);
    expect(h.modelServer.stats.requests.length).toBe(honestBefore + 1);
    expect(h.modelServer.stats.requests.at(-1)!.authorization).toBe(`Bearer ${STORED_KEY}`);
  });

  it.each([
    ['an absent key and a new baseUrl', (form: Record<string, unknown>) => ({ ...form, apiKey: undefined, baseUrl: attacker.url })],
    ['a null key and a new baseUrl', (form: Record<string, unknown>) => ({ ...form, apiKey: null, baseUrl: attacker.url })],
    ['the mask and a new provider', (form: Record<string, unknown>) => ({ ...form, provider: 'DeepSeek' })],
    ['the mask and another path on the same host', (form: Record<string, unknown>) => ({ ...form, baseUrl: `${h.modelServer.url}/other` })],
  ])('refuses %s', async (_name, edit) => {
    const modelId = await adminModel(`steal-${_name.replace(/\W+/g, '-')}`);
    const before = await stored(modelId);
    expect(await put(edit(await readAsEditor(modelId)))).toMatchObject({ code: 601, msg: KEY_REQUIRED });
    expect(await stored(modelId)).toEqual(before);
  });

  it('keeps the key for a baseUrl that differs only in trailing slash or scheme case, and for other fields', async () => {
    const modelId = await adminModel('same-endpoint');
    const before = await stored(modelId);
    const sameEndpoint = `${h.modelServer.url.replace('http://', 'HTTP://')}/`;
    expect(await put({ ...(await readAsEditor(modelId)), baseUrl: sameEndpoint, modelName: 'renamed' })).toMatchObject({ code: 200, msg: '修改成功' });
    expect(await stored(modelId)).toMatchObject({ modelName: 'renamed', baseUrl: sameEndpoint, apiKeyCipher: before.apiKeyCipher });
    // Another host name is another endpoint, even one that reaches the same machine.
    const otherName = h.modelServer.url.replace('127.0.0.1', 'localhost');
    expect(await put({ ...(await readAsEditor(modelId)), baseUrl: otherName })).toMatchObject({ code: 601, msg: KEY_REQUIRED });
  });

  it('accepts a new key with the new endpoint; the chat then sends only that key there', async () => {
    const modelId = await adminModel('repoint-with-key');
    const form = await readAsEditor(modelId);
    expect(await put({ ...form, baseUrl: attacker.url, apiKey: 'sk-editors-own-key' })).toMatchObject({ code: 200 });
    await h.send({ modelId, message: 'hello after repointing' }, { authorization: editor });
    expect(authorizationsAt(attacker)).toEqual(['Bearer sk-editors-own-key']);
  });

  it('a model without a stored key may be repointed without one; an empty key with a new endpoint clears it', async () => {
    const keyless = await adminModel('keyless', { apiKey: '' });
    const detail = (await api({ method: 'GET', path: `/ai/model/${keyless}`, authorization: editor })).json.data;
    expect(detail.apiKey).toBeNull();
    expect(await put({ ...detail, baseUrl: `${attacker.url}/keyless` })).toMatchObject({ code: 200 });

    const keyed = await adminModel('cleared');
    expect(await put({ ...(await readAsEditor(keyed)), baseUrl: `${attacker.url}/cleared`, apiKey: '' })).toMatchObject({ code: 200 });
    expect((await stored(keyed)).apiKeyCipher).toBeUndefined();
  });
});
