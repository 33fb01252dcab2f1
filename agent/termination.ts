/**
 * Why the agent stopped, where `kubectl describe pod` shows it: the kubelet reads the container's
 * terminationMessagePath (default /dev/termination-log) into `lastState.terminated.message`
 * (kubernetes.io/docs/tasks/debug/debug-application/determine-reason-pod-failure/). The injector also sets
 * `terminationMessagePolicy: FallbackToLogsOnError`, so the log tail is shown when this file stays empty.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** The kubelet keeps at most 4096 bytes of the message. */
const MAX_BYTES = 4096;

/** Writes `text` only into a file the kubelet made (never creates one, e.g. on a workstation); errors are ignored. */
export function writeTerminationMessage(text: string, path = TERMINATION_MESSAGE_PATH): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r+');
    ftruncateSync(fd, 0);
    writeSync(fd, Buffer.from(text, 'utf8').subarray(0, MAX_BYTES), 0, undefined, 0);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
