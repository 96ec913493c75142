"""A minimal DynamoDB client for the tests: the DynamoDB JSON protocol over plain HTTP
(POST /, `X-Amz-Target: DynamoDB_20120810.<Operation>`), signed with AWS Signature Version 4
from the standard library (hmac, hashlib). It is the tests' independent view of DynamoDB, so
it shares no code with urna's C++ client (src/adapters/dynamodb). One keep-alive connection;
not thread-safe (one per thread)."""
import datetime
import hashlib
import hmac
import http.client
import json
import urllib.parse

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_headers(host, body, target, region, access_key, secret_key, now=None,
                  session_token=None):
    """The headers of a signed DynamoDB POST / (service "dynamodb")."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {"content-type": JSON_CONTENT_TYPE, "host": host, "x-amz-date": amz_date,
               "x-amz-target": target}
    if session_token:
        headers["x-amz-security-token"] = session_token
    names = sorted(headers)
    signed = ";".join(names)
    canonical = "\n".join(["POST", "/", "", *(f"{n}:{headers[n]}" for n in names), "", signed,
                           hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{region}/dynamodb/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + secret_key).encode(), day)
    for part in (region, "dynamodb", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    return headers


class DynamoError(Exception):
    """A DynamoDB error answer: `type` is the short name (e.g. ConditionalCheckFailedException)."""

    def __init__(self, status, body):
        self.status, self.body = status, body
        self.type = str(body.get("__type", "")).rsplit("#", 1)[-1]
        super().__init__(f"{status} {self.type}: {body.get('message', body.get('Message', ''))}")


class DynamoHttp:
    """Calls DynamoDB operations at `endpoint` (http://host:port): call("PutItem", {...})."""

    def __init__(self, endpoint, region="us-east-1", access_key="test", secret_key="test",
                 timeout=30):
        u = urllib.parse.urlsplit(endpoint)
        if u.scheme != "http" or not u.hostname:
            raise ValueError(f"plain http endpoint expected: {endpoint}")
        self.host = u.netloc
        self.region, self.access_key, self.secret_key = region, access_key, secret_key
        self.conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)

    def call(self, operation, request):
        """Returns the decoded answer; raises DynamoError on a 4xx/5xx answer."""
        body = json.dumps(request).encode()
        headers = sigv4_headers(self.host, body, f"DynamoDB_20120810.{operation}", self.region,
                                self.access_key, self.secret_key)
        self.conn.request("POST", "/", body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        answer = json.loads(data) if data else {}
        if resp.status != 200:
            raise DynamoError(resp.status, answer)
        return answer

    def close(self):
        self.conn.close()
