"""KSeF's wire vocabulary shared by the emulator's modules: status codes
and texts (ksef-protocol.md 3.5), identifier patterns, date-times,
reference numbers, and ApiError — an HTTP error api.py renders in KSeF's
shapes."""

import binascii
import datetime
import os
import re
import time

STATUS = {
    100: "Uwierzytelnianie w toku",
    200: "Uwierzytelnianie zakończone sukcesem",
    # The OpenAPI examples give certificate errors as 400 (3.5).
    400: "Uwierzytelnianie zakończone niepowodzeniem",
    415: "Uwierzytelnianie zakończone niepowodzeniem",
    425: "Uwierzytelnienie unieważnione",
    450: ("Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego "
          "tokenu"),
    460: ("Uwierzytelnianie zakończone niepowodzeniem z powodu błędu "
          "certyfikatu"),
    470: "Uwierzytelnianie zakończone niepowodzeniem",
    480: "Uwierzytelnienie zablokowane",
    500: "Nieznany błąd",
    550: "Operacja została anulowana przez system",
}
DEFAULT_DETAILS = {
    400: ["Nieważny certyfikat."],
    415: ["Brak przypisanych uprawnień"],
    425: [("Uwierzytelnienie i powiązane refresh tokeny zostały "
           "unieważnione przez użytkownika")],
    450: ["Nieprawidłowy token"],
    460: ["Nieważny certyfikat."],
    470: ["Próba wykorzystania metod autoryzacyjnych osoby zmarłej"],
    480: [("Podejrzenie incydentu bezpieczeństwa. Skontaktuj się z "
           "Ministerstwem Finansów przez formularz zgłoszeniowy.")],
    550: [("Przetwarzanie zostało przerwane z przyczyn wewnętrznych "
           "systemu. Spróbuj ponownie")],
}

CHALLENGE_RE = re.compile(r"^\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}$")
CONTEXT_RE = {
    "Nip": re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$"),
    "InternalId": re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}-\d{5}$"),
    "NipVatUe": re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}-[A-Z]{2}.+$"),
    "PeppolId": re.compile(r"^P[A-Z]{2}[0-9]{6}$"),
}


class ApiError(Exception):
    """An HTTP error in KSeF's shapes: 400 with an exception code, 401/403
    problem details, 415, 429 with Retry-After, 5xx."""

    def __init__(self, status, code=None, description="", details=(),
                 reason_code=None, retry_after=None, delay=0.0):
        super().__init__(f"{status} {code} {description}")
        self.delay = delay  # seconds to wait before answering
        self.status = status
        self.code = code
        self.description = description
        self.details = list(details)
        self.reason_code = reason_code
        self.retry_after = retry_after


def iso(ts):
    """KSeF's date-time: 7 fractional digits and +00:00."""
    dt = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0+00:00"


def iso_ms(ms):
    """iso() of Unix milliseconds, exactly (no float rounding), so the
    challenge's timestamp and timestampMs name the same millisecond."""
    dt = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}0000+00:00"


def _hex(n):
    return binascii.hexlify(os.urandom(n)).decode().upper()


def reference(kind, now):
    stamp = time.strftime("%Y%m%d", time.gmtime(now))
    return f"{stamp}-{kind}-{_hex(5)}-{_hex(5)}-{_hex(1)}"



def is_context(context):
    return (isinstance(context, dict) and context.get("type") in CONTEXT_RE and
            isinstance(context.get("value"), str) and
            CONTEXT_RE[context["type"]].match(context["value"]) is not None)


def validation(detail):
    return ApiError(400, 21405, "Błąd walidacji danych wejściowych.", [detail])
