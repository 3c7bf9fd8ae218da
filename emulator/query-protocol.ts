// The awsQuery protocol (CloudFormation, STS): `POST /` with a form-encoded body (`Action=...&Version=...&Name=value`),
// answered in XML: `<{Action}Response xmlns=...><{Action}Result>...</{Action}Result><ResponseMetadata>...` and, for
// an error, `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`, which the SDK's
// query protocol reads (`Error.Code` names the exception).
import { randomUUID } from 'crypto';
import type * as http from 'http';
import type { AwsError, ErrorEncoding, ServiceName } from './protocol';

export interface QueryService {
  readonly service: ServiceName;
  /** The API version every request carries (`Version=`). */
  readonly version: string;
  /** The XML namespace of responses. */
  readonly xmlns: string;
  /** The SigV4 signing name, as it appears in the credential scope. */
  readonly signingName: string;
}

export const QUERY_SERVICES: readonly QueryService[] = [
  { service: 'CloudFormation', version: '2010-05-15', xmlns: 'http://cloudformation.amazonaws.com/doc/2010-05-15/', signingName: 'cloudformation' },
  { service: 'STS', version: '2011-06-15', xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/', signingName: 'sts' },
];

export interface QueryRequest {
  readonly api: QueryService;
  readonly action: string;
  /** Every parameter but Action and Version, as sent (flat `Name.member.1` keys are kept as they are). */
  readonly params: Record<string, string>;
  readonly encoding: ErrorEncoding;
}

/**
 * The query request in `body`, or undefined when it is not one: a form-encoded POST with an `Action`. The service is
 * the one the request was signed for (credential scope), else the one whose API version it names.
 */
export function parseQueryRequest(req: http.IncomingMessage, body: string): QueryRequest | undefined {
  if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return undefined;
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (!action) return undefined;
  const signedFor = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
  const version = form.get('Version');
  const api = QUERY_SERVICES.find((s) => s.signingName === signedFor) ?? QUERY_SERVICES.find((s) => s.version === version);
  if (!api) return undefined;
  const params: Record<string, string> = {};
  for (const [k, v] of form) if (k !== 'Action' && k !== 'Version') params[k] = v;
  return { api, action, params, encoding: { namespace: api.signingName, encode: (err) => xmlError(api, err) } };
}

export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [key: string]: XmlValue };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Objects become elements, arrays `<member>` lists, scalars text; undefined members are left out. */
export function toXml(value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escape(String(value));
}

/** A successful answer: `<{Action}Response><{Action}Result>{result}</...><ResponseMetadata>...`. */
export function xmlResult(api: QueryService, action: string, result: XmlValue): { status: number; headers: Record<string, string>; body: string } {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${api.xmlns}"><${action}Result>${toXml(result)}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body };
}

export function xmlError(api: QueryService, err: AwsError): { status: number; headers: Record<string, string>; body: string } {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${api.xmlns}"><Error><Type>${err.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
    `<Code>${escape(err.type)}</Code><Message>${escape(err.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  return { status: err.status, headers: { 'content-type': 'text/xml' }, body };
}
