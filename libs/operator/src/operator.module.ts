import { Module, type DynamicModule } from '@nestjs/common';
import { ClusterObjects } from './cluster-objects';
import { KubeClusterObjects } from './kube-cluster-objects';
import { KubeConnection } from './kube-connection';
import { KubeTenantObjects } from './kube-tenant-objects';
import { OPERATOR_SETTINGS, type OperatorSettings } from './operator-settings';
import { TenantAdmin } from './tenant-admin';
import { TenantObjects } from './tenant-objects';
import { TenantOperator } from './tenant-operator';
import { TenantReconciler } from './tenant-reconciler';

/** The LatticeTenant operator: no database, no bus; it talks to the Kubernetes API and to the tenants API only. */
@Module({})
export class OperatorModule {
  static forRoot(settings: OperatorSettings): DynamicModule {
    return {
      module: OperatorModule,
      providers: [
        { provide: OPERATOR_SETTINGS, useValue: settings },
        KubeConnection,
        { provide: TenantObjects, useClass: KubeTenantObjects },
        { provide: ClusterObjects, useClass: KubeClusterObjects },
        TenantAdmin,
        TenantReconciler,
        TenantOperator,
      ],
    };
  }
}
