#!/usr/bin/env node
// Generates esi's own definitions of the three ESO kinds it reads (ExternalSecret, SecretStore,
// ClusterSecretStore in group external-secrets.io) for clusters and tests without ESO installed.
// Structural schemas: the fields esi reads are typed (with the API-server defaults of
// ESO's CRDs, config/crds/bases/ at v0.16.2 and v2.9.0), everything else is kept as-is with x-kubernetes-preserve-unknown-fields.
// v1 is served and stored; v1beta1 is served with ESO's older strategy defaults. No conversion webhook:
// the shapes esi reads are identical, so the apiserver's `None` conversion only rewrites apiVersion.
//
//   node deploy/crds/generate.mjs          (rewrites the *.yaml files next to this script)
//   node deploy/crds/generate.mjs --check  (exit 1 if they are out of date)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const GROUP = 'external-secrets.io';
const str = (extra = {}) => ({ type: 'string', ...extra });
const bool = { type: 'boolean' };
const obj = (properties, extra = {}) => ({ type: 'object', properties, ...extra });
const free = (extra = {}) => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...extra });
const arr = (items, extra = {}) => ({ type: 'array', items, ...extra });
const strMap = { type: 'object', additionalProperties: { type: 'string' } };

const secretKeySelector = obj({ name: str(), namespace: str(), key: str() });
const serviceAccountRef = obj({ name: str(), namespace: str(), audiences: arr(str()) }, { required: ['name'] });

/** Strategy fields: v1beta1 CRDs defaulted them; v1 leaves them empty (the code treats "" as the default). */
function strategies(version, withMetadataPolicy) {
  const d = (v) => (version === 'v1beta1' ? { default: v } : {});
  return {
    conversionStrategy: str({ enum: ['Default', 'Unicode'], ...d('Default') }),
    decodingStrategy: str({ enum: ['Auto', 'Base64', 'Base64URL', 'None'], ...d('None') }),
    ...(withMetadataPolicy ? { metadataPolicy: str({ enum: ['None', 'Fetch'], ...d('None') }) } : {}),
  };
}

function remoteRef(version) {
  return obj({
    key: str(),
    property: str(),
    version: str(),
    ...strategies(version, true),
    ...(version === 'v1' ? { nullBytePolicy: str({ enum: ['Ignore', 'Fail'] }) } : {}),
  }, { required: ['key'] });
}

const storeRef = obj({ name: str(), kind: str({ enum: ['SecretStore', 'ClusterSecretStore'] }) });
const sourceRef = free();

function externalSecretSpec(version) {
  const v1 = version === 'v1';
  const templateItem = obj({ key: str(), templateAs: str({ enum: ['Values', 'KeysAndValues'], default: 'Values' }) }, { required: ['key'] });
  const templateSource = obj({ name: str(), items: arr(templateItem) }, { required: ['name', 'items'] });
  return obj({
    secretStoreRef: storeRef,
    refreshInterval: str({ default: '1h0m0s' }),
    ...(v1 ? { refreshPolicy: str({ enum: ['CreatedOnce', 'Periodic', 'OnChange'] }), syncWindows: free() } : {}),
    target: obj({
      name: str(),
      creationPolicy: str({ enum: ['Owner', 'Orphan', 'Merge', 'None', ...(v1 ? ['CreateOrMerge'] : [])], default: 'Owner' }),
      deletionPolicy: str({ enum: ['Delete', 'Merge', 'Retain'], default: 'Retain' }),
      immutable: bool,
      template: obj({
        type: str(),
        engineVersion: str({ enum: ['v2'], default: 'v2' }),
        mergePolicy: str({ enum: ['Replace', 'Merge'], default: 'Replace' }),
        metadata: free(),
        data: strMap,
        templateFrom: arr(obj({
          target: v1 ? str({ default: 'Data' }) : str({ enum: ['Data', 'Annotations', 'Labels'], default: 'Data' }),
          configMap: templateSource,
          secret: templateSource,
          literal: str(),
        }, { 'x-kubernetes-preserve-unknown-fields': true })),
      }, { 'x-kubernetes-preserve-unknown-fields': true }),
      ...(v1 ? { manifest: free() } : {}),
    }, { default: { creationPolicy: 'Owner', deletionPolicy: 'Retain' } }),
    data: arr(obj({
      secretKey: str({ minLength: 1, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$' }),
      remoteRef: remoteRef(version),
      sourceRef,
    }, { required: ['secretKey', 'remoteRef'] })),
    dataFrom: arr(obj({
      extract: remoteRef(version),
      find: obj({
        path: str(),
        name: obj({ regexp: str() }),
        tags: strMap,
        ...strategies(version, false),
        ...(v1 ? { nullBytePolicy: str({ enum: ['Ignore', 'Fail'] }) } : {}),
      }),
      rewrite: arr(obj({
        regexp: obj({ source: str(), target: str() }, { required: ['source', 'target'] }),
        transform: obj({ template: str() }, { required: ['template'] }),
        ...(v1 ? {
          merge: obj({
            into: str({ default: '' }),
            priority: arr(str()),
            priorityPolicy: str({ enum: ['IgnoreNotFound', 'Strict'], default: 'Strict' }),
            conflictPolicy: str({ enum: ['Ignore', 'Error'], default: 'Error' }),
            strategy: str({ enum: ['Extract', 'JSON'], default: 'Extract' }),
          }),
        } : {}),
      })),
      sourceRef,
    })),
  });
}

function storeSpec(version, cluster) {
  const v1 = version === 'v1';
  const pathDefault = (d) => free({ properties: { path: str({ default: d }) } });
  return obj({
    controller: str(),
    refreshInterval: { type: 'integer' },
    retrySettings: free(),
    ...(cluster ? { conditions: arr(free()) } : {}),
    provider: free({
      properties: {
        aws: obj({
          service: str({ enum: ['SecretsManager', 'ParameterStore'] }),
          region: str(),
          role: str(),
          additionalRoles: arr(str()),
          externalID: str(),
          prefix: str(),
          sessionTags: arr(obj({ key: str(), value: str() }, { required: ['key', 'value'] })),
          transitiveTagKeys: arr(str()),
          ...(v1 ? { sessionTagsPolicy: str({ enum: ['None', 'Simple', 'Custom'], default: 'None' }) } : {}),
          auth: obj({
            secretRef: obj({
              accessKeyIDSecretRef: secretKeySelector,
              secretAccessKeySecretRef: secretKeySelector,
              sessionTokenSecretRef: secretKeySelector,
            }),
            jwt: obj({ serviceAccountRef }),
          }),
        }, { required: ['service', 'region'], 'x-kubernetes-preserve-unknown-fields': true }),
        vault: obj({
          server: str(),
          path: str(),
          version: str({ enum: ['v1', 'v2'], default: 'v2' }),
          namespace: str(),
          caBundle: str({ format: 'byte' }),
          caProvider: free(),
          tls: free(),
          readYourWrites: bool,
          forwardInconsistent: bool,
          headers: strMap,
          auth: free({
            properties: {
              namespace: str(),
              tokenSecretRef: secretKeySelector,
              kubernetes: obj({
                mountPath: str({ default: 'kubernetes' }),
                role: str(),
                serviceAccountRef,
                secretRef: secretKeySelector,
              }, { required: ['role'] }),
              appRole: pathDefault('approle'),
              jwt: pathDefault('jwt'),
              ldap: pathDefault('ldap'),
              userPass: pathDefault('userpass'),
              ...(v1 ? { cert: pathDefault('cert'), gcp: pathDefault('gcp') } : {}),
            },
          }),
        }, { required: ['server'], 'x-kubernetes-preserve-unknown-fields': true }),
        // ESO's AzureKVProvider; v1 added AzureStackCloud, customCloudConfig and useAzureSDK.
        azurekv: obj({
          vaultUrl: str(),
          authType: str({ enum: ['ServicePrincipal', 'ManagedIdentity', 'WorkloadIdentity'], default: 'ServicePrincipal' }),
          environmentType: str({
            enum: ['PublicCloud', 'USGovernmentCloud', 'ChinaCloud', 'GermanCloud', ...(v1 ? ['AzureStackCloud'] : [])],
            default: 'PublicCloud',
          }),
          tenantId: str(),
          identityId: str(),
          authSecretRef: obj({
            clientId: secretKeySelector,
            clientSecret: secretKeySelector,
            clientCertificate: secretKeySelector,
            tenantId: secretKeySelector,
          }),
          serviceAccountRef,
          ...(v1
            ? {
                useAzureSDK: { ...bool, default: false },
                customCloudConfig: obj({
                  activeDirectoryEndpoint: str(),
                  keyVaultEndpoint: str(),
                  keyVaultDNSSuffix: str(),
                  resourceManagerEndpoint: str(),
                }, { required: ['activeDirectoryEndpoint'] }),
              }
            : {}),
        }, { required: ['vaultUrl'], 'x-kubernetes-preserve-unknown-fields': true }),
      },
    }),
  }, { required: ['provider'] });
}

function crd({ kind, plural, singular, shortNames, scope, spec, columns }) {
  const version = (name) => ({
    name,
    served: true,
    storage: name === 'v1',
    subresources: { status: {} },
    additionalPrinterColumns: columns,
    schema: {
      openAPIV3Schema: obj({
        apiVersion: str(),
        kind: str(),
        metadata: { type: 'object' },
        spec: spec(name),
        status: free(),
      }),
    },
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'esi' } },
    spec: {
      group: GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular, shortNames, categories: ['external-secrets'] },
      scope,
      versions: [version('v1'), version('v1beta1')],
    },
  };
}

// ESO v2.9.0's printer columns (config/crds/bases), so `kubectl get es|ss|css` prints what it prints with ESO.
const readyColumn = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
const statusColumn = { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' };
const storeColumns = [
  { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  statusColumn,
  { name: 'Capabilities', type: 'string', jsonPath: '.status.capabilities' },
  readyColumn,
];
const defs = {
  'external-secrets.io_externalsecrets.yaml': crd({
    kind: 'ExternalSecret', plural: 'externalsecrets', singular: 'externalsecret', shortNames: ['es'], scope: 'Namespaced',
    spec: externalSecretSpec,
    columns: [
      { name: 'StoreType', type: 'string', jsonPath: '.spec.secretStoreRef.kind' },
      { name: 'Store', type: 'string', jsonPath: '.spec.secretStoreRef.name' },
      { name: 'Refresh Interval', type: 'string', jsonPath: '.spec.refreshInterval' },
      statusColumn,
      readyColumn,
      { name: 'Last Sync', type: 'date', jsonPath: '.status.refreshTime' },
    ],
  }),
  'external-secrets.io_secretstores.yaml': crd({
    kind: 'SecretStore', plural: 'secretstores', singular: 'secretstore', shortNames: ['ss'], scope: 'Namespaced',
    spec: (v) => storeSpec(v, false), columns: storeColumns,
  }),
  'external-secrets.io_clustersecretstores.yaml': crd({
    kind: 'ClusterSecretStore', plural: 'clustersecretstores', singular: 'clustersecretstore', shortNames: ['css'], scope: 'Cluster',
    spec: (v) => storeSpec(v, true), columns: storeColumns,
  }),
};

const header = '# Generated by deploy/crds/generate.mjs — edit that file, then run it.\n';
const check = process.argv.includes('--check');
let stale = 0;
for (const [file, def] of Object.entries(defs)) {
  const path = join(import.meta.dirname, file);
  const text = header + stringify(def, { lineWidth: 0, aliasDuplicateObjects: false });
  if (!check) writeFileSync(path, text);
  else if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
    console.error(`${path} is out of date: run node deploy/crds/generate.mjs`);
    stale++;
  }
}
process.exitCode = stale > 0 ? 1 : 0;
