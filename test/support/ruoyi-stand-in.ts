import { randomInt, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';

/**
 * A stand-in for RuoYi-Vue3-FastAPI's core, for what this service asks of it: login
 * tokens, `/getInfo`, `/logout`, public uploads under `/profile` and private downloads
 * under `/common/files/{id}/download/{name}`. It answers the way RuoYi's source does
 * (module_admin/controller/login_controller.py, module_admin/service/login_service.py,
 * module_admin/service/common_service.py, sub_applications/staticfiles.py): tokens in
 * RuoYi's claim shape signed HS256, a Redis-like token store (logout deletes, 30 idle
 * minutes expire, every accepted request renews), permissions, roles and data scopes
 * looked up per request, envelopes with HTTP 200 and the outcome in `code`.
 */

export const RUOYI_JWT_SECRET = 'ruoyi-stand-in-jwt-secret-key-0123456789abcdef';

export type RuoyiDataScope = '1' | '2' | '3' | '4' | '5';

export interface RuoyiDept {
  deptId: number;
  parentId: number;
  /** RuoYi's `sys_dept.ancestors`: `0,100,101`. */
  ancestors: string;
  deptName: string;
}

export interface RuoyiRole {
  roleId: number;
  roleKey: string;
  dataScope: RuoyiDataScope;
  /** The `perms` of the role's menus. */
  perms?: string[];
  /** `1`: disabled, left out of the user's roles as RuoYi's query does. */
  status?: '0' | '1';
}

export interface RuoyiUser {
  userId: number;
  userName: string;
  deptId?: number | null;
  roleIds: number[];
  status?: '0' | '1';
}

export interface RuoyiFile {
  fileId: string;
  access: 'public' | 'private';
  ownerUserId: number;
  storageKey: string;
  storedName: string;
  originalName: string;
  content: Buffer;
}

/** What RuoYi's `POST /common/upload` (or `/common/files/upload`) answers in its envelope. */
export interface RuoyiUploadResult {
  fileName: string;
  newFileName: string;
  originalFilename: string;
  url: string;
  fileId: string;
  accessType: 'public' | 'private';
  downloadUrl: string;
}

export interface RuoyiStandInOptions {
  secret?: string;
  /** Where RuoYi's API is mounted behind its proxy (`/prod-api`); the URL includes it. */
  basePath?: string;
  depts?: RuoyiDept[];
  roles?: RuoyiRole[];
  users?: RuoyiUser[];
  /** RuoYi's `JWT_REDIS_EXPIRE_MINUTES` (idle expiry). */
  redisExpireMinutes?: number;
  /** RuoYi's `JWT_EXPIRE_MINUTES` (`exp`). */
  jwtExpireMinutes?: number;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** RuoYi's built-in admin: user 1 (`user.admin`) with role 1 (`*:*:*`). */
const ADMIN_ROLE: RuoyiRole = { roleId: 1, roleKey: 'admin', dataScope: '1' };
const ROOT_DEPT: RuoyiDept = { deptId: 100, parentId: 0, ancestors: '0', deptName: '若依科技' };
const ADMIN_USER: RuoyiUser = { userId: 1, userName: 'admin', deptId: 100, roleIds: [1] };

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.pdf': 'application/pdf',
};

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** RuoYi's server-local time as its JSON encoder writes a naive datetime. */
const localTime = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

const json = (body: unknown, status = 200): Answer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export class RuoyiStandIn {
  readonly secret: string;
  readonly basePath: string;
  readonly depts = new Map<number, RuoyiDept>();
  readonly roles = new Map<number, RuoyiRole>();
  readonly users = new Map<number, RuoyiUser>();
  readonly files = new Map<string, RuoyiFile>();
  /** Requests by route, e.g. `getInfo`, `logout`, `profile`, `download`. */
  readonly calls = { getInfo: 0, logout: 0, profile: 0, download: 0 };
  /** Milliseconds every answer waits (a slow RuoYi). */
  delayMs = 0;
  /** Replaces `/getInfo`'s answer (RuoYi's database down, a proxy's error page, …). */
  getInfoOverride: Answer | undefined;

  private readonly server = createServer((req, res) => void this.serve(req, res));
  private readonly redis = new Map<string, { token: string; expiresAt: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly redisExpireMs: number;
  private readonly jwtExpireS: number;
  private clockOffsetMs = 0;
  private port = 0;

  constructor(options: RuoyiStandInOptions = {}) {
    this.secret = options.secret ?? RUOYI_JWT_SECRET;
    this.basePath = options.basePath ?? '';
    this.redisExpireMs = (options.redisExpireMinutes ?? 30) * 60_000;
    this.jwtExpireS = (options.jwtExpireMinutes ?? 1440) * 60;
    for (const d of [ROOT_DEPT, ...(options.depts ?? [])]) this.depts.set(d.deptId, d);
    for (const r of [ADMIN_ROLE, ...(options.roles ?? [])]) this.roles.set(r.roleId, r);
    for (const u of [ADMIN_USER, ...(options.users ?? [])]) this.users.set(u.userId, u);
  }

  /** RuoYi's API base as a deployment would configure it (`RUOYI_API_URL`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.basePath}`;
  }

  async start(): Promise<this> {
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Down: the port refuses connections (open ones are cut); up again on the same port. */
  async setDown(down: boolean): Promise<void> {
    if (down === !this.server.listening) return;
    if (down) {
      const closed = once(this.server, 'close');
      this.server.close();
      this.server.closeAllConnections();
      await closed;
    } else {
      await this.start();
    }
  }

  /** Moves RuoYi's clock (its Redis expiry) forward. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.setDown(true);
  }

  /** RuoYi's `/login` outcome: a token in RuoYi's claim shape, stored in its Redis by session id. */
  async login(userName: string): Promise<string> {
    const user = [...this.users.values()].find((u) => u.userName === userName);
    if (!user) throw new Error(`stand-in: no user ${userName}`);
    const sessionId = randomUUID();
    const token = await new SignJWT({
      user_id: String(user.userId),
      user_name: user.userName,
      dept_name: user.deptId != null ? (this.depts.get(user.deptId)?.deptName ?? null) : null,
      session_id: sessionId,
      login_info: null,
      exp: Math.floor(this.now() / 1000) + this.jwtExpireS,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(this.secret));
    this.redis.set(sessionId, { token, expiresAt: this.now() + this.redisExpireMs });
    return token;
  }

  async bearer(userName: string): Promise<string> {
    return `Bearer ${await this.login(userName)}`;
  }

  /** The page's logout: `POST /logout` with the token, over HTTP. */
  async logout(token: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as Record<string, unknown>;
  }

  /** What RuoYi's `POST /common/upload` (public) or `/common/files/upload` (private) stores and answers. */
  upload(userName: string, file: { name: string; content: Buffer; access?: 'public' | 'private' }): RuoyiUploadResult {
    const user = [...this.users.values()].find((u) => u.userName === userName);
    if (!user) throw new Error(`stand-in: no user ${userName}`);
    const now = new Date(this.now());
    const ext = extname(file.name).slice(1);
    const stem = file.name.slice(0, file.name.length - ext.length - 1);
    const stamp = localTime(now).replace(/\D/g, '');
    const storedName = `${stem}_${stamp}A${pad(randomInt(1, 1000), 3)}.${ext}`;
    const storageKey = `upload/${now.getFullYear()}/${pad(now.getMonth() + 1)}/${pad(now.getDate())}/${storedName}`;
    const access = file.access ?? 'public';
    const fileId = randomUUID();
    this.files.set(fileId, { fileId, access, ownerUserId: user.userId, storageKey, storedName, originalName: file.name, content: file.content });
    const downloadUrl = `/common/files/${fileId}/download/${storedName}`;
    const fileName = access === 'public' ? `/profile/${storageKey}` : downloadUrl;
    return { fileName, newFileName: storedName, originalFilename: file.name, url: `${this.url}${fileName}`, fileId, accessType: access, downloadUrl };
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.route(req);
    } catch (err) {
      // RuoYi's catch-all handler: HTTP 200, code 500, the exception's text.
      answer = json({ code: 500, msg: String(err), success: false, time: localTime(new Date(this.now())) });
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  /** Counts a request (as soon as it arrives) and holds it for `delayMs`. */
  private async arrived(route: keyof RuoyiStandIn['calls']): Promise<void> {
    this.calls[route]++;
    if (this.delayMs <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, this.delayMs);
      this.timers.add(timer);
    });
  }

  private async route(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (!url.pathname.startsWith(`${this.basePath}/`)) return json({ detail: 'Not Found' }, 404);
    const path = url.pathname.slice(this.basePath.length);
    const auth = req.headers.authorization;
    if (req.method === 'GET' && path === '/getInfo') {
      await this.arrived('getInfo');
      return this.getInfoOverride ?? this.envelopeOf(await this.currentUser(auth), (user) => this.userInfo(user));
    }
    if (req.method === 'POST' && path === '/logout') {
      await this.arrived('logout');
      return this.logoutAnswer(auth);
    }
    if (req.method === 'GET' && path.startsWith('/profile/')) {
      await this.arrived('profile');
      return this.publicFile(decodeURIComponent(path.slice('/profile/'.length)));
    }
    const download = /^\/common\/files\/([^/]+)\/download\/[^/]+$/.exec(path);
    if (req.method === 'GET' && download) {
      await this.arrived('download');
      return this.envelopeOf(await this.currentUser(auth), (user) => this.privateFile(user, download[1]!));
    }
    return json({ detail: 'Not Found' }, 404);
  }

  private envelopeOf(current: RuoyiUser | Answer, then: (user: RuoyiUser) => Answer): Answer {
    return 'body' in current ? current : then(current);
  }

  private fail(code: number, msg: string): Answer {
    return json({ code, msg, success: false, time: localTime(new Date(this.now())) });
  }

  /** `LoginService.get_current_user`: signature and exp, the user, then the token in Redis (renewed on use). */
  private async currentUser(authorization: string | undefined): Promise<RuoyiUser | Answer> {
    if (!authorization) return this.fail(401, '用户未登录，请先完成登录');
    const token = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : authorization;
    let payload: Record<string, unknown>;
    try {
      payload = (await jwtVerify(token, new TextEncoder().encode(this.secret), { algorithms: ['HS256'], currentDate: new Date(this.now()) })).payload;
    } catch {
      return this.fail(401, '用户token已失效，请重新登录');
    }
    const userId = Number(payload.user_id);
    if (!payload.user_id || !Number.isInteger(userId)) return this.fail(401, '用户token不合法');
    const user = this.users.get(userId);
    if (!user || user.status === '1') return this.fail(401, '用户token不合法');
    const stored = this.redis.get(String(payload.session_id));
    if (!stored || stored.expiresAt <= this.now() || stored.token !== token) {
      if (stored && stored.expiresAt <= this.now()) this.redis.delete(String(payload.session_id));
      return this.fail(401, '用户token已失效，请重新登录');
    }
    stored.expiresAt = this.now() + this.redisExpireMs;
    return user;
  }

  private rolesOf(user: RuoyiUser): RuoyiRole[] {
    return user.roleIds.map((id) => this.roles.get(id)).filter((r): r is RuoyiRole => !!r && r.status !== '1');
  }

  /** `CurrentUserModel` as `/getInfo` dumps it (camelCase, `user.role` singular, menu perms with null/empty entries). */
  private userInfo(user: RuoyiUser): Answer {
    const roles = this.rolesOf(user);
    // Directory menus have no perms: RuoYi's list carries their null and '' as they are.
    const permissions = roles.some((r) => r.roleId === 1) ? ['*:*:*'] : [null, '', ...new Set(roles.flatMap((r) => r.perms ?? []))];
    const dept = user.deptId != null ? this.depts.get(user.deptId) : undefined;
    const created = '2026-01-01T00:00:00';
    return json({
      code: 200,
      msg: '操作成功',
      permissions,
      roles: roles.map((r) => r.roleKey),
      user: {
        userId: user.userId,
        deptId: user.deptId ?? null,
        userName: user.userName,
        nickName: user.userName,
        userType: '00',
        email: '',
        phonenumber: '',
        sex: '0',
        avatar: '',
        password: null,
        status: '0',
        delFlag: '0',
        loginIp: '127.0.0.1',
        loginDate: created,
        pwdUpdateDate: created,
        createBy: 'admin',
        createTime: created,
        updateBy: null,
        updateTime: null,
        remark: null,
        admin: user.userId === 1,
        postIds: '',
        roleIds: roles.map((r) => r.roleId).join(','),
        dept: dept
          ? {
              ...dept,
              orderNum: 0,
              leader: null,
              phone: null,
              email: null,
              status: '0',
              delFlag: '0',
              createBy: 'admin',
              createTime: created,
              updateBy: null,
              updateTime: null,
            }
          : null,
        role: roles.map((r) => ({
          roleId: r.roleId,
          roleName: r.roleKey,
          roleKey: r.roleKey,
          roleSort: r.roleId,
          dataScope: r.dataScope,
          menuCheckStrictly: true,
          deptCheckStrictly: true,
          status: '0',
          delFlag: '0',
          createBy: 'admin',
          createTime: created,
          updateBy: null,
          updateTime: null,
          remark: null,
          admin: r.roleId === 1,
        })),
      },
      pwdChrtype: '0',
      isDefaultModifyPwd: false,
      isPasswordExpired: false,
      success: true,
      time: localTime(new Date(this.now())),
    });
  }

  /** `/logout` decodes without checking `exp` and deletes the session's Redis key. */
  private async logoutAnswer(authorization: string | undefined): Promise<Answer> {
    if (!authorization?.startsWith('Bearer ')) return json({ code: 401, msg: 'Not authenticated' }, 401);
    try {
      const { payload } = await jwtVerify(authorization.slice('Bearer '.length), new TextEncoder().encode(this.secret), {
        algorithms: ['HS256'],
        currentDate: new Date(0),
      });
      this.redis.delete(String(payload.session_id));
    } catch {
      return this.fail(401, '用户token已失效，请重新登录');
    }
    return json({ code: 200, msg: '退出成功', success: true, time: localTime(new Date(this.now())) });
  }

  /** The `/profile` static mount: no token, type from the extension, 404 text for anything else. */
  private publicFile(storageKey: string): Answer {
    const file = [...this.files.values()].find((f) => f.access === 'public' && f.storageKey === storageKey);
    if (!file) return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not Found' };
    const type = MIME[extname(file.storedName).toLowerCase()] ?? 'application/octet-stream';
    return {
      status: 200,
      headers: { 'content-type': type, 'content-length': String(file.content.length), 'x-content-type-options': 'nosniff' },
      body: file.content,
    };
  }

  /** `download_managed_file_services`: public files for anyone signed in, private ones for the owner or an admin. */
  private privateFile(user: RuoyiUser, fileId: string): Answer {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(fileId)) {
      return json({ detail: [{ type: 'uuid_parsing', loc: ['path', 'file_id'], msg: 'Input should be a valid UUID' }] }, 422);
    }
    const file = this.files.get(fileId.toLowerCase());
    const allowed = file && (file.access === 'public' || user.userId === 1 || user.userId === file.ownerUserId);
    if (!file || !allowed) return this.fail(500, '文件不存在或无权访问');
    const name = encodeURIComponent(file.originalName);
    return {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(file.content.length),
        'content-disposition': `attachment; filename*=UTF-8''${name}`,
        'download-filename': name,
        'accept-ranges': 'bytes',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      },
      body: file.content,
    };
  }
}

/** A started stand-in; `close()` it after the tests. */
export const startRuoyiStandIn = (options: RuoyiStandInOptions = {}): Promise<RuoyiStandIn> => new RuoyiStandIn(options).start();
