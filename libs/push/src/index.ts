export * from './push.module';
export { GatewayError, PushGatewayClient } from './push-gateway-client';
