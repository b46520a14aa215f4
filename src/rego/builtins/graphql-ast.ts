/** graphql-js ASTs as gqlparser's Go structs in JSON (the shape OPA hands policies), and OPA's pruning of them. */
import {
  type ArgumentNode,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  Kind,
  type NamedTypeNode,
  type SelectionNode,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

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

export function queryDocument(doc: DocumentNode): Json {
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

export function schemaDocument(doc: DocumentNode): Json {
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
export function prune(json: Json): Json {
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
