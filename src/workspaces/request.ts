import { InvalidError } from '../errors.js';
import type { TagReference } from './service.js';

/**
 * Flat tags of a request by `id` or by `attributes.name`, from parseResourceArray items; the CLI sends
 * names without ids (cli-protocol.md §4.2).
 */
export function tagReferences(items: { item: Record<string, unknown>; pointer: string }[]): TagReference[] {
  return items.map(({ item, pointer }) => {
    if (typeof item.id === 'string') return { id: item.id };
    const attributes = item.attributes;
    const name = typeof attributes === 'object' && attributes !== null ? (attributes as Record<string, unknown>).name : undefined;
    if (typeof name === 'string') return { name };
    throw new InvalidError('a tag needs an id or attributes.name', { pointer });
  });
}
