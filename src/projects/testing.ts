import assert from 'node:assert/strict';
import { OrganizationWorld, resourceBody, unique } from '../../test/fixtures.js';

/** Shared by the project and organization-tag test files: project bodies, tag bindings and the project world. */

export const projectBody = resourceBody('projects');

/** A tag-binding resource object; `value` left out when undefined. */
export function binding(key: string, value?: string | null) {
  return { type: 'tag-bindings', attributes: value === undefined ? { key } : { key, value } };
}

export const withBindings = (...bindings: unknown[]) => ({ 'tag-bindings': { data: bindings } });

export const RELATIONSHIP_POINTER = '/data/relationships/tag-bindings/data';

/** The shared organization world (test/fixtures.ts), with projects created through the API. */
export class ProjectWorld extends OrganizationWorld {
  /** Creates a project as the owner and returns its resource object. */
  async createProject(attributes: Record<string, unknown> = {}, relationships?: Record<string, unknown>) {
    const res = await this.api(
      'POST',
      `/organizations/${this.org}/projects`,
      this.ownerToken,
      projectBody({ name: unique('project'), ...attributes }, relationships),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  /** The project's tag bindings as [key, value] pairs. */
  async bindingsOf(projectId: string): Promise<[string, string][]> {
    const res = await this.api('GET', `/projects/${projectId}/tag-bindings`, this.ownerToken);
    assert.equal(res.status, 200, res.text);
    return res.body.data.map((b: { attributes: { key: string; value: string } }) => [b.attributes.key, b.attributes.value]);
  }
}
