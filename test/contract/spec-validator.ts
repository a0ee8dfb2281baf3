/**
 * Checks a live response against the bundled contract (generated/openapi.json): the body against
 * the documented status's JSON schema (JSON Schema 2020-12, as OpenAPI 3.1 says), and the
 * presence of every header the contract marks required.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { deref, findOperation } from '../../scripts/codegen/example-flow.js';

type Json = Record<string, any>;

export class SpecValidator {
  readonly #ajv: Ajv2020;
  readonly #spec: Json;
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(spec: Json) {
    this.#spec = spec;
    this.#ajv = new Ajv2020({ allErrors: true, strict: false });
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.#ajv);
    this.#ajv.addSchema({ ...structuredClone(spec), $id: 'openapi.json' });
  }

  /** The problems with a response to `operationId`, or an empty list when it matches the contract. */
  check(operationId: string, status: number, headers: Headers, body: unknown): string[] {
    const { operation } = findOperation(this.#spec, operationId);
    const documented = operation.responses[String(status)];
    if (!documented) return [`${operationId} does not document status ${status}`];
    const response = deref(this.#spec, documented);
    const problems: string[] = [];
    for (const [name, header] of Object.entries<Json>(response.headers ?? {})) {
      if (deref(this.#spec, header).required && !headers.has(name)) problems.push(`required header ${name} is missing`);
    }
    return [...problems, ...this.checkBody(operationId, status, body)];
  }

  /** The problems with a response body alone (a sample prints only the body). */
  checkBody(operationId: string, status: number, body: unknown): string[] {
    const { operation } = findOperation(this.#spec, operationId);
    const documented = operation.responses[String(status)];
    if (!documented) return [`${operationId} does not document status ${status}`];
    const response = deref(this.#spec, documented);
    const mediaType = Object.keys(response.content ?? {})[0];
    if (!mediaType) return body === undefined ? [] : ['a body where the contract documents none'];
    const validate = this.#validator(`${operationId}/${status}`, response.content[mediaType].schema);
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }

  #validator(key: string, schema: Json): ValidateFunction {
    let fn = this.#compiled.get(key);
    if (!fn) {
      // The schema's local references point into the contract, which Ajv holds as openapi.json.
      fn = this.#ajv.compile(rebase(schema));
      this.#compiled.set(key, fn);
    }
    return fn;
  }
}

/** An inline schema's local references, pointed at the contract document. */
function rebase(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : rebase(v)]));
  }
  return schema;
}
