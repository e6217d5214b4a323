// An outside checker of a chittyid mint log, written from RFC 9162 (§2.1: Merkle tree hashes,
// §2.1.3.2: verifying an inclusion proof) and the C2SP signed-note, tlog-checkpoint and
// verifier-key texts alone, with nothing of the project's code: Node's own SHA-256 and Ed25519.
//
//   node log_checker.mjs BASE_URL VERIFIER_KEY ID...
//
// Fetches BASE_URL/v1/log/checkpoint, checks its signature with VERIFIER_KEY (given out of
// band, as a checker must be), then fetches each ID's inclusion proof against that checkpoint
// and checks it. Prints one JSON line; exit status 0 when everything verified, 1 otherwise.
import { createHash, createPublicKey, verify } from 'node:crypto';

const [base, verifierKey, ...ids] = process.argv.slice(2);
const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
const fail = (why) => {
  console.log(JSON.stringify({ verified: false, why }));
  process.exit(1);
};

// Verifier key: <name>+<hex key hash>+<base64 of 0x01 || 32-byte Ed25519 public key>.
const [name, hashHex, keyB64] = (() => {
  const first = verifierKey.indexOf('+');
  const second = verifierKey.indexOf('+', first + 1);
  return [verifierKey.slice(0, first), verifierKey.slice(first + 1, second), verifierKey.slice(second + 1)];
})();
const typed = Buffer.from(keyB64, 'base64');
if (typed.length !== 33 || typed[0] !== 0x01) fail('the verifier key is not an Ed25519 key');
const keyHash = sha256(Buffer.from(name + '\n'), typed).subarray(0, 4);
if (keyHash.toString('hex') !== hashHex) fail('the verifier key hash does not match');
const publicKey = createPublicKey({
  key: { kty: 'OKP', crv: 'Ed25519', x: typed.subarray(1).toString('base64url') },
  format: 'jwk',
});

// The signed note: text, a blank line, signature lines "— <name> <base64(key hash || sig)>".
const note = await (await fetch(`${base}/v1/log/checkpoint`)).text();
const split = note.indexOf('\n\n');
if (split < 0) fail('the checkpoint is not a signed note');
const text = note.slice(0, split + 1);
const signed = note
  .slice(split + 2)
  .split('\n')
  .filter((line) => line.startsWith('\u2014 ' + name + ' '))
  .some((line) => {
    const blob = Buffer.from(line.slice(line.lastIndexOf(' ') + 1), 'base64');
    return blob.subarray(0, 4).equals(keyHash) && verify(null, Buffer.from(text), publicKey, blob.subarray(4));
  });
if (!signed) fail('the checkpoint is not signed by the verifier key');
const [origin, sizeLine, rootB64] = text.split('\n');
const size = Number(sizeLine);
const root = Buffer.from(rootB64, 'base64');

// RFC 9162 §2.1.3.2.
function verifyInclusion(index, treeSize, leafHash, proof) {
  if (index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = sha256(Buffer.from([1]), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

for (const id of ids) {
  const answer = await fetch(`${base}/v1/log/proof/${encodeURIComponent(id)}?size=${size}`);
  if (answer.status !== 200) fail(`${id}: proof answered ${answer.status}`);
  const proof = await answer.json();
  const leaf = Buffer.from(proof.leaf, 'base64');
  // The leaf names the ID on its second line.
  if (leaf.toString('ascii').split('\n')[1] !== id) fail(`${id}: the leaf is another mint's`);
  const hashes = proof.hashes.map((h) => Buffer.from(h, 'base64'));
  if (proof.treeSize !== size || !verifyInclusion(proof.index, size, sha256(Buffer.from([0]), leaf), hashes)) {
    fail(`${id}: the inclusion proof does not verify`);
  }
}
console.log(JSON.stringify({ verified: true, origin, size, checked: ids.length }));
