/**
 * Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config),
 * validated with limits: a payload is a group of alerts with their labels, annotations and times.
 */
import { z } from 'zod/v4';

/** Alerts in one payload: Alertmanager's max_alerts truncates to fewer; past this the payload is refused. */
export const MAX_ALERTS = 1000;
/** A grouped payload of many alerts is larger than a dashboard request: its route allows this much. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

const labelSet = z.record(z.string().max(256), z.string().max(4096)).refine((labels) => Object.keys(labels).length <= 64, { error: 'at most 64 labels or annotations' });

const time = z
  .string()
  .max(64)
  .refine((text) => !Number.isNaN(Date.parse(text)), { error: 'expected an RFC 3339 time' });

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved'], { error: 'expected firing or resolved' }),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: time,
  endsAt: time.optional(),
  generatorURL: z.string().max(4096).optional(),
  fingerprint: z.string().min(1).max(128).optional(),
});

export const alertmanagerPayloadSchema = z.object({
  version: z.string().refine((version) => version === '4', { error: 'expected Alertmanager\'s webhook payload version "4"' }),
  groupKey: z.string().max(4096).optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved'], { error: 'expected firing or resolved' }),
  receiver: z.string().max(256).optional(),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().max(4096).optional(),
  alerts: z.array(alertSchema).max(MAX_ALERTS, { error: `at most ${MAX_ALERTS} alerts in one payload` }),
});

export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;
export type AlertmanagerAlert = AlertmanagerPayload['alerts'][number];
