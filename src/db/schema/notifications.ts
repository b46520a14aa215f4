/** Notification configurations and their email recipients. */
import type { Generated } from 'kysely';
import type { Jsonb, Timestamp } from './common.js';

/** One delivery's answer, as the `delivery-responses` attribute shows it (notification-configurations.mdx). */
export interface DeliveryResponseRecord {
  url: string;
  body: string;
  code: string;
  headers: Record<string, string[]>;
  'sent-at': string;
  successful: string;
}

export interface NotificationConfigurationTable {
  id: string;
  organization_id: string;
  /** Exactly one of the workspace and the team is set: the `subscribable`. */
  workspace_id: string | null;
  team_id: string | null;
  name: string;
  destination_type: string;
  url: string | null;
  /** The signing token, sealed; write-only in the API. */
  sealed_token: string | null;
  enabled: Generated<boolean>;
  triggers: Generated<string[]>;
  email_addresses: Generated<string[]>;
  email_all_members: Generated<boolean>;
  delivery_responses: Jsonb<DeliveryResponseRecord[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface NotificationConfigurationUserTable {
  notification_configuration_id: string;
  user_id: string;
}
