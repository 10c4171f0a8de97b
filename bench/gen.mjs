#!/usr/bin/env node
// Purpose: fill a running Visor with the data set of one large team, through
// the real admin and customer APIs, for the benchmark in bench/run.sh.
//
// It creates G data visibility groups, M schemas, D data sources spread over
// the schemas and shared between groups (each group has a default per schema),
// T read_write API tokens per group, a second hierarchy level, a few group
// tags, and K customers spread over the groups: one in 20 is an
// "Organization" (created first), the rest are "Customer"s, half of them
// children of an organization of their group. Customers carry properties,
// e-mails, tags and an explicit mapping for some schemas.
//
// Several tokens per group spread the load the way many client backends
// would, and keep each token under Visor's per-token rate limit.
//
// Usage:
//   node bench/gen.mjs --url http://127.0.0.1:PORT --admin-key visadm_… --out DIR
//        [--groups 3] [--schemas 5] [--data-sources 20] [--customers 20000]
//        [--tokens 64] [--concurrency 16]
//
// Writes to DIR (mode 0600):
//   tokens.json     the groups, their data sources and their API tokens
//   customers.txt   "<group no> <provided_id>" per customer
//   groups.txt      "<group no> <customers> <schema id> <data source id> <token>…"
//                   per group (groups numbered from 1; the schema and data
//                   source make one valid mapping entry for that group)
// and prints a one-line summary on standard error.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const opts = {
  url: '',
  'admin-key': '',
  out: '',
  groups: 3,
  schemas: 5,
  'data-sources': 20,
  customers: 20000,
  tokens: 64,
  concurrency: 16,
};

// Deterministic pseudo-random numbers, so that two runs build the same set
// (mulberry32: small, and its low bits are as good as its high ones).
let seed = 12345;
const rand = (n) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let retried = 0;
// One request; a 429 or 503 is retried after the Retry-After it names (at
// most 5 times), any other failure ends the run.
async function call(method, path, headers, body) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await fetch(opts.url + path, {
      method,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.ok) return text ? JSON.parse(text) : null;
    if (res.status !== 503 && res.status !== 429) {
      throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    }
    retried++;
    await sleep(1000 * Math.min(Number(res.headers.get('retry-after')) || 1, 5));
  }
  throw new Error(`${method} ${path}: still refused after 5 tries`);
}
const admin = (method, path, body) =>
  call(method, path, { Authorization: `Bearer ${opts['admin-key']}` }, body);
const customerApi = (token, path, body) =>
  call('POST', path, { 'Explo-Authorization': `Token ${token}` }, body);

// Runs fn over items with at most `concurrency` requests in flight.
async function pool(items, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, items.length) }, worker));
}

const groupNames = ['Production', 'Testing', 'Staging'];
const regions = ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south'];
const plans = ['free', 'team', 'business', 'enterprise'];
const industries = ['retail', 'logistics', 'health', 'finance', 'media', 'energy'];
const types = ['postgresql', 'mysql', 'snowflake', 'bigquery'];
const tags = ['beta', 'priority', 'churn-risk', 'partner'];

async function main() {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts) || argv[i + 1] === undefined) throw new Error(`unknown or incomplete option ${argv[i]}`);
    opts[key] = typeof opts[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!opts.url || !opts['admin-key'] || !opts.out) {
    throw new Error('usage: gen.mjs --url URL --admin-key KEY --out DIR [--customers N] …');
  }
  const G = opts.groups, M = opts.schemas, D = Math.max(opts['data-sources'], M);
  const K = opts.customers;
  const started = Date.now();

  // Team-wide labels: a root level above the built-in "Customer", and tags.
  await admin('POST', '/admin/api/hierarchy_levels', { name: 'Organization', rank: 10 });
  for (const name of tags) await admin('POST', '/admin/api/group_tags', { name });

  // Schemas and data sources; data source d belongs to schema d mod M.
  const schemas = [];
  for (let s = 0; s < M; s++) {
    schemas.push((await admin('POST', '/admin/api/schemas', { name: `schema_${s + 1}` })).id);
  }
  const bySchema = schemas.map(() => []);
  for (let d = 0; d < D; d++) {
    const type = types[d % types.length];
    const ds = await admin('POST', '/admin/api/data_sources', {
      name: `${type}_${d + 1}`,
      schema_id: schemas[d % M],
      type,
      config: { host: `db${d + 1}.internal`, port: 5432, database: `analytics_${d + 1}`,
                user: 'reader', password: `secret-${d + 1}` },
    });
    bySchema[d % M].push(ds.id);
  }

  // Groups: for each schema, group g holds data sources g and g+1 of that
  // schema (so neighbouring groups share one) and takes the first as default.
  const groups = [];
  for (let g = 0; g < G; g++) {
    const group = await admin('POST', '/admin/api/groups', { name: groupNames[g] ?? `group_${g + 1}` });
    const members = schemas.map(() => []);
    for (let s = 0; s < M; s++) {
      const list = bySchema[s];
      for (const ds of new Set([list[g % list.length], list[(g + 1) % list.length]])) {
        await admin('PUT', `/admin/api/groups/${group.id}/data_sources/${ds}`);
        members[s].push(ds);
      }
      await admin('PUT', `/admin/api/groups/${group.id}/defaults/${schemas[s]}`,
                  { data_source_id: members[s][0] });
    }
    const tokens = [];
    for (let t = 0; t < opts.tokens; t++) {
      tokens.push((await admin('POST', `/admin/api/groups/${group.id}/tokens`,
                               { name: `bench_${t + 1}`, permission: 'read_write' })).token);
    }
    groups.push({ no: g + 1, id: group.id, name: group.name, tokens, members, customers: [] });
  }

  // Customers: index i goes to group i mod G; one in 20 is an organization,
  // and half of the others are children of an organization of their group.
  const orgs = [], rest = [];
  for (let i = 0; i < K; i++) {
    const g = groups[i % G];
    const c = { g, id: `c${String(i + 1).padStart(6, '0')}`, org: Math.floor(i / G) % 20 === 0 };
    g.customers.push(c);
    (c.org ? orgs : rest).push(c);
  }
  const orgIds = new Map(groups.map((g) => [g, g.customers.filter((c) => c.org).map((c) => c.id)]));
  for (const c of rest) {
    const list = orgIds.get(c.g);
    if (list.length && rand(2)) c.parent = list[rand(list.length)];
  }
  const body = (c) => {
    const g = c.g;
    const mapping = {};
    const explicit = c.parent ? rand(2) : 2; // children often inherit the parent's mapping
    for (let k = 0; k < explicit; k++) {
      const s = rand(M);
      mapping[String(schemas[s])] = String(g.members[s][rand(g.members[s].length)]);
    }
    const b = {
      provided_id: c.id,
      name: `${c.org ? 'Organization' : 'Customer'} ${c.id}`,
      hierarchy_level_name: c.org ? 'Organization' : 'Customer',
      mapping,
      emails: [`admin@${c.id}.example.com`],
      group_tags: rand(3) === 0 ? [tags[rand(tags.length)]] : [],
      properties: c.org
        ? { region: regions[rand(regions.length)], plan: plans[rand(plans.length)],
            industry: industries[rand(industries.length)] }
        : { seats: 1 + rand(500), created_year: 2015 + rand(10), theme: rand(2) ? 'dark' : 'light',
            locale: rand(2) ? 'en-GB' : 'de-DE' },
    };
    if (c.parent) b.parent_provided_id = c.parent;
    return b;
  };
  const create = async (c) => {
    const token = c.g.tokens[rand(c.g.tokens.length)];
    const r = await customerApi(token, '/api/create_customer/', body(c));
    if (!r || r.success !== 1) throw new Error(`create_customer ${c.id}: ${JSON.stringify(r)}`);
  };
  await pool(orgs, create);
  await pool(rest, create);

  const secret = { mode: 0o600 };
  writeFileSync(join(opts.out, 'tokens.json'), JSON.stringify(groups.map((g) => ({
    group_id: g.id, name: g.name, customers: g.customers.length,
    data_sources: g.members.flat(), tokens: g.tokens,
  })), null, 2) + '\n', secret);
  writeFileSync(join(opts.out, 'customers.txt'),
                groups.flatMap((g) => g.customers.map((c) => `${g.no} ${c.id}\n`)).join(''), secret);
  writeFileSync(join(opts.out, 'groups.txt'), groups.map((g) =>
    `${g.no} ${g.customers.length} ${schemas[0]} ${g.members[0][0]} ${g.tokens.join(' ')}\n`).join(''),
  secret);

  const secs = (Date.now() - started) / 1000;
  console.error(`gen: ${G} groups with ${opts.tokens} tokens each, ${M} schemas, ${D} data sources, ` +
                `${K} customers (${orgs.length} organizations) in ${secs.toFixed(1)} s ` +
                `(${Math.round(K / secs)} customers/s, ${retried} requests retried)`);
}

main().catch((err) => {
  console.error(`gen: ${err.message}${err.cause ? ` (${err.cause.message ?? err.cause})` : ''}`);
  process.exit(1);
});
