/** gqlparser's JSON shape printed back to GraphQL text, for AST objects given back to a built-in. */
import type { Json } from './graphql-ast.js';

export type Node = Record<string, Json>;

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

export function printQuery(doc: Node): string {
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

export function printSchema(doc: Node): string {
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
