// The drop-off page (issue 15, docs/dropoff.md). Served by sejfd from memory
// under a CSP that allows only this script. The link's secret is in the URL
// fragment, which browsers never send; it is taken from there, removed from
// the address bar and history, and sent only in the body of the two API
// calls. The token is encrypted here with WebCrypto (RSA-OAEP, SHA-256) to
// sejfd's import key, whose private half lives in the HSM; a certificate's
// key is decrypted and wrapped by dropoff_key.js.
'use strict';

(function () {
  const TEXT = {
    pl: {
      title: 'Przekazanie poświadczenia KSeF',
      what: 'Co przekazujesz', name: 'Nazwa w sejf', context: 'Kontekst KSeF',
      expires: 'Link ważny do',
      fingerprint: 'Odcisk klucza importu (SHA-256)',
      'fingerprint-hint': 'Porównaj odcisk z tym, który podał operator. Poświadczenie zostanie zaszyfrowane w tej przeglądarce tym kluczem; nikt poza modułem HSM serwera go nie odczyta.',
      'token-label': 'Token KSeF (wklej w całości)',
      send: 'Zaszyfruj i wyślij',
      'cert-label': 'Certyfikat (.crt)', 'key-label': 'Klucz prywatny (.key)',
      'password-label': 'Hasło do klucza',
      'key-hint': 'Klucz jest odszyfrowywany w tej przeglądarce; hasło nigdzie nie jest wysyłane.',
      doneKey: 'Gotowe: klucz jest w module HSM, a certyfikat zapisany w sejf. Możesz zamknąć tę stronę.',
      noFiles: 'Wybierz plik certyfikatu i plik klucza.',
      badPassword: 'Nie udało się odszyfrować klucza: sprawdź hasło.',
      badKeyFile: 'Nieobsługiwany plik klucza (oczekiwany PKCS#8, np. z aplikacji MF).',
      foot: 'Link działa jeden raz. Nie przesyłaj tokenu e-mailem ani komunikatorem.',
      kindToken: 'token KSeF', kindKey: 'certyfikat i klucz',
      loading: 'Sprawdzanie linku…',
      ready: 'Link jest ważny.',
      sending: 'Szyfrowanie i wysyłanie…',
      done: 'Gotowe: token został zapisany w sejf. Możesz zamknąć tę stronę.',
      empty: 'Wklej token.',
      noSecret: 'W linku brakuje części po znaku #. Otwórz pełny link otrzymany od operatora.',
      noCrypto: 'Ta przeglądarka nie udostępnia WebCrypto (wymagane HTTPS).',
      e400: 'Serwer odrzucił dane: ', e403: 'Nieprawidłowy link (zła część po #). ',
      e404: 'Nie ma takiego linku.', e409: 'Poświadczenie o tej nazwie już istnieje. ',
      e410: 'Link nie działa: ', e429: 'Za dużo prób — odczekaj chwilę i spróbuj ponownie.',
      eOther: 'Błąd serwera; spróbuj później. ',
    },
    en: {
      title: 'KSeF credential drop-off',
      what: 'What you hand over', name: 'Name in sejf', context: 'KSeF context',
      expires: 'Link valid until',
      fingerprint: 'Import key fingerprint (SHA-256)',
      'fingerprint-hint': 'Compare the fingerprint with the one the operator gave you. The credential is encrypted in this browser with that key; no one but the server\'s HSM can read it.',
      'token-label': 'KSeF token (paste it whole)',
      send: 'Encrypt and send',
      'cert-label': 'Certificate (.crt)', 'key-label': 'Private key (.key)',
      'password-label': 'Key password',
      'key-hint': 'The key is decrypted in this browser; the password is never sent.',
      doneKey: 'Done: the key is in the HSM and the certificate stored in sejf. You may close this page.',
      noFiles: 'Pick the certificate file and the key file.',
      badPassword: 'The key could not be decrypted: check the password.',
      badKeyFile: 'Unsupported key file (PKCS#8 expected, e.g. from the Ministry\'s app).',
      foot: 'The link works once. Do not send the token by e-mail or chat.',
      kindToken: 'KSeF token', kindKey: 'certificate and key',
      loading: 'Checking the link…',
      ready: 'The link is valid.',
      sending: 'Encrypting and sending…',
      done: 'Done: the token is stored in sejf. You may close this page.',
      empty: 'Paste the token.',
      noSecret: 'The link lacks the part after #. Open the whole link the operator gave you.',
      noCrypto: 'This browser offers no WebCrypto (HTTPS is required).',
      e400: 'The server refused the data: ', e403: 'Wrong link (the part after # is wrong). ',
      e404: 'No such link.', e409: 'A credential of that name already exists. ',
      e410: 'The link no longer works: ', e429: 'Too many attempts — wait a moment and try again.',
      eOther: 'Server error; try later. ',
    },
  };

  const $ = (id) => document.getElementById(id);
  let lang = (navigator.language || 'pl').toLowerCase().startsWith('pl') ? 'pl' : 'en';
  let statusKey = 'loading';
  let statusExtra = '';
  let info = null;

  function t(key) { return TEXT[lang][key] || key; }

  function render() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach((el) => {
      el.textContent = t(el.getAttribute('data-i18n'));
    });
    $('lang-pl').setAttribute('aria-pressed', String(lang === 'pl'));
    $('lang-en').setAttribute('aria-pressed', String(lang === 'en'));
    $('status').textContent = t(statusKey) + statusExtra;
    if (info) $('what').textContent = t(info.kind === 'key' ? 'kindKey' : 'kindToken');
  }

  function setStatus(state, key, extra) {
    statusKey = key;
    statusExtra = extra || '';
    $('status').setAttribute('data-state', state);
    render();
  }

  function errorKey(status) {
    return { 400: 'e400', 403: 'e403', 404: 'e404', 409: 'e409', 410: 'e410', 429: 'e429' }[status] || 'eOther';
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
    let json = {};
    try { json = await response.json(); } catch (e) { json = {}; }
    return { status: response.status, json };
  }

  function fromBase64(text) {
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; ++i) out[i] = raw.charCodeAt(i);
    return out;
  }

  function toBase64(bytes) {
    let raw = '';
    for (let i = 0; i < bytes.length; ++i) raw += String.fromCharCode(bytes[i]);
    return btoa(raw);
  }

  function fingerprintGroups(hex) {
    return hex.match(/.{1,4}/g).join(' ');
  }

  const id = (location.pathname.match(/^\/d\/([0-9a-f]{16})$/) || [])[1];
  const secret = location.hash.length > 1 ? location.hash.slice(1) : '';
  // The secret leaves the address bar and history at once.
  history.replaceState(null, '', location.pathname);

  async function open() {
    if (!id || !secret) return setStatus('error', 'noSecret');
    if (!window.crypto || !window.crypto.subtle) return setStatus('error', 'noCrypto');
    const answer = await post('/api/d/' + id + '/open', { secret });
    if (answer.status !== 200) {
      return setStatus('error', errorKey(answer.status), answer.status === 404 || answer.status === 429 ? '' : (answer.json.error || ''));
    }
    info = answer.json;
    $('name').textContent = info.name;
    $('context').textContent = info.context || '—';
    $('expires').textContent = new Date(info.expires).toLocaleString(lang === 'pl' ? 'pl-PL' : 'en-GB');
    $('fingerprint').textContent = fingerprintGroups(info.import_key.fingerprint);
    $('details').hidden = false;
    if (info.kind === 'token') {
      $('token-form').hidden = false;
    } else {
      $('key-form').hidden = false;
    }
    setStatus('ready', 'ready');
  }

  async function sendToken() {
    const token = $('token').value.trim();
    if (!token) return setStatus('error', 'empty');
    $('send').disabled = true;
    setStatus('busy', 'sending');
    try {
      const key = await crypto.subtle.importKey(
        'spki', fromBase64(info.import_key.spki),
        { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
      const plaintext = new TextEncoder().encode(token);
      const ciphertext = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, plaintext));
      plaintext.fill(0);
      const answer = await post('/api/d/' + id + '/submit', { secret, token: toBase64(ciphertext) });
      if (answer.status === 200) {
        $('token').value = '';
        $('token-form').hidden = true;
        return setStatus('done', 'done');
      }
      setStatus('error', errorKey(answer.status), answer.status === 429 ? '' : (answer.json.error || ''));
      $('send').disabled = answer.status === 410 || answer.status === 404;
    } catch (e) {
      setStatus('error', 'eOther', String(e));
      $('send').disabled = false;
    }
  }

  async function readFile(input) {
    const file = input.files && input.files[0];
    return file ? new Uint8Array(await file.arrayBuffer()) : null;
  }

  async function sendKey() {
    const cert = await readFile($('cert-file'));
    const keyFile = await readFile($('key-file'));
    if (!cert || !keyFile) return setStatus('error', 'noFiles');
    $('send-key').disabled = true;
    setStatus('busy', 'sending');
    let wrapped;
    try {
      wrapped = await window.sejfDropoffKey.wrapKeyFile(
        keyFile, $('key-password').value, fromBase64(info.import_key.spki));
    } catch (e) {
      keyFile.fill(0);
      $('send-key').disabled = false;
      const key = e.message === 'password' ? 'badPassword'
        : (e.message === 'unsupported' ? 'badKeyFile' : 'eOther');
      return setStatus('error', key, key === 'eOther' ? String(e) : '');
    }
    keyFile.fill(0);
    const answer = await post('/api/d/' + id + '/submit', {
      secret, certificate: toBase64(cert), wrapped_key: toBase64(wrapped) });
    if (answer.status === 200) {
      $('key-password').value = '';
      $('key-form').hidden = true;
      return setStatus('done', 'doneKey');
    }
    setStatus('error', errorKey(answer.status), answer.status === 429 ? '' : (answer.json.error || ''));
    $('send-key').disabled = answer.status === 410 || answer.status === 404;
  }

  function start() {
    $('lang-pl').addEventListener('click', () => { lang = 'pl'; render(); });
    $('lang-en').addEventListener('click', () => { lang = 'en'; render(); });
    $('send').addEventListener('click', sendToken);
    $('send-key').addEventListener('click', () => {
      sendKey().catch((e) => { setStatus('error', 'eOther', String(e)); $('send-key').disabled = false; });
    });
    render();
    open().catch((e) => setStatus('error', 'eOther', String(e)));
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
