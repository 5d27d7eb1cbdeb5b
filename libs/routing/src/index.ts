export * from './routes';
export * from './nginx-config';
export * from './ingress-routes';
