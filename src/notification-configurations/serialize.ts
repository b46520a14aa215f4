import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import type { NotificationConfiguration } from './service.js';

/**
 * notification-configurations.mdx "Show a notification configuration". `token` is write-only: always
 * null. `subscribable` is the workspace or the team; `users` the users an email configuration mails,
 * and `email-addresses` its other addresses (go-tfe's EmailUsers, EmailAddresses).
 */
export function serializeNotificationConfiguration(configuration: NotificationConfiguration): ResourceObject {
  const { subscribable } = configuration;
  return resource(
    'notification-configurations',
    configuration.id,
    {
      enabled: configuration.enabled,
      name: configuration.name,
      url: configuration.url,
      'destination-type': configuration.destinationType,
      token: null,
      triggers: configuration.triggers,
      'delivery-responses': configuration.deliveryResponses,
      'email-addresses': configuration.emailAddresses,
      ...(subscribable.kind === 'team' ? { 'email-all-members': configuration.emailAllMembers } : {}),
      'created-at': timestamp(configuration.createdAt),
      'updated-at': timestamp(configuration.updatedAt),
    },
    {
      subscribable: toOne(subscribable.kind === 'workspace' ? 'workspaces' : 'teams', subscribable.id),
      users: toMany('users', configuration.emailUserIds),
    },
    { self: apiPath('notification-configurations', configuration.id) },
  );
}

// Reached only as primary data: nothing includes notification configurations.
registerResourceType<NotificationConfiguration>('notification-configurations', { serialize: serializeNotificationConfiguration });
