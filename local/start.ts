import { resolve } from 'node:path';
import { buildWeb } from './build-web.ts';
import { JAVA_MISSING, javaAvailable } from './dynamodb-local.ts';
import { startLocalStack } from './stack.ts';

/** `npm start`: the local stack on PORT, data under LOCAL_DATA_DIR, until Ctrl-C or SIGTERM. */
const main = async () => {
  if (!javaAvailable()) {
    console.error(JAVA_MISSING);
    process.exit(1);
  }
  // No CloudWatch locally: embedded-metric lines would bury the console.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const ownSecret = !!process.env.JWT_SECRET;
  // RuoYi mode: the handlers read RUOYI_API_URL themselves; its tokens are signed with RuoYi's key.
  const ruoyiApiUrl = process.env.RUOYI_API_URL || undefined;
  if (ruoyiApiUrl && !ownSecret) {
    console.error("RUOYI_API_URL is set: set JWT_SECRET to RuoYi's JWT_SECRET_KEY too, or RuoYi's tokens are refused.");
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 3000);
  const dataDir = resolve(process.env.LOCAL_DATA_DIR ?? '.local');
  const host = process.env.HOST ?? '127.0.0.1';
  const publicUrl = process.env.LOCAL_PUBLIC_URL || `http://${host}:${port}`;
  // Images are served at the public URL, which need not be the origin the page is opened at.
  await buildWeb({ imageOrigins: [new URL(publicUrl).origin] });
  const stack = await startLocalStack({
    port,
    host,
    dataDir,
    modelBaseUrl: process.env.LOCAL_MODEL_BASE_URL || undefined,
    modelApiKey: process.env.LOCAL_MODEL_API_KEY || undefined,
    modelCode: process.env.LOCAL_MODEL_CODE || undefined,
    jwtSecret: process.env.JWT_SECRET || undefined,
    publicUrl,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack…`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  console.log(
    [
      '',
      `AI chat local stack on ${stack.url}`,
      `  web page:        ${stack.url}/`,
      `  REST API:        ${stack.url}/ai/...`,
      `  chat stream:     POST ${stack.url}/ai/chat/send`,
      `  OpenAPI:         ${stack.url}/openapi.json`,
      `  DynamoDB Local:  ${stack.dynamoDbEndpoint} (data in ${dataDir})`,
      `  API key cipher:  ${stack.cipherDescription}`,
      `  model:           id ${stack.modelId} → ${stack.modelBaseUrl}${stack.offlineModel ? ' (bundled OFFLINE model server: canned replies, not a real LLM)' : ''}`,
      ...(ruoyiApiUrl
        ? [
            `  auth:            RuoYi mode: identity from ${ruoyiApiUrl}/getInfo, tokens HS256 with JWT_SECRET`,
            '',
            "Log in to RuoYi and use its token (RuoYi's page sends it as it is).",
          ]
        : [
            ownSecret ? '  JWT:             HS256 with JWT_SECRET' : `  JWT:             HS256 with the dev default secret (set JWT_SECRET to change)`,
            '',
            `Admin token (user_id 1):\n  ${stack.adminToken}`,
            `User token (user_id 2, ai:chat:list):\n  ${stack.userToken}`,
          ]),
      '',
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
};

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
