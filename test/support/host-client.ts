import { request } from 'node:http';
import { registrationMac } from '../../libs/admin/src/shared-secret';

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Requests to one tenant of a deployment, named by the Host header (fetch
 * cannot set Host), with the admin API's shared-secret registration.
 */
export class HostClient {
  constructor(
    readonly url: string,
    readonly host: string,
  ) {}

  request(token: string | undefined, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const target = new URL(`${this.url}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        target,
        {
          method,
          headers: {
            host: this.host,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A client-server v3 request. */
  client(token: string | undefined, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return this.request(token, method, `/_matrix/client/v3${path}`, body);
  }

  /** Registers through POST /_synapse/admin/v1/register, as Complement and provisioning scripts do. */
  async registerWithSecret(
    secret: string,
    username: string,
    options: { admin?: boolean; password?: string } = {},
  ): Promise<{ userId: string; token: string; deviceId: string }> {
    const { body: nonceBody } = await this.request(undefined, 'GET', '/_synapse/admin/v1/register');
    const nonce = nonceBody.nonce as string;
    const password = options.password ?? 'correct horse';
    const mac = registrationMac(secret, { nonce, username, password, admin: options.admin === true });
    const { status, body } = await this.request(undefined, 'POST', '/_synapse/admin/v1/register', {
      nonce,
      username,
      password,
      admin: options.admin === true,
      mac,
    });
    if (status !== 200)
      throw new Error(`shared-secret registration of ${username} failed: ${status} ${JSON.stringify(body)}`);
    return { userId: body.user_id as string, token: body.access_token as string, deviceId: body.device_id as string };
  }

  async login(username: string, password: string): Promise<HttpAnswer> {
    return this.client(undefined, 'POST', '/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: username },
      password,
    });
  }
}
