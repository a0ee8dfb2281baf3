import { describe, expect, it } from 'vitest';
import { breaking, classifyOpenApi } from '../../scripts/contract/classify-openapi.js';

/** A small released contract: one public GET and one secured POST, enough to exercise every rule. */
function released(): any {
  return {
    openapi: '3.1.0',
    info: { title: 'fixture', version: '1.0.0' },
    components: { securitySchemes: { Key: { type: 'apiKey', in: 'header', name: 'X-Key' }, Other: { type: 'apiKey', in: 'header', name: 'X-Other' } } },
    paths: {
      '/v1/things': {
        get: {
          operationId: 'listThings',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            { name: 'kind', in: 'query', schema: { type: 'string', enum: ['a', 'b', 'c'] } },
          ],
          responses: {
            '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, size: { type: 'integer' }, note: { type: 'string' } } } } } },
            '400': { description: 'bad' },
          },
        },
        post: {
          operationId: 'createThing',
          security: [{ Key: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, colour: { type: 'string', enum: ['red', 'blue'] }, size: { type: ['integer', 'string'] } } } } } },
          responses: { '201': { description: 'created' }, '401': { description: 'no' }, '429': { description: 'slow down' } },
        },
      },
      '/v1/other': { get: { operationId: 'other', responses: { '200': { description: 'ok' } } } },
    },
  };
}

function change(mutate: (s: any) => void): ReturnType<typeof classifyOpenApi> {
  const after = released();
  mutate(after);
  return classifyOpenApi(released(), after);
}

const getOk = (s: any) => s.paths['/v1/things'].get.responses['200'].content['application/json'].schema;
const postBody = (s: any) => s.paths['/v1/things'].post.requestBody.content['application/json'].schema;

describe('breaking changes fail the gate', () => {
  it('a removed path', () => {
    expect(breaking(change((s) => delete s.paths['/v1/other']))).not.toHaveLength(0);
  });
  it('a removed operation', () => {
    expect(breaking(change((s) => delete s.paths['/v1/things'].post))).not.toHaveLength(0);
  });
  it('a removed required response field', () => {
    expect(breaking(change((s) => { delete getOk(s).properties.id; getOk(s).required = []; }))).not.toHaveLength(0);
  });
  it('a removed optional response field', () => {
    const found = breaking(change((s) => delete getOk(s).properties.note));
    expect(found.map((f) => f.rule)).toContain('response-field-removed');
  });
  it('a changed response field type', () => {
    const found = breaking(change((s) => (getOk(s).properties.size = { type: 'string' })));
    expect(found.map((f) => f.rule)).toContain('response-type-changed');
  });
  it('a new required request field', () => {
    expect(breaking(change((s) => postBody(s).required.push('colour')))).not.toHaveLength(0);
  });
  it('a new required parameter', () => {
    expect(breaking(change((s) => s.paths['/v1/things'].get.parameters.push({ name: 'owner', in: 'query', required: true, schema: { type: 'string' } })))).not.toHaveLength(0);
  });
  it('a narrowed request type', () => {
    expect(breaking(change((s) => (postBody(s).properties.size = { type: 'integer' })))).not.toHaveLength(0);
  });
  it('a narrowed parameter range', () => {
    expect(breaking(change((s) => (s.paths['/v1/things'].get.parameters[0].schema.maximum = 100)))).not.toHaveLength(0);
  });
  it('a narrowed request enum', () => {
    expect(breaking(change((s) => (postBody(s).properties.colour.enum = ['red'])))).not.toHaveLength(0);
  });
  it('a narrowed parameter enum', () => {
    expect(breaking(change((s) => (s.paths['/v1/things'].get.parameters[1].schema.enum = ['a', 'b'])))).not.toHaveLength(0);
  });
  it('a security requirement added, removed or changed', () => {
    for (const mutate of [
      (s: any) => (s.paths['/v1/things'].get.security = [{ Key: [] }]),
      (s: any) => delete s.paths['/v1/things'].post.security,
      (s: any) => (s.paths['/v1/things'].post.security = [{ Other: [] }]),
      (s: any) => (s.security = [{ Key: [] }]),
    ]) {
      expect(breaking(change(mutate)).map((f) => f.rule)).toContain('security-changed');
    }
  });
  it('a removed error status', () => {
    expect(breaking(change((s) => delete s.paths['/v1/things'].post.responses['429']))).not.toHaveLength(0);
    expect(breaking(change((s) => delete s.paths['/v1/things'].get.responses['400']))).not.toHaveLength(0);
  });
});

describe('additive changes pass the gate', () => {
  it('a new optional response field', () => {
    const findings = change((s) => (getOk(s).properties.colour = { type: 'string' }));
    expect(findings).not.toHaveLength(0);
    expect(breaking(findings)).toHaveLength(0);
  });
  it('a new optional request field and a new optional parameter', () => {
    const findings = change((s) => {
      postBody(s).properties.label = { type: 'string' };
      s.paths['/v1/things'].get.parameters.push({ name: 'q', in: 'query', schema: { type: 'string' } });
    });
    expect(findings).not.toHaveLength(0);
    expect(breaking(findings)).toHaveLength(0);
  });
  it('a new path and a new operation', () => {
    const findings = change((s) => {
      s.paths['/v1/new'] = { get: { operationId: 'n', responses: { '200': { description: 'ok' } } } };
      s.paths['/v1/other'].post = { operationId: 'p', responses: { '201': { description: 'ok' } } };
    });
    expect(findings).not.toHaveLength(0);
    expect(breaking(findings)).toHaveLength(0);
  });
  it('a response field or header now always sent (marked required), and new error statuses', () => {
    const findings = change((s) => {
      getOk(s).required.push('size');
      s.paths['/v1/things'].get.responses['200'].headers = { 'X-Request-Id': { schema: { type: 'string' } } };
      s.paths['/v1/things'].post.responses['415'] = { description: 'not json' };
      s.paths['/v1/things'].post.responses['429'].headers = { 'Retry-After': { required: true, schema: { type: 'integer' } } };
    });
    expect(findings.some((f) => f.rule === 'response-guarantee-added')).toBe(true);
    expect(breaking(findings)).toEqual([]);
  });
  it('but a request field made required still breaks', () => {
    expect(breaking(change((s) => postBody(s).required.push('colour')))).not.toHaveLength(0);
  });
  it('a widened request enum and a widened parameter range', () => {
    const findings = change((s) => {
      postBody(s).properties.colour.enum.push('green');
      s.paths['/v1/things'].get.parameters[0].schema.maximum = 1000;
    });
    expect(breaking(findings)).toHaveLength(0);
  });
});
