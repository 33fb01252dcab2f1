/**
 * `esi inject`: offline injection. Mutates every Pod and pod template in the first `-f` file exactly
 * as the webhook would, resolving ExternalSecrets and stores from all `-f` files, and prints the result.
 */
import { stringify } from 'yaml';
import { describeError, ValidationError, type KubeObject } from '../../core/index.ts';
import { readManifests } from '../manifests.ts';
import { loadRegexpEngine } from '../../eso/index.ts';
import { CURRENT_CLUSTER, DEFAULT_AGENT_IMAGE, injectManifests } from '../../injector/index.ts';
import { parseFlags, UsageError, wantsHelp, type Command } from '../io.ts';

export const INJECT_HELP = `Usage: esi inject -f MANIFESTS [-f ESO_OBJECTS ...] [-o yaml|json] [options]

Mutate every Pod and pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) in
MANIFESTS that has the label esi.dev/inject: "true", exactly as the esi webhook would, and print the
result. ExternalSecrets, SecretStores, ClusterSecretStores and Namespaces are read from every -f file;
only the objects of the first file are printed.

Options:
  -f, --filename FILE          manifests (first), then ESO objects (repeatable; multi-document YAML or JSON)
  -o, --output yaml|json       output format (default yaml)
      --native-sidecars BOOL   the cluster runs native sidecars (Kubernetes >= 1.29); default true
      --kubernetes-version V   derive --native-sidecars from a version such as 1.28 or v1.30.2
      --image IMAGE            agent image (default ${DEFAULT_AGENT_IMAGE})
  -n, --namespace NS           namespace of objects that name none (default "default")
  -h, --help                   show this help
`;

function nativeFromVersion(v: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(v.trim());
  if (!m) throw new UsageError(`esi inject: --kubernetes-version ${JSON.stringify(v)}: expected a version such as 1.30`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || minor >= 29;
}

export const injectCommand: Command = async (argv, io) => {
  if (wantsHelp(argv)) {
    io.stdout(INJECT_HELP);
    return 0;
  }
  try {
    const { values } = parseFlags(
      argv,
      {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o', default: 'yaml' },
        'native-sidecars': { type: 'string' },
        'kubernetes-version': { type: 'string' },
        image: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
      },
      'inject',
    );
    const files = values.filename ?? [];
    if (files.length === 0) throw new UsageError('esi inject: -f MANIFESTS is required (see esi inject --help)');
    if (values.output !== 'yaml' && values.output !== 'json') {
      throw new UsageError(`esi inject: -o ${JSON.stringify(values.output)}: use yaml or json`);
    }
    let nativeSidecars = CURRENT_CLUSTER.nativeSidecars;
    if (values['kubernetes-version'] !== undefined) nativeSidecars = nativeFromVersion(values['kubernetes-version']);
    const ns = values['native-sidecars'];
    if (ns !== undefined) {
      if (ns !== 'true' && ns !== 'false') throw new UsageError(`esi inject: --native-sidecars ${JSON.stringify(ns)}: use true or false`);
      nativeSidecars = ns === 'true';
    }
    const [first, ...rest] = await Promise.all(files.map((f) => readManifests(f)));
    await loadRegexpEngine(); // injection checks ClusterSecretStore namespaceRegexes
    const objects = first ?? [];
    const out = injectManifests(objects, rest.flat(), {
      cluster: { nativeSidecars },
      ...(values.image ? { agentImage: values.image } : {}),
      ...(values.namespace ? { namespace: values.namespace } : {}),
      onWarning: (obj, w) => io.stderr(`esi inject: warning: ${obj}: ${w}\n`),
    });
    io.stdout(format(out, values.output));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${e.message}\n`);
      return 2;
    }
    if (e instanceof ValidationError) {
      io.stderr(`esi inject: ${e.message}\n`);
      return 1;
    }
    io.stderr(`esi inject: ${describeError(e)}\n`);
    return 1;
  }
};

function format(objects: KubeObject[], output: 'yaml' | 'json'): string {
  if (output === 'json') {
    const doc = objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
    return JSON.stringify(doc, null, 2) + '\n';
  }
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
