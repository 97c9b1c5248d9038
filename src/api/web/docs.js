// /docs: renders /openapi.json for people (every operation with its parameters, body,
// responses and an example made from the schemas). Text only: nothing from the document is
// put on the page as markup.
const ops = document.getElementById('docs-operations');
const toc = document.getElementById('docs-toc');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let components = {};
function resolve(schema) {
  let s = schema || {};
  for (let i = 0; s.$ref && i < 20; i++) s = components[s.$ref.split('/').pop()] || {};
  return s;
}
const refName = (schema) => (schema && schema.$ref ? schema.$ref.split('/').pop() : null);

function typeOf(schema) {
  const name = refName(schema);
  if (name) return name;
  if (schema.allOf && schema.allOf.length === 1) return `${typeOf(schema.allOf[0])}${schema.nullable ? ' | null' : ''}`;
  const s = schema;
  let t = s.type || 'any';
  if (t === 'array') t = `array of ${typeOf(s.items || {})}`;
  if (s.format) t += ` (${s.format})`;
  if (s.enum) t += `: one of ${s.enum.join(', ')}`;
  if (s.nullable) t += ' | null';
  return t;
}

// An example value from a schema: its example, default or first enum value, else by type.
export function example(schema, depth = 0) {
  const s = resolve(schema);
  if (depth > 6) return null;
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.allOf) return example(s.allOf[0], depth + 1);
  if (s.oneOf) return example(s.oneOf[0], depth + 1);
  switch (s.type) {
    case 'object': {
      const out = {};
      for (const [k, v] of Object.entries(s.properties || {})) out[k] = example(v, depth + 1);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') out.key = example(s.additionalProperties, depth + 1);
      return out;
    }
    case 'array': return [example(s.items || {}, depth + 1)];
    case 'integer': return s.minimum ?? 0;
    case 'number': return 0;
    case 'boolean': return false;
    case 'string': return s.format === 'uuid' ? '3f1c2a9e-6b2d-4c1e-9a57-0d2f6c1b8e41' : 'string';
    default: return null;
  }
}

function exampleBlock(schema, contentType) {
  const value = example(schema);
  const shown = contentType.startsWith('application/json') || typeof value !== 'string'
    ? JSON.stringify(value, null, 2) : value;
  return el('pre', { class: 'example mono' }, shown);
}

function propertiesTable(schema) {
  const s = resolve(schema);
  if (s.type !== 'object' || !s.properties) return null;
  const required = new Set(s.required || []);
  return el('table', { class: 'table table-sm small' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Field'), el('th', {}, 'Type'), el('th', {}, 'Required'))),
    el('tbody', {}, Object.entries(s.properties).map(([k, v]) =>
      el('tr', {}, el('td', { class: 'mono' }, k), el('td', {}, typeOf(v)), el('td', {}, required.has(k) ? 'yes' : 'no')))));
}

function operation(path, method, op) {
  const id = op.operationId || `${method}-${path}`;
  const parts = [el('h3', { class: 'h6 mb-1' }, el('span', { class: 'badge bg-dark me-2' }, method.toUpperCase()), el('span', { class: 'mono' }, path)),
    el('p', { class: 'mb-2' }, op.summary || '')];
  parts.push(el('p', { class: 'small text-muted' }, op.security && op.security.length
    ? 'Needs credentials: Authorization: Bearer <JWT> or X-API-Key (open on loopback when none are configured).'
    : 'Public: no credentials.'));
  if (op.parameters && op.parameters.length) {
    parts.push(el('h4', { class: 'h6' }, 'Parameters'), el('table', { class: 'table table-sm small' },
      el('thead', {}, el('tr', {}, ['Name', 'In', 'Type', 'Required', 'Description'].map((h) => el('th', {}, h)))),
      el('tbody', {}, op.parameters.map((p) => el('tr', {},
        el('td', { class: 'mono' }, p.name), el('td', {}, p.in), el('td', {}, typeOf(p.schema || {})
          + (p.schema && p.schema.default !== undefined ? `, default ${p.schema.default}` : '')),
        el('td', {}, p.required ? 'yes' : 'no'), el('td', {}, p.description || ''))))));
  }
  if (op.requestBody) {
    for (const [type, media] of Object.entries(op.requestBody.content || {})) {
      parts.push(el('h4', { class: 'h6' }, `Request body (${type}): ${typeOf(media.schema)}`),
        propertiesTable(media.schema), el('div', { class: 'small text-muted' }, 'Example'), exampleBlock(media.schema, type));
    }
  }
  parts.push(el('h4', { class: 'h6' }, 'Responses'));
  for (const [status, response] of Object.entries(op.responses || {})) {
    const media = Object.entries(response.content || {});
    parts.push(el('div', { class: 'mb-2' },
      el('div', {}, el('strong', {}, status), ' ', response.description || '',
        media.length ? ` — ${media.map(([t, m]) => `${t}: ${typeOf(m.schema)}`).join(', ')}` : ''),
      status.startsWith('2') && media.length ? [el('div', { class: 'small text-muted' }, 'Example'), exampleBlock(media[0][1].schema, media[0][0])] : null));
  }
  return el('section', { class: `docs-op card card-body mb-3 method-${method}`, id }, parts);
}

async function main() {
  let doc;
  try {
    const response = await fetch('/openapi.json', { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    doc = await response.json();
  } catch (e) {
    ops.replaceChildren(el('div', { class: 'alert alert-danger' }, `Could not load /openapi.json: ${e.message}`));
    return;
  }
  components = (doc.components && doc.components.schemas) || {};
  document.getElementById('docs-title').textContent = `${doc.info.title} ${doc.info.version}: API reference`;
  document.getElementById('docs-description').textContent = doc.info.description || '';
  const byTag = new Map();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  const sections = [];
  const links = [];
  for (const [tag, list] of [...byTag.entries()].sort()) {
    sections.push(el('h2', { class: 'h5 mt-4', id: `tag-${tag}` }, tag));
    links.push(el('div', { class: 'fw-bold mt-2' }, tag));
    for (const [path, method, op] of list) {
      sections.push(operation(path, method, op));
      links.push(el('div', { class: 'small' }, el('a', { href: `#${op.operationId}` }, `${method.toUpperCase()} ${path}`)));
    }
  }
  sections.push(el('h2', { class: 'h5 mt-4', id: 'schemas' }, 'Schemas'));
  for (const [name, schema] of Object.entries(components).sort()) {
    sections.push(el('section', { class: 'card card-body mb-2', id: `schema-${name}` },
      el('h3', { class: 'h6 mono' }, name), schema.description ? el('p', { class: 'small' }, schema.description) : null,
      propertiesTable(schema) || el('p', { class: 'small' }, typeOf(schema))));
  }
  ops.replaceChildren(...sections);
  toc.replaceChildren(...links);
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

main();
