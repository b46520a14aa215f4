import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { BadRequestError, InvalidError } from '../errors.js';
import { parseResourceBody, relationshipId } from './body.js';
import { document, resource, timestamp } from './document.js';
import { parseInclude } from './include.js';
import { listPage, paginationDocumentParts, parsePage } from './pagination.js';

describe('pagination', () => {
  it('defaults to page 1 of size 20', () => {
    assert.deepEqual(parsePage({}), { number: 1, size: 20 });
  });

  it('builds links and meta as the API overview shows (21 items, page 1 of 2)', () => {
    const url = new URL('https://h/api/v2/organizations/acme/workspaces?search%5Bname%5D=x');
    const { links, meta } = paginationDocumentParts(url, { number: 1, size: 20 }, 21);
    assert.deepEqual(meta.pagination, { 'current-page': 1, 'page-size': 20, 'prev-page': null, 'next-page': 2, 'total-pages': 2, 'total-count': 21 });
    assert.equal(links.prev, null);
    assert.equal(links.next, 'https://h/api/v2/organizations/acme/workspaces?search%5Bname%5D=x&page%5Bnumber%5D=2&page%5Bsize%5D=20');
    assert.equal(links.last, links.next);
    assert.equal(links.first, links.self);
  });

  it('keeps current-page ≤ total-pages for an empty list, so the CLI stops paging', () => {
    const { meta } = paginationDocumentParts(new URL('https://h/x'), { number: 1, size: 20 }, 0);
    assert.equal(meta.pagination['total-pages'], 1);
    assert.equal(meta.pagination['next-page'], null);
  });

  it('lists the page the query asks for and keeps what else the list tells', async () => {
    const request = { url: '/api/v2/things?page%5Bsize%5D=2', ctx: { baseUrl: 'https://h' }, query: { 'page[number]': 2, 'page[size]': 2 } };
    const asked: unknown[] = [];
    const { items, extra, parts } = await listPage(request, async (page) => {
      asked.push(page);
      return { items: ['c', 'd'], total: 5, extra: 'kept' };
    });
    assert.deepEqual(asked, [{ number: 2, size: 2 }]);
    assert.deepEqual(items, ['c', 'd']);
    assert.equal(extra, 'kept');
    assert.deepEqual(parts.meta.pagination, { 'current-page': 2, 'page-size': 2, 'prev-page': 1, 'next-page': 3, 'total-pages': 3, 'total-count': 5 });
    assert.equal(parts.links.last, 'https://h/api/v2/things?page%5Bsize%5D=2&page%5Bnumber%5D=3');
  });

  it('points prev at the last page when asked for a page beyond it', () => {
    const { meta } = paginationDocumentParts(new URL('https://h/x'), { number: 5, size: 20 }, 21);
    assert.equal(meta.pagination['prev-page'], 2);
    assert.equal(meta.pagination['next-page'], null);
  });
});

describe('include', () => {
  it('accepts allowed names, comma-separated', () => {
    assert.deepEqual([...parseInclude({ include: 'user,teams' }, ['user', 'teams'])], ['user', 'teams']);
  });

  it('refuses an unknown name with the text the CLI recognises', () => {
    assert.throws(() => parseInclude({ include: 'user,secrets' }, ['user']), /Invalid include parameter/);
  });
});

describe('request documents', () => {
  const Attributes = Type.Object({ name: Type.String({ minLength: 1 }), size: Type.Optional(Type.Integer()) });

  it('returns attributes, relationships and id', () => {
    const parsed = parseResourceBody(
      { data: { type: 'things', id: 'x', attributes: { name: 'a' }, relationships: { owner: { data: { type: 'users', id: 'user-1' } } } } },
      'things',
      Attributes,
    );
    assert.equal(parsed.attributes.name, 'a');
    assert.equal(parsed.id, 'x');
    assert.equal(relationshipId(parsed.relationships, 'owner', 'users'), 'user-1');
    assert.equal(relationshipId(parsed.relationships, 'missing', 'users'), undefined);
  });

  it('answers 400 for a missing data object or a wrong type', () => {
    assert.throws(() => parseResourceBody(undefined, 'things', Attributes), BadRequestError);
    assert.throws(() => parseResourceBody({ data: [] }, 'things', Attributes), BadRequestError);
    assert.throws(() => parseResourceBody({ data: { type: 'other', attributes: { name: 'a' } } }, 'things', Attributes), BadRequestError);
  });

  it('answers 422 with a pointer for an invalid attribute', () => {
    assert.throws(
      () => parseResourceBody({ data: { type: 'things', attributes: { name: 'a', size: 'big' } } }, 'things', Attributes),
      (err: unknown) => err instanceof InvalidError && JSON.stringify(err.source) === JSON.stringify({ pointer: '/data/attributes/size' }),
    );
    assert.throws(
      () => parseResourceBody({ data: { type: 'things', attributes: {} } }, 'things', Attributes),
      (err: unknown) => err instanceof InvalidError && JSON.stringify(err.source) === JSON.stringify({ pointer: '/data/attributes/name' }),
    );
  });

  it('answers 422 for a relationship of the wrong type', () => {
    const parsed = parseResourceBody(
      { data: { type: 'things', attributes: { name: 'a' }, relationships: { owner: { data: { type: 'teams', id: 't' } } } } },
      'things',
      Attributes,
    );
    assert.throws(() => relationshipId(parsed.relationships, 'owner', 'users'), InvalidError);
  });
});

describe('documents', () => {
  it('deduplicates included resources and omits empty included', () => {
    const a = resource('users', 'u1', {});
    assert.equal('included' in document(a), false);
    assert.equal(document(a, { included: [a, resource('users', 'u1', {}), resource('teams', 'u1', {})] }).included?.length, 2);
  });

  it('writes timestamps in UTC with a Z, as go-tfe requires', () => {
    assert.equal(timestamp(new Date(Date.UTC(2026, 10, 23, 1, 2, 3))), '2026-11-23T01:02:03.000Z');
    assert.equal(timestamp(null), null);
  });
});
