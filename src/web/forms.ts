import type { FastifyReply } from 'fastify';
import { DomainError, InvalidError } from '../errors.js';

/**
 * Runs a form's action; input the service refuses (400, 403, 409, 422) is drawn again on the form's page
 * with the reason and the service's status. Not found stays the 404 page (the error handler's).
 */
export async function submitForm(action: () => Promise<FastifyReply>, redraw: (status: number, error: string) => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof DomainError && err.status !== 404 && err.status < 500) return redraw(err.status, err.message);
    throw err;
  }
}

/** A token form's optional expiry date (`YYYY-MM-DD`, UTC): the token expires as that day begins; empty is never. */
export function expiryDate(value: string | undefined): Date | null {
  if (!value) return null;
  const date = new Date(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d\d-\d\d$/.test(value) || Number.isNaN(date.getTime())) throw new InvalidError('the expiry must be a date such as 2030-04-06');
  return date;
}
