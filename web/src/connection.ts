/**
 * Where the page sends requests and with which token. Defaults come from `config.json`
 * next to the page (the local server writes the dev token there; a deployment writes the
 * stack's URLs); what the user types in the sign-in dialog is kept in localStorage and wins.
 */
export interface Connection {
  apiBaseUrl: string;
  streamUrl: string;
  token: string;
}

const STORAGE_KEY = 'ai-chat.connection';
const EMPTY: Connection = { apiBaseUrl: '', streamUrl: '', token: '' };

const pickStrings = (value: unknown): Partial<Connection> => {
  if (!value || typeof value !== 'object') return {};
  const out: Partial<Connection> = {};
  for (const key of ['apiBaseUrl', 'streamUrl', 'token'] as const) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'string') out[key] = field;
  }
  return out;
};

export const loadDefaults = async (): Promise<Connection> => {
  try {
    const res = await fetch('config.json', { cache: 'no-store' });
    return res.ok ? { ...EMPTY, ...pickStrings(await res.json()) } : EMPTY;
  } catch {
    return EMPTY;
  }
};

const loadSaved = (): Partial<Connection> => {
  try {
    return pickStrings(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null'));
  } catch {
    return {};
  }
};

export const currentConnection = (defaults: Connection): Connection => ({ ...defaults, ...loadSaved() });

/** A pasted token may carry its `Bearer ` prefix; store the bare token. */
const normaliseToken = (token: string) => token.trim().replace(/^Bearer\s+/i, '');

export const saveConnection = (connection: Connection) =>
  localStorage.setItem(
    STORAGE_KEY,
    JSON.stringify({
      ...connection,
      token: normaliseToken(connection.token),
      apiBaseUrl: connection.apiBaseUrl.trim(),
      streamUrl: connection.streamUrl.trim(),
    }),
  );

export const forgetConnection = () => localStorage.removeItem(STORAGE_KEY);

/** `apiBaseUrl` + an absolute API path; an empty base means this page's own origin. */
export const apiUrl = (connection: Connection, path: string) => `${connection.apiBaseUrl.replace(/\/+$/, '')}${path}`;

/** The stream goes to the function URL itself (`POST /`); with no URL set, to the API's `/ai/chat/send`. */
export const streamUrl = (connection: Connection) => connection.streamUrl.trim() || apiUrl(connection, '/ai/chat/send');
