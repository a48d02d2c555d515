// One HTTP client for both servers: node:http with a keep-alive agent, JSON in and out.
import http from 'node:http';

/** A JSON client for one server's MLflow REST API (`base` like http://127.0.0.1:5000). */
export function client(base, { maxSockets = 64, timeoutMs = 300_000, keepAlive = true } = {}) {
  const { hostname, port } = new URL(base);
  if (hostname !== '127.0.0.1') throw new Error(`bench traffic stays on 127.0.0.1, not ${hostname}`);
  const agent = new http.Agent({ keepAlive, maxSockets });
  const stats = { retries: 0 };

  /**
   * Sends one request; resolves { status, text } (never throws on HTTP status). A kept-alive socket the
   * server closed while idle (uvicorn closes them after 5 s) fails before the server saw anything, so that
   * one case is retried on a new socket, as Node's documentation recommends.
   */
  async function raw(method, path, body) {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    try {
      return await send(method, path, payload);
    } catch (error) {
      if (!error.reusedSocket || error.code !== 'ECONNRESET') throw error;
      stats.retries++;
      return send(method, path, payload);
    }
  }

  function send(method, path, payload) {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: hostname,
          port,
          method,
          path,
          agent,
          timeout: timeoutMs,
          headers: payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
      req.end(payload);
    });
  }

  /** POST/GET an MLflow endpoint (`runs/create`), returning the parsed JSON or throwing on a non-2xx answer. */
  async function call(method, endpoint, body) {
    let path = `/api/2.0/mlflow/${endpoint}`;
    if (method === 'GET' && body) path += `?${query(body)}`;
    const { status, text } = await raw(method, path, method === 'GET' ? undefined : body);
    if (status < 200 || status >= 300) throw new Error(`${method} ${endpoint}: HTTP ${status} ${text.slice(0, 300)}`);
    return text === '' ? {} : JSON.parse(text);
  }

  return {
    base,
    stats,
    raw,
    call,
    post: (endpoint, body) => call('POST', endpoint, body),
    get: (endpoint, params) => call('GET', endpoint, params),
    close: () => agent.destroy(),
  };
}

/** URL query from an object; arrays repeat the key (run_ids=a&run_ids=b). */
function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  return search.toString();
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function pool(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
