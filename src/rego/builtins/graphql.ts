/**
 * GraphQL built-ins (graphql.*). Parsing and validation are graphql-js's (the reference implementation);
 * the ASTs handed to policies have the shape OPA gives them, which is gqlparser's Go structs as JSON
 * with null and empty members pruned, so a policy written against OPA reads the same fields here. An AST
 * object given back to a built-in is printed to GraphQL text and parsed again.
 */
import { buildASTSchema, type DefinitionNode, type DocumentNode, GraphQLError, type GraphQLSchema, Kind, parse, validate, validateSchema } from 'graphql';
import { BuiltinError } from '../errors.js';
import { fromJSON, RegoObject, toJSON, type Value } from '../value.js';
import { type Json, prune, queryDocument, schemaDocument } from './graphql-ast.js';
import { type Node, printQuery, printSchema } from './graphql-print.js';
import { operandError, register } from './registry.js';

// ---- errors as gqlparser words them ----

/** gqlparser's message for graphql-js's syntax error, and where it is: "msg in GraphQL string at location L:C". */
function syntaxError(err: GraphQLError, source: string): BuiltinError {
  let message = err.message.replace(/^Syntax Error: /, '').replace(/\.$/, '');
  // gqlparser names punctuators bare: found }, Unexpected ...
  message = message.replace(/"(\.\.\.|[!$&():=@[\]{|}])"/g, '$1');
  let location = err.locations?.[0];
  // gqlparser's lexer: an unterminated string is an invalid token; a variable in a constant is its `$`.
  if (message === 'Unterminated string') message = 'Unexpected <Invalid>';
  if (/^Unexpected variable "\$[^"]*" in constant value$/.test(message)) message = 'Unexpected $';
  if (location && message.startsWith('Unexpected description')) {
    // gqlparser rejects the string token itself, positioned after its opening quote.
    const quoted = /^"((?:[^"\\\n]|\\.)*)"/.exec(source.slice(offsetOf(source, location.line, location.column)));
    message = `Unexpected String ${JSON.stringify(quoted?.[1] ?? '')}`;
    location = { line: location.line, column: location.column + 1 };
  } else if (location && /(?:^Unexpected|found) (?:Block)?String\b/.test(message)) {
    // gqlparser positions a string token after its opening quotes.
    location = { line: location.line, column: location.column + (/(?:^Unexpected|found) BlockString\b/.test(message) ? 3 : 1) };
  }
  if (location && /^Expected Name, found }$/.test(message)) {
    // An empty `{}` (a selection set, a field list): gqlparser's own wording.
    const offset = offsetOf(source, location.line, location.column);
    if (/\{\s*$/.test(source.slice(0, offset))) message = 'expected at least one definition, found }';
  }
  return new BuiltinError(`${message} in GraphQL string at location ${location?.line ?? 0}:${location?.column ?? 0}`);
}

function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) offset = source.indexOf('\n', offset) + 1;
  return offset + column - 1;
}

function parseText(text: string): DocumentNode {
  // gqlparser takes a document of nothing (whitespace, commas, comments); graphql-js refuses it.
  if (text.replace(/#[^\n\r]*/g, '').replace(/[\s,\uFEFF]+/g, '') === '') return { kind: Kind.DOCUMENT, definitions: [] };
  try {
    return parse(text, { noLocation: false, allowLegacyFragmentVariables: true });
  } catch (err) {
    if (err instanceof GraphQLError) throw syntaxError(err, text);
    throw err;
  }
}

const EXECUTABLE = new Set<string>([Kind.OPERATION_DEFINITION, Kind.FRAGMENT_DEFINITION]);

/** A query document: only operations and fragments, as gqlparser's ParseQuery takes. */
function parseQuery(text: string): DocumentNode {
  const doc = parseText(text);
  const other = doc.definitions.find((d) => !EXECUTABLE.has(d.kind));
  if (other) {
    const at = other.loc?.startToken;
    throw new BuiltinError(`Unexpected Name "${at?.value ?? ''}" in GraphQL string at location ${at?.line ?? 0}:${at?.column ?? 0}`);
  }
  return doc;
}

/** A schema document: type system definitions only. */
function parseSchema(text: string): DocumentNode {
  const doc = parseText(text);
  const other = doc.definitions.find((d) => EXECUTABLE.has(d.kind));
  if (other) {
    const at = other.loc?.startToken;
    throw new BuiltinError(
      `Unexpected ${at?.kind === '{' ? '{' : `Name "${at?.value ?? ''}"`} in GraphQL string at location ${at?.line ?? 0}:${at?.column ?? 0}`,
    );
  }
  return doc;
}

// ---- the built-ins ----

/** A query or schema operand: GraphQL text, or an AST object printed back to text. */
function documentOperand(v: Value, position: number, kind: 'query' | 'schema'): DocumentNode {
  if (typeof v === 'string') return kind === 'query' ? parseQuery(v) : parseSchema(v);
  if (v instanceof RegoObject) {
    const json = toJSON(v) as Node;
    const text = kind === 'query' ? printQuery(json) : printSchema(json);
    return kind === 'query' ? parseQuery(text) : parseSchema(text);
  }
  throw operandError(position, 'one of {string, object}', v);
}

const EXTENSION_DEFINITIONS: Record<string, Kind> = {
  [Kind.SCALAR_TYPE_EXTENSION]: Kind.SCALAR_TYPE_DEFINITION,
  [Kind.OBJECT_TYPE_EXTENSION]: Kind.OBJECT_TYPE_DEFINITION,
  [Kind.INTERFACE_TYPE_EXTENSION]: Kind.INTERFACE_TYPE_DEFINITION,
  [Kind.UNION_TYPE_EXTENSION]: Kind.UNION_TYPE_DEFINITION,
  [Kind.ENUM_TYPE_EXTENSION]: Kind.ENUM_TYPE_DEFINITION,
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: Kind.INPUT_OBJECT_TYPE_DEFINITION,
};

/** gqlparser lets an extension define a type nobody defined: the first such extension becomes its definition. */
function definingExtendedTypes(doc: DocumentNode): DocumentNode {
  const defined = new Set(doc.definitions.flatMap((d) => (d.kind.endsWith('Definition') && 'name' in d && d.name ? [d.name.value] : [])));
  const definitions = doc.definitions.map((d) => {
    const kind = EXTENSION_DEFINITIONS[d.kind];
    if (!kind || !('name' in d) || !d.name || defined.has(d.name.value)) return d;
    defined.add(d.name.value);
    return { ...d, kind } as DefinitionNode;
  });
  return { ...doc, definitions };
}

/** The schema built from a schema document and checked as gqlparser checks it; a root Query type is not required. */
function buildSchema(doc: DocumentNode): GraphQLSchema {
  let schema: GraphQLSchema;
  try {
    schema = buildASTSchema(definingExtendedTypes(doc), { assumeValidSDL: false });
  } catch (err) {
    throw new BuiltinError(`Error in gqlparser SchemaDocument to Schema conversion: ${(err as Error).message}`);
  }
  const errors = validateSchema(schema).filter((e) => !/^Query root type must be provided/.test(e.message));
  if (errors.length > 0) throw new BuiltinError(`Error in gqlparser SchemaDocument to Schema conversion: ${errors[0]?.message}`);
  // Checked above as gqlparser checks it: query validation must not check it again (a schema without Query).
  return buildASTSchema(definingExtendedTypes(doc), { assumeValid: true, assumeValidSDL: true });
}

function validateQuery(schema: GraphQLSchema, doc: DocumentNode): void {
  let error: GraphQLError | undefined;
  try {
    [error] = validate(schema, doc);
  } catch (err) {
    throw new BuiltinError((err as Error).message);
  }
  if (error) {
    const location = error.locations?.[0];
    throw new BuiltinError(`${error.message.replace(/\.$/, '')} in GraphQL string at location ${location?.line ?? 0}:${location?.column ?? 0}`);
  }
}

function astValue(json: Json): Value {
  return fromJSON(prune(json));
}

register('graphql.parse_query', 1, ([v]) => {
  if (typeof v !== 'string') throw operandError(1, 'string', v!);
  return astValue(queryDocument(parseQuery(v)));
});

register('graphql.parse_schema', 1, ([v]) => {
  if (typeof v !== 'string') throw operandError(1, 'string', v!);
  return astValue(schemaDocument(parseSchema(v)));
});

register('graphql.parse', 2, ([q, s]) => {
  const query = documentOperand(q!, 1, 'query');
  const schemaDoc = documentOperand(s!, 2, 'schema');
  validateQuery(buildSchema(schemaDoc), query);
  return [astValue(queryDocument(query)), astValue(schemaDocument(schemaDoc))];
});

/** Whether the query is valid against the schema: any failure (parse, schema, query) is false, never an error. */
function verified(q: Value, s: Value): { query: DocumentNode; schema: DocumentNode } | undefined {
  try {
    const query = documentOperand(q, 1, 'query');
    const schema = documentOperand(s, 2, 'schema');
    validateQuery(buildSchema(schema), query);
    return { query, schema };
  } catch {
    return undefined;
  }
}

register('graphql.parse_and_verify', 2, ([q, s]) => {
  const ok = verified(q!, s!);
  return ok ? [true, astValue(queryDocument(ok.query)), astValue(schemaDocument(ok.schema))] : [false, new RegoObject(), new RegoObject()];
});

register('graphql.is_valid', 2, ([q, s]) => verified(q!, s!) !== undefined);

register('graphql.schema_is_valid', 1, ([s]) => {
  try {
    buildSchema(documentOperand(s!, 1, 'schema'));
    return true;
  } catch {
    return false;
  }
});
