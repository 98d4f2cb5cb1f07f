import http from 'node:http';

/**
 * Figure 10's floor: the least a streaming function between the page and the provider
 * does, run under the same runtime client, harness and CPU quota as the stream bundle.
 * It checks nothing and stores nothing: it sends the chat to the model server and turns
 * each delta's text into a content line as it comes. What the stack adds above it is
 * the stack's own work; what it adds itself is the path through the runtime.
 */
const upstream = new URL(`${process.env.MODEL_BASE_URL}/chat/completions`);
const agent = new http.Agent({ keepAlive: true });
const line = (value) => `${JSON.stringify(value)}\n`;

const relay = (message, out) =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'local-model', stream: true, messages: [{ role: 'user', content: message }] });
    const req = http.request(upstream, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer no-api-key' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (text) => {
        const lines = (rest + text).split('\n');
        rest = lines.pop();
        let written = '';
        for (const data of lines) {
          if (!data.startsWith('data: {')) continue;
          const content = JSON.parse(data.slice('data: '.length)).choices?.[0]?.delta?.content;
          if (content) written += line({ content, type: 'content' });
        }
        if (written) out.write(written);
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.end(body);
  });

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
  await relay(JSON.parse(text).message, out);
  out.end(line({ type: 'metrics', metrics: {} }));
});
