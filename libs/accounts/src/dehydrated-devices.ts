import { Errors } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';

/** What PUT /dehydrated_device stores: the device and, as MSC3814 v2 sends them in the same body, its keys. */
export interface DehydratedDeviceUpload {
  deviceId: string;
  deviceData: JsonObject;
  displayName?: string;
  deviceKeys?: JsonObject;
  oneTimeKeys?: JsonObject;
  fallbackKeys?: JsonObject;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a PUT /dehydrated_device body (MSC3814). `device_data` is opaque to
 * the server (the client's encrypted device state) but must be an object with
 * an `algorithm`, which is what clients read back to pick how to decrypt it.
 */
export function parseDehydratedDeviceUpload(body: JsonObject, userId: string): DehydratedDeviceUpload {
  const { device_id: deviceId, device_data: deviceData, initial_device_display_name: displayName } = body;
  if (typeof deviceId !== 'string' || deviceId === '') throw Errors.badJson('device_id must be a non-empty string');
  if (!isObject(deviceData) || typeof deviceData.algorithm !== 'string')
    throw Errors.badJson('device_data must be an object with an algorithm');
  if (displayName !== undefined && typeof displayName !== 'string')
    throw Errors.badJson('initial_device_display_name must be a string');
  for (const field of ['device_keys', 'one_time_keys', 'fallback_keys'] as const) {
    if (body[field] !== undefined && !isObject(body[field])) throw Errors.badJson(`${field} must be an object`);
  }
  const deviceKeys = body.device_keys as JsonObject | undefined;
  if (deviceKeys && (deviceKeys.user_id !== userId || deviceKeys.device_id !== deviceId))
    throw Errors.badJson('device_keys must be for the dehydrated device');
  return {
    deviceId,
    deviceData,
    displayName,
    deviceKeys,
    oneTimeKeys: body.one_time_keys as JsonObject | undefined,
    fallbackKeys: body.fallback_keys as JsonObject | undefined,
  };
}

/** A `next_batch` is the to-device position of the last message handed out; anything else is M_INVALID_PARAM. */
export function parseEventsBatch(nextBatch: unknown): bigint | undefined {
  if (nextBatch === undefined) return undefined;
  if (typeof nextBatch !== 'string' || !/^\d{1,19}$/.test(nextBatch))
    throw Errors.invalidParam('next_batch is not one this server handed out');
  return BigInt(nextBatch);
}
