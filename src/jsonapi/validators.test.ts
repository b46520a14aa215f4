import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compileValidatorsOnFirstUse } from './validators.js';

type Validate = ((data: unknown) => unknown) & { errors?: unknown };

/** As Fastify builds it for an app without `ajv` options (its defaults: coercion, defaults, no extra properties removed). */
const compilerFor = () => compileValidatorsOnFirstUse({}, { customOptions: {}, plugins: [] } as never);

it('compiles a route schema at its first validation, not when the route is registered', () => {
  const compile = compilerFor();
  // Ajv refuses an unknown type when it compiles: a registration that compiled would throw here.
  const broken = compile({ schema: { type: 'no-such-type' }, method: 'GET', url: '/x', httpPart: 'querystring' } as never) as Validate;
  assert.throws(() => broken({}), /no-such-type|schema is invalid/);
});

it('validates and coerces as Fastify compiles, and hands over the errors of the last call', () => {
  const compile = compilerFor();
  const schema = { type: 'object', properties: { size: { type: 'integer', maximum: 100 } } };
  const validate = compile({ schema, method: 'GET', url: '/x', httpPart: 'querystring' } as never) as Validate;
  const query: Record<string, unknown> = { size: '5' };
  assert.equal(validate(query), true);
  assert.equal(query.size, 5, 'coerced');
  assert.equal(validate({ size: '500' }), false);
  assert.match(JSON.stringify(validate.errors), /maximum/);
  assert.equal(validate({ size: 1 }), true);
  assert.equal(validate.errors, null);
});
