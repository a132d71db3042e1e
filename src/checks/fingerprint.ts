/** A stable fingerprint: the same service, check and symptom class always give the same task identity. */
import { createHash } from 'node:crypto';

export function fingerprintOf(service: string, checkId: string, symptom: string): string {
  return createHash('sha256').update(`${service}\u0000${checkId}\u0000${symptom}`).digest('hex').slice(0, 16);
}
