export * from './routes';
export * from './nginx-config';
export * from './ingress-routes';
export * from './legacy-r0';
