/**
 * Every resource type that `included` may carry, registered with the include registry
 * (src/jsonapi/include-registry.ts) by its domain's serialize.ts: imported once by the app, so a type
 * is registered even where no route of the process imports its serializer.
 */
import './agent-pools/serialize.js';
import './comments/serialize.js';
import './configuration-versions/serialize.js';
import './notification-configurations/serialize.js';
import './organization-memberships/serialize.js';
import './organizations/serialize.js';
import './projects/serialize.js';
import './registry-modules/serialize.js';
import './registry-providers/serialize.js';
import './reserved-tag-keys/serialize.js';
import './run-tasks/serialize.js';
import './policy-sets/serialize.js';
import './policies/serialize.js';
import './policy-evaluations/serialize.js';
import './run-triggers/serialize.js';
import './runs/serialize.js';
import './ssh-keys/serialize.js';
import './state-version-outputs/serialize.js';
import './state-versions/serialize.js';
import './task-stages/serialize.js';
import './teams/serialize.js';
import './users/serialize.js';
import './workspaces/serialize.js';
