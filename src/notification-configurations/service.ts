import { authorizeWorkspace } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { open, seal } from '../crypto/sealing.js';
import { BadRequestError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { sendMail } from '../mail.js';
import { httpUrl } from '../outbound.js';
import * as teamService from '../teams/service.js';
import { validateEmail } from '../users/service.js';
import { isAllowedDestination, sendWebhook } from './outbound.js';
import { emailFor, type RunEvent, TEAM_TRIGGERS, WORKSPACE_TRIGGERS, webhookBody } from './payloads.js';
import * as configurationStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { DestinationType, NotificationConfiguration, Subscribable } from './store.js';
export { DESTINATION_TYPES } from './store.js';

/**
 * Notification configurations (notification-configurations.mdx): a workspace's, managed by its admins,
 * or a team's, managed by who may manage the team ("Manage teams", teams/notifications.mdx). The token
 * is write-only and sealed. Enabling a webhook configuration sends a verification request first, and a
 * destination that does not answer 2xx keeps it from being saved (400).
 */

/** "Each workspace can have up to 20 notification configurations"; a team notification notifies up to twenty too. */
const MAX_PER_SUBSCRIBABLE = 20;
const ATTRIBUTES = '/data/attributes';
const USERS_POINTER = '/data/relationships/users';

export interface ConfigurationInput {
  destinationType?: configurationStore.DestinationType | undefined;
  name?: string | undefined;
  enabled?: boolean | undefined;
  /** A new token; null or empty removes it. */
  token?: string | null | undefined;
  triggers?: string[] | undefined;
  url?: string | null | undefined;
  emailAddresses?: string[] | undefined;
  emailAllMembers?: boolean | undefined;
  emailUserIds?: string[] | undefined;
}

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

/** Loads the subscribable and checks the caller may manage its notifications; returns its organization. */
async function authorizeSubscribable(ctx: Ctx, subscribable: configurationStore.Subscribable): Promise<string> {
  if (subscribable.kind === 'workspace') return (await authorizeWorkspace(ctx, { id: subscribable.id }, 'workspace:update')).organizationId;
  return (await teamService.findManageable(ctx, subscribable.id, 'team:update')).organizationId;
}

/** Loads a configuration the caller may manage; unknown and not permitted are the same 404. */
async function findAuthorized(ctx: Ctx, id: string): Promise<configurationStore.NotificationConfiguration> {
  const configuration = await configurationStore.findById(ctx.db, id);
  if (!configuration) throw new NotFoundError(`notification configuration ${id} not found`);
  try {
    await authorizeSubscribable(ctx, configuration.subscribable);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`notification configuration ${id} not found`);
    throw err;
  }
  return configuration;
}

export async function show(ctx: Ctx, id: string): Promise<configurationStore.NotificationConfiguration> {
  return findAuthorized(ctx, id);
}

export async function list(ctx: Ctx, subscribable: configurationStore.Subscribable, page: Page): Promise<Paged<configurationStore.NotificationConfiguration>> {
  await authorizeSubscribable(ctx, subscribable);
  return configurationStore.pageOf(ctx.db, subscribable, { limit: page.size, offset: pageOffset(page) });
}

/** The configuration a create or update would leave, checked; `current` is the stored one for an update. */
interface Resolved {
  fields: configurationStore.ConfigurationFields;
  /** The token in the clear, for the verification request (null: none). */
  token: string | null;
  emailUserIds: string[] | undefined;
}

async function resolve(
  ctx: Ctx,
  organizationId: string,
  subscribable: configurationStore.Subscribable,
  input: ConfigurationInput,
  current: configurationStore.NotificationConfiguration | undefined,
): Promise<Resolved> {
  const destinationType = current?.destinationType ?? input.destinationType;
  if (destinationType === undefined) throw invalid('destination-type', 'destination-type is required: generic, slack, microsoft-teams or email');
  if (current && input.destinationType !== undefined && input.destinationType !== current.destinationType) {
    throw invalid('destination-type', 'destination-type cannot be changed: create a new configuration');
  }
  const name = input.name ?? current?.name;
  if (name === undefined || name.trim() === '') throw invalid('name', 'name is required');
  const isEmail = destinationType === 'email';
  const url = input.url === undefined ? (current?.url ?? null) : input.url || null;
  if (isEmail) {
    if (input.url) throw invalid('url', 'url is only for generic, slack and microsoft-teams configurations');
  } else {
    if (url === null) throw invalid('url', `url is required for ${destinationType} configurations`);
    const parsed = httpUrl(url);
    if (!parsed) throw invalid('url', 'url must be an http or https URL');
    if (!isAllowedDestination(ctx.config, parsed))
      throw invalid('url', `notifications may not be sent to ${parsed.host} on this server (TERRACE_NOTIFICATION_ALLOWED_HOSTS)`);
  }
  const allowedTriggers: readonly string[] = subscribable.kind === 'workspace' ? WORKSPACE_TRIGGERS : TEAM_TRIGGERS;
  const triggers = input.triggers === undefined ? (current?.triggers ?? []) : [...new Set(input.triggers)];
  input.triggers?.forEach((trigger, index) => {
    if (!allowedTriggers.includes(trigger))
      throw invalid(`triggers/${index}`, `${JSON.stringify(trigger)} is not a trigger: one of ${allowedTriggers.join(', ')}`);
  });
  if (!isEmail && (input.emailAddresses?.length || input.emailUserIds?.length)) {
    const pointer = input.emailUserIds?.length ? USERS_POINTER : `${ATTRIBUTES}/email-addresses`;
    throw new InvalidError('email recipients are only for email configurations', { pointer });
  }
  input.emailAddresses?.forEach((address, index) => {
    validateEmail(address, `${ATTRIBUTES}/email-addresses/${index}`);
  });
  if (input.emailAllMembers !== undefined && subscribable.kind !== 'team')
    throw invalid('email-all-members', 'email-all-members is only for team configurations');
  let emailUserIds: string[] | undefined;
  if (input.emailUserIds !== undefined) {
    emailUserIds = [...new Set(input.emailUserIds)];
    const members = await configurationStore.organizationUserIds(ctx.db, organizationId, emailUserIds);
    const index = input.emailUserIds.findIndex((id) => !members.includes(id));
    if (index >= 0)
      throw new InvalidError(`user ${input.emailUserIds[index]} is not a member of the organization`, { pointer: `${USERS_POINTER}/data/${index}/id` });
  }
  let token: string | null;
  if (input.token === undefined) {
    const sealed = current ? await configurationStore.findSealedToken(ctx.db, current.id) : null;
    token = sealed ? open(ctx.config, sealed) : null;
  } else {
    token = input.token || null;
  }
  return {
    fields: {
      name,
      destinationType,
      url: isEmail ? null : url,
      sealedToken: token === null ? null : seal(ctx.config, token),
      enabled: input.enabled ?? current?.enabled ?? false,
      triggers,
      emailAddresses: input.emailAddresses ?? current?.emailAddresses ?? [],
      emailAllMembers: input.emailAllMembers ?? current?.emailAllMembers ?? false,
    },
    token,
    emailUserIds,
  };
}

/** The "Send a test" event: no run, no workspace (notification-configurations.mdx). */
function verificationEvent(id: string, name: string): RunEvent {
  return {
    configurationId: id,
    configurationName: name,
    trigger: 'verification',
    message: `Verification of ${name}`,
    run: null,
    workspace: null,
    organizationName: null,
  };
}

/** Sends the verification request to a webhook destination; returns the response, or throws the 400 the page gives when none came. */
async function verifyWebhook(
  ctx: Ctx,
  id: string,
  fields: configurationStore.ConfigurationFields,
  token: string | null,
): Promise<configurationStore.DeliveryResponseRecord> {
  const destination = fields.destinationType as Exclude<configurationStore.DestinationType, 'email'>;
  const body = webhookBody(destination, verificationEvent(id, fields.name));
  try {
    return await sendWebhook(ctx.config, fields.url as string, body, destination === 'generic' ? token : null, ctx.now());
  } catch (err) {
    throw new BadRequestError(`the verification request to the destination URL failed: ${err instanceof Error ? err.message : String(err)}`, {
      pointer: `${ATTRIBUTES}/url`,
    });
  }
}

function verificationRefused(response: configurationStore.DeliveryResponseRecord): BadRequestError {
  return new BadRequestError(`the destination URL answered the verification request with ${response.code}, not 2xx`, { pointer: `${ATTRIBUTES}/url` });
}

/** An enabled webhook configuration is verified before it is saved; email ones only on demand. */
async function verifiedResponse(ctx: Ctx, id: string, resolved: Resolved): Promise<configurationStore.DeliveryResponseRecord | undefined> {
  if (!resolved.fields.enabled || resolved.fields.destinationType === 'email') return undefined;
  return verifyWebhook(ctx, id, resolved.fields, resolved.token);
}

export async function create(
  ctx: Ctx,
  subscribable: configurationStore.Subscribable,
  input: ConfigurationInput,
): Promise<configurationStore.NotificationConfiguration> {
  const organizationId = await authorizeSubscribable(ctx, subscribable);
  const resolved = await resolve(ctx, organizationId, subscribable, input, undefined);
  if ((await configurationStore.countOf(ctx.db, subscribable)) >= MAX_PER_SUBSCRIBABLE) {
    throw new InvalidError(`a ${subscribable.kind} can have at most ${MAX_PER_SUBSCRIBABLE} notification configurations`, { pointer: '/data' });
  }
  const id = newId('nc');
  const response = await verifiedResponse(ctx, id, resolved);
  if (response && response.successful !== 'true') throw verificationRefused(response);
  await ctx.db.transaction().execute(async (trx) => {
    await configurationStore.insert(trx, { id, organizationId, subscribable, now: ctx.now(), emailUserIds: resolved.emailUserIds ?? [], ...resolved.fields });
    if (response) await configurationStore.recordDeliveryResponse(trx, id, response);
  });
  return findAuthorized(ctx, id);
}

export async function update(ctx: Ctx, id: string, input: ConfigurationInput): Promise<configurationStore.NotificationConfiguration> {
  const current = await findAuthorized(ctx, id);
  const resolved = await resolve(ctx, current.organizationId, current.subscribable, input, current);
  const response = await verifiedResponse(ctx, id, resolved);
  if (response && response.successful !== 'true') {
    // The response is kept ("If a response is received, it will be stored"); the changes are not.
    await configurationStore.recordDeliveryResponse(ctx.db, id, response);
    throw verificationRefused(response);
  }
  await ctx.db.transaction().execute(async (trx) => {
    await configurationStore.update(trx, id, resolved.fields, resolved.emailUserIds, ctx.now());
    if (response) await configurationStore.recordDeliveryResponse(trx, id, response);
  });
  return findAuthorized(ctx, id);
}

export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const configuration = await findAuthorized(ctx, id);
  await configurationStore.deleteById(ctx.db, configuration.id);
}

/** Whom an email configuration mails: its users and addresses, or every member of its team when it names none or says all. */
export async function emailRecipients(ctx: Pick<Ctx, 'db'>, configuration: configurationStore.NotificationConfiguration): Promise<string[]> {
  const { subscribable } = configuration;
  const named = [...(await configurationStore.emailsOfUsers(ctx.db, configuration.emailUserIds)), ...configuration.emailAddresses];
  const wholeTeam = subscribable.kind === 'team' && (configuration.emailAllMembers || named.length === 0);
  return [...new Set(wholeTeam ? [...named, ...(await configurationStore.emailsOfTeam(ctx.db, subscribable.id))] : named)];
}

/**
 * Sends the verification request (notification-configurations.mdx "Verify a notification
 * configuration"), or a test mail for an email configuration, and records the response: 400 when the
 * destination did not take it.
 */
export async function verify(ctx: Ctx, id: string): Promise<configurationStore.NotificationConfiguration> {
  const configuration = await findAuthorized(ctx, id);
  if (configuration.destinationType === 'email') {
    const to = await emailRecipients(ctx, configuration);
    if (to.length === 0) throw new BadRequestError('the configuration has no email recipients', { pointer: USERS_POINTER });
    try {
      await sendMail(ctx.config, emailFor(verificationEvent(id, configuration.name), to));
    } catch (err) {
      throw new BadRequestError(`the test mail could not be sent: ${err instanceof Error ? err.message : String(err)}`);
    }
    return configuration;
  }
  const sealed = await configurationStore.findSealedToken(ctx.db, id);
  const fields = { ...configuration, sealedToken: sealed ?? null };
  const response = await verifyWebhook(ctx, id, fields, sealed ? open(ctx.config, sealed) : null);
  await configurationStore.recordDeliveryResponse(ctx.db, id, response);
  if (response.successful !== 'true') throw verificationRefused(response);
  return findAuthorized(ctx, id);
}
