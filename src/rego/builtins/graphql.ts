/**
 * GraphQL built-ins (graphql.*). Parsing and validation are graphql-js's (the reference implementation);
 * the ASTs handed to policies have the shape OPA gives them, which is gqlparser's Go structs as JSON
 * with null and empty members pruned, so a policy written against OPA reads the same fields here. An AST
 * object given back to a built-in is printed to GraphQL text and parsed again.
 */
import {
  type ArgumentNode,
  buildASTSchema,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  type InputValueDefinitionNode,
  Kind,
  type NamedTypeNode,
  parse,
  type SelectionNode,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
  validate,
  validateSchema,
} from 'graphql';
import { BuiltinError } from '../errors.js';
import { fromJSON, RegoObject, toJSON, type Value } from '../value.js';
import { operandError, register } from './registry.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ---- graphql-js AST → gqlparser's JSON shape ----

/** gqlparser's ValueKind numbers. */
const VALUE_KINDS: Record<string, number> = {
  [Kind.VARIABLE]: 0,
  [Kind.INT]: 1,
  [Kind.FLOAT]: 2,
  [Kind.STRING]: 3,
  [Kind.BOOLEAN]: 5,
  [Kind.NULL]: 6,
  [Kind.ENUM]: 7,
  [Kind.LIST]: 8,
  [Kind.OBJECT]: 9,
};

function value(node: ValueNode): Json {
  const base = { ExpectedTypeHasDefault: false };
  switch (node.kind) {
    case Kind.VARIABLE:
      return { ...base, Kind: 0, Raw: node.name.value };
    case Kind.STRING:
      return { ...base, Kind: node.block ? 4 : 3, Raw: node.value };
    case Kind.NULL:
      return { ...base, Kind: 6, Raw: 'null' };
    case Kind.BOOLEAN:
      return { ...base, Kind: 5, Raw: String(node.value) };
    case Kind.LIST:
      return { ...base, Kind: 8, Raw: '', Children: node.values.map((v) => ({ Name: '', Value: value(v) })) };
    case Kind.OBJECT:
      return { ...base, Kind: 9, Raw: '', Children: node.fields.map((f) => ({ Name: f.name.value, Value: value(f.value) })) };
    default:
      return { ...base, Kind: VALUE_KINDS[node.kind] as number, Raw: node.value };
  }
}

function type(node: TypeNode): Json {
  if (node.kind === Kind.NON_NULL_TYPE) return { ...(type(node.type) as { [key: string]: Json }), NonNull: true };
  if (node.kind === Kind.LIST_TYPE) return { NamedType: '', Elem: type(node.type), NonNull: false };
  return { NamedType: node.name.value, NonNull: false };
}

function args(nodes: readonly ArgumentNode[] | undefined): Json[] {
  return (nodes ?? []).map((a) => ({ Name: a.name.value, Value: value(a.value) }));
}

function directives(nodes: readonly (DirectiveNode | ConstDirectiveNode)[] | undefined): Json[] {
  return (nodes ?? []).map((d) => ({ Name: d.name.value, Arguments: args(d.arguments), Location: '' }));
}

function selections(nodes: readonly SelectionNode[] | undefined): Json[] {
  return (nodes ?? []).map((s): Json => {
    if (s.kind === Kind.FIELD) {
      return {
        Alias: (s.alias ?? s.name).value,
        Name: s.name.value,
        Arguments: args(s.arguments),
        Directives: directives(s.directives),
        SelectionSet: selections(s.selectionSet?.selections),
      };
    }
    if (s.kind === Kind.FRAGMENT_SPREAD) return { Name: s.name.value, Directives: directives(s.directives) };
    return { TypeCondition: s.typeCondition?.name.value ?? '', Directives: directives(s.directives), SelectionSet: selections(s.selectionSet.selections) };
  });
}

function variableDefinitions(nodes: readonly VariableDefinitionNode[] | undefined): Json[] {
  return (nodes ?? []).map((v) => ({
    Variable: v.variable.name.value,
    Type: type(v.type),
    DefaultValue: v.defaultValue ? value(v.defaultValue) : null,
    Directives: directives(v.directives),
    Used: false,
  }));
}

function queryDocument(doc: DocumentNode): Json {
  const operations: Json[] = [];
  const fragments: Json[] = [];
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) {
      operations.push({
        Operation: d.operation,
        Name: d.name?.value ?? '',
        VariableDefinitions: variableDefinitions(d.variableDefinitions),
        Directives: directives(d.directives),
        SelectionSet: selections(d.selectionSet.selections),
      });
    } else if (d.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.push({
        Name: d.name.value,
        VariableDefinition: variableDefinitions(d.variableDefinitions),
        TypeCondition: d.typeCondition.name.value,
        Directives: directives(d.directives),
        SelectionSet: selections(d.selectionSet.selections),
      });
    }
  }
  return { Operations: operations, Fragments: fragments };
}

function inputValues(nodes: readonly InputValueDefinitionNode[] | undefined): Json[] {
  return (nodes ?? []).map((a) => ({
    Description: a.description?.value ?? '',
    Name: a.name.value,
    DefaultValue: a.defaultValue ? value(a.defaultValue) : null,
    Type: type(a.type),
    Directives: directives(a.directives),
  }));
}

function fields(nodes: readonly (FieldDefinitionNode | InputValueDefinitionNode)[] | undefined): Json[] {
  return (nodes ?? []).map((f) => ({
    Description: f.description?.value ?? '',
    Name: f.name.value,
    Arguments: 'arguments' in f ? inputValues(f.arguments) : [],
    DefaultValue: 'defaultValue' in f && f.defaultValue ? value(f.defaultValue) : null,
    Type: type(f.type),
    Directives: directives(f.directives),
  }));
}

const TYPE_KINDS: Record<string, string> = {
  [Kind.SCALAR_TYPE_DEFINITION]: 'SCALAR',
  [Kind.SCALAR_TYPE_EXTENSION]: 'SCALAR',
  [Kind.OBJECT_TYPE_DEFINITION]: 'OBJECT',
  [Kind.OBJECT_TYPE_EXTENSION]: 'OBJECT',
  [Kind.INTERFACE_TYPE_DEFINITION]: 'INTERFACE',
  [Kind.INTERFACE_TYPE_EXTENSION]: 'INTERFACE',
  [Kind.UNION_TYPE_DEFINITION]: 'UNION',
  [Kind.UNION_TYPE_EXTENSION]: 'UNION',
  [Kind.ENUM_TYPE_DEFINITION]: 'ENUM',
  [Kind.ENUM_TYPE_EXTENSION]: 'ENUM',
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: 'INPUT_OBJECT',
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: 'INPUT_OBJECT',
};

function names(nodes: readonly NamedTypeNode[] | undefined): Json[] {
  return (nodes ?? []).map((n) => n.name.value);
}

function typeDefinition(d: DefinitionNode): Json {
  const node = d as Extract<DefinitionNode, { kind: Kind.OBJECT_TYPE_DEFINITION }>;
  const any = d as unknown as Record<string, unknown>;
  return {
    Kind: TYPE_KINDS[d.kind] as string,
    Description: node.description?.value ?? '',
    Name: node.name.value,
    Directives: directives(node.directives),
    Interfaces: names(any.interfaces as NamedTypeNode[] | undefined),
    Fields: fields(any.fields as FieldDefinitionNode[] | undefined),
    Types: names(any.types as NamedTypeNode[] | undefined),
    EnumValues: ((any.values as { description?: { value: string }; name: { value: string }; directives?: ConstDirectiveNode[] }[] | undefined) ?? []).map(
      (v) => ({
        Description: v.description?.value ?? '',
        Name: v.name.value,
        Directives: directives(v.directives),
      }),
    ),
    BuiltIn: false,
  };
}

function schemaDocument(doc: DocumentNode): Json {
  const out: Record<string, Json[]> = { Schema: [], SchemaExtension: [], Directives: [], Definitions: [], Extensions: [] };
  for (const d of doc.definitions) {
    if (d.kind === Kind.SCHEMA_DEFINITION || d.kind === Kind.SCHEMA_EXTENSION) {
      (out[d.kind === Kind.SCHEMA_DEFINITION ? 'Schema' : 'SchemaExtension'] as Json[]).push({
        Description: d.kind === Kind.SCHEMA_DEFINITION ? (d.description?.value ?? '') : '',
        Directives: directives(d.directives),
        OperationTypes: (d.operationTypes ?? []).map((o) => ({ Operation: o.operation, Type: o.type.name.value })),
      });
    } else if (d.kind === Kind.DIRECTIVE_DEFINITION) {
      (out.Directives as Json[]).push({
        Description: d.description?.value ?? '',
        Name: d.name.value,
        Arguments: inputValues(d.arguments),
        Locations: d.locations.map((l) => l.value),
        IsRepeatable: d.repeatable,
      });
    } else if (d.kind in TYPE_KINDS) {
      (out[d.kind.endsWith('Extension') ? 'Extensions' : 'Definitions'] as Json[]).push(typeDefinition(d));
    }
  }
  return out;
}

/** OPA's pruning: no nulls, no empty arrays or objects (after pruning their members). */
function prune(json: Json): Json {
  if (Array.isArray(json)) return json.map(prune).filter((v) => v !== null && !isEmpty(v));
  if (json && typeof json === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(json)) {
      const p = prune(v);
      if (p !== null && !isEmpty(p)) out[k] = p;
    }
    return out;
  }
  return json;
}

function isEmpty(v: Json): boolean {
  return (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
}

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

// ---- gqlparser JSON → GraphQL text (for AST objects given back) ----

type Node = Record<string, Json>;

function list(v: Json | undefined): Node[] {
  return Array.isArray(v) ? (v as Node[]) : [];
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : '';
}

function printValue(v: Node): string {
  const raw = str(v.Raw);
  switch (v.Kind) {
    case 0:
      return `$${raw}`;
    case 3:
    case 4:
      return JSON.stringify(raw);
    case 8:
      return `[${list(v.Children)
        .map((c) => printValue(c.Value as Node))
        .join(', ')}]`;
    case 9:
      return `{${list(v.Children)
        .map((c) => `${str(c.Name)}: ${printValue(c.Value as Node)}`)
        .join(', ')}}`;
    default:
      return raw;
  }
}

function printType(t: Node): string {
  const inner = t.Elem ? `[${printType(t.Elem as Node)}]` : str(t.NamedType);
  return t.NonNull ? `${inner}!` : inner;
}

function printArgs(a: Json | undefined): string {
  const items = list(a);
  return items.length === 0 ? '' : `(${items.map((x) => `${str(x.Name)}: ${printValue(x.Value as Node)}`).join(', ')})`;
}

function printDirectives(d: Json | undefined): string {
  return list(d)
    .map((x) => ` @${str(x.Name)}${printArgs(x.Arguments)}`)
    .join('');
}

function printSelections(s: Json | undefined): string {
  const items = list(s);
  if (items.length === 0) return '';
  const parts = items.map((x) => {
    if (x.Alias !== undefined || x.Arguments !== undefined || (x.Name !== undefined && x.TypeCondition === undefined && x.SelectionSet !== undefined)) {
      const alias = str(x.Alias) && str(x.Alias) !== str(x.Name) ? `${str(x.Alias)}: ` : '';
      return `${alias}${str(x.Name)}${printArgs(x.Arguments)}${printDirectives(x.Directives)}${printSelections(x.SelectionSet)}`;
    }
    if (x.TypeCondition !== undefined || x.SelectionSet !== undefined) {
      return `...${x.TypeCondition ? ` on ${str(x.TypeCondition)}` : ''}${printDirectives(x.Directives)}${printSelections(x.SelectionSet)}`;
    }
    return `...${str(x.Name)}${printDirectives(x.Directives)}`;
  });
  return ` { ${parts.join(' ')} }`;
}

function printVariables(v: Json | undefined): string {
  const items = list(v);
  if (items.length === 0) return '';
  return `(${items
    .map(
      (x) =>
        `$${str(x.Variable)}: ${printType(x.Type as Node)}${x.DefaultValue ? ` = ${printValue(x.DefaultValue as Node)}` : ''}${printDirectives(x.Directives)}`,
    )
    .join(', ')})`;
}

function printQuery(doc: Node): string {
  const operations = list(doc.Operations).map(
    (o) =>
      `${str(o.Operation) || 'query'} ${str(o.Name)}${printVariables(o.VariableDefinitions)}${printDirectives(o.Directives)}${printSelections(o.SelectionSet)}`,
  );
  const fragments = list(doc.Fragments).map(
    (f) => `fragment ${str(f.Name)} on ${str(f.TypeCondition)}${printDirectives(f.Directives)}${printSelections(f.SelectionSet)}`,
  );
  return [...operations, ...fragments].join('\n');
}

function description(d: Json | undefined): string {
  const text = str(d);
  return text === '' ? '' : `${JSON.stringify(text)} `;
}

function printInputValues(a: Json | undefined): string {
  const items = list(a);
  if (items.length === 0) return '';
  return `(${items
    .map(
      (x) =>
        `${description(x.Description)}${str(x.Name)}: ${printType(x.Type as Node)}${x.DefaultValue ? ` = ${printValue(x.DefaultValue as Node)}` : ''}${printDirectives(x.Directives)}`,
    )
    .join(', ')})`;
}

const DEFINITION_KEYWORDS: Record<string, string> = {
  SCALAR: 'scalar',
  OBJECT: 'type',
  INTERFACE: 'interface',
  UNION: 'union',
  ENUM: 'enum',
  INPUT_OBJECT: 'input',
};

function printDefinition(d: Node, extension: boolean): string {
  const kind = str(d.Kind);
  const head = `${extension ? 'extend ' : description(d.Description)}${DEFINITION_KEYWORDS[kind] ?? 'type'} ${str(d.Name)}`;
  const interfaces = list(d.Interfaces as Json).length > 0 ? ` implements ${(d.Interfaces as string[]).join(' & ')}` : '';
  const directivesText = printDirectives(d.Directives);
  if (kind === 'UNION') {
    const types = (d.Types as string[] | undefined) ?? [];
    return `${head}${directivesText}${types.length > 0 ? ` = ${types.join(' | ')}` : ''}`;
  }
  if (kind === 'ENUM') {
    const values = list(d.EnumValues);
    return `${head}${directivesText}${values.length > 0 ? ` { ${values.map((v) => `${description(v.Description)}${str(v.Name)}${printDirectives(v.Directives)}`).join(' ')} }` : ''}`;
  }
  const fieldList = list(d.Fields);
  const body =
    fieldList.length > 0
      ? ` { ${fieldList
          .map(
            (f) =>
              `${description(f.Description)}${str(f.Name)}${printInputValues(f.Arguments)}: ${printType(f.Type as Node)}${f.DefaultValue ? ` = ${printValue(f.DefaultValue as Node)}` : ''}${printDirectives(f.Directives)}`,
          )
          .join(' ')} }`
      : '';
  return `${head}${interfaces}${directivesText}${body}`;
}

function printSchema(doc: Node): string {
  const operationTypes = (s: Node) => {
    const types = list(s.OperationTypes);
    return types.length > 0 ? ` { ${types.map((o) => `${str(o.Operation)}: ${str(o.Type)}`).join(' ')} }` : '';
  };
  return [
    ...list(doc.Schema).map((s) => `${description(s.Description)}schema${printDirectives(s.Directives)}${operationTypes(s)}`),
    ...list(doc.SchemaExtension).map((s) => `extend schema${printDirectives(s.Directives)}${operationTypes(s)}`),
    ...list(doc.Directives).map(
      (d) =>
        `${description(d.Description)}directive @${str(d.Name)}${printInputValues(d.Arguments)}${d.IsRepeatable ? ' repeatable' : ''} on ${((d.Locations as string[] | undefined) ?? []).join(' | ')}`,
    ),
    ...list(doc.Definitions).map((d) => printDefinition(d, false)),
    ...list(doc.Extensions).map((d) => printDefinition(d, true)),
  ].join('\n');
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
