// Validates an OpenAPI document with @apidevtools/swagger-parser (schema validation of the
// OpenAPI 3.0 spec plus $ref resolution), then checks what the spec asks beyond validity:
// every operation has a described 2xx response whose body (unless 204/304) has a named
// component schema, and every request body is a named component.
// Usage: node validate_openapi.mjs <openapi.json | http://host:port/openapi.json>
import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';

const source = process.argv[2];
if (!source) {
  console.error('usage: node validate_openapi.mjs <file or URL>');
  process.exit(2);
}
const text = source.startsWith('http') ? await (await fetch(source)).text() : await readFile(source, 'utf8');
const doc = JSON.parse(text);
const problems = [];
try {
  await SwaggerParser.validate(structuredClone(doc));
} catch (e) {
  problems.push(`swagger-parser: ${e.message}`);
}
const isNamed = (schema) => schema && typeof schema.$ref === 'string' && schema.$ref.startsWith('#/components/schemas/');
let operations = 0;
for (const [path, methods] of Object.entries(doc.paths || {})) {
  for (const [method, op] of Object.entries(methods)) {
    operations += 1;
    const where = `${method.toUpperCase()} ${path}`;
    const success = Object.keys(op.responses || {}).filter((s) => s.startsWith('2'));
    if (!success.length) problems.push(`${where}: no 2xx response`);
    for (const [status, response] of Object.entries(op.responses || {})) {
      if (status === '204' || status === '304') continue;
      const media = Object.values(response.content || {});
      if (!media.length) problems.push(`${where}: response ${status} has no body schema`);
      for (const m of media) if (!isNamed(m.schema)) problems.push(`${where}: response ${status} schema is not a named component`);
    }
    if (op.requestBody) {
      for (const m of Object.values(op.requestBody.content || {})) {
        if (!isNamed(m.schema)) problems.push(`${where}: request body is not a named component`);
      }
    }
    for (const p of op.parameters || []) if (!p.schema) problems.push(`${where}: parameter ${p.name} has no schema`);
    if (!op.responses?.default && !op.responses?.['500']) problems.push(`${where}: no error response`);
  }
}
const schemes = doc.components?.securitySchemes || {};
if (!schemes.bearerAuth || !schemes.apiKeyAuth) problems.push('security schemes bearerAuth and apiKeyAuth missing');
if (!doc.components?.schemas?.ErrorEnvelope) problems.push('no ErrorEnvelope component');
for (const p of problems) console.error(`FAIL ${p}`);
console.log(`${operations} operations checked: ${problems.length ? 'invalid' : 'valid'}`);
process.exit(problems.length ? 1 : 0);
