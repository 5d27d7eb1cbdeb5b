export * from './room-reader';
export * from './client-event';
export * from './keyring';
export * from './room-server.module';
export * from './api/room-input-client';
export { eventSkeleton, type EventTemplate } from './event-builder';
export { loadRoomHead, type RoomHead } from './storage/room-store';
export { buildEvent } from './event-builder';
export { membershipTemplate } from './input/membership-template';
