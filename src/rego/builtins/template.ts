/**
 * strings.render_template: Go's text/template for the actions policies use — fields (`.a.b`, `.`),
 * variables (`$x`, `$x.a`), literals, `if`/`else if`/`else`, `range` (with `$i, $v :=` or `$v :=`),
 * `with`, comments and `{{-`/`-}}` trimming. Functions and pipelines with `|` are refused as errors.
 */
import { BuiltinError } from '../errors.js';
import { RegoObject, RegoSet, toRegoString, type Value } from '../value.js';
import { obj, register, str } from './registry.js';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'print'; expr: string }
  | { kind: 'if'; branches: { cond: string; body: Node[] }[]; otherwise: Node[] }
  | { kind: 'range'; vars: string[]; expr: string; body: Node[]; otherwise: Node[] }
  | { kind: 'with'; expr: string; body: Node[]; otherwise: Node[] };

type Token = { kind: 'text'; text: string } | { kind: 'action'; text: string };

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) {
      tokens.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    let text = template.slice(i, open);
    let start = open + 2;
    if (template.startsWith('- ', start) || template.startsWith('-\t', start) || template.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start++;
    }
    tokens.push({ kind: 'text', text });
    const close = template.indexOf('}}', start);
    if (close < 0) throw new BuiltinError('template: unclosed action');
    let end = close;
    let trimAfter = false;
    if (/\s-$/.test(template.slice(start, close))) {
      end = close - 1;
      trimAfter = true;
    }
    tokens.push({ kind: 'action', text: template.slice(start, end).trim() });
    i = close + 2;
    if (trimAfter) while (i < template.length && /\s/.test(template[i] as string)) i++;
  }
  return tokens;
}

/** Parses actions into a tree; `stop` names the keywords that end the current list. */
function parseNodes(tokens: Token[], pos: { i: number }, stop: string[]): { nodes: Node[]; ended: string } {
  const nodes: Node[] = [];
  while (pos.i < tokens.length) {
    const tok = tokens[pos.i++] as Token;
    if (tok.kind === 'text') {
      if (tok.text) nodes.push({ kind: 'text', text: tok.text });
      continue;
    }
    const text = tok.text;
    if (text.startsWith('/*')) continue;
    const word = /^\w+/.exec(text)?.[0] ?? '';
    if (stop.includes(word)) return { nodes, ended: text };
    if (word === 'if') {
      const branches = [{ cond: text.slice(2).trim(), body: [] as Node[] }];
      let otherwise: Node[] = [];
      for (;;) {
        const part = parseNodes(tokens, pos, ['else', 'end']);
        (branches[branches.length - 1] as { body: Node[] }).body = part.nodes;
        if (part.ended === 'end') break;
        const rest = part.ended.slice(4).trim();
        if (rest.startsWith('if ')) branches.push({ cond: rest.slice(3).trim(), body: [] });
        else {
          otherwise = expectEnd(tokens, pos);
          break;
        }
      }
      nodes.push({ kind: 'if', branches, otherwise });
    } else if (word === 'range' || word === 'with') {
      let expr = text.slice(word.length).trim();
      let vars: string[] = [];
      const decl = /^(\$\w*)(?:\s*,\s*(\$\w*))?\s*:=\s*(.+)$/.exec(expr);
      if (decl) {
        vars = [decl[1] as string, ...(decl[2] ? [decl[2]] : [])];
        expr = decl[3] as string;
      }
      const part = parseNodes(tokens, pos, ['else', 'end']);
      const otherwise = part.ended === 'end' ? [] : expectEnd(tokens, pos);
      nodes.push(word === 'range' ? { kind: 'range', vars, expr, body: part.nodes, otherwise } : { kind: 'with', expr, body: part.nodes, otherwise });
    } else if (word === 'end' || word === 'else') throw new BuiltinError(`template: unexpected {{${word}}}`);
    else nodes.push({ kind: 'print', expr: text });
  }
  if (stop.length > 0) throw new BuiltinError('template: unexpected EOF');
  return { nodes, ended: '' };
}

function expectEnd(tokens: Token[], pos: { i: number }): Node[] {
  const part = parseNodes(tokens, pos, ['end']);
  return part.nodes;
}

interface Scope {
  dot: Value | undefined;
  vars: Map<string, Value | undefined>;
}

function field(value: Value | undefined, name: string): Value | undefined {
  return value instanceof RegoObject ? value.get(name) : undefined;
}

function evalExpr(expr: string, scope: Scope): Value | undefined {
  const e = expr.trim();
  if (e.includes('|') || /\s/.test(e)) throw new BuiltinError(`template: functions and pipelines are not supported: ${e}`);
  if (e === '.') return scope.dot;
  if (/^"(?:[^"\\]|\\.)*"$/.test(e)) return JSON.parse(e) as string;
  if (/^-?\d+(\.\d+)?$/.test(e)) return Number(e);
  if (e === 'true' || e === 'false') return e === 'true';
  if (e === 'nil') return null;
  const ref = /^(\$\w*)?((?:\.\w+)*)$/.exec(e);
  if (!ref) throw new BuiltinError(`template: cannot evaluate ${e}`);
  let value: Value | undefined;
  if (ref[1]) {
    if (!scope.vars.has(ref[1])) throw new BuiltinError(`template: undefined variable "${ref[1]}"`);
    value = scope.vars.get(ref[1]);
  } else value = scope.dot;
  for (const name of (ref[2] as string).split('.').slice(1)) value = field(value, name);
  return value;
}

/** Go's truth: false, 0, nil, and empty strings, arrays and maps are false. */
function truthy(v: Value | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === 0n || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof RegoObject || v instanceof RegoSet) return v.size > 0;
  return true;
}

function render(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'print': {
        const v = evalExpr(node.expr, scope);
        out += v === undefined ? '<undefined>' : typeof v === 'string' ? v : toRegoString(v);
        break;
      }
      case 'if': {
        const branch = node.branches.find((b) => truthy(evalExpr(b.cond, scope)));
        out += render(branch ? branch.body : node.otherwise, scope);
        break;
      }
      case 'with': {
        const v = evalExpr(node.expr, scope);
        out += truthy(v) ? render(node.body, { dot: v, vars: scope.vars }) : render(node.otherwise, scope);
        break;
      }
      case 'range': {
        const v = evalExpr(node.expr, scope);
        const pairs: [Value, Value][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v instanceof RegoObject
            ? v.entries()
            : v instanceof RegoSet
              ? v.values().map((x, i) => [i, x])
              : [];
        if (pairs.length === 0) {
          out += render(node.otherwise, scope);
          break;
        }
        for (const [k, x] of pairs) {
          const vars = new Map(scope.vars);
          if (node.vars.length === 1) vars.set(node.vars[0] as string, x);
          else if (node.vars.length === 2) {
            vars.set(node.vars[0] as string, k);
            vars.set(node.vars[1] as string, x);
          }
          out += render(node.body, { dot: x, vars });
        }
        break;
      }
    }
  }
  return out;
}

register('strings.render_template', 2, (args) => {
  const vars = obj(args, 1);
  const nodes = parseNodes(tokenize(str(args, 0)), { i: 0 }, []).nodes;
  return render(nodes, { dot: vars, vars: new Map([['$', vars]]) });
});
