// The key half of the drop-off page (issue 15, docs/dropoff.md): a
// certificate and its password-encrypted PKCS#8 key (the Taxpayer App's
// .crt + .key: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) are decrypted HERE,
// with WebCrypto, and the key leaves the browser only wrapped for sejfd's
// import key, in the layout of common/import_wrap.h (WrapForImport):
//
//   RSA-OAEP-SHA256(import key, K) || AES key wrap with padding (RFC 5649)
//                                     under K of the PKCS#8 PrivateKeyInfo
//
// with K a fresh AES-256 key. WebCrypto's AES-KW has no padding variant and
// a fixed IV, so RFC 5649 is done here over single AES blocks (AES-CBC with
// a zero IV on one block is the block cipher itself). Exposes
// window.sejfDropoffKey.wrapKeyFile(keyFileBytes, password, spkiDer).
'use strict';

(function () {
  const subtle = () => window.crypto.subtle;

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // One DER element at `pos`: {tag, start (of the content), end}.
  function der(bytes, pos) {
    if (pos + 2 > bytes.length) throw new Error('truncated');
    const tag = bytes[pos];
    let len = bytes[pos + 1];
    let start = pos + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 3) throw new Error('bad length');
      len = 0;
      for (let i = 0; i < n; ++i) len = (len << 8) | bytes[start + i];
      start += n;
    }
    if (start + len > bytes.length) throw new Error('truncated');
    return { tag, start, end: start + len };
  }

  // The elements inside a constructed element.
  function children(bytes, el) {
    const out = [];
    for (let pos = el.start; pos < el.end;) {
      const child = der(bytes, pos);
      out.push(child);
      pos = child.end;
    }
    return out;
  }

  const body = (bytes, el) => bytes.subarray(el.start, el.end);

  const OID_PBES2 = '2a864886f70d01050d';
  const OID_PBKDF2 = '2a864886f70d01050c';
  const PRF = { '2a864886f70d0207': 'SHA-1', '2a864886f70d0209': 'SHA-256',
                '2a864886f70d020a': 'SHA-384', '2a864886f70d020b': 'SHA-512' };
  const CBC = { '608648016503040102': 128, '608648016503040116': 192,
                '60864801650304012a': 256 };

  // PEM (ENCRYPTED PRIVATE KEY or PRIVATE KEY) or DER.
  function parseKeyFile(bytes) {
    const text = new TextDecoder('latin1').decode(bytes);
    const m = text.match(/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----([\s\S]*?)-----END/);
    if (m) {
      const raw = atob(m[2].replace(/[^A-Za-z0-9+/=]/g, ''));
      const out = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; ++i) out[i] = raw.charCodeAt(i);
      return { der: out, encrypted: !!m[1] };
    }
    if (/-----BEGIN/.test(text)) throw new Error('unsupported');
    // DER: an EncryptedPrivateKeyInfo starts SEQUENCE { SEQUENCE {OID …
    const top = children(bytes, der(bytes, 0));
    return { der: bytes, encrypted: top.length === 2 && top[0].tag === 0x30 };
  }

  // EncryptedPrivateKeyInfo → the PKCS#8 PrivateKeyInfo, decrypted with
  // `password` (PBES2 with PBKDF2 and AES-CBC only).
  async function decryptPkcs8(bytes, password) {
    const [alg, data] = children(bytes, der(bytes, 0));
    const [oid, params] = children(bytes, alg);
    if (hex(body(bytes, oid)) !== OID_PBES2) throw new Error('unsupported');
    const [kdf, scheme] = children(bytes, params);
    const [kdfOid, kdfParams] = children(bytes, kdf);
    if (hex(body(bytes, kdfOid)) !== OID_PBKDF2) throw new Error('unsupported');
    const kp = children(bytes, kdfParams);
    const salt = body(bytes, kp[0]);
    let iterations = 0;
    for (const b of body(bytes, kp[1])) iterations = iterations * 256 + b;
    let hash = 'SHA-1';
    const prf = kp.find((e, i) => i >= 2 && e.tag === 0x30);
    if (prf) {
      hash = PRF[hex(body(bytes, children(bytes, prf)[0]))];
      if (!hash) throw new Error('unsupported');
    }
    const [cipherOid, ivEl] = children(bytes, scheme);
    const bits = CBC[hex(body(bytes, cipherOid))];
    if (!bits) throw new Error('unsupported');
    const base = await subtle().importKey(
      'raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveKey']);
    const key = await subtle().deriveKey(
      { name: 'PBKDF2', salt, iterations, hash }, base,
      { name: 'AES-CBC', length: bits }, false, ['decrypt']);
    try {
      return new Uint8Array(await subtle().decrypt(
        { name: 'AES-CBC', iv: body(bytes, ivEl) }, key, body(bytes, data)));
    } catch (e) {
      throw new Error('password');  // wrong padding: almost always the password
    }
  }

  // AES(K, block): one block through AES-CBC with a zero IV.
  async function aesBlock(key, block) {
    const out = await subtle().encrypt(
      { name: 'AES-CBC', iv: new Uint8Array(16) }, key, block);
    return new Uint8Array(out, 0, 16);
  }

  // RFC 5649 (AES key wrap with padding) of `plain` under raw AES key `k`.
  async function wrapWithPadding(k, plain) {
    const key = await subtle().importKey('raw', k, 'AES-CBC', false, ['encrypt']);
    const n = Math.ceil(plain.length / 8);
    const r = new Uint8Array(n * 8);
    r.set(plain);
    const a = new Uint8Array([0xa6, 0x59, 0x59, 0xa6, 0, 0, 0, 0]);
    new DataView(a.buffer).setUint32(4, plain.length);
    if (n === 1) {
      const b = new Uint8Array(16);
      b.set(a);
      b.set(r, 8);
      return aesBlock(key, b);
    }
    const block = new Uint8Array(16);
    for (let j = 0; j < 6; ++j) {
      for (let i = 0; i < n; ++i) {
        block.set(a);
        block.set(r.subarray(i * 8, i * 8 + 8), 8);
        const b = await aesBlock(key, block);
        a.set(b.subarray(0, 8));
        let t = n * j + i + 1;
        for (let x = 7; x >= 0 && t > 0; --x) {
          a[x] ^= t & 0xff;
          t = Math.floor(t / 256);
        }
        r.set(b.subarray(8, 16), i * 8);
      }
    }
    block.fill(0);
    const out = new Uint8Array(8 + r.length);
    out.set(a);
    out.set(r, 8);
    r.fill(0);
    return out;
  }

  // The key file decrypted with `password` and wrapped for the import key
  // `spkiDer`. Throws Error('password') for a wrong password and
  // Error('unsupported') for a key file of another kind.
  async function wrapKeyFile(fileBytes, password, spkiDer) {
    const parsed = parseKeyFile(fileBytes);
    const pkcs8 = parsed.encrypted ? await decryptPkcs8(parsed.der, password)
                                   : parsed.der.slice();
    const k = window.crypto.getRandomValues(new Uint8Array(32));
    try {
      const rsaKey = await subtle().importKey(
        'spki', spkiDer, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
      const head = new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP' }, rsaKey, k));
      const tail = await wrapWithPadding(k, pkcs8);
      const out = new Uint8Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      return out;
    } finally {
      k.fill(0);
      pkcs8.fill(0);
    }
  }

  window.sejfDropoffKey = { wrapKeyFile };
})();
