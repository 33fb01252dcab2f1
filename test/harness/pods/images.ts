// The images the real-pod cluster runs, written as OCI archives by the project's own writer
// (scripts/oci.mjs) and imported into containerd: no registry is ever asked (pods use images present on
// the node; containerd's registry config points every host at a closed local port).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildEsiImage, chartImageName } from '../../../scripts/image.mjs';
import { writeOciArchive } from '../../../scripts/oci.mjs';
import { VERSIONS, podClusterPaths } from '../components.mjs';
import { sh } from './host.ts';

export interface PodImages {
  pause: string;
  /** busybox-static from Debian: the app containers of the scenarios. */
  busybox: string;
  /** esi as the Dockerfile builds it (same dist/, Node major, user, entrypoint), under the chart's name. */
  esi: string;
}

export async function writeImages(dir: string): Promise<{ images: PodImages; archives: string[] }> {
  const p = podClusterPaths();
  const r = VERSIONS.imageRecipe;
  const images: PodImages = { pause: `localhost/esi-e2e/pause:${r}`, busybox: `localhost/esi-e2e/busybox:${r}`, esi: await chartImageName() };
  const archives = [join(dir, 'pause.tar'), join(dir, 'busybox.tar'), join(dir, 'esi.tar')];
  const applets = (await sh(p.busybox, ['--list'])).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  await Promise.all([
    writeOciArchive({
      name: images.pause, out: archives[0]!, config: { Entrypoint: ['/pause'] },
      entries: [{ path: 'pause', type: 'file', mode: 0o755, data: await readFile(p.pause) }],
    }),
    writeOciArchive({
      name: images.busybox, out: archives[1]!,
      config: { Env: ['PATH=/bin'], Entrypoint: ['/bin/sh'], WorkingDir: '/' },
      entries: [
        { path: 'bin/busybox', type: 'file', mode: 0o755, data: await readFile(p.busybox) },
        ...applets.map((a) => ({ path: `bin/${a}`, type: 'symlink' as const, target: 'busybox' })),
        { path: 'tmp', type: 'dir', mode: 0o1777 },
      ],
    }),
    buildEsiImage({ node: p.node, name: images.esi, out: archives[2]! }),
  ]);
  return { images, archives };
}
