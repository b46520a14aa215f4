import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type BuildValidator = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;
type RouteValidator = ((data: unknown, dataContext?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };

/**
 * Fastify's own validator compiler (Ajv, its options and formats), compiling a route's schema when
 * the route is first asked to validate instead of when it is registered. Compiling all of the
 * server's routes took a fifth of a start's CPU, most of them never called by a test server or a
 * short-lived process; a route's schemas are checked by the first request that reaches it
 * (test/fuzz-routes.test.ts reaches every route).
 */
export const compileValidatorsOnFirstUse: BuildValidator = (externalSchemas, ajvOptions) => {
  const compile = AjvCompiler()(externalSchemas as never, ajvOptions as never);
  return (routeSchema) => {
    let compiled: RouteValidator | undefined;
    const validate: RouteValidator = (data, dataContext) => {
      compiled ??= compile(routeSchema) as RouteValidator;
      // Ajv takes the request as the parent of the data it may coerce (Fastify passes it when the
      // validator has a schemaEnv, as Ajv's functions do).
      const result = dataContext === undefined ? compiled(data) : compiled(data, dataContext);
      validate.errors = compiled.errors;
      return result;
    };
    validate.schemaEnv = true;
    return validate as ReturnType<ReturnType<BuildValidator>>;
  };
};
