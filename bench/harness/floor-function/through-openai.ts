import OpenAI from 'openai';

/**
 * Figure 10's second floor: the floor function (index.mjs) calling the model through the
 * `openai` client, the one the stack must use, loaded and built in INIT as the stack's
 * warm-up does. Bundled as the stack's functions are (lib/bundling). It checks nothing,
 * stores nothing and primes nothing: what it adds to the plain floor is what the client
 * alone costs, which no function that calls its provider through `openai` can avoid.
 */
const client = new OpenAI({ apiKey: 'no-api-key', baseURL: process.env.MODEL_BASE_URL, maxRetries: 0 });
const line = (value: unknown) => `${JSON.stringify(value)}\n`;

interface FunctionUrlEvent {
  body: string;
  isBase64Encoded: boolean;
}

interface ResponseStream {
  write(text: string): void;
  end(text: string): void;
}

declare const awslambda: {
  streamifyResponse: (handler: (event: FunctionUrlEvent, stream: ResponseStream) => Promise<void>) => unknown;
  HttpResponseStream: { from: (stream: ResponseStream, prelude: unknown) => ResponseStream };
};

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const { message } = JSON.parse(text) as { message: string };
  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
  const stream = await client.chat.completions.create({ model: 'local-model', stream: true, messages: [{ role: 'user', content: message }] });
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta?.content;
    if (content) out.write(line({ content, type: 'content' }));
  }
  out.end(line({ type: 'metrics', metrics: {} }));
});
