// The ChittyOS TypeScript client's requests (`@chittyos/chittyid-client`), written from how it
// behaves, not from its code: the service URL is used as given, with no normalisation (its
// default is `https://id.chitty.cc/v1`; callers also give a bare host), and every call is
// `${serviceUrl}/path`: `POST /mint` with `{entity, name, metadata}` reading `chittyId`,
// `POST /mint/batch` with `{requests}` reading `chittyIds`, `GET /validate/{encoded id}`
// reading `valid`, `chittyId` and `entity`, and `GET /health` reading only `ok`. Prints one JSON
// line with what it saw; exits non-zero on failure.
//
// Environment: SERVICE_URL (the base URL, as given to the client), API_KEY.

const serviceUrl = process.env.SERVICE_URL;
const apiKey = process.env.API_KEY;
const headers = { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` };

async function post(path, body) {
  const response = await fetch(`${serviceUrl}${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`POST ${serviceUrl}${path}: ${response.status} ${await response.text()}`);
  }
  return response.json();
}

try {
  const minted = await post("/mint", {
    entity: "PLACE",
    name: "Interop Place",
    metadata: { source: "ts-client-interop" },
  });
  const batch = await post("/mint/batch", {
    requests: [{ entity: "PEO" }, { entity: "PROP" }],
  });
  const validation = await fetch(
    `${serviceUrl}/validate/${encodeURIComponent(minted.chittyId)}`,
    { headers: { Authorization: `Bearer ${apiKey}` } },
  );
  if (!validation.ok) {
    throw new Error(`GET validate: ${validation.status} ${await validation.text()}`);
  }
  const verdict = await validation.json();
  const health = await fetch(`${serviceUrl}/health`).then((r) => r.ok);
  console.log(
    JSON.stringify({
      id: minted.chittyId,
      batch: batch.chittyIds,
      valid: verdict.valid,
      validatedId: verdict.chittyId,
      entity: verdict.entity,
      health,
    }),
  );
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
