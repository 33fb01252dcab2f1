/**
 * ESO's CRD types (group external-secrets.io), defined once for v1 and v1beta1. The shapes are the same
 * for every field esi reads (ESO's CRDs, config/crds/bases/ at v2.9.0 and v0.16.2); v1beta1 objects are parsed into these types too.
 * Only fields esi acts on are typed; unknown fields are kept verbatim.
 */
import type { KubeObject, ObjectMeta } from '../core/index.ts';

export const ESO_GROUP = 'external-secrets.io';
export const ESO_VERSIONS = ['v1', 'v1beta1'] as const;
export type EsoVersion = (typeof ESO_VERSIONS)[number];

export type StoreKind = 'SecretStore' | 'ClusterSecretStore';

export interface SecretStoreRef {
  name: string;
  kind?: StoreKind | '';
}

export type ConversionStrategy = 'Default' | 'Unicode' | '';
export type DecodingStrategy = 'None' | 'Base64' | 'Base64URL' | 'Auto' | '';
export type MetadataPolicy = 'None' | 'Fetch' | '';
export type NullBytePolicy = 'Ignore' | 'Fail' | '';

export interface RemoteRef {
  key: string;
  property?: string;
  version?: string;
  metadataPolicy?: MetadataPolicy;
  conversionStrategy?: ConversionStrategy;
  decodingStrategy?: DecodingStrategy;
  nullBytePolicy?: NullBytePolicy;
}

export interface SourceRef {
  storeRef?: SecretStoreRef;
  generatorRef?: { apiVersion?: string; kind: string; name: string };
}

export interface ExternalSecretData {
  secretKey: string;
  remoteRef: RemoteRef;
  sourceRef?: SourceRef;
}

export interface FindName {
  regexp: string;
}

export interface ExternalSecretFind {
  path?: string;
  name?: FindName;
  tags?: Record<string, string>;
  conversionStrategy?: ConversionStrategy;
  decodingStrategy?: DecodingStrategy;
  nullBytePolicy?: NullBytePolicy;
}

export interface RewriteRegexp {
  source: string;
  target: string;
}
export interface RewriteTransform {
  template: string;
}
export interface RewriteMerge {
  into?: string;
  priority?: string[];
  priorityPolicy?: 'Strict' | 'IgnoreNotFound' | '';
  conflictPolicy?: 'Error' | 'Ignore' | '';
  strategy?: 'Extract' | 'JSON' | '';
}
export interface Rewrite {
  regexp?: RewriteRegexp;
  transform?: RewriteTransform;
  merge?: RewriteMerge;
}

export interface ExternalSecretDataFrom {
  extract?: RemoteRef;
  find?: ExternalSecretFind;
  rewrite?: Rewrite[];
  sourceRef?: SourceRef;
}

export type CreationPolicy = 'Owner' | 'Orphan' | 'Merge' | 'None' | 'CreateOrMerge';
export type DeletionPolicy = 'Retain' | 'Delete' | 'Merge';

export interface TemplateRef {
  configMap?: { name: string; items: { key: string; templateAs?: 'Values' | 'KeysAndValues' }[] };
  secret?: { name: string; items: { key: string; templateAs?: 'Values' | 'KeysAndValues' }[] };
  target?: string;
  literal?: string;
  valuesDecodingStrategy?: DecodingStrategy;
}

export interface ExternalSecretTemplate {
  type?: string;
  engineVersion?: 'v2';
  mergePolicy?: 'Replace' | 'Merge';
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  data?: Record<string, string>;
  templateFrom?: TemplateRef[];
}

export interface ExternalSecretTarget {
  name?: string;
  creationPolicy: CreationPolicy;
  deletionPolicy: DeletionPolicy;
  immutable?: boolean;
  template?: ExternalSecretTemplate;
}

export type RefreshPolicy = 'CreatedOnce' | 'Periodic' | 'OnChange';

export interface ExternalSecretSpec {
  secretStoreRef?: SecretStoreRef;
  refreshInterval: string;
  refreshPolicy?: RefreshPolicy;
  target: ExternalSecretTarget;
  data?: ExternalSecretData[];
  dataFrom?: ExternalSecretDataFrom[];
  [k: string]: unknown;
}

export interface ExternalSecret extends KubeObject {
  kind: 'ExternalSecret';
  metadata: ObjectMeta & { name: string };
  spec: ExternalSecretSpec;
}

// ---- Stores ----------------------------------------------------------------------------------------

export interface SecretKeySelector {
  name: string;
  key: string;
  namespace?: string;
}

export interface ServiceAccountSelector {
  name: string;
  namespace?: string;
  audiences?: string[];
}

export interface AwsProvider {
  service: 'SecretsManager' | 'ParameterStore' | string;
  region: string;
  role?: string;
  additionalRoles?: string[];
  externalID?: string;
  prefix?: string;
  sessionTags?: { key: string; value: string }[];
  transitiveTagKeys?: string[];
  sessionTagsPolicy?: string;
  auth?: {
    secretRef?: {
      accessKeyIDSecretRef?: SecretKeySelector;
      secretAccessKeySecretRef?: SecretKeySelector;
      sessionTokenSecretRef?: SecretKeySelector;
    };
    jwt?: { serviceAccountRef?: ServiceAccountSelector };
  };
  [k: string]: unknown;
}

export interface VaultProvider {
  server: string;
  path?: string;
  version: 'v1' | 'v2';
  namespace?: string;
  caBundle?: string;
  caProvider?: { type: 'Secret' | 'ConfigMap'; name: string; key: string; namespace?: string };
  readYourWrites?: boolean;
  forwardInconsistent?: boolean;
  headers?: Record<string, string>;
  auth?: {
    namespace?: string;
    tokenSecretRef?: SecretKeySelector;
    appRole?: { path: string; roleId?: string; roleRef?: SecretKeySelector; secretRef: SecretKeySelector };
    kubernetes?: {
      mountPath: string;
      role: string;
      serviceAccountRef?: ServiceAccountSelector;
      secretRef?: SecretKeySelector;
    };
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface FakeProviderData {
  key: string;
  value?: string;
  valueMap?: Record<string, string>;
  version?: string;
}

export interface FakeProvider {
  data: FakeProviderData[];
  validationResult?: number;
}

export interface SecretStoreProvider {
  aws?: AwsProvider;
  vault?: VaultProvider;
  fake?: FakeProvider;
  [k: string]: unknown;
}

export interface ClusterSecretStoreCondition {
  namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] };
  namespaces?: string[];
  namespaceRegexes?: string[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface SecretStoreSpec {
  controller?: string;
  provider: SecretStoreProvider;
  refreshInterval?: number;
  conditions?: ClusterSecretStoreCondition[];
  [k: string]: unknown;
}

export interface SecretStore extends KubeObject {
  kind: StoreKind;
  metadata: ObjectMeta & { name: string };
  spec: SecretStoreSpec;
}
