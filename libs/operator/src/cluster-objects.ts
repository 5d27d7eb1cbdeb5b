import type { SecretKeyRef } from './lattice-tenant';
import type { RouteObject } from './tenant-routes';

/** The other Kubernetes objects a LatticeTenant involves: its token Secrets and its routing objects (KubeClusterObjects is the real one). */
export abstract class ClusterObjects {
  /** The value of a Secret's key in the namespace, or undefined with why when the Secret or the key is missing. */
  abstract readSecret(namespace: string, ref: SecretKeyRef): Promise<{ value: string } | { missing: string }>;
  /** Calls `onChange` with a Secret's name whenever one of the namespace's Secrets is added or changed. */
  abstract watchSecrets(namespace: string, onChange: (secretName: string) => void): Promise<() => Promise<void>>;
  /** Creates or updates the object to be exactly this (server-side apply as the operator's field manager). */
  abstract apply(object: RouteObject): Promise<void>;
  /** Deletes the object; one already gone is fine. */
  abstract remove(object: { apiVersion: string; kind: string; name: string; namespace: string }): Promise<void>;
}
