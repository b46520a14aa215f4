import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { InvalidError } from '../errors.js';
import { withDefaultLimits } from '../jsonapi/body.js';

const Minutes = Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]);

/**
 * The organization settings Terrace stores (in `organizations.settings`, by wire name), from the
 * request body tables of api-docs/organizations.mdx and seeds/002 organizations.md.
 */
const StoredSettings = Type.Object({
  'session-timeout': Minutes,
  'session-remember': Minutes,
  'collaborator-auth-policy': Type.Union([Type.Literal('password'), Type.Literal('two_factor_mandatory')]),
  'cost-estimation-enabled': Type.Boolean(),
  'send-passing-statuses-for-untriggered-speculative-plans': Type.Boolean(),
  'aggregated-commit-status-enabled': Type.Boolean(),
  'speculative-plan-management-enabled': Type.Boolean(),
  'owners-team-saml-role-id': Type.Union([Type.String(), Type.Null()]),
  'assessments-enforced': Type.Boolean(),
  'allow-force-delete-workspaces': Type.Boolean(),
  'default-execution-mode': Type.Union([Type.Literal('remote'), Type.Literal('local'), Type.Literal('agent')]),
  'user-tokens-enabled': Type.Boolean(),
});

export type OrganizationSettings = Static<typeof StoredSettings>;

/**
 * Documented defaults. The session settings are null, as the doc's responses show: the installation's
 * default (20160 minutes) applies.
 */
export const SETTING_DEFAULTS: Readonly<OrganizationSettings> = Object.freeze({
  'session-timeout': null,
  'session-remember': null,
  'collaborator-auth-policy': 'password',
  'cost-estimation-enabled': false,
  'send-passing-statuses-for-untriggered-speculative-plans': false,
  'aggregated-commit-status-enabled': true,
  'speculative-plan-management-enabled': true,
  'owners-team-saml-role-id': null,
  'assessments-enforced': false,
  'allow-force-delete-workspaces': false,
  'default-execution-mode': 'remote',
  'user-tokens-enabled': true,
});

/** Settings a request may carry: the stored ones, the default pool (a column of its own) and one that is checked and never stored. */
const SettingsInput = Type.Partial(
  Type.Object({
    ...StoredSettings.properties,
    'default-agent-pool-id': Type.Union([Type.String(), Type.Null()]),
    'enforce-hyok': Type.Boolean(),
  }),
  { additionalProperties: false },
);
const checkInput = TypeCompiler.Compile(withDefaultLimits(SettingsInput));

/** The request attributes that are settings (everything but name and email). */
export const SETTING_ATTRIBUTES: readonly string[] = Object.keys(SettingsInput.properties);

const STORED_NAMES = Object.keys(StoredSettings.properties) as (keyof OrganizationSettings)[];

/** "one of …" for a union of literals and simple types, where TypeBox says only "Expected union value". */
function describeUnion(options: { const?: unknown; type?: string; minimum?: number }[]): string {
  return options.map((o) => (o.const !== undefined ? JSON.stringify(o.const) : o.minimum !== undefined ? `${o.type} ≥ ${o.minimum}` : o.type)).join(' or ');
}

function invalid(message: string, attribute: string): InvalidError {
  return new InvalidError(message, { pointer: `/data/attributes/${attribute}` });
}

/** The effective settings of an organization: its stored values over the defaults. */
export function resolveSettings(stored: Record<string, unknown>): OrganizationSettings {
  const settings: Record<string, unknown> = { ...SETTING_DEFAULTS };
  for (const name of STORED_NAMES) if (name in stored) settings[name] = stored[name];
  return settings as OrganizationSettings;
}

/**
 * Checks requested settings and returns what to store. Values that would claim behaviour Terrace does
 * not have are refused with a 422 rather than stored and ignored.
 */
export function validateSettings(input: Record<string, unknown>): Partial<OrganizationSettings> {
  const error = checkInput.Errors(input).First();
  if (error) {
    const expected = error.schema.anyOf ? `must be ${describeUnion(error.schema.anyOf)}` : error.message;
    throw invalid(`${error.path.slice(1)}: ${expected}`, error.path.slice(1));
  }
  const requested = input as Static<typeof SettingsInput>;

  if (requested['collaborator-auth-policy'] === 'two_factor_mandatory') {
    throw invalid('two-factor authentication is not available on this server; collaborator-auth-policy must be password', 'collaborator-auth-policy');
  }
  // "In Terraform Enterprise, this setting is always false and cannot be changed" (organizations.mdx).
  if (requested['send-passing-statuses-for-untriggered-speculative-plans'] === true) {
    throw invalid(
      'send-passing-statuses-for-untriggered-speculative-plans is always false in Terraform Enterprise',
      'send-passing-statuses-for-untriggered-speculative-plans',
    );
  }
  if (requested['enforce-hyok'] === true) {
    throw invalid('enforce-hyok needs a primary hold-your-own-key configuration, which this organization does not have', 'enforce-hyok');
  }
  const stored: Record<string, unknown> = {};
  for (const name of STORED_NAMES) if (name in requested) stored[name] = requested[name];
  return stored as Partial<OrganizationSettings>;
}

/**
 * The default agent pool to store (undefined: unchanged) for the mode the organization will have and a
 * requested `default-agent-pool-id` (organizations.mdx): required with `agent`; refused with another
 * mode, which clears it. The caller checks that a named pool is the organization's.
 */
export function defaultAgentPoolChange(
  mode: OrganizationSettings['default-execution-mode'],
  requestedPoolId: string | null | undefined,
  currentPoolId: string | null,
): string | null | undefined {
  if (mode !== 'agent') {
    if (requestedPoolId) throw invalid('default-agent-pool-id can only be set when default-execution-mode is agent', 'default-agent-pool-id');
    return currentPoolId === null ? undefined : null;
  }
  const pool = requestedPoolId === undefined ? currentPoolId : requestedPoolId;
  if (!pool) throw invalid('default-agent-pool-id is required when default-execution-mode is agent', 'default-agent-pool-id');
  return requestedPoolId === undefined ? undefined : pool;
}
