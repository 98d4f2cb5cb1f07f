import { once } from 'node:events';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignJWT } from 'jose';
import { createTables, tableEnv } from './create-tables.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import './lambda-stream-shim.ts';
import { startModelServer } from './model-server.ts';
import { seedModel } from './seed-model.ts';
import { WEB_DIST_DIR } from './build-web.ts';
import { createHostGuard } from './host-guard.ts';
import { startLocalKeptRuns } from './kept-runs.ts';
import type { SqsHandler } from './sqs-event-source.ts';
import { createLocalServer, type ApiHandler, type LocalRoute, type StreamHandler } from './server.ts';
import { createOpenApiRoute } from './openapi-route.ts';
import { createUploadRoute } from './upload-route.ts';
import { createWebRoute } from './web-route.ts';

export const DEV_JWT_SECRET = 'local-dev-secret-change-me-0123456789abcdef';

export interface LocalStackOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Folder for DynamoDB data, the cipher key and images; a fresh temp folder (DynamoDB in memory) when absent. */
  dataDir?: string;
  /** Upstream for the seeded model; absent: the bundled offline model server. */
  modelBaseUrl?: string;
  modelApiKey?: string;
  modelCode?: string;
  jwtSecret?: string;
  /** Where browsers reach the server when not on a loopback name (LOCAL_PUBLIC_URL); default the listening URL. */
  publicUrl?: string;
  /** The built page it serves (see build-web.ts); default web/dist. */
  webDistDir?: string;
  /** Extra environment for the handlers (limits, poll interval, ...). */
  env?: Record<string, string>;
}

export interface LocalStack {
  url: string;
  adminToken: string;
  userToken: string;
  modelId: number;
  modelBaseUrl: string;
  offlineModel: boolean;
  cipherDescription: string;
  dynamoDbEndpoint: string;
  stop(): Promise<void>;
}

const TOKEN_TTL_S = 12 * 3600;

const devToken = (secret: string, claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_TTL_S}s`)
    .sign(new TextEncoder().encode(secret));

const listen = async (server: Server, port: number, host: string): Promise<number> => {
  server.listen(port, host);
  const [err] = await Promise.race([once(server, 'listening').then(() => [undefined]), once(server, 'error')]);
  if (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'EADDRINUSE' ? new Error(`port ${port} is already in use (is another npm start running?)`) : err;
  }
  return (server.address() as { port: number }).port;
};

const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * The whole stack in one process: DynamoDB Local, tables from the stack's definitions,
 * the offline model server (unless a real endpoint is given), a seeded model, and one
 * HTTP server running the real api and stream handlers. Handlers read process.env once,
 * so one stack per process.
 */
export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir ?? join(tmpdir(), `aichat-${process.pid}-${Date.now()}`));
  const jwtSecret = options.jwtSecret ?? DEV_JWT_SECRET;
  const imageDir = join(dataDir, 'images');
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };

  // The port is taken first, so a second start fails at once instead of after setup;
  // the handlers are plugged in once the environment they read is in place.
  let api: ApiHandler | undefined;
  let stream: StreamHandler | undefined;
  // The page's route joins once the URL and tokens it hands to the page are known.
  // Until the port is known only loopback names pass.
  let guardedUrl = 'http://localhost';
  const localRoutes: LocalRoute[] = [createHostGuard(() => guardedUrl), createUploadRoute({ dir: imageDir }), createOpenApiRoute()];
  const server = createLocalServer({
    apiHandler: (event, context) => api!(event, context),
    streamHandler: (event, responseStream, context) => stream!(event, responseStream, context),
    localRoutes,
  });
  const port = await listen(server, options.port ?? 0, host);
  stops.push(
    () =>
      new Promise((done) => {
        server.close(done);
        server.closeAllConnections();
      }),
  );
  const url = `http://${host}:${port}`;
  const publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '');
  guardedUrl = publicUrl;

  try {
    const ddb = await startDynamoDbLocal({ dataDir: options.dataDir ? join(dataDir, 'dynamodb') : undefined });
    stops.push(() => ddb.stop());
    const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTables(client, 'local');
    client.destroy();

    const startOffline = async () => {
      const modelServer = await startModelServer({ host: '127.0.0.1' });
      stops.push(() => modelServer.close());
      return modelServer.url;
    };
    const modelBaseUrl = options.modelBaseUrl ?? (await startOffline());

    // Runs DynamoDB did not take in time wait here until the drain stores them.
    const keptRuns = await startLocalKeptRuns();
    stops.push(() => keptRuns.stop());

    const allowlist = [process.env.MODEL_HOST_ALLOWLIST ?? '', options.modelBaseUrl ? '' : hostOf(modelBaseUrl)];
    Object.assign(process.env, {
      DYNAMODB_ENDPOINT: ddb.endpoint,
      ...tableEnv('local'),
      JWT_SECRET: jwtSecret,
      LOCAL_CIPHER_KEY_FILE: join(dataDir, 'cipher.key'),
      LOCAL_IMAGE_DIR: imageDir,
      LOCAL_KEPT_RUNS_DIR: join(dataDir, 'kept-runs'),
      ...keptRuns.env,
      LOCAL_PUBLIC_URL: publicUrl,
      MODEL_HOST_ALLOWLIST: allowlist.filter(Boolean).join(','),
      ...options.env,
    });

    const [apiModule, streamModule, drainModule, { getApiRuntime }] = await Promise.all([
      import('../lambdas/api/handler.ts'),
      import('../lambdas/chat-stream/handler.ts'),
      import('../lambdas/drain/handler.ts'),
      import('../lambdas/api/runtime.ts'),
    ]);
    keptRuns.startDrain(drainModule.handler as unknown as SqsHandler);
    // The model is the admin's to add, through the REST function's runtime.
    const runtime = await getApiRuntime();
    const modelId = await seedModel(runtime, {
      offline: !options.modelBaseUrl,
      baseUrl: modelBaseUrl,
      apiKey: options.modelApiKey,
      modelCode: options.modelCode,
    });
    api = apiModule.handler as unknown as ApiHandler;
    stream = streamModule.handler as unknown as StreamHandler;
    const adminToken = await devToken(jwtSecret, { user_id: 1, user_name: 'admin', roles: ['admin'] });
    const userToken = await devToken(jwtSecret, { user_id: 2, user_name: 'demo', perms: ['ai:chat:list'] });
    localRoutes.push(
      createWebRoute({
        distDir: options.webDistDir ?? WEB_DIST_DIR,
        defaults: { apiBaseUrl: publicUrl, streamUrl: `${publicUrl}/ai/chat/send`, token: userToken },
        imageOrigins: [new URL(publicUrl).origin],
      }),
    );

    return {
      url,
      adminToken,
      userToken,
      modelId,
      modelBaseUrl,
      offlineModel: !options.modelBaseUrl,
      cipherDescription: runtime.cipher.description,
      dynamoDbEndpoint: ddb.endpoint,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
};
