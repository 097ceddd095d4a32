import { access, chmod, copyFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ClockService } from '@hypermesh/runtime';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';
import { runCommand } from './run-command.js';

const COMPLETE = '.hypermesh-rootfs';

/**
 * Assembles (once) a root filesystem from the host's static busybox: `bin/busybox`, a link for every
 * applet it lists (`sh`, `httpd`, `nc`, …), `/etc/passwd`, `/etc/group`, `/etc/hosts` and empty
 * mount points. Built in a temporary directory and renamed into place, so concurrent agents and a
 * crash never leave a half-built rootfs. Returns `dir`.
 */
export async function ensureBusyboxRootfs(dir: string, busybox: string, clock: ClockService): Promise<string> {
  if (await exists(join(dir, COMPLETE))) return dir;
  const listed = await runCommand(clock, busybox, ['--list-full'], { timeoutMs: 10_000 }).catch((err: Error) => {
    throw new SchedulerError(SchedulerErrorCode.RuntimeUnavailable, `cannot run ${busybox} to build the container rootfs: ${err.message}; install busybox-static`, { cause: err });
  });
  if (listed.code !== 0) {
    throw new SchedulerError(SchedulerErrorCode.RuntimeUnavailable, `${busybox} --list-full failed (${listed.stderr.trim()}); install busybox-static`);
  }
  const tmp = `${dir}.tmp-${process.pid}-${clock.now()}`;
  await rm(tmp, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'var/run', 'home']) await mkdir(join(tmp, d), { recursive: true });
  await copyFile(busybox, join(tmp, 'bin/busybox'));
  await chmod(join(tmp, 'bin/busybox'), 0o755);
  for (const applet of listed.stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !l.includes('..'))) {
    if (applet === 'bin/busybox') continue;
    await mkdir(dirname(join(tmp, applet)), { recursive: true });
    await symlink('/bin/busybox', join(tmp, applet)).catch(() => undefined);
  }
  await writeFile(join(tmp, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  await writeFile(join(tmp, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  await writeFile(join(tmp, 'etc/hosts'), '127.0.0.1 localhost\n::1 localhost\n');
  await writeFile(join(tmp, COMPLETE), `built from ${busybox}\n`);
  await mkdir(dirname(dir), { recursive: true });
  try {
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // another agent built it first: use theirs
    if (!(await exists(join(dir, COMPLETE)))) throw err;
  }
  return dir;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
