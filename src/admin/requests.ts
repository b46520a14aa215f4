import { type Static, Type } from '@sinclair/typebox';

/**
 * The `terrace` admin commands as requests (admin/commands.ts runs them): the command line builds one
 * and runs it on the database or sends it to the server's admin socket, which checks it against this
 * schema. Kept apart so that the command line loads no more than it needs.
 */
export const AdminRequestSchema = Type.Union([
  Type.Object({
    command: Type.Literal('user create'),
    username: Type.String(),
    email: Type.String(),
    password: Type.Optional(Type.String()),
    admin: Type.Boolean(),
  }),
  Type.Object({ command: Type.Literal('user list') }),
  Type.Object({ command: Type.Literal('user password'), username: Type.String(), password: Type.String() }),
  Type.Object({ command: Type.Literal('token create'), user: Type.String(), description: Type.Union([Type.String(), Type.Null()]) }),
  Type.Object({ command: Type.Literal('token list'), user: Type.String() }),
  Type.Object({ command: Type.Literal('token revoke'), id: Type.String() }),
  Type.Object({ command: Type.Literal('secrets rotate'), batchSize: Type.Integer({ minimum: 1 }) }),
]);
export type AdminRequest = Static<typeof AdminRequestSchema>;
