import { ROUTES, SESSION_HASH_KEY, STICKY_SERVICES, type HttpService } from './routes';

export type Upstreams = Record<HttpService, string[]>;

/**
 * An nginx server block routing like the Ingress: one upstream per service
 * (several addresses = load-balanced workers) and one regex location per
 * route, in table order (nginx also takes the first matching regex location).
 */
export function renderNginxConfig(listen: string, upstreams: Upstreams): string {
  const blocks = (Object.keys(upstreams) as HttpService[]).map((service) => {
    const hash = STICKY_SERVICES.includes(service) ? `  hash ${SESSION_HASH_KEY} consistent;\n` : '';
    const servers = upstreams[service].map((a) => `  server ${a};\n`).join('');
    // keepalive: connections to the workers are reused, not opened per request (a handshake per proxied request costs throughput).
    return `upstream lattice_${service.replace('-', '_')} {\n${hash}${servers}  keepalive 256;\n  keepalive_requests 1000000;\n}`;
  });
  const locations = ROUTES.map((r) => {
    const streaming = r.streamsBodies ? `\n    client_max_body_size 0;\n    proxy_request_buffering off;` : '';
    return `  # ${r.why}\n  location ~ ${r.pattern} {${streaming}\n    proxy_pass http://lattice_${r.service.replace('-', '_')};\n  }`;
  });
  return `${blocks.join('\n\n')}

server {
  listen ${listen};
  client_max_body_size 50m;
  # Clients and the proxy keep their connections: nginx would otherwise close each after 1,000 requests.
  keepalive_requests 1000000;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $remote_addr;
  proxy_read_timeout 120s;
  proxy_buffering off;

${locations.join('\n\n')}

  location / {
    default_type application/json;
    return 404 '{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}';
  }
}
`;
}
