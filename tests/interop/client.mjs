// A client of the ChittyID authority protocol, written from the protocol (docs/format.md) the way
// the v2.2.0 JavaScript service and the TypeScript client speak it: a base URL normalised the
// v2.2.0 way, a bearer token, `POST {base}/mint` with `entity`, `name` and `metadata`, and
// `GET {base}/validate/{id}`. Prints one JSON line with what it saw; exits non-zero on failure.
//
// Environment: CHITTYID_SERVICE_URL (the base URL), CHITTY_ID_TOKEN.

function normaliseBaseUrl(url) {
  if (!url) return "https://id.chitty.cc/v1";
  let base = url.replace(/\/+$/, "");
  if (base.endsWith("/v1")) return base;
  if (base.endsWith("/api")) return `${base}/v1`;
  return `${base}/api/v1`;
}

async function call(method, url, token, body) {
  const response = await fetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (!response.ok) {
    throw new Error(`${method} ${url}: ${response.status} ${text}`);
  }
  return json;
}

const base = normaliseBaseUrl(process.env.CHITTYID_SERVICE_URL);
const token = process.env.CHITTY_ID_TOKEN;
try {
  const minted = await call("POST", `${base}/mint`, token, {
    entity: "INFO",
    name: "Interop Document",
    metadata: { source: "node-interop" },
  });
  const id = minted.chittyId ?? minted.chitty_id ?? minted.chittyid;
  if (!/^\d{2}-\d-[A-Z]{3}-\d{4}-[PLTEA]-\d{4}-\d-\d{2}$/.test(id ?? "")) {
    throw new Error(`not a canonical ChittyID: ${JSON.stringify(minted)}`);
  }
  const verdict = await call("GET", `${base}/validate/${encodeURIComponent(id)}`, token);
  const unknown = await call("GET", `${base}/validate/${encodeURIComponent("03-1-USA-0001-P-2602-0-85")}`, token);
  const health = await fetch(`${base}/health`).then((r) => r.status);
  console.log(JSON.stringify({ base, id, valid: verdict.valid, unknownValid: unknown.valid, health }));
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
